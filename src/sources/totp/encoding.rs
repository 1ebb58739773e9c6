//! The text encodings of a secret: RFC 4648 Base32 (the seed) and percent-encoding (otpauth URI
//! labels and parameters). Buffers that may hold the seed are wiped; errors name a position,
//! never the content.

use zeroize::{Zeroize, Zeroizing};

use super::secret::SecretError;
use crate::secret::SecretBytes;

/// Percent-decodes `text` (and `+` as a space in a query) into UTF-8.
pub(crate) fn decode_text(text: &str, plus_is_space: bool) -> Result<String, SecretError> {
    let bytes = text.as_bytes();
    let mut out = Zeroizing::new(Vec::with_capacity(bytes.len()));
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| SecretError::Malformed {
                        detail: "a `%` is not followed by two hex digits".into(),
                    })?;
                out.push(hex);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    match String::from_utf8(std::mem::take(&mut *out)) {
        Ok(text) => Ok(text),
        Err(e) => {
            e.into_bytes().zeroize();
            Err(SecretError::Malformed {
                detail: "it is not UTF-8 once percent-decoded".into(),
            })
        }
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters and `@`.
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Decodes RFC 4648 Base32: case-insensitive, whitespace ignored, `=` padding allowed at the end.
pub(crate) fn decode_base32(text: &str) -> Result<SecretBytes, SecretError> {
    let mut out = Zeroizing::new(Vec::with_capacity(text.len() * 5 / 8));
    let mut buffer: u64 = 0;
    let mut bits = 0u32;
    let mut chars = 0usize;
    let mut padding = false;
    for (index, c) in text.chars().enumerate() {
        if c.is_ascii_whitespace() {
            continue;
        }
        if c == '=' {
            padding = true;
            continue;
        }
        let value = match c.to_ascii_uppercase() {
            upper @ 'A'..='Z' if !padding => upper as u64 - 'A' as u64,
            digit @ '2'..='7' if !padding => digit as u64 - '2' as u64 + 26,
            _ => {
                buffer.zeroize();
                return Err(SecretError::NotBase32 {
                    position: index + 1,
                });
            }
        };
        chars += 1;
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    buffer.zeroize();
    if chars == 0 {
        return Err(SecretError::Empty);
    }
    // 8 characters carry 5 bytes; 1, 3 or 6 leftover characters cannot end a whole byte.
    if matches!(chars % 8, 1 | 3 | 6) {
        return Err(SecretError::BadLength { chars });
    }
    Ok(SecretBytes::new(std::mem::take(&mut *out)))
}

/// Encodes RFC 4648 Base32 without padding.
pub(crate) fn encode_base32(bytes: &[u8]) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(bytes.len().div_ceil(5) * 8));
    let mut buffer: u64 = 0;
    let mut bits = 0u32;
    for &b in bytes {
        buffer = (buffer << 8) | u64::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buffer >> bits) & 31) as usize]));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buffer << (5 - bits)) & 31) as usize]));
    }
    buffer.zeroize();
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// RFC 4648 §10, without padding on output and with or without it on input.
    #[test]
    fn base32_rfc4648_vectors() {
        for (plain, encoded) in [
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(encode_base32(plain.as_bytes()).as_str(), encoded);
            assert_eq!(decode_base32(encoded).unwrap().expose(), plain.as_bytes());
            let padded = format!("{encoded}{}", "=".repeat((8 - encoded.len() % 8) % 8));
            assert_eq!(decode_base32(&padded).unwrap().expose(), plain.as_bytes());
        }
    }

    #[test]
    fn percent_encoding_round_trips() {
        for text in ["Amazon Web Services", "a:b/c?d&e=f%g", "été", "alice@123"] {
            assert_eq!(decode_text(&encode(text), false).unwrap(), text);
        }
        assert_eq!(decode_text("a+b", true).unwrap(), "a b");
        assert_eq!(decode_text("a+b", false).unwrap(), "a+b");
    }
}
