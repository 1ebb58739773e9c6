//! One OATH account as the card stores it, and its calculation.

use zeroize::Zeroizing;

use crate::crypto::{self, HashAlg};

/// HOTP or TOTP (high nibble of the type byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OathType {
    Hotp,
    Totp,
}

impl OathType {
    pub(crate) fn from_code(code: u8) -> Option<OathType> {
        match code & 0xF0 {
            0x10 => Some(OathType::Hotp),
            0x20 => Some(OathType::Totp),
            _ => None,
        }
    }

    fn code(self) -> u8 {
        match self {
            OathType::Hotp => 0x10,
            OathType::Totp => 0x20,
        }
    }
}

pub(crate) struct Credential {
    /// The credential id, `[period/][issuer:]name`, at most 64 bytes.
    pub(crate) name: Vec<u8>,
    pub(crate) kind: OathType,
    pub(crate) alg: HashAlg,
    pub(crate) digits: u8,
    pub(crate) key: Zeroizing<Vec<u8>>,
    pub(crate) touch: bool,
    /// HOTP moving factor: the next calculation uses this value, then increments it.
    pub(crate) counter: u32,
}

impl Credential {
    /// The type byte of LIST and PUT: type in the high nibble, algorithm in the low one.
    pub(crate) fn type_byte(&self) -> u8 {
        self.kind.code() | self.alg.code()
    }

    /// The full HMAC. TOTP signs the host's challenge (the time step); HOTP ignores it,
    /// signs its counter as 8 bytes big-endian and moves the counter on.
    pub(crate) fn respond(&mut self, challenge: &[u8]) -> Vec<u8> {
        match self.kind {
            OathType::Totp => crypto::hmac(self.alg, &self.key, challenge),
            OathType::Hotp => {
                let message = u64::from(self.counter).to_be_bytes();
                self.counter = self.counter.wrapping_add(1);
                crypto::hmac(self.alg, &self.key, &message)
            }
        }
    }
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("name", &String::from_utf8_lossy(&self.name))
            .field("kind", &self.kind)
            .field("alg", &self.alg)
            .field("digits", &self.digits)
            .field("key", &"<redacted>")
            .field("touch", &self.touch)
            .field("counter", &self.counter)
            .finish()
    }
}
