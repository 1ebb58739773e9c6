//! `mfa totp add|list|remove`: software TOTP secrets (docs/commands.md, docs/software-totp.md).
//!
//! - `add [NAME] [--store file|keyring] [--force]`: the secret comes from piped stdin when there
//!   is one, else from a prompt on the terminal without echo — never from the command line, where
//!   `ps` and the shell history would see it. NAME defaults to the profile's `mfa_serial` (the
//!   name the software source looks up). Nothing is printed on stdout.
//! - `list [--json]`: names, stores and parameters; never a secret.
//! - `remove NAME`: from whichever store holds it; an unknown NAME is a usage error.
//!
//! The handlers take their dependencies ([`TotpIo`]) so tests run them with a temporary
//! directory, a memory keyring and a scripted terminal.

use std::io::{Read, Write};

use crate::cli::args::{TotpCommand, TotpStoreArg};
use crate::cli::context::Files;
use crate::cli::output::{json_text, write_out};
use crate::cli::{Context, Exit, Failure, advice};
use crate::secret::{Bounded, SecretBytes, SecretString};
use crate::sources::totp::{FileStore, Listed, StoreError, StoreKind, TotpSecret, TotpStore};
use crate::terminal::Terminal;

/// The longest secret read from stdin: a URI with a long label fits many times over.
const MAX_INPUT: u64 = 64 * 1024;

/// What the handlers need.
pub struct TotpIo<'a> {
    pub store: &'a TotpStore,
    /// The AWS shared files, for the default name (the profile's `mfa_serial`).
    pub aws_files: &'a mut Files,
    /// The profile whose `mfa_serial` is the default name.
    pub profile: &'a str,
    /// Stdin, when it is not a terminal.
    pub stdin: Option<Box<dyn Read + 'a>>,
    pub terminal: &'a mut dyn Terminal,
    /// The result (only `list` has one).
    pub out: &'a mut dyn Write,
    /// Confirmations for humans, unless `quiet`.
    pub err: &'a mut dyn Write,
    pub quiet: bool,
}

/// `mfa totp …`, with the process's stdin, terminal, stdout and stderr.
pub fn run(ctx: &mut Context, command: TotpCommand) -> Result<Exit, Failure> {
    use std::io::IsTerminal;
    let home = ctx.env.require_home()?;
    let data_home = ctx.env.var("XDG_DATA_HOME");
    let store = TotpStore::new(
        FileStore::new(FileStore::default_dir(data_home.as_deref(), home)),
        Box::new(ctx.keyring()),
    );
    let stdin = std::io::stdin();
    let piped = !stdin.is_terminal();
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    let quiet = ctx.global.quiet;
    run_with(
        command,
        TotpIo {
            store: &store,
            aws_files: &mut ctx.files,
            profile: &ctx.global.profile,
            stdin: piped.then(|| Box::new(stdin.lock()) as Box<dyn Read>),
            terminal: &mut ctx.terminal,
            out: &mut out,
            err: &mut err,
            quiet,
        },
    )
}

/// Runs one `mfa totp` command.
pub fn run_with(command: TotpCommand, io: TotpIo<'_>) -> Result<Exit, Failure> {
    match command {
        TotpCommand::Add { name, store, force } => add(name, store, force, io),
        TotpCommand::List { output } => list(output.json, io),
        TotpCommand::Remove { name } => remove(&name, io),
    }
}

fn add(
    name: Option<String>,
    store_arg: TotpStoreArg,
    force: bool,
    mut io: TotpIo<'_>,
) -> Result<Exit, Failure> {
    let name = match name {
        Some(name) => name,
        None => default_name(io.aws_files, io.profile)?,
    };
    let kind = match store_arg {
        TotpStoreArg::File => StoreKind::File,
        TotpStoreArg::Keyring => StoreKind::Keyring,
    };
    // Refuse before asking for the secret, so nobody pastes a seed for nothing.
    if !force
        && let Some(store) = io
            .store
            .find(&name)
            .map_err(|e| advice::sources::store(&e))?
    {
        return Err(advice::sources::store(&StoreError::AlreadyExists {
            name,
            store,
        }));
    }
    let input = read_secret(&name, &mut io)?;
    let secret = TotpSecret::parse(input.expose()).map_err(|e| advice::sources::secret(&e))?;
    drop(input);
    io.store
        .put(&name, &secret, kind, force)
        .map_err(|e| advice::sources::store(&e))?;
    let p = secret.params();
    let message = format!(
        "stored the software TOTP secret for {name} ({}, {} digits, {} s) in {}",
        p.algorithm,
        p.digits,
        p.period,
        io.store.location(&name, kind)
    );
    say(&mut io, &message);
    Ok(Exit::Success)
}

fn list(json: bool, mut io: TotpIo<'_>) -> Result<Exit, Failure> {
    let rows = io.store.list().map_err(|e| advice::sources::store(&e))?;
    let text = if json {
        let values: Vec<serde_json::Value> = rows.iter().map(json_row).collect();
        json_text(&values, "list")?
    } else {
        table(&rows)
    };
    write_out(io.out, text.as_bytes())?;
    if rows.is_empty() && !json {
        say(
            &mut io,
            "no software TOTP secrets stored; add one with `mfa totp add`",
        );
    }
    Ok(Exit::Success)
}

fn remove(name: &str, mut io: TotpIo<'_>) -> Result<Exit, Failure> {
    let removed = io
        .store
        .remove(name)
        .map_err(|e| advice::sources::store(&e))?;
    if removed.is_empty() {
        return Err(Failure::usage(
            format!("no software TOTP secret is stored as `{name}`"),
            "see `mfa totp list` for the names stored",
        ));
    }
    let places: Vec<String> = removed
        .iter()
        .map(|kind| io.store.location(name, *kind))
        .collect();
    let message = format!(
        "removed the software TOTP secret for {name} from {}",
        places.join(" and ")
    );
    say(&mut io, &message);
    Ok(Exit::Success)
}

/// A line for humans on stderr, unless `--quiet`.
fn say(io: &mut TotpIo<'_>, text: &str) {
    if !io.quiet {
        // A closed stderr leaves nothing better to do.
        let _ = writeln!(io.err, "{text}");
    }
}

/// The secret: piped stdin if any, else a hidden prompt, else a usage error.
fn read_secret(name: &str, io: &mut TotpIo<'_>) -> Result<SecretString, Failure> {
    let how = "pipe it (`mfa totp add NAME < seed.txt`) or run the command in a terminal; \
               never put it on the command line";
    if let Some(mut stdin) = io.stdin.take() {
        // Into wiped storage that wipes what it leaves when it grows (a seed or URI is short).
        let read = SecretBytes::read_bounded(&mut stdin, 256, MAX_INPUT as usize).map_err(|e| {
            Failure::runtime(format!("cannot read the secret from stdin: {e}"), how)
        })?;
        let Bounded::Complete(bytes) = read else {
            return Err(Failure::usage(
                "stdin holds more than 64 KiB: that is not a TOTP secret",
                "pipe only the Base32 seed or the otpauth:// URI",
            ));
        };
        let text = std::str::from_utf8(bytes.expose()).map_err(|_| {
            Failure::usage(
                "the secret on stdin is not text",
                "pipe the Base32 seed or the otpauth:// URI as text",
            )
        })?;
        if text.trim().is_empty() {
            return Err(Failure::usage("no secret given: stdin is empty", how));
        }
        return Ok(SecretString::copy_from(text));
    }
    if !io.terminal.is_interactive() {
        return Err(Failure::usage(
            "no secret given: no terminal to ask and nothing piped on stdin",
            how,
        ));
    }
    let prompt = format!("Base32 secret or otpauth:// URI for {name} (not shown): ");
    match io.terminal.ask_secret(&prompt) {
        Ok(Some(secret)) => Ok(secret),
        Ok(None) => Err(Failure::interrupted()),
        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Err(Failure::interrupted()),
        Err(e) => Err(Failure::runtime(
            format!("cannot read the secret from the terminal: {e}"),
            how,
        )),
    }
}

/// The profile's `mfa_serial`, from it or the nearest `source_profile` that sets it (as the
/// credential flow finds it).
fn default_name(files: &mut Files, profile: &str) -> Result<String, Failure> {
    let locations = files.locations().clone();
    let files = files.load().as_ref().map_err(|e| {
        Failure::usage(
            format!("{e}"),
            "fix the file's permissions, or give the name: `mfa totp add NAME`",
        )
    })?;
    let give_name = "give the name: `mfa totp add arn:aws:iam::ACCOUNT:mfa/USER`, or set \
                     mfa_serial in the profile";
    let mut current = profile.to_owned();
    let mut walked: Vec<String> = Vec::new();
    while let Some(p) = files.profile(&current) {
        if let Some(serial) = p.get("mfa_serial") {
            return Ok(serial.to_owned());
        }
        walked.push(current.clone());
        match p.get("source_profile") {
            Some(next) if !walked.iter().any(|w| w == next) => current = next.to_owned(),
            _ => break,
        }
    }
    if walked.is_empty() {
        return Err(Failure::usage(
            format!(
                "profile `{profile}` is not in {} or {}, so there is no mfa_serial to name the secret",
                locations.config.display(),
                locations.credentials.display()
            ),
            give_name,
        ));
    }
    Err(Failure::usage(
        format!("profile `{profile}` has no mfa_serial to name the secret after"),
        give_name,
    ))
}

fn json_row(row: &Listed) -> serde_json::Value {
    match &row.params {
        Ok(p) => serde_json::json!({
            "name": row.name,
            "store": row.store.to_string(),
            "issuer": p.issuer,
            "account": p.account,
            "algorithm": p.algorithm.to_string(),
            "digits": p.digits,
            "period": p.period,
        }),
        Err(e) => serde_json::json!({
            "name": row.name,
            "store": row.store.to_string(),
            "error": e.to_string(),
        }),
    }
}

fn table(rows: &[Listed]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let header = [
        "NAME",
        "STORE",
        "ALGORITHM",
        "DIGITS",
        "PERIOD",
        "ISSUER",
        "ACCOUNT",
    ];
    let mut cells: Vec<Vec<String>> = vec![header.iter().map(|h| (*h).to_owned()).collect()];
    for row in rows {
        let mut line = vec![row.name.clone(), row.store.to_string()];
        match &row.params {
            Ok(p) => line.extend([
                p.algorithm.to_string(),
                p.digits.to_string(),
                format!("{}s", p.period),
                p.issuer.clone().unwrap_or_else(|| "-".into()),
                p.account.clone().unwrap_or_else(|| "-".into()),
            ]),
            Err(e) => line.push(format!("unusable: {e}")),
        }
        cells.push(line);
    }
    let columns = header.len();
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            cells
                .iter()
                .filter(|line| line.len() == columns)
                .filter_map(|line| line.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = String::new();
    for line in cells {
        let last = line.len() - 1;
        for (c, cell) in line.iter().enumerate() {
            if c == last {
                text.push_str(cell);
            } else {
                let pad = widths[c].saturating_sub(cell.chars().count());
                text.push_str(cell);
                text.push_str(&" ".repeat(pad + 2));
            }
        }
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests;
