//! Transports: how APDUs reach a card.
//!
//! Everything above this layer talks to a card through one small trait, [`Transport`]: one
//! command APDU in, one [`Response`] (data and status word) out. Two implementations:
//!
//! - [`pcsc`]: a real reader through the PC/SC daemon. A [`PcscCard`] is a shared connection;
//!   every operation runs inside one exclusive [`PcscTransaction`], which is the `Transport`, so
//!   another process cannot interleave its APDUs between a SELECT and a CALCULATE.
//! - [`scripted`]: a list of expected exchanges for tests, loaded from the trace files under
//!   `tests/traces/`; a command that differs from the script fails the test with a diff.
//!
//! Around them: [`apdu`] encodes commands and follows `61xx` response chaining, [`tlv`] reads
//! and writes the BER-TLV data of YubiKey applications, [`trace`] logs APDUs with the
//! secret-bearing ones redacted, [`hex`] writes and reads the hex of trace files, and
//! [`devices`] finds YubiKeys (reader, serial, firmware) through the Management application and
//! chooses one.
//!
//! Errors of this layer are [`TransportError`]: structured, so that the CLI can say what to
//! do ("start pcscd", "insert the key", "close the other program").

pub mod apdu;
pub mod devices;
mod error;
pub mod hex;
pub mod management;
pub mod pcsc;
pub mod scripted;
pub mod tlv;
pub mod trace;
mod version;

pub use apdu::{Command, Response, StatusWord};
pub use devices::{Device, DeviceQuery};
pub use error::TransportError;
pub use pcsc::{PcscCard, PcscContext, PcscTransaction};
pub use scripted::ScriptedTransport;
pub use version::Version;

/// Exchanges APDUs with a card.
///
/// An implementation sends one encoded command APDU and returns the card's answer, split into
/// data and status word. It does not interpret the status word: `61xx` chaining and error
/// mapping belong to the callers ([`apdu::transmit`] and the protocol layer).
///
/// Implemented for `&mut T` and `Box<T>`, so a session can borrow a transport or own it.
pub trait Transport {
    /// Sends `command` (a complete short APDU) and returns the response.
    ///
    /// `command` may carry secrets (a key being stored, a password response); an
    /// implementation must not keep or log it.
    fn transmit(&mut self, command: &[u8]) -> Result<Response, TransportError>;
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn transmit(&mut self, command: &[u8]) -> Result<Response, TransportError> {
        (**self).transmit(command)
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn transmit(&mut self, command: &[u8]) -> Result<Response, TransportError> {
        (**self).transmit(command)
    }
}
