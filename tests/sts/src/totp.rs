//! RFC 4226 HOTP / RFC 6238 TOTP with HMAC-SHA1, and RFC 4648 Base32 decoding of seeds.
//!
//! AWS virtual MFA devices use SHA1, 6 digits and a 30 s period; the verifier in
//! [`crate::mfa_check`] builds on [`code_at_step`].

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Period of AWS virtual MFA devices, in seconds.
pub const PERIOD: u64 = 30;
/// Digits of AWS virtual MFA codes.
pub const DIGITS: u32 = 6;

/// Decodes RFC 4648 Base32 (case-insensitive; `=` padding, spaces and dashes ignored).
/// Returns `None` on any other character or an empty seed.
pub fn decode_base32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars() {
        let value = match c.to_ascii_uppercase() {
            c @ 'A'..='Z' => c as u32 - 'A' as u32,
            c @ '2'..='7' => c as u32 - '2' as u32 + 26,
            '=' | ' ' | '-' => continue,
            _ => return None,
        };
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// RFC 4226 HOTP value of `counter` with `digits` digits, zero-padded.
pub fn hotp(key: &[u8], counter: u64, digits: u32) -> String {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = match Hmac::<Sha1>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let word = u32::from_be_bytes([
        digest[offset],
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]) & 0x7fff_ffff;
    let code = u64::from(word) % 10u64.pow(digits);
    format!("{code:0width$}", width = digits as usize)
}

/// The 6-digit code of a 30 s time step.
pub fn code_at_step(key: &[u8], step: u64) -> String {
    hotp(key, step, DIGITS)
}

/// The time step containing `unix_time`.
pub fn step_of(unix_time: u64) -> u64 {
    unix_time / PERIOD
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SEED: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc4226_hotp_vectors() {
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(
                hotp(RFC_SEED, counter as u64, 6),
                *code,
                "counter {counter}"
            );
        }
    }

    #[test]
    fn rfc6238_sha1_vectors() {
        let vectors = [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        for (time, code) in vectors {
            assert_eq!(hotp(RFC_SEED, step_of(time), 8), code, "time {time}");
        }
    }

    #[test]
    fn six_digit_codes_are_the_last_six_of_the_eight() {
        assert_eq!(code_at_step(RFC_SEED, step_of(59)), "287082");
        assert_eq!(code_at_step(RFC_SEED, step_of(1_111_111_109)), "081804");
    }

    #[test]
    fn base32_decodes_the_rfc_seed_in_any_case_with_padding() {
        let seed = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        assert_eq!(decode_base32(seed).as_deref(), Some(RFC_SEED));
        assert_eq!(
            decode_base32(&seed.to_lowercase()).as_deref(),
            Some(RFC_SEED)
        );
        assert_eq!(decode_base32("MZXW6===").as_deref(), Some(&b"foo"[..]));
        assert_eq!(decode_base32("MZXW 6YTB").as_deref(), Some(&b"fooba"[..]));
    }

    #[test]
    fn base32_rejects_garbage() {
        assert_eq!(decode_base32("not base32!"), None);
        assert_eq!(decode_base32("0189"), None);
        assert_eq!(decode_base32(""), None);
    }
}
