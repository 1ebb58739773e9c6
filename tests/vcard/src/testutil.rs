//! Host-side helpers for the unit tests: build APDUs, follow `61xx` chaining, read codes.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use crate::{CardConfig, OathCard, tlv};

pub(crate) const OATH_AID: &[u8] = &crate::oath::AID;

pub(crate) fn card() -> OathCard {
    OathCard::new(CardConfig::default())
}

/// Builds a short APDU (extended when the data does not fit).
pub(crate) fn apdu(ins: u8, p1: u8, p2: u8, data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, ins, p1, p2];
    if data.len() > 255 {
        out.push(0);
        out.extend_from_slice(&(data.len() as u16).to_be_bytes());
    } else if !data.is_empty() {
        out.push(data.len() as u8);
    }
    out.extend_from_slice(data);
    out
}

/// Sends one APDU; returns data and status word.
pub(crate) fn send(card: &mut OathCard, apdu: &[u8]) -> (Vec<u8>, u16) {
    let mut resp = card.execute(apdu);
    assert!(resp.len() >= 2, "response without status word");
    let sw = resp.split_off(resp.len() - 2);
    (resp, u16::from_be_bytes([sw[0], sw[1]]))
}

/// Sends an APDU and fetches the rest with SEND REMAINING (`A5`) while the card says `61xx`.
pub(crate) fn transmit(card: &mut OathCard, apdu: &[u8]) -> (Vec<u8>, u16) {
    let (mut data, mut sw) = send(card, apdu);
    while sw >> 8 == 0x61 {
        let (more, next) = send(card, &[0, 0xA5, 0, 0]);
        data.extend_from_slice(&more);
        sw = next;
    }
    (data, sw)
}

/// SELECTs OATH; returns the answer's TLVs by tag.
pub(crate) fn select(card: &mut OathCard) -> HashMap<u8, Vec<u8>> {
    let (data, sw) = send(card, &apdu(0xA4, 4, 0, OATH_AID));
    assert_eq!(sw, 0x9000);
    tlvs(&data)
}

pub(crate) fn tlvs(data: &[u8]) -> HashMap<u8, Vec<u8>> {
    tlv::parse_all(data)
        .unwrap()
        .into_iter()
        .map(|t| (t.tag, t.value.to_vec()))
        .collect()
}

pub(crate) fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    tlv::push(&mut out, tag, value);
    out
}

/// An account to PUT.
pub(crate) struct Put<'a> {
    pub(crate) name: &'a str,
    /// Type | algorithm, e.g. `0x21` TOTP SHA1.
    pub(crate) kind: u8,
    pub(crate) digits: u8,
    pub(crate) key: &'a [u8],
    pub(crate) touch: bool,
    pub(crate) imf: Option<u32>,
}

impl<'a> Put<'a> {
    pub(crate) fn totp(name: &'a str, key: &'a [u8]) -> Self {
        Put {
            name,
            kind: 0x21,
            digits: 6,
            key,
            touch: false,
            imf: None,
        }
    }

    pub(crate) fn data(&self) -> Vec<u8> {
        let mut data = tlv(0x71, self.name.as_bytes());
        let mut key = vec![self.kind, self.digits];
        key.extend_from_slice(self.key);
        data.extend(tlv(0x73, &key));
        if self.touch {
            data.extend([0x78, 0x02]);
        }
        if let Some(imf) = self.imf {
            data.extend(tlv(0x7A, &imf.to_be_bytes()));
        }
        data
    }

    pub(crate) fn send(&self, card: &mut OathCard) -> u16 {
        send(card, &apdu(0x01, 0, 0, &self.data())).1
    }
}

/// CALCULATE (truncated): the code as the host formats it, or the status word.
pub(crate) fn code(card: &mut OathCard, name: &str, challenge: &[u8]) -> Result<String, u16> {
    let mut data = tlv(0x71, name.as_bytes());
    data.extend(tlv(0x74, challenge));
    let (resp, sw) = transmit(card, &apdu(0xA2, 0, 1, &data));
    if sw != 0x9000 {
        return Err(sw);
    }
    let value = tlvs(&resp).remove(&0x76).unwrap();
    Ok(format_code(&value))
}

/// `digits || 4 bytes` → the zero-padded code.
pub(crate) fn format_code(value: &[u8]) -> String {
    let digits = u32::from(value[0]);
    let number = u32::from_be_bytes(value[1..5].try_into().unwrap()) & 0x7FFF_FFFF;
    format!(
        "{:0width$}",
        number % 10u32.pow(digits),
        width = digits as usize
    )
}

pub(crate) fn time_challenge(unix: u64, period: u64) -> [u8; 8] {
    (unix / period).to_be_bytes()
}
