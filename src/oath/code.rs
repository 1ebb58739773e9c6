//! One-time codes: TOTP time steps and challenges, and truncation of the key's answer to
//! digits (RFC 4226 §5.3).

use std::fmt::{self, Write as _};
use std::ops::Range;

use crate::secret::SecretString;

/// The most digits a code can have here (`10^10` fits a `u64`; keys use 6 to 8).
pub const MAX_DIGITS: u8 = 10;

/// The TOTP time step of `unix_time`: `floor(unix_time / period)`. A zero period is treated as
/// one second (ids never parse to zero).
pub fn time_step(unix_time: u64, period: u32) -> u64 {
    unix_time / u64::from(period.max(1))
}

/// The CALCULATE challenge for a TOTP account: the time step as 8 bytes, big-endian.
pub fn totp_challenge(unix_time: u64, period: u32) -> [u8; 8] {
    time_step(unix_time, period).to_be_bytes()
}

/// A one-time code. The digits are a secret (wiped on drop, redacted in `Debug`).
#[derive(Clone, PartialEq, Eq)]
pub struct Code {
    value: SecretString,
    valid: Option<Range<u64>>,
}

impl Code {
    /// A code from the key's truncated answer: `(u32_be & 0x7FFFFFFF) % 10^digits`, zero-padded
    /// to `digits`. `None` when `digits` is 0 or more than [`MAX_DIGITS`].
    pub fn from_truncated(
        digits: u8,
        truncated: [u8; 4],
        valid: Option<Range<u64>>,
    ) -> Option<Self> {
        if digits == 0 || digits > MAX_DIGITS {
            return None;
        }
        let number = u64::from(u32::from_be_bytes(truncated) & 0x7FFF_FFFF);
        let modulus = 10u64.pow(u32::from(digits));
        let width = usize::from(digits);
        // Sized up front: a growing String would leave copies of the digits behind.
        let mut value = String::with_capacity(usize::from(MAX_DIGITS));
        write!(value, "{:0width$}", number % modulus).ok()?;
        Some(Self {
            value: SecretString::new(value),
            valid,
        })
    }

    /// A code from a full HMAC answer, with the dynamic truncation of RFC 4226 §5.3 done here.
    /// `None` when the MAC is too short for its offset or the digits are out of range.
    pub fn from_full_response(digits: u8, mac: &[u8], valid: Option<Range<u64>>) -> Option<Self> {
        let offset = usize::from(mac.last()? & 0x0F);
        let bytes: [u8; 4] = mac.get(offset..offset + 4)?.try_into().ok()?;
        Self::from_truncated(digits, bytes, valid)
    }

    /// The validity window of a TOTP code for `unix_time`: `[step·period, (step+1)·period)`.
    pub fn totp_window(unix_time: u64, period: u32) -> Range<u64> {
        let period = u64::from(period.max(1));
        let start = unix_time - unix_time % period;
        start..start.saturating_add(period)
    }

    /// The digits, for the one place that prints or sends them.
    pub fn value(&self) -> &SecretString {
        &self.value
    }

    /// How many digits the code has.
    pub fn digits(&self) -> usize {
        self.value.expose().len()
    }

    /// The Unix times (seconds, end exclusive) in which a TOTP code is valid; `None` for HOTP.
    pub fn valid(&self) -> Option<&Range<u64>> {
        self.valid.as_ref()
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Code")
            .field("value", &"[redacted]")
            .field("valid", &self.valid)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn time_steps_and_challenges() {
        assert_eq!(time_step(59, 30), 1);
        assert_eq!(time_step(60, 30), 2);
        assert_eq!(time_step(1_111_111_109, 30), 0x023523EC);
        assert_eq!(
            totp_challenge(1_111_111_109, 30),
            [0, 0, 0, 0, 0x02, 0x35, 0x23, 0xEC]
        );
        assert_eq!(totp_challenge(120, 60), 2u64.to_be_bytes());
        assert_eq!(time_step(5, 0), 5, "a zero period does not divide by zero");
        assert_eq!(Code::totp_window(59, 30), 30..60);
        assert_eq!(Code::totp_window(60, 30), 60..90);
        assert_eq!(Code::totp_window(u64::MAX, 30).end, u64::MAX);
    }

    #[test]
    fn truncates_to_digits_with_zero_padding() {
        // RFC 4226 appendix D, count 0: DBC2 = 0x4c93cf18 = 1284755224.
        let code = Code::from_truncated(6, [0x4c, 0x93, 0xcf, 0x18], None).unwrap();
        assert_eq!(code.value().expose(), "755224");
        let code = Code::from_truncated(8, [0x4c, 0x93, 0xcf, 0x18], None).unwrap();
        assert_eq!(code.value().expose(), "84755224");
        // The top bit is masked off.
        let code = Code::from_truncated(10, [0xFF, 0xFF, 0xFF, 0xFF], None).unwrap();
        assert_eq!(code.value().expose(), "2147483647");
        let code = Code::from_truncated(6, [0, 0, 0, 7], None).unwrap();
        assert_eq!(code.value().expose(), "000007");
        assert_eq!(code.digits(), 6);
        assert!(Code::from_truncated(0, [0; 4], None).is_none());
        assert!(Code::from_truncated(11, [0; 4], None).is_none());
    }

    #[test]
    fn truncates_full_responses() {
        // RFC 4226 §5.4 example: offset 0xA → 0x50ef7f19 → 872921.
        let mac = [
            0x1f, 0x86, 0x98, 0x69, 0x0e, 0x02, 0xca, 0x16, 0x61, 0x85, 0x50, 0xef, 0x7f, 0x19,
            0xda, 0x8e, 0x94, 0x5b, 0x55, 0x5a,
        ];
        let code = Code::from_full_response(6, &mac, None).unwrap();
        assert_eq!(code.value().expose(), "872921");
        assert!(Code::from_full_response(6, &[0x0F], None).is_none());
        assert!(Code::from_full_response(6, &[], None).is_none());
    }

    #[test]
    fn debug_hides_the_digits() {
        let code = Code::from_truncated(6, [0x4c, 0x93, 0xcf, 0x18], Some(30..60)).unwrap();
        let debug = format!("{code:?}");
        assert!(!debug.contains("755224"), "{debug}");
        assert!(debug.contains("30..60"), "{debug}");
    }
}
