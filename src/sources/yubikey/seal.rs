//! The sealing credential: a dedicated OATH account whose random key is generated here, put on
//! the key once, and never leaves it; its full HMAC over a random challenge is what the sealed
//! long-term keys are encrypted under (docs/long-term-keys.md).
//!
//! The account has a reserved id, [`SEALING_ACCOUNT`]: it is hidden from `mfa accounts`, never
//! calculated as a code, and never "the only account" of a profile ([`is_reserved`]).

use super::{Connector, YubikeyError, YubikeySource, touch};
use crate::oath::{CredentialData, CredentialId, HashAlgorithm, OathType};
use crate::secret::SecretBytes;
use crate::terminal::Terminal;
use crate::transport::Device;

/// The reserved id of the sealing credential (issuer `mfa`, name `sealed-keys`, 30 s TOTP).
pub const SEALING_ACCOUNT: &str = "mfa:sealed-keys";

/// Whether `id` is the sealing credential, which no code command may show or calculate.
pub fn is_reserved(id: &CredentialId) -> bool {
    id.as_bytes() == SEALING_ACCOUNT.as_bytes()
}

/// Whether a typed account id names the sealing credential.
pub fn is_reserved_text(text: &str) -> bool {
    text == SEALING_ACCOUNT
}

/// The sealing credential's data: TOTP (so the challenge is used as given), SHA-256 (a 32-byte
/// HMAC), a fresh random 32-byte key.
fn sealing_data() -> Result<CredentialData, YubikeyError> {
    let mut key = vec![0u8; 32];
    getrandom::getrandom(&mut key)
        .map_err(|e| YubikeyError::Oath(crate::oath::OathError::Random(e.to_string())))?;
    let mut data = CredentialData::totp(Some("mfa"), "sealed-keys", SecretBytes::new(key));
    data.algorithm = HashAlgorithm::Sha256;
    Ok(data)
}

/// What [`YubikeySource::ensure_sealing_account`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealingAccount {
    /// It was on the key already (its key is kept: other sealed files depend on it).
    Existing,
    /// It was created now.
    Created,
}

impl<C: Connector> YubikeySource<'_, C> {
    /// Puts the sealing credential on the key in `device` unless it is there already (LIST,
    /// then PUT). An existing one is never replaced: that would make every file sealed with it
    /// useless.
    pub fn ensure_sealing_account(
        &mut self,
        device: &Device,
        touch: bool,
        terminal: &mut dyn Terminal,
    ) -> Result<SealingAccount, YubikeyError> {
        self.unlocked(device, terminal, |session, _| {
            if session.list()?.iter().any(|c| is_reserved(&c.id)) {
                return Ok(SealingAccount::Existing);
            }
            let data = sealing_data()?;
            session.put(&data, touch)?;
            Ok(SealingAccount::Created)
        })
    }

    /// The full HMAC of the sealing credential `account` over `challenge` (SELECT, VALIDATE
    /// when a password is set, one CALCULATE with P2 `00`), with the touch notice when the key
    /// waits for a finger.
    pub fn sealing_hmac(
        &mut self,
        device: &Device,
        account: &str,
        challenge: &[u8],
        terminal: &mut dyn Terminal,
    ) -> Result<SecretBytes, YubikeyError> {
        let id = CredentialId::from_raw(account.as_bytes(), OathType::Totp);
        let notice_after = self.options.touch_notice_after;
        self.unlocked(device, terminal, |session, terminal| {
            Ok(touch::waiting(notice_after, terminal, || {
                session.calculate_full(&id, challenge)
            })?)
        })
    }
}
