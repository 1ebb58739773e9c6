//! The command-line layer: clap definitions ([`args`]), one handler per command ([`commands`]),
//! and the mapping of failures to the two-line message and exit status of docs/errors.md ([`failure`]).

pub mod advice;
pub mod advice_aws;
pub mod args;
pub mod child;
pub mod commands;
pub mod failure;
pub mod interrupt;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

pub use args::Cli;
pub use failure::{Exit, Failure};

/// Entry point of the binary: parse `std::env::args_os`, run, report, return the exit status.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // clap prints usage errors on stderr (exit 2) and --help/--version on stdout (exit 0).
            let _ = error.print();
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2));
        }
    };
    match run(cli) {
        Ok(exit) => exit.into(),
        Err(failure) => {
            failure::report(&mut std::io::stderr().lock(), &failure);
            failure.exit().into()
        }
    }
}

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<Exit, Failure> {
    use args::Command;
    match cli.command {
        Command::Completions { shell } => {
            commands::completions::run(shell, &mut std::io::stdout().lock())
        }
        Command::Totp(command) => commands::totp::run_from_process(command, &cli.global),
        Command::Code { query } => commands::code::run_from_process(query.as_deref(), &cli.global),
        Command::Accounts {
            output,
            remember_password,
            forget_password,
        } => commands::accounts::run_from_process(
            commands::accounts::AccountsArgs {
                json: output.json,
                remember_password,
                forget_password,
            },
            &cli.global,
        ),
        Command::Devices { output } => {
            commands::devices::run_from_process(output.json, &cli.global)
        }
        Command::Cache(command) => commands::cache::run_from_process(&command, &cli.global),
        Command::Doctor { output } => commands::doctor::run_from_process(output.json, &cli.global),
        Command::Yubi { command } => commands::exec::run_from_process(
            &commands::exec::ExecRequest {
                command: &command,
                duration: None,
                force: false,
                server: false,
                yubikey: true,
            },
            &cli.global,
        ),
        Command::Exec(exec) => commands::exec::run_from_process(
            &commands::exec::ExecRequest {
                command: &exec.command,
                duration: exec.duration,
                force: exec.force,
                server: exec.server,
                yubikey: false,
            },
            &cli.global,
        ),
        other => Err(Failure::not_implemented(command_name(&other))),
    }
}

/// The name a user typed for `command`, for messages.
fn command_name(command: &args::Command) -> &'static str {
    use args::{CacheCommand, Command, TotpCommand};
    match command {
        Command::Yubi { .. } => "yubi",
        Command::Exec(_) => "exec",
        Command::Env { .. } => "env",
        Command::CredentialProcess => "credential-process",
        Command::Shell => "shell",
        Command::Login { .. } => "login",
        Command::EksToken { .. } => "eks-token",
        Command::Code { .. } => "code",
        Command::Accounts { .. } => "accounts",
        Command::Devices { .. } => "devices",
        Command::Register(_) => "register",
        Command::Deregister { .. } => "deregister",
        Command::Totp(TotpCommand::Add { .. }) => "totp add",
        Command::Totp(TotpCommand::List { .. }) => "totp list",
        Command::Totp(TotpCommand::Remove { .. }) => "totp remove",
        Command::Cache(CacheCommand::List { .. }) => "cache list",
        Command::Cache(CacheCommand::Clear) => "cache clear",
        Command::Doctor { .. } => "doctor",
        Command::Completions { .. } => "completions",
    }
}

/// `value` as pretty JSON with a final newline, for the `--json` of listing commands. `what`
/// names it in the (unexpected) error.
pub(crate) fn json_text<T: serde::Serialize + ?Sized>(
    value: &T,
    what: &str,
) -> Result<String, Failure> {
    let mut text = serde_json::to_string_pretty(value).map_err(|error| {
        Failure::runtime(
            format!("cannot write the {what} as JSON: {error}"),
            "report this bug",
        )
    })?;
    text.push('\n');
    Ok(text)
}

/// Writes `text` to `out`, treating a closed pipe (`mfa … | head`) as success.
pub(crate) fn write_out(out: &mut dyn Write, text: &[u8]) -> Result<(), Failure> {
    match out.write_all(text).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::runtime(
            format!("cannot write the output: {e}"),
            "check that stdout is writable (a full disk, a closed pipe?)",
        )),
    }
}
