//! The YKOATH protocol: the OATH application of a YubiKey, over any [`Transport`].
//!
//! [`OathSession::select`] opens the application; the session then lists accounts, calculates
//! codes for a caller-supplied Unix time (any step: past, current or next), and manages accounts
//! (PUT, DELETE, RENAME), the password (VALIDATE, SET CODE) and RESET.
//!
//! | file | concern |
//! |---|---|
//! | [`session`] | the session: one method per instruction, status words → [`OathError`] |
//! | [`parse`] | the card's answers (SELECT, LIST, CALCULATE, CALCULATE ALL); never panics |
//! | [`credential`] | account ids `[period/][issuer:]name`, listed accounts, PUT data |
//! | [`Instruction`] | the instructions and their INS bytes |
//! | [`kind`] | account types (HOTP, TOTP) and hash algorithms |
//! | [`code`] | time steps, challenges, truncation to digits |
//! | [`auth`] | the password: PBKDF2 access key, HMAC responses, constant-time check |
//! | [`trace_redaction`] | what an APDU trace hides: keys, password responses, codes, MACs |
//!
//! Nothing here reads the clock, the terminal or the environment: the time is a parameter, and
//! the only randomness (the host challenge of VALIDATE and SET CODE) has an injectable form.
//!
//! A code from the only key plugged in, for a known account — SELECT and one CALCULATE inside
//! one exclusive PC/SC transaction:
//!
//! ```no_run
//! use mfa::oath::{CredentialId, OathSession};
//! use mfa::transport::{DeviceQuery, PcscContext, devices};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let now = 1_700_000_000;
//! let context = PcscContext::establish()?;
//! let device = devices::choose(&context, &DeviceQuery::default())?;
//! let mut card = context.connect(&device.reader)?;
//! let mut transaction = card.transaction()?;
//! let mut session = OathSession::select(&mut transaction)?;
//! if session.is_locked() {
//!     # let password = mfa::secret::SecretString::new(String::new());
//!     session.validate(&password)?;
//! }
//! let id: CredentialId = "Amazon Web Services:alice@123456789012".parse()?;
//! let code = session.calculate(&id, now)?;
//! println!("{}", code.value().expose());
//! # Ok(())
//! # }
//! ```
//!
//! [`Transport`]: crate::transport::Transport

pub mod auth;
pub mod code;
pub mod credential;
mod error;
mod instruction;
pub mod kind;
pub mod parse;
mod redaction;
pub mod session;

#[cfg(test)]
mod tests;

pub use auth::AccessKey;
pub use code::Code;
pub use credential::{Calculated, Credential, CredentialData, CredentialId};
pub use error::OathError;
pub use instruction::Instruction;
pub use kind::{HashAlgorithm, OathType};
pub use redaction::trace_redaction;
pub use session::{Accounts, OathSession};

/// AID of the OATH application.
pub const OATH_AID: [u8; 7] = [0xA0, 0x00, 0x00, 0x05, 0x27, 0x21, 0x01];

/// TLV tags.
pub mod tag {
    /// An account id; in SELECT's answer, the salt.
    pub const NAME: u8 = 0x71;
    /// One LIST entry: type|algorithm byte, then the id.
    pub const NAME_LIST: u8 = 0x72;
    /// Key material: type|algorithm, digits, key.
    pub const KEY: u8 = 0x73;
    /// A challenge: the TOTP time step, or a password challenge.
    pub const CHALLENGE: u8 = 0x74;
    /// A full HMAC response (digits, then the MAC).
    pub const RESPONSE: u8 = 0x75;
    /// A truncated response: digits, then four bytes.
    pub const TRUNCATED: u8 = 0x76;
    /// CALCULATE ALL: an HOTP account (no code).
    pub const HOTP: u8 = 0x77;
    /// PUT: properties, written bare (`78 02`) with no length.
    pub const PROPERTY: u8 = 0x78;
    /// SELECT: the application version.
    pub const VERSION: u8 = 0x79;
    /// PUT: the initial HOTP counter (IMF).
    pub const IMF: u8 = 0x7A;
    /// SELECT: the password's algorithm.
    pub const ALGORITHM: u8 = 0x7B;
    /// CALCULATE ALL: the account requires touch (no code).
    pub const TOUCH: u8 = 0x7C;
    /// SELECT: the device's serial number, four bytes. Nitrokey's secrets app sends it; a
    /// YubiKey never does (its serial comes from the Management application).
    pub const SERIAL: u8 = 0x8F;
}

/// The PROPERTY value that makes an account require touch.
pub const PROPERTY_REQUIRE_TOUCH: u8 = 0x02;
