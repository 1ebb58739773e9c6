//! [`TransportError`]: everything that can go wrong between the host and a card, structured so
//! that the CLI can name the fix.

use super::devices::Device;

/// A failure of the transport layer: the PC/SC service, a reader, a card, or the choice of a
/// device.
///
/// Each variant carries what a message needs (reader names, the list of devices); the advice
/// itself ("start pcscd", "insert your YubiKey") is the CLI's.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The PC/SC service is not reachable: pcscd is not running, stopped while in use, or its
    /// socket is missing.
    #[error("the PC/SC service is not available ({detail})")]
    ServiceUnavailable {
        /// What PC/SC said.
        detail: String,
    },

    /// The PC/SC service denied access (polkit or permissions).
    #[error("access to the PC/SC service was denied")]
    AccessDenied,

    /// No smart card reader is connected (a YubiKey is a reader).
    #[error("no smart card reader found")]
    NoReaders,

    /// No reader name contains the requested text.
    #[error("no reader matches `{query}` (readers: {})", list_or_none(available))]
    ReaderNotFound {
        /// The text that was looked for.
        query: String,
        /// The names of the readers that exist.
        available: Vec<String>,
    },

    /// The reader exists but holds no card.
    #[error("no card in reader `{reader}`")]
    NoCard {
        /// The reader's name.
        reader: String,
    },

    /// The card was removed (or the key unplugged) during the operation.
    #[error("the card in `{reader}` was removed during the operation")]
    CardRemoved {
        /// The reader's name.
        reader: String,
    },

    /// The card was reset by another program during the operation.
    #[error("the card in `{reader}` was reset by another program during the operation")]
    CardReset {
        /// The reader's name.
        reader: String,
    },

    /// Another program holds the card exclusively, and kept it past the retries.
    #[error("the card in `{reader}` is in use by another program")]
    ReaderBusy {
        /// The reader's name.
        reader: String,
    },

    /// The reader or the card did not answer in time.
    #[error("the card in `{reader}` did not answer in time")]
    Timeout {
        /// The reader's name.
        reader: String,
    },

    /// The card does not answer, or answers something that is not a smart card response.
    #[error("the card in `{reader}` does not respond")]
    CardUnresponsive {
        /// The reader's name.
        reader: String,
    },

    /// No reader holds a card.
    #[error("no YubiKey found (readers: {})", list_or_none(readers))]
    NoDevice {
        /// The readers that exist, all empty.
        readers: Vec<String>,
    },

    /// No connected key has the requested serial number.
    #[error("no YubiKey with serial {serial} (found: {})", list_devices(found))]
    SerialNotFound {
        /// The serial that was asked for.
        serial: u32,
        /// The keys that are connected.
        found: Vec<Device>,
    },

    /// Several keys are connected and nothing says which one to use.
    #[error("several YubiKeys are connected: {}", list_devices(devices))]
    SeveralDevices {
        /// The candidates, for the CLI to list or to ask.
        devices: Vec<Device>,
    },

    /// A command APDU does not fit a short APDU (255 bytes of data).
    #[error("a command of {length} bytes is too long for a short APDU")]
    CommandTooLong {
        /// The data length that was asked for.
        length: usize,
    },

    /// The card's answer is not a valid response: shorter than a status word, or a `61xx`
    /// chain that does not end.
    #[error("malformed response from the card: {reason}")]
    MalformedResponse {
        /// What was wrong.
        reason: &'static str,
    },

    /// Any other PC/SC failure.
    #[error("PC/SC {operation} failed{}: {source}", reader_suffix(reader.as_deref()))]
    Pcsc {
        /// The PC/SC call that failed (`connect`, `transmit`…).
        operation: &'static str,
        /// The reader involved, when there is one.
        reader: Option<String>,
        /// The PC/SC error.
        source: ::pcsc::Error,
    },
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names
            .iter()
            .map(|name| format!("`{name}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn list_devices(devices: &[Device]) -> String {
    if devices.is_empty() {
        return "none".to_owned();
    }
    devices
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn reader_suffix(reader: Option<&str>) -> String {
    reader
        .map(|name| format!(" on `{name}`"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_readers() {
        let error = TransportError::ReaderNotFound {
            query: "Nano".into(),
            available: vec!["Virtual PCD 00 00".into(), "Virtual PCD 00 01".into()],
        };
        assert_eq!(
            error.to_string(),
            "no reader matches `Nano` (readers: `Virtual PCD 00 00`, `Virtual PCD 00 01`)"
        );
        let error = TransportError::NoDevice { readers: vec![] };
        assert_eq!(error.to_string(), "no YubiKey found (readers: none)");
        let error = TransportError::Pcsc {
            operation: "connect",
            reader: Some("R".into()),
            source: ::pcsc::Error::InternalError,
        };
        assert!(
            error
                .to_string()
                .starts_with("PC/SC connect failed on `R`: ")
        );
    }
}
