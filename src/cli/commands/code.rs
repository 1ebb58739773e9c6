//! `mfa code [QUERY]`: the current code of an OATH account on the YubiKey — digits only, one
//! line on stdout, so `$(mfa code)` is the code.
//!
//! - With QUERY: the account whose id (`60/Issuer:name`), `issuer:name` or name is QUERY, else
//!   the one account whose id contains it (ignoring case). Ambiguous or unknown: the accounts
//!   are listed on stderr, exit 2. A query may name an HOTP account (its counter advances).
//! - Without: the profile (`-p`) chooses — `mfa_oath_account`, else the account ending with the
//!   `user@account` of its `mfa_serial`, else the only TOTP account; with several and nothing to
//!   choose by, they are offered on a terminal and listed otherwise (exit 2).
//!
//! Touch accounts show "Touch your YubiKey…" on the terminal. The code is calculated for this
//! moment's step; `-v` tells the account and how long the code stays valid.
//!
//! Without QUERY, a non-YubiKey source chosen by `--source`/`MFA_SOURCE` or the profile's
//! `mfa_source` (a software secret, `mfa_process`, the prompt) gives the profile's code instead.

use std::io::Write;

use zeroize::Zeroizing;

use super::yubikey::{self as shared, ProfileDevice, ProfileUse};
use crate::cli::args::{GlobalArgs, SourceKind as SourceArg};
use crate::cli::{Exit, Failure, advice, interrupt, write_out};
use crate::keystore::OsKeyring;
use crate::sources::CodeRequest;
use crate::sources::yubikey::{AccountSelector, Connector, PcscConnector, YubikeySource};
use crate::terminal::{SystemTerminal, Terminal};

/// Runs `mfa code` with the process's environment, terminal and stdout.
pub fn run_from_process(query: Option<&str>, global: &GlobalArgs) -> Result<Exit, Failure> {
    interrupt::install();
    let mut terminal = SystemTerminal::open(shared::verbosity(global));
    let files = shared::load_shared_files(&mut terminal);
    let usage = if query.is_some() {
        ProfileUse::KeyOnly
    } else {
        ProfileUse::Account
    };
    if query.is_none()
        && let Some(exit) = from_other_source(global, &files, &mut terminal)?
    {
        return Ok(exit);
    }
    let profile = shared::profile_device(&files, &global.profile, usage, &mut terminal)?;
    let options = shared::options(global, &global.profile, &profile)?;
    let keyring = OsKeyring;
    let mut source = YubikeySource::new(PcscConnector::new(), &keyring, options);
    let now = shared::unix_now()?;
    run(
        query,
        &profile,
        &mut source,
        now,
        &mut terminal,
        &mut std::io::stdout().lock(),
    )
}

/// Without QUERY, a source other than the YubiKey chosen by `--source`/`MFA_SOURCE` or the
/// profile's `mfa_source` (totp, process, prompt) gives the code for the profile's `mfa_serial`.
/// `None` when the YubiKey (or `auto`, which starts with it) is the choice.
fn from_other_source(
    global: &GlobalArgs,
    files: &crate::aws::profile::SharedFiles,
    terminal: &mut dyn Terminal,
) -> Result<Option<Exit>, Failure> {
    // Long-term keys are not needed for a code: resolve as if the environment had them.
    let Ok(profile) = crate::aws::chain::resolve(files, &global.profile, true) else {
        return Ok(None);
    };
    let chosen = match (global.source, profile.mfa_source.as_deref()) {
        (Some(flag), _) => !matches!(flag, SourceArg::Auto | SourceArg::Yubikey),
        (None, Some(setting)) => !matches!(setting.trim(), "" | "auto" | "yubikey"),
        (None, None) => false,
    };
    if !chosen {
        return Ok(None);
    }
    let Some(mfa_serial) = profile.mfa_serial.as_deref() else {
        return Err(Failure::usage(
            format!("profile `{}` has no mfa_serial", profile.name),
            "set mfa_serial on the profile, or name an OATH account: mfa code QUERY",
        ));
    };
    let mut source = super::session::code_source(global, None, &profile)?;
    let request = CodeRequest {
        mfa_serial,
        oath_account: profile.mfa_oath_account.as_deref(),
        unix_time: shared::unix_now()?,
    };
    let code = source
        .code(&request, terminal)
        .map_err(|e| advice::source(&e))?;
    print_code(&mut std::io::stdout().lock(), code.expose())?;
    terminal.explain(1, &format!("code from the {}", code.source));
    Ok(Some(Exit::Success))
}

/// Writes `digits` and a newline to `out` in one write, from a buffer that is wiped afterwards
/// (sized up front so no reallocation leaves a copy behind).
fn print_code(out: &mut dyn Write, digits: &str) -> Result<(), Failure> {
    let mut line = Zeroizing::new(String::with_capacity(digits.len() + 1));
    line.push_str(digits);
    line.push('\n');
    write_out(out, line.as_bytes())
}

/// Prints the code of the account `query` (else `profile`) names, for `unix_time`.
pub fn run<C: Connector>(
    query: Option<&str>,
    profile: &ProfileDevice,
    source: &mut YubikeySource<'_, C>,
    unix_time: u64,
    terminal: &mut dyn Terminal,
    out: &mut dyn Write,
) -> Result<Exit, Failure> {
    let selector = match query {
        Some(query) => AccountSelector::Query(query),
        None => AccountSelector::Profile {
            oath_account: profile.oath_account.as_deref(),
            mfa_serial: profile.mfa_serial.as_deref(),
            ask: true,
        },
    };
    let calculation = source
        .calculate(&selector, unix_time, terminal)
        .map_err(|error| advice::yubikey(&error))?;
    print_code(out, calculation.code.value().expose())?;
    let validity = match calculation.code.valid() {
        Some(valid) => format!(", valid for {} more s", valid.end.saturating_sub(unix_time)),
        None => " (HOTP)".to_owned(),
    };
    terminal.explain(
        1,
        &format!(
            "code of `{}` from the YubiKey in `{}`{validity}",
            calculation.credential.id, calculation.device.reader
        ),
    );
    Ok(Exit::Success)
}
