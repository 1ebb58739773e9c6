//! The code sources' errors: the YubiKey source and its choice of an account, the software
//! secrets and their store, `mfa_process`, the prompt, and the plan of which sources to try.

use super::keystore::keystore;
use super::list;
use super::oath::oath;
use super::transport::transport;
use crate::cli::Failure;
use crate::keystore::KeystoreError;
use crate::oath::{HashAlgorithm, OathError};
use crate::sources::auto::{PlanError, SourceSetting};
use crate::sources::process::ProcessError;
use crate::sources::prompt::PromptError;
use crate::sources::totp::{SecretError, StoreError};
use crate::sources::yubikey::{AccountError, PasswordOrigin, YubikeyError};
use crate::sources::{SourceError, SourceKind};

/// A code the credential flow asked for could not be had.
pub fn source(error: &SourceError) -> Failure {
    match error {
        SourceError::Unavailable { kind, reason } => Failure::runtime(
            format!("the {kind} is not available: {reason}"),
            match kind {
                SourceKind::Yubikey => {
                    "plug in your YubiKey (see `mfa devices`), or choose another source with \
                     --source"
                }
                SourceKind::Totp | SourceKind::Process | SourceKind::Prompt => {
                    "choose another source with --source, or see `mfa doctor`"
                }
            },
        ),
        SourceError::KeyAbsent(error) => yubikey_for_session(error),
        SourceError::InvalidCode { kind } => Failure::runtime(
            format!("the {kind} gave something that is not a 6 or 8 digit code"),
            "check what it prints (run with -v), or choose another source with --source",
        ),
        SourceError::Interrupted => Failure::interrupted(),
        SourceError::Yubikey(error) => yubikey_for_session(error),
        SourceError::Totp(error) => store(error),
        SourceError::Process(error) => process(error),
        SourceError::Prompt(error) => prompt(error),
    }
}

/// The YubiKey failed while a session needed its code: the account was chosen by the profile,
/// so the advice points at the profile rather than at a query.
fn yubikey_for_session(error: &YubikeyError) -> Failure {
    match error {
        YubikeyError::Transport(error) => transport(error),
        YubikeyError::Oath(error) => oath(error),
        YubikeyError::WrongPassword { .. } => oath(&OathError::WrongPassword),
        YubikeyError::Account(error) => Failure::runtime(
            error.to_string(),
            "set mfa_oath_account in the profile to the account's full name (see `mfa accounts`)",
        ),
        YubikeyError::Keystore(error) => Failure::runtime(
            error.to_string(),
            "set MFA_OATH_PASSWORD, or type the password when asked",
        ),
        YubikeyError::Terminal(error) => Failure::runtime(
            format!("cannot read the answer from the terminal: {error}"),
            "run the command again on a terminal",
        ),
        YubikeyError::TouchUnattended { .. } => touch_unattended(error),
        YubikeyError::UnsupportedAlgorithm { account, algorithm } => {
            unsupported_algorithm(account, *algorithm)
        }
        YubikeyError::NotChosen { .. } => Failure::runtime(
            "nothing was chosen from the list",
            "answer with one of the numbers offered, or choose beforehand: --serial N for a key, \
             mfa_oath_account for an account",
        ),
    }
}

/// An account the key stores but cannot calculate (a Nitrokey 3 and SHA512, docs/nitrokey.md).
fn unsupported_algorithm(account: &str, algorithm: HashAlgorithm) -> Failure {
    Failure::runtime(
        format!("this key does not support {algorithm} accounts (account `{account}`)"),
        format!(
            "add the account again with SHA1 or SHA256 if the service allows it, or keep it on a \
             key that calculates {algorithm}"
        ),
    )
}

/// A touch account with nobody to touch it (`mfa eks-token` run by kubectl without a terminal).
fn touch_unattended(error: &YubikeyError) -> Failure {
    Failure::runtime(
        error.to_string(),
        "start the session once from a terminal (any kubectl command there, or `mfa exec -- true` \
         with the same profile): later calls use the cached session and need no touch",
    )
}

/// The YubiKey source, asked directly (`mfa code`, `mfa accounts`, `mfa doctor`).
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
        YubikeyError::TouchUnattended { .. } => touch_unattended(error),
        YubikeyError::UnsupportedAlgorithm { account, algorithm } => {
            unsupported_algorithm(account, *algorithm)
        }
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

/// `--source` / `mfa_source` that cannot be honoured (configuration errors).
pub fn plan(error: &PlanError) -> Failure {
    let fix = match error {
        PlanError::UnknownSetting { .. } => format!(
            "set mfa_source to one of {} in the profile",
            SourceSetting::NAMES.join(", ")
        ),
        PlanError::NoProcess { .. } => "set mfa_process in the profile (e.g. `mfa_process = pass \
                                        otp aws`), or choose another source with --source"
            .to_owned(),
    };
    Failure::usage(error.to_string(), fix)
}

/// The store of software secrets: names, files and the keyring. A bad name, a secret already
/// stored, or a store this platform lacks are usage errors; the rest are runtime failures.
pub fn store(error: &StoreError) -> Failure {
    let what = error.to_string();
    match error {
        StoreError::BadName { .. } => Failure::usage(
            what,
            "use the MFA device's ARN (the profile's mfa_serial) or another short printable name",
        ),
        StoreError::AlreadyExists { .. } => Failure::usage(
            what,
            "add --force to replace it (the old seed is lost), or `mfa totp remove` it first",
        ),
        StoreError::Exposed { path, .. } => Failure::runtime(
            what,
            format!(
                "if nobody else could read it, `chmod 600 {}`; otherwise treat the seed as leaked: \
                 re-register the MFA device and add the new seed",
                path.display()
            ),
        ),
        StoreError::ForeignOwner { path, .. } | StoreError::NotAFile { path } => Failure::runtime(
            what,
            format!(
                "remove {} and add the secret again with `mfa totp add`",
                path.display()
            ),
        ),
        StoreError::Corrupt { .. } => Failure::runtime(
            what,
            "remove it with `mfa totp remove NAME` and add the secret again with `mfa totp add`",
        ),
        StoreError::Io { path, .. } => Failure::runtime(
            what,
            format!("check that {} is yours and writable", path.display()),
        ),
        StoreError::Keyring(KeystoreError::Unsupported) => {
            Failure::usage(what, "use the file store: `mfa totp add --store file`")
        }
        StoreError::Keyring(KeystoreError::AccessDenied { .. } | KeystoreError::Failed { .. }) => {
            Failure::runtime(
                what,
                "check that the OS keyring works (`mfa doctor`), or use --store file",
            )
        }
        StoreError::Keyring(KeystoreError::OutOfReach { .. }) => Failure::runtime(
            what,
            super::keystore::out_of_reach_hint(
                "add the secret again where this session can read it: `mfa totp add --store file`",
            ),
        ),
        StoreError::Keyring(KeystoreError::Index { .. }) => {
            Failure::runtime(what, super::keystore::index_hint())
        }
    }
}

/// A pasted secret that cannot be used (usage errors: the input is wrong).
pub fn secret(error: &SecretError) -> Failure {
    let fix = match error {
        SecretError::Hotp => {
            "register a virtual MFA device (TOTP) and paste its Base32 seed or otpauth://totp/ URI"
        }
        SecretError::BadLength { .. } | SecretError::TooShort { .. } => {
            "paste the whole seed (AWS shows 64 characters under \"Show secret key\"), not a code"
        }
        SecretError::Empty
        | SecretError::NotBase32 { .. }
        | SecretError::TooLong { .. }
        | SecretError::NotOtpauth { .. }
        | SecretError::UnknownType { .. }
        | SecretError::MissingSecret
        | SecretError::Duplicate { .. }
        | SecretError::Algorithm { .. }
        | SecretError::Digits { .. }
        | SecretError::Period { .. }
        | SecretError::Malformed { .. } => {
            "paste the Base32 seed (letters A-Z, digits 2-7; spaces and lower case are fine) or \
             the otpauth://totp/... URI of the QR code"
        }
    };
    Failure::usage(format!("the secret is not usable: {error}"), fix)
}

/// `mfa_process` gave no code (runtime failures: the command, not the configuration, failed).
pub fn process(error: &ProcessError) -> Failure {
    let fix = match error {
        ProcessError::Stdin { .. } => {
            "run mfa from a terminal, or without one so the command gets no stdin"
        }
        ProcessError::Spawn { .. } => "check that /bin/sh exists and that mfa may start processes",
        ProcessError::Read { .. } => "run the command yourself to see what it prints",
        ProcessError::Wait { .. } => "run the command yourself to see whether it finishes",
        ProcessError::TimedOut { .. } => {
            "run the command yourself: it must print the code and exit without waiting for input"
        }
        ProcessError::TooMuchOutput { .. } => {
            "the command must print only the current code; messages belong on stderr"
        }
        ProcessError::Failed { .. } => {
            "its error output is above; run the command yourself until it prints the code"
        }
        ProcessError::NoOutput { .. } | ProcessError::NotACode { .. } => {
            "the command must print only the current code (e.g. `pass otp aws`, `op item get AWS \
             --otp`); messages belong on stderr"
        }
    };
    Failure::runtime(error.to_string(), fix)
}

/// The prompt read no code.
pub fn prompt(error: &PromptError) -> Failure {
    let fix = match error {
        PromptError::Terminal(_) => "pipe the code on stdin or set MFA_CODE instead",
        PromptError::TooManyAttempts { .. } => {
            "type the code your MFA device shows now, digits only"
        }
        PromptError::Stdin(_) => "pipe the code on stdin (`echo 123456 | mfa …`) or set MFA_CODE",
        PromptError::StdinNotACode => "pipe only the current code: `echo 123456 | mfa …`",
        PromptError::EnvNotACode => "set MFA_CODE to the current code, digits only",
        PromptError::NoInput { .. } => {
            "run it in a terminal, pipe the code (`echo 123456 | mfa …`), set MFA_CODE=123456, \
             or let mfa compute it: plug in the YubiKey, or store the seed with `mfa totp add`"
        }
    };
    match error {
        // What the user gave is not a code: a usage error, like a bad option.
        PromptError::StdinNotACode | PromptError::EnvNotACode => {
            Failure::usage(error.to_string(), fix)
        }
        PromptError::Terminal(_)
        | PromptError::TooManyAttempts { .. }
        | PromptError::Stdin(_)
        | PromptError::NoInput { .. } => Failure::runtime(error.to_string(), fix),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::failure::Exit;

    #[test]
    fn an_ambiguous_query_lists_the_matches() {
        let f = account(&AccountError::Ambiguous {
            query: "a".into(),
            matches: vec!["a1".into(), "a2".into()],
        });
        assert_eq!(f.exit().code(), 2);
        assert!(f.what().contains("`a1`, `a2`"));
        assert_eq!(source(&SourceError::Interrupted).exit(), Exit::Interrupted);
    }

    #[test]
    fn a_missing_code_names_every_way_to_give_one() {
        let f = prompt(&PromptError::NoInput {
            mfa_serial: "arn:aws:iam::123456789012:mfa/alice".into(),
        });
        for way in [
            "terminal",
            "echo 123456 |",
            "MFA_CODE",
            "YubiKey",
            "mfa totp add",
        ] {
            assert!(f.fix().contains(way), "{} lacks {way}", f.fix());
        }
        assert!(
            prompt(&PromptError::StdinNotACode)
                .fix()
                .contains("echo 123456")
        );
    }

    #[test]
    fn mfa_process_failures_are_runtime_failures() {
        let f = process(&ProcessError::Failed {
            program: "x".into(),
            status: "exited with status 3".into(),
        });
        assert_eq!(f.exit().code(), 1);
        assert!(f.fix().contains("run the command yourself"), "{}", f.fix());
        let f = process(&ProcessError::NotACode {
            program: "x".into(),
        });
        assert!(f.fix().contains("only the current code"), "{}", f.fix());
    }

    #[test]
    fn store_failures_say_what_to_do() {
        let f = store(&StoreError::Exposed {
            path: "/tmp/s".into(),
            mode: 0o644,
        });
        assert!(f.fix().contains("chmod 600"), "{}", f.fix());
        let f = store(&StoreError::AlreadyExists {
            name: "n".into(),
            store: crate::sources::totp::StoreKind::File,
        });
        assert_eq!(f.exit().code(), 2);
        assert!(f.fix().contains("--force"));
        assert!(secret(&SecretError::Hotp).fix().contains("TOTP"));
        assert!(!secret(&SecretError::Empty).fix().is_empty());
    }

    #[test]
    fn an_unknown_source_setting_lists_the_names() {
        let f = plan(&PlanError::UnknownSetting {
            value: "usb".into(),
        });
        assert_eq!(f.exit().code(), 2);
        assert!(f.fix().contains("auto, yubikey, totp, process, prompt"));
    }
}
