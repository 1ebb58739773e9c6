//! `mfa deregister [--user U] [--keep-account]`: the IAM user's MFA device deactivated and (a
//! virtual one) deleted, then its OATH account removed from the key — or its software secret
//! from the store — unless `--keep-account` (docs/registering.md).
//!
//! IAM policies usually allow deactivating a device only with MFA, so the calls are made with
//! the profile's MFA session when one is cached or can be had, else with the long-term keys.

use super::register::{self, Caller};
use crate::aws::iam::{Iam, IamClient, IamError};
use crate::aws::sts::StsSettings;
use crate::cli::credentials;
use crate::cli::output::write_out;
use crate::cli::{Context, Exit, Failure, advice, sources};
use crate::oath::{CredentialId, OathType};
use crate::sources::totp::{FileStore, TotpStore};
use crate::sources::yubikey::AWS_ISSUER;
use crate::terminal::Terminal;

/// `mfa deregister`.
pub fn run(ctx: &mut Context, user: Option<&str>, keep_account: bool) -> Result<Exit, Failure> {
    crate::cli::interrupt::install();
    let caller = register::caller(ctx, user)?;
    let profile = credentials::resolve_profile(ctx)?;
    let iam = session_client(ctx, &caller, profile.roles.is_empty());
    let devices = iam
        .list_mfa_devices(&caller.user)
        .map_err(|e| advice::aws::iam(&e))?;
    let serial = choose(&devices, profile.mfa_serial.as_deref(), &caller.user)?;
    iam.deactivate_mfa_device(&caller.user, &serial)
        .map_err(|e| advice::aws::iam(&e))?;
    if serial.contains(":mfa/") {
        match iam.delete_virtual_mfa_device(&serial) {
            Ok(()) | Err(IamError::NoSuchEntity { .. }) => {}
            Err(e) => return Err(advice::aws::iam(&e)),
        }
    }
    ctx.terminal.explain(
        0,
        &format!("deactivated {serial} for the IAM user {}", caller.user),
    );
    if !keep_account {
        let account = profile
            .mfa_oath_account
            .clone()
            .or_else(|| oath_account_of(&serial));
        remove_seed(ctx, &serial, account.as_deref());
    }
    write_out(
        &mut std::io::stdout().lock(),
        format!("{serial}\n").as_bytes(),
    )?;
    Ok(Exit::Success)
}

/// An IAM client with the profile's MFA session when one can be had (a profile without
/// roles), else with the long-term keys.
fn session_client(ctx: &mut Context, caller: &Caller, no_roles: bool) -> IamClient {
    let settings = StsSettings::for_service("IAM", caller.region.as_deref(), ctx.env.lookup());
    if no_roles {
        match credentials::obtain(ctx, None, None) {
            Ok((_, obtained)) => return IamClient::new(settings, &obtained.credentials),
            Err(failure) => ctx.terminal.explain(
                1,
                &format!(
                    "no MFA session ({}): calling IAM with the long-term keys",
                    failure.what()
                ),
            ),
        }
    }
    IamClient::new(settings, &caller.keys)
}

/// The device to deregister: the profile's `mfa_serial` when the user has it, else the only one.
fn choose(devices: &[String], mfa_serial: Option<&str>, user: &str) -> Result<String, Failure> {
    if let Some(serial) = mfa_serial
        && devices.iter().any(|d| d == serial)
    {
        return Ok(serial.to_owned());
    }
    match devices {
        [] => Err(Failure::usage(
            format!("the IAM user {user} has no MFA device"),
            "nothing to deregister (check --user)",
        )),
        [only] => Ok(only.clone()),
        several => Err(Failure::usage(
            format!(
                "the IAM user {user} has several MFA devices: {}",
                several.join(", ")
            ),
            "choose one with a profile whose mfa_serial names it (-p PROFILE)",
        )),
    }
}

/// `Amazon Web Services:NAME@ACCOUNT` for a virtual device's serial.
fn oath_account_of(serial: &str) -> Option<String> {
    let account = serial.split(':').nth(4)?;
    let name = serial.split_once(":mfa/")?.1.rsplit('/').next()?;
    Some(format!("{AWS_ISSUER}:{name}@{account}"))
}

/// Removes the seed of `serial`: the software secret named after it, and the OATH account from
/// the key when one is present. What cannot be removed is said, not fatal: IAM no longer knows
/// the device.
fn remove_seed(ctx: &mut Context, serial: &str, account: Option<&str>) {
    if let Some(home) = ctx.env.home().map(std::path::Path::to_path_buf) {
        let data_home = ctx.env.var("XDG_DATA_HOME");
        let store = TotpStore::new(
            FileStore::new(FileStore::default_dir(data_home.as_deref(), &home)),
            Box::new(ctx.keyring()),
        );
        if let Ok(removed) = store.remove(serial)
            && !removed.is_empty()
        {
            ctx.terminal
                .explain(0, &format!("removed the software secret `{serial}`"));
            return;
        }
    }
    let Some(account) = account else { return };
    let id = CredentialId::from_raw(account.as_bytes(), OathType::Totp);
    let device = sources::context_device(ctx, sources::ProfileUse::KeyOnly).unwrap_or_default();
    let Ok(options) = sources::yubikey_options(ctx, &device) else {
        return;
    };
    let mut source = sources::yubikey_source(ctx, options);
    let terminal = &mut ctx.terminal;
    let removed = source
        .device(terminal)
        .and_then(|key| source.delete_account(&key, &id, terminal));
    match removed {
        Ok(true) => terminal.explain(0, &format!("removed the OATH account `{account}`")),
        Ok(false) => {}
        Err(e) => terminal.notice(&format!(
            "mfa: the OATH account `{account}` was not removed ({e}): remove it with \
             `ykman oath accounts delete`"
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_oath_account_follows_the_serial() {
        assert_eq!(
            oath_account_of("arn:aws:iam::123456789012:mfa/alice").unwrap(),
            "Amazon Web Services:alice@123456789012"
        );
        assert_eq!(oath_account_of("GAHT12345678"), None);
    }

    #[test]
    fn the_profile_chooses_among_several() {
        let devices = vec!["a".to_owned(), "b".to_owned()];
        assert_eq!(choose(&devices, Some("b"), "u").unwrap(), "b");
        assert!(choose(&devices, None, "u").is_err());
        assert_eq!(choose(&devices[..1], Some("x"), "u").unwrap(), "a");
        assert!(choose(&[], None, "u").is_err());
    }
}
