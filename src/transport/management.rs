//! What a YubiKey says about itself: serial number and firmware version, from the Management
//! application (READ CONFIG), falling back to the OTP application's serial read on older keys.
//!
//! Cards that have neither (another vendor's card, a key with the serial hidden) give a
//! [`DeviceInfo`] with unknown fields rather than an error; only transport failures are errors.

use super::apdu::{self, Command, INS_GET_RESPONSE};
use super::tlv::{self, TlvError};
use super::{Transport, TransportError, Version};

/// AID of the YubiKey Management application.
pub const MANAGEMENT_AID: [u8; 8] = [0xA0, 0x00, 0x00, 0x05, 0x27, 0x47, 0x11, 0x17];
/// AID of the YubiKey OTP application.
pub const OTP_AID: [u8; 7] = [0xA0, 0x00, 0x00, 0x05, 0x27, 0x20, 0x01];

const INS_SELECT: u8 = 0xA4;
const INS_READ_CONFIG: u8 = 0x1D;
const INS_OTP_CONFIG: u8 = 0x01;
const SLOT_DEVICE_SERIAL: u8 = 0x10;

const TAG_SERIAL: u8 = 0x02;
const TAG_VERSION: u8 = 0x05;
const TAG_MORE_DATA: u8 = 0x10;

/// READ CONFIG pages to read at most, against a card that always says there is more.
const MAX_PAGES: u8 = 8;
/// READ CONFIG exists from firmware 4.1.0.
const READ_CONFIG_SINCE: Version = Version::new(4, 1, 0);

/// A YubiKey's serial number and firmware version, where the card tells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeviceInfo {
    /// The serial number, when the key exposes it.
    pub serial: Option<u32>,
    /// The firmware version.
    pub firmware: Option<Version>,
}

/// One page of the Management application's READ CONFIG answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConfigPage {
    /// Tag `02`.
    pub serial: Option<u32>,
    /// Tag `05`.
    pub firmware: Option<Version>,
    /// Tag `10`: another page follows.
    pub more: bool,
}

/// Parses a READ CONFIG answer: a length byte, then that many bytes of TLV.
pub fn parse_config_page(data: &[u8]) -> Result<ConfigPage, TlvError> {
    let (&length, body) = data.split_first().ok_or(TlvError {
        offset: 0,
        reason: "empty device info",
    })?;
    if usize::from(length) != body.len() {
        return Err(TlvError {
            offset: 0,
            reason: "device info length does not match its data",
        });
    }
    let mut page = ConfigPage::default();
    for element in tlv::Parser::new(body) {
        let element = element?;
        match element.tag {
            TAG_SERIAL => page.serial = parse_serial(element.value),
            TAG_VERSION => page.firmware = Version::from_bytes(element.value),
            TAG_MORE_DATA => page.more = element.value.iter().any(|&byte| byte != 0),
            _ => {}
        }
    }
    Ok(page)
}

/// A big-endian serial of up to four bytes; zero means "not exposed".
pub fn parse_serial(bytes: &[u8]) -> Option<u32> {
    if bytes.is_empty() || bytes.len() > 4 {
        return None;
    }
    let serial = bytes
        .iter()
        .fold(0u32, |serial, &byte| (serial << 8) | u32::from(byte));
    (serial != 0).then_some(serial)
}

/// Reads the serial and firmware version of the card behind `transport`.
///
/// Selects the Management application (its answer is the firmware version as text), reads
/// its device info pages from firmware 4.1.0 on, and if the serial is still unknown asks the
/// OTP application. Leaves whichever of those applications selected.
pub fn read_device_info<T: Transport + ?Sized>(
    transport: &mut T,
) -> Result<DeviceInfo, TransportError> {
    let mut info = DeviceInfo::default();
    let select = Command::new(0, INS_SELECT, 0x04, 0x00).with_data(&MANAGEMENT_AID);
    let selected = apdu::transmit(transport, &select, INS_GET_RESPONSE)?;
    if selected.sw().is_ok() {
        info.firmware = Version::find_in_text(&String::from_utf8_lossy(selected.data()));
        if info
            .firmware
            .is_none_or(|version| version >= READ_CONFIG_SINCE)
        {
            read_config(transport, &mut info)?;
        }
    }
    if info.serial.is_none() {
        read_otp_serial(transport, &mut info)?;
    }
    Ok(info)
}

fn read_config<T: Transport + ?Sized>(
    transport: &mut T,
    info: &mut DeviceInfo,
) -> Result<(), TransportError> {
    for page in 0..MAX_PAGES {
        let command = Command::new(0, INS_READ_CONFIG, page, 0);
        let response = apdu::transmit(transport, &command, INS_GET_RESPONSE)?;
        if !response.sw().is_ok() {
            return Ok(());
        }
        let Ok(parsed) = parse_config_page(response.data()) else {
            return Ok(());
        };
        info.serial = parsed.serial.or(info.serial);
        info.firmware = parsed.firmware.or(info.firmware);
        if !parsed.more {
            break;
        }
    }
    Ok(())
}

fn read_otp_serial<T: Transport + ?Sized>(
    transport: &mut T,
    info: &mut DeviceInfo,
) -> Result<(), TransportError> {
    let select = Command::new(0, INS_SELECT, 0x04, 0x00).with_data(&OTP_AID);
    let selected = apdu::transmit(transport, &select, INS_GET_RESPONSE)?;
    if !selected.sw().is_ok() {
        return Ok(());
    }
    // The OTP status starts with the firmware version.
    if info.firmware.is_none() {
        info.firmware = Version::from_bytes(selected.data());
    }
    let command = Command::new(0, INS_OTP_CONFIG, SLOT_DEVICE_SERIAL, 0);
    let response = apdu::transmit(transport, &command, INS_GET_RESPONSE)?;
    if response.sw().is_ok() && response.data().len() == 4 {
        info.serial = parse_serial(response.data());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::transport::ScriptedTransport;

    #[test]
    fn reads_serial_and_version_from_the_management_application() {
        let mut card =
            ScriptedTransport::from_trace(include_str!("../../tests/traces/device_info.trace"))
                .unwrap();
        let info = read_device_info(&mut card).unwrap();
        assert_eq!(info.serial, Some(12_345_678));
        assert_eq!(info.firmware, Some(Version::new(5, 4, 3)));
        card.assert_finished();
    }

    #[test]
    fn falls_back_to_the_otp_serial() {
        let mut card = ScriptedTransport::from_trace(include_str!(
            "../../tests/traces/device_info_otp_fallback.trace"
        ))
        .unwrap();
        let info = read_device_info(&mut card).unwrap();
        assert_eq!(info.serial, Some(7_654_321));
        assert_eq!(info.firmware, Some(Version::new(4, 2, 6)));
        card.assert_finished();
    }

    #[test]
    fn a_card_without_yubikey_applications_is_unknown_not_an_error() {
        let mut card = ScriptedTransport::from_trace(
            "> 00 A4 04 00 08 A0 00 00 05 27 47 11 17\n< 6A 82\n\
             > 00 A4 04 00 07 A0 00 00 05 27 20 01\n< 6A 82\n",
        )
        .unwrap();
        assert_eq!(read_device_info(&mut card).unwrap(), DeviceInfo::default());
        card.assert_finished();
    }

    #[test]
    fn follows_more_data_pages() {
        let mut card = ScriptedTransport::from_trace(
            "> 00 A4 04 00 08 A0 00 00 05 27 47 11 17\n< 35 2E 37 2E 31 90 00\n\
             > 00 1D 00 00 00\n< 08 05 03 05 07 01 10 01 01 90 00\n\
             > 00 1D 01 00 00\n< 06 02 04 00 00 30 39 90 00\n",
        )
        .unwrap();
        let info = read_device_info(&mut card).unwrap();
        assert_eq!(info.serial, Some(12345));
        assert_eq!(info.firmware, Some(Version::new(5, 7, 1)));
        card.assert_finished();
    }

    #[test]
    fn parses_config_pages_defensively() {
        let page = parse_config_page(&[8, 2, 4, 0, 0xBC, 0x61, 0x4E, 0xFF]).unwrap_err();
        assert_eq!(page.reason, "device info length does not match its data");
        assert!(parse_config_page(&[]).is_err());
        assert!(parse_config_page(&[2, 2, 9]).is_err());
        let page = parse_config_page(&[6, 2, 4, 0, 0, 0, 0]).unwrap();
        assert_eq!(page.serial, None, "serial zero means hidden");
        assert_eq!(parse_serial(&[1, 2, 3, 4, 5]), None);
        assert_eq!(parse_serial(&[0x01, 0x00]), Some(256));
    }
}
