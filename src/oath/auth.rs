//! The OATH password: the access key derived from it, the HMAC responses of VALIDATE and SET
//! CODE, and the constant-time check of the card's answer.
//!
//! Key = PBKDF2-HMAC-SHA1(password, salt = the NAME bytes of SELECT, 1000 iterations, 16 bytes).
//! VALIDATE proves knowledge both ways: the host answers the card's challenge with
//! HMAC-SHA1(key, challenge) and sends its own challenge, which the card must answer the same
//! way.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::secret::{SecretBytes, SecretString};

/// PBKDF2 iterations.
const ITERATIONS: u32 = 1000;
/// Access key length in bytes.
pub const KEY_LENGTH: usize = 16;
/// Length of an HMAC-SHA1 response.
pub const RESPONSE_LENGTH: usize = 20;
/// Length of a host challenge.
pub const CHALLENGE_LENGTH: usize = 8;

/// The key that unlocks a password-protected OATH application (wiped on drop, redacted in
/// `Debug`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey(SecretBytes);

impl AccessKey {
    /// Derives the key from a password and the salt from SELECT.
    pub fn derive(password: &SecretString, salt: &[u8]) -> Self {
        let mut key = Zeroizing::new([0u8; KEY_LENGTH]);
        pbkdf2::pbkdf2_hmac::<Sha1>(password.expose().as_bytes(), salt, ITERATIONS, &mut *key);
        Self(SecretBytes::new(key.to_vec()))
    }

    /// A key given as bytes (e.g. remembered by a keyring).
    pub fn from_secret(key: SecretBytes) -> Self {
        Self(key)
    }

    /// The key bytes.
    pub fn expose(&self) -> &[u8] {
        self.0.expose()
    }

    /// HMAC-SHA1(key, `challenge`).
    pub fn respond(&self, challenge: &[u8]) -> Zeroizing<[u8; RESPONSE_LENGTH]> {
        hmac_sha1(self.expose(), challenge)
    }

    /// Whether `answer` is HMAC-SHA1(key, `challenge`), compared in constant time.
    pub fn verify(&self, challenge: &[u8], answer: &[u8]) -> bool {
        let expected = self.respond(challenge);
        bool::from(expected.as_slice().ct_eq(answer))
    }
}

/// HMAC-SHA1 into a zeroizing array.
fn hmac_sha1(key: &[u8], message: &[u8]) -> Zeroizing<[u8; RESPONSE_LENGTH]> {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail; fall back to an empty
    // response rather than panic.
    let mut out = Zeroizing::new([0u8; RESPONSE_LENGTH]);
    if let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(key) {
        mac.update(message);
        let mut digest = mac.finalize().into_bytes();
        out.copy_from_slice(&digest);
        digest.as_mut_slice().zeroize();
    }
    out
}

/// Eight random bytes from the operating system, for a host challenge.
pub fn random_challenge() -> Result<[u8; CHALLENGE_LENGTH], getrandom::Error> {
    let mut challenge = [0u8; CHALLENGE_LENGTH];
    getrandom::getrandom(&mut challenge)?;
    Ok(challenge)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_the_access_key_like_ykman() {
        // PBKDF2-HMAC-SHA1("password", "salt", 1000 iterations, 16 bytes), as computed by
        // Python's hashlib.pbkdf2_hmac (what ykman uses).
        let key = AccessKey::derive(&SecretString::new("password".into()), b"salt");
        assert_eq!(
            key.expose(),
            &[
                0x6e, 0x88, 0xbe, 0x8b, 0xad, 0x7e, 0xae, 0x9d, 0x9e, 0x10, 0xaa, 0x06, 0x12, 0x24,
                0x03, 0x4f
            ]
        );
    }

    #[test]
    fn responds_with_hmac_sha1() {
        // RFC 2202 test case 2.
        let key = AccessKey::from_secret(SecretBytes::new(b"Jefe".to_vec()));
        let response = key.respond(b"what do ya want for nothing?");
        assert_eq!(
            &response[..],
            &[
                0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74, 0x16, 0xd5, 0xf1, 0x84,
                0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79
            ]
        );
        assert!(key.verify(b"what do ya want for nothing?", &response[..]));
        let mut wrong = *response;
        wrong[19] ^= 1;
        assert!(!key.verify(b"what do ya want for nothing?", &wrong));
        assert!(!key.verify(b"what do ya want for nothing?", &response[..19]));
        assert!(!key.verify(b"what do ya want for nothing?", &[]));
    }

    #[test]
    fn debug_hides_the_key() {
        let key = AccessKey::derive(&SecretString::new("password".into()), b"salt");
        assert!(format!("{key:?}").contains("redacted"));
    }

    #[test]
    fn random_challenges_differ() {
        let (Ok(a), Ok(b)) = (random_challenge(), random_challenge()) else {
            panic!("no randomness");
        };
        assert_ne!(a, b);
    }
}
