//! Identifiers in AWS's shapes: random request ids, `ASIA…` key ids, secrets and session
//! tokens for issued sessions, and stable `AIDA…`/`AROA…` unique ids derived from names.

use sha1::{Digest, Sha1};
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0; len];
    if getrandom::getrandom(&mut bytes).is_err() {
        // Practically unreachable; std's per-process random keys are still unpredictable.
        let state = RandomState::new();
        for (i, byte) in bytes.iter_mut().enumerate() {
            let mut hasher = state.build_hasher();
            hasher.write_usize(i);
            *byte = hasher.finish() as u8;
        }
    }
    bytes
}

fn random_from(alphabet: &[u8], len: usize) -> String {
    random_bytes(len)
        .into_iter()
        .map(|b| char::from(alphabet[usize::from(b) % alphabet.len()]))
        .collect()
}

/// A UUID v4, as STS request ids look.
pub fn request_id() -> String {
    let mut b = random_bytes(16);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// `ASIA` + 16 Base32 characters: a temporary access key id.
pub fn session_key_id() -> String {
    format!("ASIA{}", random_from(BASE32, 16))
}

/// 40 characters, like a secret access key.
pub fn secret_access_key() -> String {
    random_from(BASE64, 40)
}

/// An opaque session token of realistic length.
pub fn session_token() -> String {
    format!("IQoJb3JpZ2luX2VjE{}", random_from(BASE64, 300))
}

/// `PREFIX` + 17 Base32 characters derived from `name`: stable across runs.
pub fn stable_id(prefix: &str, name: &str) -> String {
    let digest = Sha1::digest(name.as_bytes());
    let tail: String = digest
        .iter()
        .take(17)
        .map(|b| char::from(BASE32[usize::from(*b) % 32]))
        .collect();
    format!("{prefix}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let id = request_id();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        let key = session_key_id();
        assert!(key.starts_with("ASIA") && key.len() == 20);
        assert_ne!(key, session_key_id());
        assert_eq!(secret_access_key().len(), 40);
        assert!(session_token().len() > 300);
        assert_eq!(stable_id("AIDA", "alice"), stable_id("AIDA", "alice"));
        assert_eq!(stable_id("AIDA", "alice").len(), 21);
        assert_ne!(stable_id("AIDA", "alice"), stable_id("AIDA", "bob"));
    }
}
