//! [`OathError`]: what the OATH application refused, or what went wrong on the way.

use super::Instruction;
use crate::transport::{StatusWord, TransportError, Version};

/// A failure of the OATH protocol layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OathError {
    /// The transport failed (no reader, card removed, pcscd down…).
    #[error(transparent)]
    Transport(#[from] TransportError),

    /// The card has no OATH application (not a YubiKey, or OATH disabled over this interface).
    #[error("the card has no OATH application")]
    NotAvailable,

    /// The OATH application is password-protected and the session is not validated.
    #[error("the OATH application is protected by a password")]
    PasswordRequired,

    /// VALIDATE was refused: the password is wrong.
    #[error("wrong OATH password")]
    WrongPassword,

    /// The card accepted the password but its own proof of knowing it is wrong: the card is
    /// not the key it claims to be, or something altered the answer.
    #[error("the card's answer to the password check is wrong")]
    CardAuthenticationFailed,

    /// CALCULATE of a touch account: nobody touched the key in time (`6982`).
    #[error("touch timed out for account `{account}`")]
    TouchTimeout {
        /// The account's id.
        account: String,
    },

    /// The account does not exist on the key (`6984`).
    #[error("no account `{account}` on the key")]
    NoSuchAccount {
        /// The id that was asked for.
        account: String,
    },

    /// The key has no room for another account (`6A84`).
    #[error("no space left on the key")]
    NoSpace,

    /// The key rejected the data of an instruction (`6A80`), e.g. an unsupported algorithm or a
    /// RENAME to an existing id.
    #[error("the key rejected the {instruction} data")]
    WrongData {
        /// The instruction.
        instruction: Instruction,
    },

    /// The key reported a memory failure (`6581`).
    #[error("the key reported a memory failure during {instruction}")]
    MemoryFailure {
        /// The instruction.
        instruction: Instruction,
    },

    /// The key does not know the instruction (`6D00`), e.g. RENAME before firmware 5.3.1.
    #[error("the key (OATH version {version}) does not support {instruction}")]
    NotSupported {
        /// The instruction.
        instruction: Instruction,
        /// The OATH application's version.
        version: Version,
    },

    /// The key does not support what the instruction needs (`6A81`): e.g. a Nitrokey 3 stores
    /// SHA512 accounts but cannot calculate them.
    #[error("the key does not support the function {instruction} needs (account `{account}`)")]
    FunctionNotSupported {
        /// The instruction.
        instruction: Instruction,
        /// The account's id, when the instruction names one.
        account: String,
    },

    /// Any other status word.
    #[error("{instruction} failed with status {sw}")]
    UnexpectedStatus {
        /// The instruction.
        instruction: Instruction,
        /// The status word.
        sw: StatusWord,
    },

    /// CALCULATE asked for the full HMAC (P2 `00`) and the card answered a truncated code: a
    /// token that cannot seal keys through OATH (Nitrokey's secrets app).
    #[error("the card gives no full HMAC response on CALCULATE")]
    NoFullResponse,

    /// The card's answer does not parse.
    #[error("malformed answer to {instruction}: {reason}")]
    MalformedResponse {
        /// The instruction.
        instruction: Instruction,
        /// What was wrong.
        reason: String,
    },

    /// The account given to PUT or RENAME cannot be stored (name too long, bad digits…).
    #[error("invalid account: {reason}")]
    InvalidCredential {
        /// What is wrong.
        reason: String,
    },

    /// The operating system's random generator failed (for a password challenge).
    #[error("no randomness available for the password challenge: {0}")]
    Random(String),
}

impl OathError {
    pub(crate) fn malformed(instruction: Instruction, reason: impl Into<String>) -> Self {
        Self::MalformedResponse {
            instruction,
            reason: reason.into(),
        }
    }

    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        Self::InvalidCredential {
            reason: reason.into(),
        }
    }
}
