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

use crate::aws::chain;
use crate::cli::context::unix_now;
use crate::cli::output::write_code;
use crate::cli::sources::{self, ProfileDevice, ProfileUse};
use crate::cli::{Context, Exit, Failure, advice, interrupt};
use crate::sources::CodeRequest;
use crate::sources::auto::{self, SourceSetting};
use crate::sources::yubikey::{AccountSelector, Connector, YubikeySource};
use crate::terminal::Terminal;

/// `mfa code [QUERY]`, on the process's card, terminal and stdout.
pub fn run(ctx: &mut Context, query: Option<&str>) -> Result<Exit, Failure> {
    interrupt::install();
    if query.is_none()
        && let Some(exit) = from_other_source(ctx)?
    {
        return Ok(exit);
    }
    let usage = if query.is_some() {
        ProfileUse::KeyOnly
    } else {
        ProfileUse::Account
    };
    let profile = sources::context_device(ctx, usage)?;
    let options = sources::yubikey_options(ctx, &profile)?;
    let mut source = sources::yubikey_source(ctx, options);
    let now = unix_now()?;
    print(
        query,
        &profile,
        &mut source,
        now,
        &mut ctx.terminal,
        &mut std::io::stdout().lock(),
    )
}

/// Without QUERY, a source other than the YubiKey chosen by `--source`/`MFA_SOURCE` or the
/// profile's `mfa_source` (totp, process, prompt) gives the code for the profile's `mfa_serial`.
/// `None` when the YubiKey is the choice (`yubikey`, or `auto`, which starts with it), or when
/// the profile does not resolve (the YubiKey path reports that).
fn from_other_source(ctx: &mut Context) -> Result<Option<Exit>, Failure> {
    let name = ctx.global.profile.clone();
    // Long-term keys are not needed for a code: resolve as if the environment had them.
    let Ok(profile) = chain::resolve(ctx.profiles(), &name, true) else {
        return Ok(None);
    };
    let plan = auto::plan(
        ctx.global.source,
        profile.mfa_source.as_deref(),
        profile.mfa_process.is_some(),
    )
    .map_err(|e| advice::sources::plan(&e))?;
    if matches!(plan.setting, SourceSetting::Auto | SourceSetting::Yubikey) {
        return Ok(None);
    }
    let Some(mfa_serial) = profile.mfa_serial.as_deref() else {
        return Err(Failure::usage(
            format!("profile `{}` has no mfa_serial", profile.name),
            "set mfa_serial on the profile, or name an OATH account: mfa code QUERY",
        ));
    };
    let mut source = sources::code_source(ctx, None, &profile)?;
    let request = CodeRequest {
        mfa_serial,
        oath_account: profile.mfa_oath_account.as_deref(),
        unix_time: unix_now()?,
    };
    let code = source
        .code(&request, &mut ctx.terminal)
        .map_err(|e| advice::sources::source(&e))?;
    write_code(&mut std::io::stdout().lock(), code.expose())?;
    ctx.terminal
        .explain(1, &format!("code from the {}", code.source));
    Ok(Some(Exit::Success))
}

/// Prints the code of the account `query` (else `profile`) names, for `unix_time`.
pub fn print<C: Connector>(
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
        .map_err(|error| advice::sources::yubikey(&error))?;
    write_code(out, calculation.code.value().expose())?;
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
