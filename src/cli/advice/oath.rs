//! The OATH application's errors.

use super::REPORT;
use super::transport::transport;
use crate::cli::Failure;
use crate::oath::OathError;

/// The OATH application refused, or the exchange failed.
pub fn oath(error: &OathError) -> Failure {
    match error {
        OathError::Transport(error) => transport(error),
        OathError::NotAvailable => Failure::runtime(
            "the card has no OATH application (is it a YubiKey with OATH enabled?)",
            "enable OATH over USB with `ykman config usb --enable OATH`, or choose another key \
             with --serial or --reader",
        ),
        OathError::NoFullResponse => Failure::runtime(
            "this token gives no full HMAC on its OATH application, so it cannot seal keys",
            "use a YubiKey for `--store yubikey`, or keep the keys with `--store keyring`",
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
        OathError::FunctionNotSupported {
            instruction,
            account,
        } => Failure::runtime(
            format!("the key does not support what {instruction} needs for account `{account}`"),
            "use another account or another key; `mfa accounts` lists what this one holds",
        ),
        OathError::WrongData { .. }
        | OathError::MemoryFailure { .. }
        | OathError::NotSupported { .. }
        | OathError::UnexpectedStatus { .. }
        | OathError::MalformedResponse { .. }
        | OathError::InvalidCredential { .. }
        | OathError::Random(_) => Failure::runtime(
            format!("the YubiKey's OATH application failed: {error}"),
            format!("unplug the key and plug it back in; if it keeps failing, {REPORT}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_fix() {
        let f = oath(&OathError::TouchTimeout {
            account: "A".into(),
        });
        assert!(f.what().starts_with("touch timed out"));
        assert!(f.fix().contains("touch the key when it blinks"));
        let f = oath(&OathError::WrongPassword);
        assert!(f.fix().contains("mfa accounts --forget-password"));
    }
}
