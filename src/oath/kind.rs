//! Account types (HOTP, TOTP) and HMAC algorithms, as the type|algorithm byte of LIST and PUT
//! encodes them: type in the high nibble, algorithm in the low one.

use std::fmt;
use std::str::FromStr;

/// HOTP (counter-based) or TOTP (time-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OathType {
    /// RFC 4226, counter-based.
    Hotp,
    /// RFC 6238, time-based.
    Totp,
}

impl OathType {
    /// The type's bits (high nibble): `10` HOTP, `20` TOTP.
    pub fn bits(self) -> u8 {
        match self {
            Self::Hotp => 0x10,
            Self::Totp => 0x20,
        }
    }

    /// The type in the high nibble of `byte`.
    pub fn from_byte(byte: u8) -> Option<Self> {
        match byte & 0xF0 {
            0x10 => Some(Self::Hotp),
            0x20 => Some(Self::Totp),
            _ => None,
        }
    }
}

impl fmt::Display for OathType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Hotp => "HOTP",
            Self::Totp => "TOTP",
        })
    }
}

/// The HMAC hash of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// HMAC-SHA1 (the default, and what AWS uses).
    Sha1,
    /// HMAC-SHA256.
    Sha256,
    /// HMAC-SHA512 (YubiKey firmware 4.3.1 and later).
    Sha512,
}

impl HashAlgorithm {
    /// The algorithm's bits (low nibble): `01`, `02`, `03`.
    pub fn bits(self) -> u8 {
        match self {
            Self::Sha1 => 0x01,
            Self::Sha256 => 0x02,
            Self::Sha512 => 0x03,
        }
    }

    /// The algorithm in the low nibble of `byte`.
    pub fn from_byte(byte: u8) -> Option<Self> {
        match byte & 0x0F {
            0x01 => Some(Self::Sha1),
            0x02 => Some(Self::Sha256),
            0x03 => Some(Self::Sha512),
            _ => None,
        }
    }

    /// The hash's block size: a longer HMAC key is hashed first.
    pub fn block_size(self) -> usize {
        match self {
            Self::Sha1 | Self::Sha256 => 64,
            Self::Sha512 => 128,
        }
    }
}

impl fmt::Display for HashAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
            Self::Sha512 => "SHA512",
        })
    }
}

impl FromStr for HashAlgorithm {
    type Err = String;

    /// `SHA1`, `SHA256`, `SHA512`, in any case, with or without a dash.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_uppercase().replace('-', "").as_str() {
            "SHA1" => Ok(Self::Sha1),
            "SHA256" => Ok(Self::Sha256),
            "SHA512" => Ok(Self::Sha512),
            _ => Err(format!(
                "unknown algorithm `{text}`: use SHA1, SHA256 or SHA512"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn reads_type_and_algorithm_bits() {
        assert_eq!(OathType::from_byte(0x21), Some(OathType::Totp));
        assert_eq!(OathType::from_byte(0x13), Some(OathType::Hotp));
        assert_eq!(OathType::from_byte(0x31), None);
        assert_eq!(HashAlgorithm::from_byte(0x23), Some(HashAlgorithm::Sha512));
        assert_eq!(HashAlgorithm::from_byte(0x24), None);
        assert_eq!(
            "sha-256".parse::<HashAlgorithm>().unwrap(),
            HashAlgorithm::Sha256
        );
        assert!("md5".parse::<HashAlgorithm>().is_err());
    }
}
