//! [`YubikeyError`]: why the YubiKey gave no code, listing or answer — structured, so the cli
//! layer can say what to do, and so [`YubikeyError::into_source_error`] can tell `auto` whether
//! to move on to the next source.

use std::fmt;

use super::account::AccountError;
use crate::keystore::KeystoreError;
use crate::oath::{HashAlgorithm, OathError};
use crate::sources::SourceError;
use crate::transport::TransportError;

/// Where the OATH password that was tried came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordOrigin {
    /// The `MFA_OATH_PASSWORD` variable.
    Environment,
    /// Typed at the hidden prompt.
    Prompt,
}

impl fmt::Display for PasswordOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PasswordOrigin::Environment => "MFA_OATH_PASSWORD",
            PasswordOrigin::Prompt => "the password typed",
        })
    }
}

/// A failure of the YubiKey source.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum YubikeyError {
    /// Reaching a card failed: pcscd, readers, no key, several keys, card removed…
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The OATH application failed: touch timeout, no OATH application…
    #[error(transparent)]
    Oath(OathError),
    /// VALIDATE refused the password from `origin` (nothing is retried).
    #[error("wrong OATH password (from {origin})")]
    WrongPassword {
        /// Where the password came from.
        origin: PasswordOrigin,
    },
    /// No account fits the query or the profile.
    #[error(transparent)]
    Account(#[from] AccountError),
    /// The OS keyring failed while remembering or forgetting the password.
    #[error(transparent)]
    Keystore(#[from] KeystoreError),
    /// The terminal could not be read.
    #[error("cannot read the answer from the terminal: {0}")]
    Terminal(#[source] std::io::Error),
    /// The account needs a touch and nobody is there to give it (see
    /// [`super::YubikeyOptions::refuse_touch`]).
    #[error(
        "the YubiKey account `{account}` needs a touch, and there is no terminal to ask for it"
    )]
    TouchUnattended {
        /// The account's name.
        account: String,
    },
    /// The key holds the account but cannot calculate it: it answered `6A81` (function not
    /// supported) for an account with this algorithm (a Nitrokey 3 and SHA512).
    #[error("the key does not support {algorithm} accounts (account `{account}`)")]
    UnsupportedAlgorithm {
        /// The account's id.
        account: String,
        /// Its hash algorithm, from LIST.
        algorithm: HashAlgorithm,
    },
    /// A list (of keys, of accounts) was shown and the answer named none of its entries.
    #[error("the answer {answer:?} is not one of the numbers offered")]
    NotChosen {
        /// What the user typed.
        answer: String,
    },
}

impl From<OathError> for YubikeyError {
    /// Transport failures inside the OATH layer are reported as transport failures.
    fn from(error: OathError) -> Self {
        match error {
            OathError::Transport(error) => YubikeyError::Transport(error),
            other => YubikeyError::Oath(other),
        }
    }
}

impl YubikeyError {
    /// Whether the failure means "no usable YubiKey here" (pcscd down, no reader, no card, no
    /// OATH application, the account is not on the key), so that `auto` tries the next source,
    /// rather than a failure of a key that was found (touch timeout, wrong password).
    pub fn key_absent(&self) -> bool {
        match self {
            YubikeyError::Transport(error) => matches!(
                error,
                TransportError::ServiceUnavailable { .. }
                    | TransportError::NoReaders
                    | TransportError::NoDevice { .. }
                    | TransportError::NoCard { .. }
            ),
            YubikeyError::Oath(OathError::NotAvailable) => true,
            YubikeyError::Account(error) => !matches!(error, AccountError::Ambiguous { .. }),
            _ => false,
        }
    }

    /// The error as a [`SourceError`] for [`crate::sources::CodeSource`] callers:
    /// [`SourceError::KeyAbsent`] when [`YubikeyError::key_absent`] (so `auto` moves on),
    /// else the error itself.
    pub fn into_source_error(self) -> SourceError {
        if self.key_absent() {
            return SourceError::KeyAbsent(Box::new(self));
        }
        SourceError::Yubikey(self)
    }
}
