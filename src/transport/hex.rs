//! Hex as trace files write it: uppercase bytes separated by spaces (`00 A4 04 00`).
//!
//! Used by the APDU trace ([`super::trace`]) to write exchanges and by the scripted transport
//! ([`super::scripted`]) to read and show them.

use std::fmt::Write as _;

/// Uppercase hex with a space between bytes, as in trace files.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (index, byte) in bytes.iter().enumerate() {
        if index > 0 {
            out.push(' ');
        }
        let _ = write!(out, "{byte:02X}");
    }
    out
}

/// Parses hex digits, ignoring whitespace.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| {
            c.to_digit(16)
                .map(|d| d as u8)
                .ok_or_else(|| format!("`{c}` is not a hex digit"))
        })
        .collect::<Result<_, _>>()?;
    if !digits.len().is_multiple_of(2) {
        return Err("odd number of hex digits".into());
    }
    Ok(digits
        .chunks(2)
        .map(|pair| pair[0] << 4 | pair[1])
        .collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn hex_round_trips() {
        assert_eq!(hex(&[0, 0xAB, 0x10]), "00 AB 10");
        assert_eq!(parse_hex(" 00ab\t10 ").unwrap(), vec![0, 0xAB, 0x10]);
    }
}
