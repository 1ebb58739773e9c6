//! The command-line layer: clap definitions ([`args`]), the [`Context`] built once per run
//! ([`context`]), one handler per command ([`commands`]), the wiring they share — code sources
//! ([`sources`]) and temporary credentials ([`credentials`]) — and how results and failures
//! reach the user: [`output`] for stdout, [`advice`] and [`failure`] for the two-line message and
//! exit status of `docs/errors.md`. See `docs/architecture.md` for the path of a command.

pub mod advice;
pub mod args;
pub mod child;
pub mod commands;
pub mod context;
pub mod credentials;
pub mod failure;
pub mod fast;
#[cfg(target_os = "linux")]
pub mod hygiene;
pub mod interrupt;
pub mod output;
#[cfg(unix)]
pub mod server;
pub mod sources;

use std::process::ExitCode;

use clap::Parser;

pub use args::Cli;
pub use context::Context;
pub use failure::{Exit, Failure};

/// Entry point of the binary: parse `std::env::args_os`, run, report, return the exit status.
pub fn main() -> ExitCode {
    // Before anything is read: no core dump or ptrace of a process that may hold secrets.
    #[cfg(target_os = "linux")]
    hygiene::harden();
    install_panic_hook();
    // A helper (`credential_process`, `mfa_process`) is stopped with us on Ctrl-C, SIGTERM or
    // SIGHUP: the handler is installed when the first one starts, keeping the cached path free
    // of it.
    crate::children::on_spawn(interrupt::install);
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // `mfa exec` and `mfa credential-process` in their usual forms skip building clap's parser
    // (docs/performance.md); clap reads everything else.
    let fast = fast::parse(&args, &|name| std::env::var_os(name));
    let cli = match fast.map_or_else(|| Cli::try_parse_from(&args), Ok) {
        Ok(cli) => cli,
        Err(error) => {
            // clap prints usage errors on stderr (exit 2) and --help/--version on stdout (exit 0).
            let _ = error.print();
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2));
        }
    };
    match run(cli) {
        Ok(exit) => exit.into(),
        Err(_) if crate::children::stopping() => {
            // A signal stopped the helpers and caused this failure: the handler reports the
            // signal and exits; wait for it.
            loop {
                std::thread::park();
            }
        }
        Err(failure) => {
            failure::report(&mut std::io::stderr().lock(), &failure);
            failure.exit().into()
        }
    }
}

/// Replaces Rust's panic message, which quotes whatever the failing code held (a pasted seed, a
/// key), by two lines without the payload or the location, and exits 1. No panic should ever
/// get here (docs/errors.md); this keeps a bug from printing a secret if one does.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|_info| {
        failure::report(&mut std::io::stderr().lock(), &panic_failure());
        std::process::exit(i32::from(Exit::Runtime.code()));
    }));
    // Debug builds only: lets the tests reach the hook through the real binary.
    #[cfg(debug_assertions)]
    if let Some(text) = std::env::var_os("MFA_TEST_PANIC") {
        panic!("test panic: {}", text.to_string_lossy());
    }
}

/// What a panic shows.
fn panic_failure() -> Failure {
    Failure::runtime(
        "internal error: mfa stopped on a bug (details are not shown: they may hold a secret)",
        "run the command again; if it happens again, report it with the command line you ran \
         (and `mfa --version`)",
    )
}

/// Runs one parsed command line: builds the context, then hands it to the command's handler.
pub fn run(cli: Cli) -> Result<Exit, Failure> {
    use args::Command;
    let Cli { global, command } = cli;
    let mut ctx = Context::from_process(global);
    let ctx = &mut ctx;
    match command {
        Command::Yubi { command } => commands::exec::yubi(ctx, &command),
        Command::Exec(args) => commands::exec::run(ctx, &args),
        Command::Code { query } => commands::code::run(ctx, query.as_deref()),
        Command::Accounts {
            output,
            remember_password,
            forget_password,
        } => commands::accounts::run(
            ctx,
            commands::accounts::AccountsArgs {
                json: output.json,
                remember_password,
                forget_password,
            },
        ),
        Command::Devices { output } => commands::devices::run(ctx, output.json),
        Command::Totp(command) => commands::totp::run(ctx, command),
        Command::Keys(command) => commands::keys::run(ctx, command),
        Command::Cache(command) => commands::cache::run(ctx, &command),
        Command::Doctor { output } => commands::doctor::run(ctx, output.json),
        Command::Completions { shell } => commands::completions::run(shell),
        Command::Env { format } => commands::env::run(ctx, format),
        Command::CredentialProcess => commands::credential_process::run(ctx),
        Command::Shell => commands::shell::run(ctx),
        Command::Login {
            write_profile,
            force,
        } => commands::login::run(ctx, write_profile.as_deref(), force),
        Command::EksToken { cluster, role } => {
            commands::eks_token::run(ctx, &cluster, role.as_deref())
        }
        Command::Register(args) => commands::register::run(ctx, &args),
        Command::Deregister { user, keep_account } => {
            commands::deregister::run(ctx, user.as_deref(), keep_account)
        }
    }
}
