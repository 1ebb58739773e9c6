//! BER-TLV with one-byte tags, as YubiKey applications use it.
//!
//! Lengths are one byte below `0x80`, else `81 xx` or `82 xx xx`. Parsing never panics:
//! truncated or malformed input gives `None`.

/// One tag-length-value element borrowed from a buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tlv<'a> {
    pub(crate) tag: u8,
    pub(crate) value: &'a [u8],
}

/// Reads one TLV from the front of `data`; returns it and the bytes after it.
pub(crate) fn parse_one(data: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let (&tag, rest) = data.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = match first {
        0..=0x7F => (usize::from(first), rest),
        0x81 => {
            let (&len, rest) = rest.split_first()?;
            (usize::from(len), rest)
        }
        0x82 => {
            let (len, rest) = rest.split_at_checked(2)?;
            (usize::from(u16::from_be_bytes([len[0], len[1]])), rest)
        }
        _ => return None,
    };
    let (value, rest) = rest.split_at_checked(len)?;
    Some((Tlv { tag, value }, rest))
}

/// Reads `data` as a sequence of TLVs; `None` if any element is malformed.
#[cfg(test)]
pub(crate) fn parse_all(mut data: &[u8]) -> Option<Vec<Tlv<'_>>> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let (tlv, rest) = parse_one(data)?;
        out.push(tlv);
        data = rest;
    }
    Some(out)
}

/// Reads one TLV that must carry `tag`.
pub(crate) fn expect(data: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (tlv, rest) = parse_one(data)?;
    (tlv.tag == tag).then_some((tlv.value, rest))
}

/// Appends `tag`, the encoded length and `value` to `out`.
pub(crate) fn push(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    out.push(tag);
    match value.len() {
        len @ 0..=0x7F => out.push(len as u8),
        len @ 0x80..=0xFF => out.extend_from_slice(&[0x81, len as u8]),
        len => {
            let len = u16::try_from(len).unwrap_or(u16::MAX);
            out.push(0x82);
            out.extend_from_slice(&len.to_be_bytes());
        }
    }
    out.extend_from_slice(value);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trips_all_length_forms() {
        for len in [0usize, 1, 0x7F, 0x80, 0xFF, 0x100, 0x1234] {
            let value = vec![0xAB; len];
            let mut buf = Vec::new();
            push(&mut buf, 0x71, &value);
            push(&mut buf, 0x74, &[1, 2]);
            let tlvs = parse_all(&buf).unwrap();
            assert_eq!(tlvs.len(), 2);
            assert_eq!(tlvs[0].tag, 0x71);
            assert_eq!(tlvs[0].value, value.as_slice());
            assert_eq!(tlvs[1].value, [1, 2]);
        }
    }

    #[test]
    fn rejects_truncated_input() {
        assert!(parse_one(&[]).is_none());
        assert!(parse_one(&[0x71]).is_none());
        assert!(parse_one(&[0x71, 3, 1, 2]).is_none());
        assert!(parse_one(&[0x71, 0x81]).is_none());
        assert!(parse_one(&[0x71, 0x82, 1]).is_none());
        assert!(parse_one(&[0x71, 0x83, 0, 0, 1]).is_none());
        assert!(parse_all(&[0x71, 0, 0x72]).is_none());
        assert_eq!(expect(&[0x71, 1, 9], 0x72), None);
        assert_eq!(
            expect(&[0x71, 1, 9, 5], 0x71),
            Some((&[9u8][..], &[5u8][..]))
        );
    }
}
