//! Enough of the YubiKey Management application (AID `A0 00 00 05 27 47 11 17`) for
//! `ykman info` and ykman's device discovery.
//!
//! SELECT answers the firmware version as ASCII text (`5.4.3`); READ CONFIG (`INS 1D`)
//! answers the device-info TLVs of a YubiKey 5 NFC (USB-A keychain) with the configured
//! serial and version. Writing the configuration is not supported.

use crate::CardConfig;
use crate::apdu::{Command, Reply, Sw};
use crate::tlv;

pub(crate) const AID: [u8; 8] = [0xA0, 0x00, 0x00, 0x05, 0x27, 0x47, 0x11, 0x17];

const INS_READ_CONFIG: u8 = 0x1D;

const TAG_USB_SUPPORTED: u8 = 0x01;
const TAG_SERIAL: u8 = 0x02;
const TAG_USB_ENABLED: u8 = 0x03;
const TAG_FORM_FACTOR: u8 = 0x04;
const TAG_VERSION: u8 = 0x05;
const TAG_AUTO_EJECT_TIMEOUT: u8 = 0x06;
const TAG_CHALRESP_TIMEOUT: u8 = 0x07;
const TAG_DEVICE_FLAGS: u8 = 0x08;
const TAG_CONFIG_LOCK: u8 = 0x0A;
const TAG_NFC_SUPPORTED: u8 = 0x0D;
const TAG_NFC_ENABLED: u8 = 0x0E;

/// OTP | U2F | OpenPGP | PIV | OATH | FIDO2, as on a YubiKey 5 NFC.
const CAPABILITIES: [u8; 2] = 0x023Bu16.to_be_bytes();
const FORM_FACTOR_USB_A_KEYCHAIN: u8 = 0x01;

/// The SELECT answer: the version as text.
pub(crate) fn select(config: &CardConfig) -> Vec<u8> {
    let [major, minor, patch] = config.version;
    format!("{major}.{minor}.{patch}").into_bytes()
}

pub(crate) fn handle(cmd: &Command, config: &CardConfig) -> Reply {
    match cmd.ins {
        // P1 is the page of device info (firmware 5.6+ has several); all fits on page 0.
        INS_READ_CONFIG if cmd.p1 == 0 => Ok(device_info(config)),
        INS_READ_CONFIG => Ok(vec![0]),
        _ => Err(Sw::INS_NOT_SUPPORTED),
    }
}

/// `length || TLVs`, the READ CONFIG answer.
fn device_info(config: &CardConfig) -> Vec<u8> {
    let mut tlvs = Vec::new();
    tlv::push(&mut tlvs, TAG_USB_SUPPORTED, &CAPABILITIES);
    tlv::push(&mut tlvs, TAG_SERIAL, &config.serial.to_be_bytes());
    tlv::push(&mut tlvs, TAG_USB_ENABLED, &CAPABILITIES);
    tlv::push(&mut tlvs, TAG_FORM_FACTOR, &[FORM_FACTOR_USB_A_KEYCHAIN]);
    tlv::push(&mut tlvs, TAG_VERSION, &config.version);
    tlv::push(&mut tlvs, TAG_AUTO_EJECT_TIMEOUT, &[0, 0]);
    tlv::push(&mut tlvs, TAG_CHALRESP_TIMEOUT, &[15]);
    tlv::push(&mut tlvs, TAG_DEVICE_FLAGS, &[0]);
    tlv::push(&mut tlvs, TAG_CONFIG_LOCK, &[0]);
    tlv::push(&mut tlvs, TAG_NFC_SUPPORTED, &CAPABILITIES);
    tlv::push(&mut tlvs, TAG_NFC_ENABLED, &CAPABILITIES);
    let mut out = vec![tlvs.len() as u8];
    out.extend_from_slice(&tlvs);
    out
}
