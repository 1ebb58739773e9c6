//! The transport layer's errors: pcscd, readers, cards, the choice of a key.

use super::{REPORT, devices, list};
use crate::cli::Failure;
use crate::transport::{Device, TransportError};

const SEE_DEVICES: &str = "see `mfa devices` for the readers and keys seen";

/// Reaching a card failed.
pub fn transport(error: &TransportError) -> Failure {
    match error {
        TransportError::ServiceUnavailable { detail } => Failure::runtime(
            format!("pcscd is not running (the PC/SC service is not reachable: {detail})"),
            "start it with `systemctl start pcscd` (or run `pcscd` as root), then try again",
        ),
        TransportError::AccessDenied => Failure::runtime(
            "access to the PC/SC service was denied",
            "run the command as the logged-in desktop user, or allow access to pcscd in polkit \
             (action org.debian.pcsc-lite.access_pcsc)",
        ),
        TransportError::NoReaders => Failure::runtime(
            "no YubiKey found: no smart card reader is connected",
            "plug in your YubiKey (its CCID interface must be enabled: `ykman config usb`)",
        ),
        TransportError::NoDevice { readers } => Failure::runtime(
            format!(
                "no YubiKey found in any reader (readers: {})",
                list(readers)
            ),
            "plug in your YubiKey, or insert the card into a reader",
        ),
        TransportError::NoCard { reader } => Failure::runtime(
            format!("no card in the reader `{reader}`"),
            format!("insert the YubiKey, or choose another reader with --reader; {SEE_DEVICES}"),
        ),
        TransportError::ReaderNotFound { query, available } => Failure::usage(
            format!("no reader matches `{query}` (readers: {})", list(available)),
            "give --reader (or MFA_READER) a part of one of these names",
        ),
        TransportError::SerialNotFound { serial, found } => Failure::runtime(
            format!(
                "no YubiKey with serial {serial} is connected (found: {})",
                devices(found)
            ),
            "plug that key in, or choose a connected one with --serial (or the profile's \
             mfa_yubikey_serial)",
        ),
        TransportError::SeveralDevices { devices: found } => Failure::usage(
            format!("several YubiKeys are connected: {}", devices(found)),
            format!(
                "choose one with --serial N (or MFA_YUBIKEY_SERIAL, or mfa_yubikey_serial in the \
                 profile){}",
                serial_examples(found)
            ),
        ),
        TransportError::CardRemoved { reader } => Failure::runtime(
            format!("the YubiKey in `{reader}` was removed during the operation"),
            "plug it back in and run the command again",
        ),
        TransportError::CardReset { reader } => Failure::runtime(
            format!("the YubiKey in `{reader}` was reset by another program during the operation"),
            "run the command again",
        ),
        TransportError::ReaderBusy { reader } => Failure::runtime(
            format!("the YubiKey in `{reader}` is in use by another program"),
            "it is held exclusively, usually by gpg's scdaemon: run `gpgconf --kill scdaemon`, or \
             add `pcsc-shared` to ~/.gnupg/scdaemon.conf so gpg shares the key (a request waiting \
             for a touch holds it up to 15 s: touch the key), then try again",
        ),
        TransportError::Timeout { reader } | TransportError::CardUnresponsive { reader } => {
            Failure::runtime(
                format!("the YubiKey in `{reader}` does not answer"),
                "unplug it and plug it back in, then try again",
            )
        }
        TransportError::CommandTooLong { .. }
        | TransportError::MalformedResponse { .. }
        | TransportError::Pcsc { .. } => Failure::runtime(
            format!("talking to the card failed: {error}"),
            format!("unplug the key and plug it back in; if it keeps failing, {REPORT}"),
        ),
    }
}

fn serial_examples(found: &[Device]) -> String {
    let serials: Vec<String> = found
        .iter()
        .filter_map(|d| d.serial.map(|s| s.to_string()))
        .collect();
    if serials.is_empty() {
        " or --reader with part of a reader's name".into()
    } else {
        format!(": {}", serials.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(reader: &str, serial: Option<u32>) -> Device {
        Device {
            reader: reader.into(),
            serial,
            firmware: None,
        }
    }

    #[test]
    fn names_the_fix() {
        let f = transport(&TransportError::ServiceUnavailable {
            detail: "Service not available.".into(),
        });
        assert!(f.what().starts_with("pcscd is not running"));
        assert!(f.fix().contains("systemctl start pcscd"));
        let f = transport(&TransportError::SeveralDevices {
            devices: vec![device("A", Some(1)), device("B", Some(2))],
        });
        assert_eq!(f.exit().code(), 2);
        assert!(
            f.fix().contains("--serial") && f.fix().ends_with(": 1, 2"),
            "{}",
            f.fix()
        );
    }

    #[test]
    fn a_protocol_failure_points_at_the_trace_option() {
        let f = transport(&TransportError::MalformedResponse { reason: "short" });
        assert_eq!(f.exit().code(), 1);
        assert!(f.fix().contains("--trace-apdu"), "{}", f.fix());
    }
}
