//! Advice: each structured error of the layers below, as the two lines of docs/errors.md — what
//! failed, and what to do about it — with its exit status.
//!
//! Free functions rather than `From` impls, so that every command chooses the mapping it means
//! and other modules can add their own without clashing.

use crate::aws::chain::ChainError;
use crate::keystore::KeystoreError;
use crate::oath::OathError;
use crate::sources::yubikey::{AccountError, PasswordOrigin, YubikeyError};
use crate::sources::{SourceError, SourceKind};
use crate::transport::{Device, TransportError};

use super::Failure;

const SEE_DEVICES: &str = "see `mfa devices` for the readers and keys seen";

/// Names as a list for a message: `` `a`, `b` `` (or "none").
fn list(names: &[String]) -> String {
    if names.is_empty() {
        return "none".into();
    }
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn devices(found: &[Device]) -> String {
    if found.is_empty() {
        return "none".into();
    }
    found
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reaching a card: pcscd, readers, cards, the choice of a key.
pub fn transport(error: &TransportError) -> Failure {
    match error {
        TransportError::ServiceUnavailable { detail } => Failure::runtime(
            format!("pcscd is not running (the PC/SC service is not reachable: {detail})"),
            "start it with `systemctl start pcscd` (or run `pcscd` as root), then try again",
        ),
        TransportError::AccessDenied => Failure::runtime(
            "access to the PC/SC service was denied",
            "run the command as the logged-in desktop user, or allow access to pcscd in polkit \
             (action org.debian.pcsc-lite.access_pcsc)",
        ),
        TransportError::NoReaders => Failure::runtime(
            "no YubiKey found: no smart card reader is connected",
            "plug in your YubiKey (its CCID interface must be enabled: `ykman config usb`)",
        ),
        TransportError::NoDevice { readers } => Failure::runtime(
            format!(
                "no YubiKey found in any reader (readers: {})",
                list(readers)
            ),
            "plug in your YubiKey, or insert the card into a reader",
        ),
        TransportError::NoCard { reader } => Failure::runtime(
            format!("no card in the reader `{reader}`"),
            format!("insert the YubiKey, or choose another reader with --reader; {SEE_DEVICES}"),
        ),
        TransportError::ReaderNotFound { query, available } => Failure::usage(
            format!("no reader matches `{query}` (readers: {})", list(available)),
            "give --reader (or MFA_READER) a part of one of these names",
        ),
        TransportError::SerialNotFound { serial, found } => Failure::runtime(
            format!(
                "no YubiKey with serial {serial} is connected (found: {})",
                devices(found)
            ),
            "plug that key in, or choose a connected one with --serial (or the profile's \
             mfa_yubikey_serial)",
        ),
        TransportError::SeveralDevices { devices: found } => Failure::usage(
            format!("several YubiKeys are connected: {}", devices(found)),
            format!(
                "choose one with --serial N (or MFA_YUBIKEY_SERIAL, or mfa_yubikey_serial in the \
                 profile){}",
                serial_examples(found)
            ),
        ),
        TransportError::CardRemoved { reader } => Failure::runtime(
            format!("the YubiKey in `{reader}` was removed during the operation"),
            "plug it back in and run the command again",
        ),
        TransportError::CardReset { reader } => Failure::runtime(
            format!("the YubiKey in `{reader}` was reset by another program during the operation"),
            "run the command again",
        ),
        TransportError::ReaderBusy { reader } => Failure::runtime(
            format!("the YubiKey in `{reader}` is in use by another program"),
            "wait for it to finish (an earlier request may still wait for a touch: touch the key \
             or wait 15 s), or close it (gpg's scdaemon often holds keys: `gpgconf --kill \
             scdaemon`), then try again",
        ),
        TransportError::Timeout { reader } | TransportError::CardUnresponsive { reader } => {
            Failure::runtime(
                format!("the YubiKey in `{reader}` does not answer"),
                "unplug it and plug it back in, then try again",
            )
        }
        other => Failure::runtime(
            format!("talking to the card failed: {other}"),
            "unplug the key and plug it back in; if it keeps failing, run with -vv and report it",
        ),
    }
}

fn serial_examples(found: &[Device]) -> String {
    let serials: Vec<String> = found
        .iter()
        .filter_map(|d| d.serial.map(|s| s.to_string()))
        .collect();
    if serials.is_empty() {
        " or --reader with part of a reader's name".into()
    } else {
        format!(": {}", serials.join(", "))
    }
}

/// The OATH application.
pub fn oath(error: &OathError) -> Failure {
    match error {
        OathError::Transport(error) => transport(error),
        OathError::NotAvailable => Failure::runtime(
            "the card has no OATH application (is it a YubiKey with OATH enabled?)",
            "enable OATH over USB with `ykman config usb --enable OATH`, or choose another key \
             with --serial or --reader",
        ),
        OathError::PasswordRequired => Failure::runtime(
            "the YubiKey's OATH accounts are protected by a password, and none was given",
            "run on a terminal to be asked for it, set MFA_OATH_PASSWORD, or remember it once \
             with `mfa accounts --remember-password`",
        ),
        OathError::WrongPassword => Failure::runtime(
            "wrong OATH password",
            "check it and run again; if it comes from MFA_OATH_PASSWORD, correct the variable; \
             a remembered one is forgotten with `mfa accounts --forget-password`",
        ),
        OathError::CardAuthenticationFailed => Failure::runtime(
            "the key accepted the password but its own proof of it is wrong: it may not be the \
             key it claims to be",
            "unplug it and use a key you trust; report it if a genuine key does this",
        ),
        OathError::TouchTimeout { account } => Failure::runtime(
            format!("touch timed out (account `{account}`)"),
            "run the command again and touch the key when it blinks",
        ),
        OathError::NoSuchAccount { account } => Failure::usage(
            format!("no account `{account}` on the YubiKey"),
            "list the accounts with `mfa accounts`",
        ),
        OathError::NoSpace => Failure::runtime(
            "no space left on the YubiKey for another OATH account",
            "remove one you no longer use (`ykman oath accounts delete NAME`)",
        ),
        other => Failure::runtime(
            format!("the YubiKey's OATH application failed: {other}"),
            "unplug the key and plug it back in; if it keeps failing, run with -vv and report it",
        ),
    }
}

/// The OS keyring.
pub fn keystore(error: &KeystoreError) -> Failure {
    match error {
        KeystoreError::Unsupported => Failure::runtime(
            "the OS keyring is not supported on this platform yet",
            "set MFA_OATH_PASSWORD for automation, or type the password when asked",
        ),
        other => Failure::runtime(
            other.to_string(),
            "check that the user keyring works (`keyctl show @u`), or set MFA_OATH_PASSWORD \
             instead",
        ),
    }
}

/// The YubiKey source.
pub fn yubikey(error: &YubikeyError) -> Failure {
    match error {
        YubikeyError::Transport(error) => transport(error),
        YubikeyError::Oath(error) => oath(error),
        YubikeyError::WrongPassword { origin } => Failure::runtime(
            format!("wrong OATH password (from {origin})"),
            match origin {
                PasswordOrigin::Environment => {
                    "correct MFA_OATH_PASSWORD (or unset it to be asked), then run again"
                }
                PasswordOrigin::Prompt => {
                    "run again and type the password set with `ykman oath access change`; \
                     forgot it? `ykman oath reset` deletes every account"
                }
            },
        ),
        YubikeyError::Account(error) => account(error),
        YubikeyError::Keystore(error) => keystore(error),
        YubikeyError::Terminal(error) => Failure::runtime(
            format!("cannot read the answer from the terminal: {error}"),
            "run the command again on a terminal",
        ),
        YubikeyError::NotChosen { answer } => Failure::usage(
            format!("`{answer}` is not one of the numbers offered"),
            "run again and answer with a number from the list, or choose beforehand: --serial N \
             for a key, a QUERY or mfa_oath_account for an account",
        ),
    }
}

/// Choosing an account.
pub fn account(error: &AccountError) -> Failure {
    match error {
        AccountError::NotFound { query, accounts } => Failure::usage(
            format!("no account on the YubiKey matches `{query}`"),
            if accounts.is_empty() {
                "the key holds no account: register one with `mfa register`".to_owned()
            } else {
                format!(
                    "give a name or a unique part of one; accounts: {}",
                    list(accounts)
                )
            },
        ),
        AccountError::Ambiguous { query, matches } => Failure::usage(
            format!("`{query}` matches several accounts: {}", list(matches)),
            "give more of the name, or the whole account name in quotes",
        ),
        AccountError::ConfiguredNotFound { account, accounts } => Failure::usage(
            format!("the profile's mfa_oath_account `{account}` is not on the YubiKey"),
            format!(
                "set mfa_oath_account to one of the key's accounts: {}",
                list(accounts)
            ),
        ),
        AccountError::NoTotpAccount { .. } => Failure::runtime(
            "the YubiKey holds no TOTP account",
            "register it as your MFA device with `mfa register`, or add an account with `ykman \
             oath accounts add`",
        ),
        AccountError::Unchosen { accounts } => Failure::usage(
            format!(
                "the YubiKey holds several accounts and nothing says which one: {}",
                list(accounts)
            ),
            "name one (`mfa code QUERY`), or set mfa_serial or mfa_oath_account in the profile",
        ),
    }
}

/// Any code source.
pub fn source(error: &SourceError) -> Failure {
    match error {
        SourceError::Unavailable { kind, reason } => Failure::runtime(
            format!("the {kind} is not available: {reason}"),
            match kind {
                SourceKind::Yubikey => {
                    "plug in your YubiKey (see `mfa devices`), or choose another source with \
                     --source"
                }
                _ => "choose another source with --source, or see `mfa doctor`",
            },
        ),
        SourceError::InvalidCode { kind } => Failure::runtime(
            format!("the {kind} gave something that is not a 6 or 8 digit code"),
            "check what it prints (run with -v), or choose another source with --source",
        ),
        SourceError::Interrupted => Failure::interrupted(),
        SourceError::Yubikey(error) => oath(error),
        SourceError::Transport(error) => transport(error),
        SourceError::Failed { what, fix, .. } => Failure::runtime(what.clone(), fix.clone()),
        // The sources are still growing: a variant added later is reported as it says.
        #[allow(unreachable_patterns)]
        other => Failure::runtime(other.to_string(), "run with -v for details"),
    }
}

/// Resolving a profile (configuration errors: exit 2).
pub fn chain(error: &ChainError) -> Failure {
    let profiles = |known: &[String]| {
        if known.is_empty() {
            "the shared files define no profile".to_owned()
        } else {
            format!("profiles: {}", list(known))
        }
    };
    match error {
        ChainError::UnknownProfile { name, known, .. } => Failure::usage(
            error.to_string(),
            format!(
                "choose one with -p/AWS_PROFILE ({}), or create it with `aws configure --profile \
                 {name}`",
                profiles(known)
            ),
        ),
        ChainError::MissingSourceProfile { known, .. } => Failure::usage(
            error.to_string(),
            format!(
                "set source_profile to an existing profile ({})",
                profiles(known)
            ),
        ),
        ChainError::Cycle { .. } => Failure::usage(
            error.to_string(),
            "make one profile of the loop hold long-term keys instead of a source_profile",
        ),
        ChainError::NoLongTermCredentials { searched, .. } => Failure::usage(
            error.to_string(),
            format!("set one of: {}", searched.join("; ")),
        ),
        other => Failure::usage(other.to_string(), "fix the profile in ~/.aws/config"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(reader: &str, serial: Option<u32>) -> Device {
        Device {
            reader: reader.into(),
            serial,
            firmware: None,
        }
    }

    #[test]
    fn every_advice_is_two_non_empty_lines() {
        let failures = [
            transport(&TransportError::ServiceUnavailable { detail: "x".into() }),
            transport(&TransportError::NoReaders),
            transport(&TransportError::NoCard { reader: "R".into() }),
            transport(&TransportError::ReaderBusy { reader: "R".into() }),
            transport(&TransportError::CardRemoved { reader: "R".into() }),
            oath(&OathError::TouchTimeout {
                account: "A".into(),
            }),
            oath(&OathError::WrongPassword),
            yubikey(&YubikeyError::WrongPassword {
                origin: PasswordOrigin::Environment,
            }),
            keystore(&KeystoreError::Unsupported),
            source(&SourceError::Interrupted),
        ];
        for failure in failures {
            assert!(!failure.what().is_empty() && !failure.what().contains('\n'));
            assert!(!failure.fix().is_empty() && !failure.fix().contains('\n'));
        }
    }

    #[test]
    fn names_the_fix() {
        let f = transport(&TransportError::ServiceUnavailable {
            detail: "Service not available.".into(),
        });
        assert!(f.what().starts_with("pcscd is not running"));
        assert!(f.fix().contains("systemctl start pcscd"));
        let f = transport(&TransportError::SeveralDevices {
            devices: vec![device("A", Some(1)), device("B", Some(2))],
        });
        assert_eq!(f.exit().code(), 2);
        assert!(
            f.fix().contains("--serial") && f.fix().ends_with(": 1, 2"),
            "{}",
            f.fix()
        );
        let f = oath(&OathError::TouchTimeout {
            account: "A".into(),
        });
        assert!(f.what().starts_with("touch timed out"));
        assert!(f.fix().contains("touch the key when it blinks"));
        let f = oath(&OathError::WrongPassword);
        assert!(f.fix().contains("mfa accounts --forget-password"));
        let f = account(&AccountError::Ambiguous {
            query: "a".into(),
            matches: vec!["a1".into(), "a2".into()],
        });
        assert_eq!(f.exit().code(), 2);
        assert!(f.what().contains("`a1`, `a2`"));
        assert_eq!(source(&SourceError::Interrupted).exit().code(), 130);
    }
}
