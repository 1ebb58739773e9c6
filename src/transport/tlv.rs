//! BER-TLV as YubiKey applications use it: one-byte tags, lengths in short form (`< 80`) or
//! long form (`81 xx`, `82 xx xx`, …).
//!
//! The reader never panics and never reads past its input: every malformed header is a
//! [`TlvError`] with the offset where it starts. "Bare" tags cover one YKOATH quirk: PUT writes
//! the PROPERTY tag as `78 02` — a tag followed directly by a one-byte value, with no length.

use std::fmt;

/// Longest header [`encode_header`] writes: a tag, `84`, and four length bytes.
pub const MAX_HEADER: usize = 6;

/// One tag and its value, borrowed from the parsed buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The tag byte.
    pub tag: u8,
    /// The value bytes.
    pub value: &'a [u8],
}

/// A malformed TLV: what was wrong and at which offset the element starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlvError {
    /// Offset of the element's tag in the input.
    pub offset: usize,
    /// What was wrong.
    pub reason: &'static str,
}

impl fmt::Display for TlvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at offset {}", self.reason, self.offset)
    }
}

impl std::error::Error for TlvError {}

/// Iterates over the TLVs of a buffer; yields at most one error, then stops.
#[derive(Debug, Clone)]
pub struct Parser<'a> {
    data: &'a [u8],
    offset: usize,
    bare: &'a [u8],
    failed: bool,
}

impl<'a> Parser<'a> {
    /// A parser over `data` with no bare tags.
    pub fn new(data: &'a [u8]) -> Self {
        Self {
            data,
            offset: 0,
            bare: &[],
            failed: false,
        }
    }

    /// Treats each tag in `tags` as bare: followed by exactly one value byte and no length.
    pub fn with_bare_tags(mut self, tags: &'a [u8]) -> Self {
        self.bare = tags;
        self
    }

    fn next_element(&mut self) -> Result<Tlv<'a>, TlvError> {
        let start = self.offset;
        let error = |reason| TlvError {
            offset: start,
            reason,
        };
        let rest = &self.data[start..];
        let (&tag, rest) = rest.split_first().ok_or(error("missing tag"))?;
        if self.bare.contains(&tag) {
            let value = rest
                .get(..1)
                .ok_or(error("bare tag without its value byte"))?;
            self.offset = start + 2;
            return Ok(Tlv { tag, value });
        }
        let (&first, rest) = rest.split_first().ok_or(error("missing length"))?;
        let (length, rest) = match first {
            0x00..=0x7F => (usize::from(first), rest),
            0x81..=0x84 => {
                let count = usize::from(first - 0x80);
                let bytes = rest.get(..count).ok_or(error("truncated length"))?;
                let length = bytes
                    .iter()
                    .fold(0usize, |length, &byte| (length << 8) | usize::from(byte));
                (length, &rest[count..])
            }
            0x80 => return Err(error("indefinite length")),
            _ => return Err(error("length of more than four bytes")),
        };
        let value = rest
            .get(..length)
            .ok_or(error("value longer than the data"))?;
        self.offset = self.data.len() - rest.len() + length;
        Ok(Tlv { tag, value })
    }
}

impl<'a> Iterator for Parser<'a> {
    type Item = Result<Tlv<'a>, TlvError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.offset >= self.data.len() {
            return None;
        }
        let element = self.next_element();
        self.failed = element.is_err();
        Some(element)
    }
}

impl std::iter::FusedIterator for Parser<'_> {}

/// Parses the whole buffer; any malformed element is an error.
pub fn parse_all(data: &[u8]) -> Result<Vec<Tlv<'_>>, TlvError> {
    Parser::new(data).collect()
}

/// The value of the first element with `tag`, parsing the whole buffer strictly.
pub fn find(data: &[u8], tag: u8) -> Result<Option<&[u8]>, TlvError> {
    for element in Parser::new(data) {
        let element = element?;
        if element.tag == tag {
            return Ok(Some(element.value));
        }
    }
    Ok(None)
}

/// Writes the header for a value of `length` bytes into `out`; returns the header's size.
pub fn encode_header(tag: u8, length: usize, out: &mut [u8; MAX_HEADER]) -> usize {
    out[0] = tag;
    if length < 0x80 {
        out[1] = length as u8; // < 0x80: fits
        return 2;
    }
    let bytes = u32::try_from(length).unwrap_or(u32::MAX).to_be_bytes();
    let skip = bytes.iter().take_while(|&&byte| byte == 0).count();
    let count = bytes.len() - skip;
    out[1] = 0x80 | count as u8; // count <= 4
    out[2..2 + count].copy_from_slice(&bytes[skip..]);
    2 + count
}

/// Appends a TLV to `out` (for buffers that hold no secret; commands use
/// [`super::Command::push_tlv`]).
pub fn encode_into(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    let mut header = [0u8; MAX_HEADER];
    let size = encode_header(tag, value.len(), &mut header);
    out.extend_from_slice(&header[..size]);
    out.extend_from_slice(value);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn encoded(tag: u8, value: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        encode_into(&mut out, tag, value);
        out
    }

    #[test]
    fn round_trips_short_and_long_lengths() {
        for length in [0usize, 1, 0x7F, 0x80, 0xFF, 0x100, 0x1234] {
            let value = vec![0xAB; length];
            let bytes = encoded(0x71, &value);
            let expected_header = match length {
                0..=0x7F => 2,
                0x80..=0xFF => 3,
                _ => 4,
            };
            assert_eq!(bytes.len(), expected_header + length);
            let parsed = parse_all(&bytes).unwrap();
            assert_eq!(
                parsed,
                vec![Tlv {
                    tag: 0x71,
                    value: &value
                }]
            );
        }
    }

    #[test]
    fn parses_sequences_and_finds_tags() {
        let data = [0x79, 3, 5, 4, 3, 0x71, 2, 0xAA, 0xBB, 0x74, 0];
        let parsed = parse_all(&data).unwrap();
        assert_eq!(parsed.len(), 3);
        assert_eq!(
            parsed[2],
            Tlv {
                tag: 0x74,
                value: &[]
            }
        );
        assert_eq!(find(&data, 0x71).unwrap(), Some(&[0xAA, 0xBB][..]));
        assert_eq!(find(&data, 0x7B).unwrap(), None);
        assert_eq!(parse_all(&[]).unwrap(), vec![]);
    }

    #[test]
    fn reports_malformed_input_with_its_offset() {
        let cases: &[(&[u8], usize, &str)] = &[
            (&[0x71], 0, "missing length"),
            (&[0x71, 3, 1, 2], 0, "value longer than the data"),
            (&[0x71, 0, 0x72, 0x81], 2, "truncated length"),
            (&[0x71, 0x80, 0, 0], 0, "indefinite length"),
            (
                &[0x71, 0x85, 0, 0, 0, 0, 1],
                0,
                "length of more than four bytes",
            ),
            (
                &[0x71, 0x84, 0xFF, 0xFF, 0xFF, 0xFF],
                0,
                "value longer than the data",
            ),
        ];
        for (data, offset, reason) in cases {
            let error = parse_all(data).unwrap_err();
            assert_eq!(
                (error.offset, error.reason),
                (*offset, *reason),
                "{data:02X?}"
            );
        }
    }

    #[test]
    fn stops_after_the_first_error() {
        let mut parser = Parser::new(&[0x71, 5, 1]);
        assert!(parser.next().unwrap().is_err());
        assert!(parser.next().is_none());
    }

    #[test]
    fn bare_property_tag_has_no_length() {
        // PUT data: name, key, then the bare `78 02` (require touch), then IMF.
        let data = [
            0x71, 1, b'a', 0x73, 3, 0x21, 6, 0xFF, 0x78, 0x02, 0x7A, 4, 0, 0, 0, 9,
        ];
        let parsed: Vec<_> = Parser::new(&data)
            .with_bare_tags(&[0x78])
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            parsed[2],
            Tlv {
                tag: 0x78,
                value: &[0x02]
            }
        );
        assert_eq!(parsed[3].value, &[0, 0, 0, 9]);
        // Read without the quirk, `78 02` swallows the next two bytes as its value, and the
        // rest no longer parses.
        let plain: Vec<_> = Parser::new(&data)
            .take(3)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            plain[2],
            Tlv {
                tag: 0x78,
                value: &[0x7A, 4]
            }
        );
        assert!(parse_all(&data).is_err());
        // A bare tag at the very end, missing its value byte.
        let error = Parser::new(&[0x78])
            .with_bare_tags(&[0x78])
            .next()
            .unwrap()
            .unwrap_err();
        assert_eq!(error.reason, "bare tag without its value byte");
    }

    #[test]
    fn never_panics_on_any_short_input() {
        // Exhaustive over all inputs of up to two bytes, and a sweep of three-byte inputs.
        for a in 0..=255u8 {
            let _ = parse_all(&[a]);
            for b in 0..=255u8 {
                let _ = parse_all(&[a, b]);
                let _ = Parser::new(&[a, b]).with_bare_tags(&[0x78]).count();
                let _ = parse_all(&[a, b, a ^ b]);
            }
        }
    }
}
