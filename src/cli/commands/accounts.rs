//! `mfa accounts [--json] [--remember-password | --forget-password]`: the OATH accounts on the
//! YubiKey — name, issuer, type, algorithm, digits, period, touch. Listing needs no touch.
//!
//! - `--remember-password`: once the OATH application is unlocked (asked on the terminal, or
//!   `MFA_OATH_PASSWORD`), the key derived from the password is kept in the OS keyring, and later
//!   commands unlock without asking. The accounts are listed as usual.
//! - `--forget-password`: deletes what was remembered for this YubiKey, and lists nothing.
//!
//! An empty key prints nothing (`[]` with `--json`) and exits 0.

use std::io::Write;

use serde::Serialize;

use crate::cli::context::unix_now;
use crate::cli::output::{self, json_text, write_out};
use crate::cli::sources::{self, ProfileUse};
use crate::cli::{Context, Exit, Failure, advice, interrupt};
use crate::oath::{Credential, HashAlgorithm, OathError};
use crate::sources::yubikey::{AccountList, Connector, Unlocked, YubikeySource};
use crate::terminal::Terminal;

/// What `mfa accounts` was asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AccountsArgs {
    /// Print JSON.
    pub json: bool,
    /// Remember the password once unlocked.
    pub remember_password: bool,
    /// Forget a remembered password (and list nothing).
    pub forget_password: bool,
}

/// `mfa accounts`, on the process's card, terminal and stdout.
pub fn run(ctx: &mut Context, args: AccountsArgs) -> Result<Exit, Failure> {
    interrupt::install();
    let profile = sources::context_device(ctx, ProfileUse::KeyOnly)?;
    let options = sources::yubikey_options(ctx, &profile)?;
    let mut source = sources::yubikey_source(ctx, options);
    let now = unix_now()?;
    list(
        args,
        &mut source,
        now,
        &mut ctx.terminal,
        &mut std::io::stdout().lock(),
    )
}

/// Lists the accounts (or forgets the password).
pub fn list<C: Connector>(
    args: AccountsArgs,
    source: &mut YubikeySource<'_, C>,
    unix_time: u64,
    terminal: &mut dyn Terminal,
    out: &mut dyn Write,
) -> Result<Exit, Failure> {
    if args.forget_password {
        let forgotten = source
            .forget_password(terminal)
            .map_err(|error| advice::sources::yubikey(&error))?;
        let reader = &forgotten.device.reader;
        terminal.notice(&if forgotten.deleted {
            format!("Forgot the OATH password remembered for the YubiKey in `{reader}`.")
        } else if forgotten.has_password {
            format!("No OATH password was remembered for the YubiKey in `{reader}`.")
        } else {
            format!("The YubiKey in `{reader}` has no OATH password; nothing was remembered.")
        });
        return Ok(Exit::Success);
    }
    let list = source
        .accounts(unix_time, args.remember_password, terminal)
        .map_err(|error| advice::sources::yubikey(&error))?;
    if args.remember_password {
        remember_notice(&list, terminal);
    }
    if let Some(refusal) = &list.incomplete {
        terminal.notice(&incomplete_notice(refusal, &list.accounts));
    }
    if list.accounts.is_empty() && !args.json {
        terminal.notice(&format!(
            "The YubiKey in `{}` holds no OATH account.",
            list.device.reader
        ));
        return Ok(Exit::Success);
    }
    let text = if args.json {
        json(&list.accounts)?
    } else {
        human(&list.accounts)
    };
    write_out(out, text.as_bytes())?;
    Ok(Exit::Success)
}

/// The note when the key refused CALCULATE ALL: the accounts come from LIST alone. On `6A81` the
/// accounts the key cannot calculate are those with an algorithm it lacks (SHA512 on a Nitrokey
/// 3, docs/nitrokey.md), named.
fn incomplete_notice(refusal: &OathError, accounts: &[Credential]) -> String {
    let unknown = "digits and touch unknown";
    match refusal {
        OathError::FunctionNotSupported { .. } => {
            let names: Vec<String> = accounts
                .iter()
                .filter(|c| c.algorithm == Some(HashAlgorithm::Sha512))
                .map(|c| format!("`{}`", c.id))
                .collect();
            if names.is_empty() {
                format!("note: the key could not calculate every account ({unknown})")
            } else {
                format!(
                    "note: the key cannot calculate {} (SHA512 is not supported); {unknown}",
                    names.join(", ")
                )
            }
        }
        OathError::Transport(_)
        | OathError::NotAvailable
        | OathError::PasswordRequired
        | OathError::WrongPassword
        | OathError::CardAuthenticationFailed
        | OathError::TouchTimeout { .. }
        | OathError::NoSuchAccount { .. }
        | OathError::NoSpace
        | OathError::WrongData { .. }
        | OathError::MemoryFailure { .. }
        | OathError::NotSupported { .. }
        | OathError::UnexpectedStatus { .. }
        | OathError::MalformedResponse { .. }
        | OathError::InvalidCredential { .. }
        | OathError::NoFullResponse
        | OathError::Random(_) => {
            format!(
                "note: the key refused to calculate all accounts at once ({refusal}); {unknown}"
            )
        }
    }
}

fn remember_notice(list: &AccountList, terminal: &mut dyn Terminal) {
    let reader = &list.device.reader;
    terminal.notice(&match (&list.unlocked, list.remembered) {
        (Unlocked::NoPassword, _) => {
            format!("The YubiKey in `{reader}` has no OATH password: nothing to remember.")
        }
        (_, true) => format!(
            "The OATH password of the YubiKey in `{reader}` is remembered in the OS keyring \
             (forget it with `mfa accounts --forget-password`)."
        ),
        (_, false) => format!("The OATH password of the YubiKey in `{reader}` was not remembered."),
    });
}

/// One account, as `--json` prints it.
#[derive(Debug, Serialize)]
struct AccountJson<'a> {
    /// The full id, as `mfa code` and `mfa_oath_account` take it.
    id: String,
    issuer: Option<&'a str>,
    name: &'a str,
    #[serde(rename = "type")]
    oath_type: String,
    algorithm: Option<String>,
    digits: Option<u8>,
    period: Option<u32>,
    touch: Option<bool>,
}

fn json(accounts: &[Credential]) -> Result<String, Failure> {
    let rows: Vec<AccountJson<'_>> = accounts
        .iter()
        .map(|c| AccountJson {
            id: c.id.to_string(),
            issuer: c.id.issuer(),
            name: c.id.name(),
            oath_type: c.oath_type.to_string(),
            algorithm: c.algorithm.map(|a| a.to_string()),
            digits: c.digits,
            period: c.period(),
            touch: c.touch,
        })
        .collect();
    json_text(&rows, "accounts")
}

fn human(accounts: &[Credential]) -> String {
    let unknown = || "?".to_owned();
    let mut rows = vec![
        ["ACCOUNT", "TYPE", "ALGORITHM", "DIGITS", "PERIOD", "TOUCH"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for c in accounts {
        rows.push(vec![
            // The full id (`60/` prefix included): what `mfa code` and mfa_oath_account take.
            c.id.to_string(),
            c.oath_type.to_string(),
            c.algorithm.map_or_else(unknown, |a| a.to_string()),
            c.digits.map_or_else(unknown, |d| d.to_string()),
            c.period()
                .map_or_else(|| "-".to_owned(), |p| format!("{p}s")),
            c.touch
                .map_or_else(unknown, |t| if t { "yes" } else { "no" }.to_owned()),
        ]);
    }
    output::table(&rows)
}

#[cfg(test)]
mod incomplete_tests {
    use super::*;
    use crate::oath::{Instruction, OathType};

    fn listed(id: &str, algorithm: HashAlgorithm) -> Credential {
        Credential {
            id: id.parse().unwrap_or_else(|_| unreachable!()),
            oath_type: OathType::Totp,
            algorithm: Some(algorithm),
            digits: None,
            touch: None,
        }
    }

    #[test]
    fn the_note_names_the_accounts_the_key_cannot_calculate() {
        let accounts = [
            listed("sha1", HashAlgorithm::Sha1),
            listed("Example:big", HashAlgorithm::Sha512),
        ];
        let note = incomplete_notice(
            &OathError::FunctionNotSupported {
                instruction: Instruction::CalculateAll,
                account: String::new(),
            },
            &accounts,
        );
        assert_eq!(
            note,
            "note: the key cannot calculate `Example:big` (SHA512 is not supported); digits and \
             touch unknown"
        );
    }
}
