//! Finding YubiKeys: which readers hold a card, the serial and firmware of each, and choosing
//! one by serial, by reader name, or because it is the only one.
//!
//! Choosing is lazy: with one card and no serial asked for, nothing is sent to the card (a code
//! for a known account stays at SELECT + CALCULATE). With several cards and no choice the
//! answer is [`TransportError::SeveralDevices`] with the list; asking the user is the CLI's call.

use std::fmt;

use super::management::{self, DeviceInfo};
use super::pcsc::match_readers;
use super::{PcscContext, TransportError, Version};

/// A card in a reader, with what is known about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// The reader's name (for a YubiKey over USB, the key itself).
    pub reader: String,
    /// The serial number: `None` when the key hides it, the card has none, or it was not read.
    pub serial: Option<u32>,
    /// The firmware version, when known.
    pub firmware: Option<Version>,
}

impl Device {
    fn unread(reader: &str) -> Self {
        Self {
            reader: reader.to_owned(),
            serial: None,
            firmware: None,
        }
    }

    fn with_info(reader: &str, info: DeviceInfo) -> Self {
        Self {
            reader: reader.to_owned(),
            serial: info.serial,
            firmware: info.firmware,
        }
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` (serial ", self.reader)?;
        match self.serial {
            Some(serial) => write!(f, "{serial}")?,
            None => f.write_str("unknown")?,
        }
        if let Some(firmware) = self.firmware {
            write!(f, ", firmware {firmware}")?;
        }
        f.write_str(")")
    }
}

/// Which device the user asked for (`--serial`, `--reader`, or their configuration keys).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceQuery {
    /// Only the key with this serial number.
    pub serial: Option<u32>,
    /// Only readers whose name contains this text (case-insensitive; an exact name wins).
    pub reader: Option<String>,
}

/// Every reader, and a [`Device`] for each one holding a card (serial and firmware read).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// The names of all readers, with or without a card.
    pub readers: Vec<String>,
    /// The readers that hold a card, in the same order.
    pub devices: Vec<Device>,
}

/// Lists the readers and reads serial and firmware from each card (for `mfa devices`).
///
/// A card that fails while being read (removed, busy) is listed with unknown fields.
pub fn scan(context: &PcscContext) -> Result<Scan, TransportError> {
    let readers = context.readers()?;
    let present = context.card_present(&readers)?;
    let mut devices = Vec::new();
    for (reader, _) in readers
        .iter()
        .zip(&present)
        .filter(|(_, present)| **present)
    {
        devices.push(read_or_unknown(context, reader)?);
    }
    Ok(Scan { readers, devices })
}

/// Connects to the card in `reader` and reads its serial and firmware.
pub fn read_device(context: &PcscContext, reader: &str) -> Result<Device, TransportError> {
    let mut card = context.connect(reader)?;
    let mut transaction = card.transaction()?;
    let info = management::read_device_info(&mut transaction)?;
    Ok(Device::with_info(reader, info))
}

/// Chooses the device `query` asks for, reading serials only when needed.
pub fn choose(context: &PcscContext, query: &DeviceQuery) -> Result<Device, TransportError> {
    let readers = context.readers()?;
    let present = context.card_present(&readers)?;
    choose_among(&readers, &present, query, |reader| {
        read_or_unknown(context, reader)
    })
}

/// Reads a device, turning card-level failures into unknown fields; service failures stay
/// errors.
fn read_or_unknown(context: &PcscContext, reader: &str) -> Result<Device, TransportError> {
    match read_device(context, reader) {
        Ok(device) => Ok(device),
        Err(error @ (TransportError::ServiceUnavailable { .. } | TransportError::AccessDenied)) => {
            Err(error)
        }
        Err(_) => Ok(Device::unread(reader)),
    }
}

/// The choice itself, over reader names, card presence and a way to read a device (so it is
/// testable without PC/SC).
pub fn choose_among(
    readers: &[String],
    present: &[bool],
    query: &DeviceQuery,
    mut read: impl FnMut(&str) -> Result<Device, TransportError>,
) -> Result<Device, TransportError> {
    if readers.is_empty() {
        return Err(TransportError::NoReaders);
    }
    let with_card: Vec<&String> = readers
        .iter()
        .zip(present.iter().chain(std::iter::repeat(&false)))
        .filter(|(_, present)| **present)
        .map(|(reader, _)| reader)
        .collect();

    let candidates: Vec<&String> = match &query.reader {
        Some(wanted) => {
            let matched = match_readers(readers, wanted);
            if matched.is_empty() {
                return Err(TransportError::ReaderNotFound {
                    query: wanted.clone(),
                    available: readers.to_vec(),
                });
            }
            let candidates: Vec<&String> = with_card
                .iter()
                .copied()
                .filter(|reader| matched.contains(reader))
                .collect();
            if candidates.is_empty() {
                return Err(match <[String; 1]>::try_from(matched) {
                    Ok([reader]) => TransportError::NoCard { reader },
                    Err(matched) => TransportError::NoDevice { readers: matched },
                });
            }
            candidates
        }
        None => with_card,
    };
    if candidates.is_empty() {
        return Err(TransportError::NoDevice {
            readers: readers.to_vec(),
        });
    }

    if let Some(serial) = query.serial {
        let mut found = Vec::with_capacity(candidates.len());
        for reader in candidates {
            let device = read(reader)?;
            if device.serial == Some(serial) {
                return Ok(device);
            }
            found.push(device);
        }
        return Err(TransportError::SerialNotFound { serial, found });
    }
    if let [only] = candidates.as_slice() {
        return Ok(Device::unread(only));
    }
    let devices = candidates
        .into_iter()
        .map(|reader| read(reader))
        .collect::<Result<Vec<_>, _>>()?;
    Err(TransportError::SeveralDevices { devices })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn readers() -> Vec<String> {
        vec![
            "Virtual PCD 00 00".into(),
            "Virtual PCD 00 01".into(),
            "Yubico YubiKey OTP+FIDO+CCID 00 00".into(),
        ]
    }

    /// Reads serials from a table, counting the reads.
    fn table<'a>(reads: &'a mut usize) -> impl FnMut(&str) -> Result<Device, TransportError> + 'a {
        move |reader| {
            *reads += 1;
            let serial = match reader {
                "Virtual PCD 00 00" => Some(100),
                "Virtual PCD 00 01" => None,
                _ => Some(300),
            };
            Ok(Device {
                reader: reader.to_owned(),
                serial,
                firmware: Some(Version::new(5, 4, 3)),
            })
        }
    }

    #[test]
    fn the_only_card_is_chosen_without_reading_it() {
        let mut reads = 0;
        let device = choose_among(
            &readers(),
            &[true, false, false],
            &DeviceQuery::default(),
            table(&mut reads),
        )
        .unwrap();
        assert_eq!(device.reader, "Virtual PCD 00 00");
        assert_eq!(device.serial, None);
        assert_eq!(reads, 0);
    }

    #[test]
    fn several_cards_without_a_choice_list_them() {
        let mut reads = 0;
        let error = choose_among(
            &readers(),
            &[true, true, true],
            &DeviceQuery::default(),
            table(&mut reads),
        )
        .unwrap_err();
        let TransportError::SeveralDevices { devices } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(devices.len(), 3);
        assert_eq!(devices[2].serial, Some(300));
        assert!(
            error
                .to_string()
                .contains("`Virtual PCD 00 01` (serial unknown, firmware 5.4.3)")
        );
        assert!(error.to_string().contains("(serial 300, firmware 5.4.3)"));
    }

    #[test]
    fn chooses_by_serial() {
        let mut reads = 0;
        let query = DeviceQuery {
            serial: Some(300),
            reader: None,
        };
        let device =
            choose_among(&readers(), &[true, true, true], &query, table(&mut reads)).unwrap();
        assert_eq!(device.reader, "Yubico YubiKey OTP+FIDO+CCID 00 00");
        let query = DeviceQuery {
            serial: Some(999),
            reader: None,
        };
        let error =
            choose_among(&readers(), &[true, false, true], &query, table(&mut reads)).unwrap_err();
        assert!(
            matches!(&error, TransportError::SerialNotFound { serial: 999, found } if found.len() == 2),
            "{error:?}"
        );
    }

    #[test]
    fn chooses_by_reader_substring() {
        let mut reads = 0;
        let query = DeviceQuery {
            serial: None,
            reader: Some("yubikey".into()),
        };
        let device =
            choose_among(&readers(), &[true, true, true], &query, table(&mut reads)).unwrap();
        assert_eq!(device.reader, "Yubico YubiKey OTP+FIDO+CCID 00 00");
        assert_eq!(reads, 0);
        // A substring matching two readers, only one of which holds a card.
        let query = DeviceQuery {
            serial: None,
            reader: Some("Virtual".into()),
        };
        let device =
            choose_among(&readers(), &[false, true, true], &query, table(&mut reads)).unwrap();
        assert_eq!(device.reader, "Virtual PCD 00 01");
    }

    #[test]
    fn explains_what_is_missing() {
        let mut reads = 0;
        let none = DeviceQuery::default();
        assert!(matches!(
            choose_among(&[], &[], &none, table(&mut reads)),
            Err(TransportError::NoReaders)
        ));
        assert!(matches!(
            choose_among(&readers(), &[false, false, false], &none, table(&mut reads)),
            Err(TransportError::NoDevice { readers }) if readers.len() == 3
        ));
        let query = DeviceQuery {
            serial: None,
            reader: Some("Nano".into()),
        };
        assert!(matches!(
            choose_among(&readers(), &[true, true, true], &query, table(&mut reads)),
            Err(TransportError::ReaderNotFound { query, available }) if query == "Nano" && available.len() == 3
        ));
        let query = DeviceQuery {
            serial: None,
            reader: Some("Virtual PCD 00 01".into()),
        };
        assert!(matches!(
            choose_among(&readers(), &[true, false, true], &query, table(&mut reads)),
            Err(TransportError::NoCard { reader }) if reader == "Virtual PCD 00 01"
        ));
        assert_eq!(reads, 0);
    }
}
