//! HMAC, OATH dynamic truncation and card randomness.

use hmac::{Hmac, Mac};
use zeroize::Zeroizing;

/// The OATH hash algorithms (low nibble of the PUT key's type byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HashAlg {
    Sha1,
    Sha256,
    Sha512,
}

impl HashAlg {
    pub(crate) fn from_code(code: u8) -> Option<HashAlg> {
        match code {
            0x01 => Some(HashAlg::Sha1),
            0x02 => Some(HashAlg::Sha256),
            0x03 => Some(HashAlg::Sha512),
            _ => None,
        }
    }

    pub(crate) fn code(self) -> u8 {
        match self {
            HashAlg::Sha1 => 0x01,
            HashAlg::Sha256 => 0x02,
            HashAlg::Sha512 => 0x03,
        }
    }

    fn block_size(self) -> usize {
        match self {
            HashAlg::Sha1 | HashAlg::Sha256 => 64,
            HashAlg::Sha512 => 128,
        }
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        use sha2::Digest;
        match self {
            HashAlg::Sha1 => sha1::Sha1::digest(data).to_vec(),
            HashAlg::Sha256 => sha2::Sha256::digest(data).to_vec(),
            HashAlg::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }
}

/// Shortest key the card stores: hosts pad OATH keys with zeros to this length.
pub(crate) const MIN_KEY_LEN: usize = 14;

/// The key as the card stores it: hashed when longer than the hash block, zero-padded to
/// [`MIN_KEY_LEN`]. Both steps leave every HMAC unchanged (HMAC itself hashes long keys and
/// pads short ones), so a host that already did them and one that did not get the same codes.
pub(crate) fn normalize_key(alg: HashAlg, key: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut key = Zeroizing::new(if key.len() > alg.block_size() {
        alg.digest(key)
    } else {
        key.to_vec()
    });
    if key.len() < MIN_KEY_LEN {
        key.resize(MIN_KEY_LEN, 0);
    }
    key
}

/// HMAC of `message` under `key` with the given hash.
pub(crate) fn hmac(alg: HashAlg, key: &[u8], message: &[u8]) -> Vec<u8> {
    fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], message: &[u8]) -> Vec<u8> {
        // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
        match <M as hmac::digest::KeyInit>::new_from_slice(key) {
            Ok(mut mac) => {
                mac.update(message);
                mac.finalize().into_bytes().to_vec()
            }
            Err(_) => Vec::new(),
        }
    }
    match alg {
        HashAlg::Sha1 => run::<Hmac<sha1::Sha1>>(key, message),
        HashAlg::Sha256 => run::<Hmac<sha2::Sha256>>(key, message),
        HashAlg::Sha512 => run::<Hmac<sha2::Sha512>>(key, message),
    }
}

/// RFC 4226 dynamic truncation: 4 bytes at the offset given by the last nibble, top bit
/// cleared. The card returns these bytes; the host reduces them modulo `10^digits`.
pub(crate) fn truncate(mac: &[u8]) -> [u8; 4] {
    let offset = mac.last().map_or(0, |b| usize::from(b & 0x0F));
    let mut out = [0u8; 4];
    if let Some(bytes) = mac.get(offset..offset + 4) {
        out.copy_from_slice(bytes);
    }
    out[0] &= 0x7F;
    out
}

/// Cryptographically random bytes (salts, challenges).
pub(crate) fn random<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    if getrandom::getrandom(&mut out).is_err() {
        // The OS RNG does not fail on Linux; if it ever does, fall back to something that is
        // at least unique per call, which is all a test card needs.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let seed = HashAlg::Sha256.digest(&nanos.to_le_bytes());
        for (o, s) in out.iter_mut().zip(seed.iter().cycle()) {
            *o = *s;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn rfc4226_truncation_example() {
        // RFC 4226 section 5.4.
        let mac = [
            0x1f, 0x86, 0x98, 0x69, 0x0e, 0x02, 0xca, 0x16, 0x61, 0x85, 0x50, 0xef, 0x7f, 0x19,
            0xda, 0x8e, 0x94, 0x5b, 0x55, 0x5a,
        ];
        assert_eq!(u32::from_be_bytes(truncate(&mac)), 0x50ef7f19);
    }

    #[test]
    fn normalized_keys_give_the_same_hmac() {
        for alg in [HashAlg::Sha1, HashAlg::Sha256, HashAlg::Sha512] {
            for len in [1usize, 13, 14, 20, 64, 65, 128, 129, 300] {
                let key = vec![0x5A; len];
                assert_eq!(
                    hmac(alg, &key, b"msg"),
                    hmac(alg, &normalize_key(alg, &key), b"msg"),
                    "{alg:?} {len}"
                );
            }
        }
    }
}
