//! The doctor's checks of the card side: pcscd, readers, keys, and the profile's OATH account.
//! Nothing here calculates a code or asks for a touch: SELECT for the OATH version and password
//! flag, LIST for the accounts.

use super::{Check, Status};
use crate::cli::advice;
use crate::cli::sources::ProfileDevice;
use crate::oath::{CredentialId, OathError};
use crate::sources::yubikey::{
    AccountError, AccountSelector, Choice, Connector, YubikeyError, YubikeySource, choose,
    display_name, mfa_serial_suffix,
};
use crate::terminal::Terminal;
use crate::transport::Device;

/// `pcscd`, `readers` and one `yubikey` line per key (or one saying there is none). Returns
/// the keys that have an OATH application.
pub(super) fn hardware<C: Connector>(
    connector: &mut C,
    severity: Status,
    terminal: &mut dyn Terminal,
    checks: &mut Vec<Check>,
) -> Vec<Device> {
    let scan = match connector.scan() {
        Ok(scan) => scan,
        Err(error) => {
            let failure = advice::transport::transport(&error);
            checks.push(Check::problem(
                "pcscd",
                severity,
                failure.what(),
                failure.fix(),
            ));
            return Vec::new();
        }
    };
    checks.push(Check::ok("pcscd", "the PC/SC service answers"));
    if scan.readers.is_empty() {
        checks.push(Check::problem(
            "readers",
            severity,
            "no smart card reader is connected",
            "plug in your YubiKey (its CCID interface must be enabled: `ykman config usb`)",
        ));
        return Vec::new();
    }
    let names: Vec<String> = scan.readers.iter().map(|r| format!("`{r}`")).collect();
    checks.push(Check::ok(
        "readers",
        format!("{}: {}", scan.readers.len(), names.join(", ")),
    ));
    if scan.devices.is_empty() {
        checks.push(Check::problem(
            "yubikey",
            severity,
            "no YubiKey in any reader",
            "plug in your YubiKey (see `mfa devices`)",
        ));
        return Vec::new();
    }
    let mut with_oath = Vec::new();
    for device in scan.devices {
        let check = key(connector, &device, terminal);
        if check.status == Status::Ok {
            with_oath.push(device);
        }
        checks.push(check);
    }
    with_oath
}

/// One key: serial, firmware, OATH version, password (SELECT only).
fn key<C: Connector>(connector: &mut C, device: &Device, terminal: &mut dyn Terminal) -> Check {
    let serial = device
        .serial
        .map_or_else(|| "unknown".to_owned(), |s| s.to_string());
    let firmware = device
        .firmware
        .map_or_else(|| "unknown".to_owned(), |v| v.to_string());
    let name = format!("serial {serial} in `{}`", device.reader);
    let oath = connector.with_transaction(&device.reader, |transport| {
        crate::oath::OathSession::select(transport).map(|s| (s.version(), s.has_password()))
    });
    match oath {
        Ok(Ok((version, password))) => Check::ok(
            "yubikey",
            format!(
                "{name}: firmware {firmware}, OATH {version}, {}",
                if password {
                    "OATH password set"
                } else {
                    "no OATH password"
                }
            ),
        ),
        Ok(Err(OathError::NotAvailable)) => Check::problem(
            "yubikey",
            Status::Warn,
            format!("{name}: firmware {firmware}, no OATH application"),
            "enable OATH over USB with `ykman config usb --enable OATH`, or use another key",
        ),
        Ok(Err(error)) => {
            let failure = advice::oath::oath(&error);
            terminal.explain(1, &format!("reading the OATH application: {error}"));
            Check::problem(
                "yubikey",
                Status::Warn,
                format!("{name}: {}", failure.what()),
                failure.fix(),
            )
        }
        Err(error) => {
            let failure = advice::transport::transport(&error);
            Check::problem(
                "yubikey",
                Status::Warn,
                format!("{name}: {}", failure.what()),
                failure.fix(),
            )
        }
    }
}

/// `oath-account`: the account the profile's `mfa_oath_account` or `mfa_serial` designates is
/// on the key (LIST, after unlocking without asking). Nothing when the profile names no device.
/// `keys` are the keys found by [`hardware`], for their serials.
pub(super) fn oath_account<C: Connector>(
    yubikey: &mut YubikeySource<'_, C>,
    keys: &[Device],
    profile: &ProfileDevice,
    severity: Status,
    terminal: &mut dyn Terminal,
) -> Option<Check> {
    if profile.mfa_serial.is_none() && profile.oath_account.is_none() {
        return None;
    }
    let selector = AccountSelector::Profile {
        oath_account: profile.oath_account.as_deref(),
        mfa_serial: profile.mfa_serial.as_deref(),
        ask: false,
    };
    let (device, accounts) = match yubikey.list_accounts(terminal) {
        Ok(listed) => listed,
        Err(YubikeyError::Oath(OathError::PasswordRequired)) => {
            return Some(Check::problem(
                "oath-account",
                Status::Warn,
                "the key's OATH application has a password, so its accounts were not listed",
                "set MFA_OATH_PASSWORD for this check, or remember the password once with \
                 `mfa accounts --remember-password`",
            ));
        }
        Err(error) => {
            let failure = advice::sources::yubikey(&error);
            return Some(Check::problem(
                "oath-account",
                severity,
                failure.what(),
                failure.fix(),
            ));
        }
    };
    let serial = device.serial.or_else(|| {
        keys.iter()
            .find(|k| k.reader == device.reader)
            .and_then(|k| k.serial)
    });
    let on = match serial {
        Some(serial) => format!("the YubiKey with serial {serial}"),
        None => format!("the YubiKey in `{}`", device.reader),
    };
    Some(match choose(&selector, &accounts) {
        Ok(Choice::Chosen(account)) => match unrelated(profile, &account.id) {
            Some(suffix) => Check::problem(
                "oath-account",
                Status::Warn,
                format!(
                    "`{}` is the only account on {on}, so it is used, but its name does not end \
                     with `{suffix}` like the mfa_serial",
                    account.id
                ),
                "if STS refuses its codes, register this key with `mfa register`, or set \
                 mfa_oath_account to the right account",
            ),
            None => Check::ok("oath-account", format!("`{}` is on {on}", account.id)),
        },
        Ok(Choice::Ask(_)) => Check::problem(
            "oath-account",
            severity,
            format!("several accounts on {on} could be the profile's"),
            "set mfa_oath_account in the profile to one of them (see `mfa accounts`)",
        ),
        Err(AccountError::Unchosen { accounts } | AccountError::NoTotpAccount { accounts })
            if profile.oath_account.is_none() =>
        {
            let wanted = profile
                .mfa_serial
                .as_deref()
                .and_then(mfa_serial_suffix)
                .map_or_else(String::new, |suffix| format!(" ends with `{suffix}`"));
            let listed: Vec<String> = accounts.iter().map(|a| format!("`{a}`")).collect();
            Check::problem(
                "oath-account",
                severity,
                format!(
                    "no TOTP account on {on}{wanted} (accounts: {})",
                    if listed.is_empty() {
                        "none".to_owned()
                    } else {
                        listed.join(", ")
                    }
                ),
                "register this key as the MFA device with `mfa register`, or set \
                 mfa_oath_account to the account that holds the device's seed",
            )
        }
        Err(error) => {
            let failure = advice::sources::account(&error);
            Check::problem(
                "oath-account",
                severity,
                format!("{} ({on})", failure.what()),
                failure.fix(),
            )
        }
    })
}

/// The `user@account` of the profile's `mfa_serial` when `id` was chosen without matching it
/// (the only account on the key, with no `mfa_oath_account`).
fn unrelated(profile: &ProfileDevice, id: &CredentialId) -> Option<String> {
    if profile.oath_account.is_some() {
        return None;
    }
    let suffix = profile.mfa_serial.as_deref().and_then(mfa_serial_suffix)?;
    let name = display_name(id).to_lowercase();
    (!name.ends_with(&suffix.to_lowercase())).then_some(suffix)
}
