//! Unlocking a password-protected OATH application.
//!
//! The password comes from, in order: `MFA_OATH_PASSWORD` (read by the cli and passed in), the
//! OS keyring when remembered (`mfa accounts --remember-password`), a hidden prompt on the
//! terminal. A wrong password is an error, never a loop of new attempts; only a remembered key
//! that stopped working (the password was changed) is forgotten and followed by the prompt.
//!
//! What the keyring keeps is not the password but the access key derived from it (PBKDF2 with
//! the key's salt, as ykman remembers it too), under `oath-password:<salt in hex>`: the salt is
//! random per key and renewed by a reset, so it names one key's OATH application.

use std::fmt::Write as _;

use crate::keystore::SecretStore;
use crate::oath::auth::{self, AccessKey};
use crate::oath::{OathError, OathSession};
use crate::secret::SecretString;
use crate::terminal::Terminal;
use crate::transport::{Device, Transport};

use super::error::{PasswordOrigin, YubikeyError};

/// Where the key that unlocked the session came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOrigin {
    /// `MFA_OATH_PASSWORD`.
    Environment,
    /// The OS keyring.
    Keyring,
    /// The hidden prompt.
    Prompt,
}

/// How a session was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unlocked {
    /// The OATH application has no password.
    NoPassword,
    /// It was unlocked with `key`, from `origin`.
    WithKey {
        /// Where the key came from.
        origin: KeyOrigin,
        /// The access key (for `--remember-password`).
        key: AccessKey,
    },
}

/// The keyring entry of the OATH application whose SELECT salt is `salt`.
pub fn keyring_name(salt: &[u8]) -> String {
    let mut name = String::from("oath-password:");
    for byte in salt {
        // Writing to a String cannot fail.
        let _ = write!(name, "{byte:02x}");
    }
    name
}

/// What unlocking needs besides the session.
pub(super) struct Credentials<'a> {
    /// `MFA_OATH_PASSWORD`, if set.
    pub password: Option<&'a SecretString>,
    /// Where remembered keys are.
    pub keystore: &'a dyn SecretStore,
    /// The device, for the prompt.
    pub device: &'a Device,
}

/// SELECTs the OATH application on `transport` and unlocks it if a password is set.
pub(super) fn open<T: Transport>(
    transport: T,
    credentials: &Credentials<'_>,
    terminal: &mut dyn Terminal,
) -> Result<(OathSession<T>, Unlocked), YubikeyError> {
    let mut session = OathSession::select(transport)?;
    if !session.is_locked() {
        if credentials.password.is_some() {
            // A Nitrokey 3 accepts SET CODE yet never asks for the password (docs/nitrokey.md).
            terminal.explain(
                1,
                "MFA_OATH_PASSWORD is set, but the key's OATH application has no password: \
                 ignored",
            );
        }
        return Ok((session, Unlocked::NoPassword));
    }
    if let Some(password) = credentials.password {
        let key = session.derive_key(password);
        return match validate(&mut session, &key) {
            Ok(()) => Ok((session, unlocked(KeyOrigin::Environment, key))),
            Err(OathError::WrongPassword) => Err(YubikeyError::WrongPassword {
                origin: PasswordOrigin::Environment,
            }),
            Err(error) => Err(error.into()),
        };
    }
    let name = keyring_name(session.salt());
    match credentials.keystore.get(&name) {
        Ok(Some(remembered)) => {
            let key = AccessKey::from_secret(remembered);
            match validate(&mut session, &key) {
                Ok(()) => {
                    terminal.explain(1, "unlocked the YubiKey with the remembered OATH password");
                    return Ok((session, unlocked(KeyOrigin::Keyring, key)));
                }
                Err(OathError::WrongPassword) => {
                    terminal.explain(
                        1,
                        "the remembered OATH password no longer works (was it changed?): \
                         forgetting it",
                    );
                    if let Err(error) = credentials.keystore.delete(&name) {
                        terminal.explain(1, &format!("could not forget it: {error}"));
                    }
                    // A refused VALIDATE spends the card's challenge: select again.
                    session = OathSession::select(session.into_transport())?;
                }
                Err(error) => return Err(error.into()),
            }
        }
        Ok(None) => {}
        Err(error) => terminal.explain(
            1,
            &format!("the OS keyring cannot be read ({error}); asking for the password"),
        ),
    }
    let prompt = format!(
        "OATH password of the YubiKey in `{}`: ",
        credentials.device.reader
    );
    let Some(password) = terminal
        .ask_secret(&prompt)
        .map_err(YubikeyError::Terminal)?
    else {
        return Err(OathError::PasswordRequired.into());
    };
    let key = session.derive_key(&password);
    match validate(&mut session, &key) {
        Ok(()) => Ok((session, unlocked(KeyOrigin::Prompt, key))),
        Err(OathError::WrongPassword) => Err(YubikeyError::WrongPassword {
            origin: PasswordOrigin::Prompt,
        }),
        Err(error) => Err(error.into()),
    }
}

fn unlocked(origin: KeyOrigin, key: AccessKey) -> Unlocked {
    Unlocked::WithKey { origin, key }
}

fn validate<T: Transport>(session: &mut OathSession<T>, key: &AccessKey) -> Result<(), OathError> {
    let challenge =
        auth::random_challenge().map_err(|error| OathError::Random(error.to_string()))?;
    session.validate_key(key, challenge)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyring_entries_are_named_by_the_salt() {
        assert_eq!(
            keyring_name(&[0xD1, 0x5A, 0x0B, 0x7E, 0x33, 0xC4, 0x89, 0x21]),
            "oath-password:d15a0b7e33c48921"
        );
    }
}
