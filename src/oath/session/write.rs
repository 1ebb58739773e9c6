//! The instructions that change the key: PUT, DELETE, RENAME, SET CODE, RESET.
//!
//! Every buffer that holds an account key or the password key is zeroizing; the APDUs that carry
//! them are built in place without reallocation (see [`Command`](crate::transport::Command)).

use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use zeroize::{Zeroize, Zeroizing};

use super::{OathSession, select};
use crate::oath::auth::{self, AccessKey};
use crate::oath::credential::{CredentialData, CredentialId, DEFAULT_PERIOD};
use crate::oath::kind::{HashAlgorithm, OathType};
use crate::oath::{Instruction, OathError, PROPERTY_REQUIRE_TOUCH, tag};
use crate::secret::SecretString;
use crate::transport::Transport;

/// Keys shorter than this are padded with zeros before PUT.
const MIN_KEY_LENGTH: usize = 14;

impl<T: Transport> OathSession<T> {
    /// Stores an account (PUT), replacing one with the same id. The key is hashed when longer
    /// than the hash's block and padded to 14 bytes, as Yubico's tools do; every buffer holding
    /// it is wiped.
    pub fn put(&mut self, data: &CredentialData, touch: bool) -> Result<CredentialId, OathError> {
        let id = data.id()?;
        if !(6..=8).contains(&data.digits) {
            return Err(OathError::invalid(format!(
                "{} digits: the key supports 6, 7 or 8",
                data.digits
            )));
        }
        if data.secret.is_empty() {
            return Err(OathError::invalid("the secret is empty"));
        }
        let key = prepare_key(data.secret.expose(), data.algorithm);
        let mut key_field = Zeroizing::new(Vec::with_capacity(2 + key.len()));
        key_field.push(data.oath_type.bits() | data.algorithm.bits());
        key_field.push(data.digits);
        key_field.extend_from_slice(&key);
        let mut command = Instruction::Put.command(0, 0);
        command
            .push_tlv(tag::NAME, id.as_bytes())
            .push_tlv(tag::KEY, &key_field);
        if touch {
            // The quirk: PROPERTY is written bare, with no length byte.
            command.push(&[tag::PROPERTY, PROPERTY_REQUIRE_TOUCH]);
        }
        if data.counter > 0 {
            command.push_tlv(tag::IMF, &data.counter.to_be_bytes());
        }
        self.request(Instruction::Put, &command, Some(&id))?;
        Ok(id)
    }

    /// Deletes an account (DELETE).
    pub fn delete(&mut self, id: &CredentialId) -> Result<(), OathError> {
        let command = Instruction::Delete
            .command(0, 0)
            .with_tlv(tag::NAME, id.as_bytes());
        self.request(Instruction::Delete, &command, Some(id))?;
        Ok(())
    }

    /// Renames an account (RENAME, YubiKey 5.3.1 and later), keeping its period; returns the
    /// new id.
    pub fn rename(
        &mut self,
        id: &CredentialId,
        issuer: Option<&str>,
        name: &str,
    ) -> Result<CredentialId, OathError> {
        let period = if id.period() == 0 {
            DEFAULT_PERIOD
        } else {
            id.period()
        };
        let new_id = CredentialId::totp(issuer, name, period)?;
        let command = Instruction::Rename
            .command(0, 0)
            .with_tlv(tag::NAME, id.as_bytes())
            .with_tlv(tag::NAME, new_id.as_bytes());
        self.request(Instruction::Rename, &command, Some(id))?;
        Ok(new_id)
    }

    /// Sets (or changes) the password (SET CODE). The session must be unlocked.
    pub fn set_password(&mut self, password: &SecretString) -> Result<(), OathError> {
        let key = self.derive_key(password);
        let challenge =
            auth::random_challenge().map_err(|error| OathError::Random(error.to_string()))?;
        self.set_key(&key, challenge)
    }

    /// [`OathSession::set_password`] with a derived key and a given challenge: sends the key,
    /// the challenge and the key's response to it, so the card can check the key arrived
    /// intact.
    pub fn set_key(
        &mut self,
        key: &AccessKey,
        challenge: [u8; auth::CHALLENGE_LENGTH],
    ) -> Result<(), OathError> {
        let mut key_field = Zeroizing::new(Vec::with_capacity(1 + key.expose().len()));
        key_field.push(OathType::Totp.bits() | HashAlgorithm::Sha1.bits());
        key_field.extend_from_slice(key.expose());
        let response = key.respond(&challenge);
        let command = Instruction::SetCode
            .command(0, 0)
            .with_tlv(tag::KEY, &key_field)
            .with_tlv(tag::CHALLENGE, &challenge)
            .with_tlv(tag::RESPONSE, &response[..]);
        self.request(Instruction::SetCode, &command, None)?;
        self.has_password = true;
        Ok(())
    }

    /// Removes the password (SET CODE with an empty key). The session must be unlocked.
    pub fn clear_password(&mut self) -> Result<(), OathError> {
        let command = Instruction::SetCode.command(0, 0).with_tlv(tag::KEY, &[]);
        self.request(Instruction::SetCode, &command, None)?;
        self.has_password = false;
        Ok(())
    }

    /// Wipes the OATH application: every account and the password (RESET, then SELECT again
    /// for the new salt). Needs no password.
    pub fn reset(&mut self) -> Result<(), OathError> {
        let command = Instruction::Reset.command(0xDE, 0xAD);
        let answer = self.send(&command)?;
        if !answer.sw().is_ok() {
            return Err(self.status_error(Instruction::Reset, answer.sw(), None));
        }
        self.info = select(&mut self.transport)?;
        self.locked = self.info.challenge.is_some();
        self.has_password = self.locked;
        Ok(())
    }
}

/// The key as PUT sends it: hashed when longer than the hash's block, then zero-padded to 14
/// bytes.
fn prepare_key(secret: &[u8], algorithm: HashAlgorithm) -> Zeroizing<Vec<u8>> {
    let mut key = Zeroizing::new(Vec::with_capacity(
        secret.len().max(algorithm.block_size()).max(MIN_KEY_LENGTH),
    ));
    if secret.len() > algorithm.block_size() {
        match algorithm {
            HashAlgorithm::Sha1 => hash_into::<Sha1>(secret, &mut key),
            HashAlgorithm::Sha256 => hash_into::<Sha256>(secret, &mut key),
            HashAlgorithm::Sha512 => hash_into::<Sha512>(secret, &mut key),
        }
    } else {
        key.extend_from_slice(secret);
    }
    if key.len() < MIN_KEY_LENGTH {
        key.resize(MIN_KEY_LENGTH, 0);
    }
    key
}

/// Appends `D(secret)` to `key` and wipes the digest.
fn hash_into<D: Digest>(secret: &[u8], key: &mut Vec<u8>) {
    let mut digest = D::digest(secret);
    key.extend_from_slice(&digest);
    digest.as_mut_slice().zeroize();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_hashed_past_the_block_size_and_padded_to_14_bytes() {
        assert_eq!(
            &prepare_key(b"short", HashAlgorithm::Sha1)[..],
            b"short\0\0\0\0\0\0\0\0\0"
        );
        let block = [7u8; 64];
        assert_eq!(&prepare_key(&block, HashAlgorithm::Sha256)[..], &block[..]);
        let long = [7u8; 65];
        assert_eq!(
            &prepare_key(&long, HashAlgorithm::Sha1)[..],
            &Sha1::digest(long)[..]
        );
        assert_eq!(
            &prepare_key(&long, HashAlgorithm::Sha256)[..],
            &Sha256::digest(long)[..]
        );
        assert_eq!(
            &prepare_key(&long, HashAlgorithm::Sha512)[..],
            &long[..],
            "block is 128"
        );
        let longer = [7u8; 129];
        assert_eq!(
            &prepare_key(&longer, HashAlgorithm::Sha512)[..],
            &Sha512::digest(longer)[..]
        );
    }
}
