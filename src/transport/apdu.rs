//! Command and response APDUs (ISO 7816-4, short form) and `61xx` response chaining.
//!
//! A [`Command`] keeps its data in a zeroizing buffer allocated once at full short-APDU size, so
//! appending a key or a password response never reallocates and leaves no copy behind.

use std::fmt;

use zeroize::Zeroizing;

use super::tlv;
use super::{Transport, TransportError};

/// The most data a short command APDU carries.
pub const MAX_SHORT_DATA: usize = 255;

/// INS of ISO 7816-4 GET RESPONSE: the rest of a `61xx` answer, for applications that do not
/// have their own (YKOATH has SEND REMAINING).
pub const INS_GET_RESPONSE: u8 = 0xC0;

/// Upper bound on a chained response, against a card that never stops answering `61xx`.
const MAX_CHAINED_RESPONSE: usize = 64 * 1024;

/// `SW1` of `61xx`: more response data waits (ISO 7816-4).
const SW1_MORE_DATA: u8 = 0x61;

/// A status word (`SW1 SW2`) as a number, e.g. `0x9000`.
///
/// The named constants are the ISO 7816-4 status words that YubiKey applications answer
/// (`yubikit/core/smartcard` names the same set); code compares against them, never raw numbers.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusWord(pub u16);

impl StatusWord {
    /// `9000`: success.
    pub const OK: Self = Self(0x9000);
    /// `6982`: security status not satisfied.
    pub const SECURITY_STATUS_NOT_SATISFIED: Self = Self(0x6982);
    /// `6984`: referenced data not found / invalidated.
    pub const NO_SUCH_OBJECT: Self = Self(0x6984);
    /// `6A80`: wrong data in the command.
    pub const WRONG_DATA: Self = Self(0x6A80);
    /// Function not supported (ISO 7816-4), e.g. CALCULATE of an account whose algorithm the
    /// token cannot compute.
    pub const FUNCTION_NOT_SUPPORTED: Self = Self(0x6A81);
    /// `6A82`: file or application not found.
    pub const FILE_NOT_FOUND: Self = Self(0x6A82);
    /// `6A84`: not enough memory.
    pub const NO_SPACE: Self = Self(0x6A84);
    /// `6581`: memory failure.
    pub const MEMORY_FAILURE: Self = Self(0x6581);
    /// `6A86`: incorrect parameters P1-P2.
    pub const INCORRECT_P1_P2: Self = Self(0x6A86);
    /// `6B00`: wrong parameters P1-P2.
    pub const WRONG_P1_P2: Self = Self(0x6B00);
    /// `6D00`: instruction not supported.
    pub const INS_NOT_SUPPORTED: Self = Self(0x6D00);
    /// `6999`: applet selection failed.
    pub const APPLET_SELECT_FAILED: Self = Self(0x6999);

    /// Builds the status word from its two bytes.
    pub fn from_bytes(sw1: u8, sw2: u8) -> Self {
        Self(u16::from_be_bytes([sw1, sw2]))
    }

    /// `SW1`.
    pub fn sw1(self) -> u8 {
        self.0.to_be_bytes()[0]
    }

    /// `SW2`.
    pub fn sw2(self) -> u8 {
        self.0.to_be_bytes()[1]
    }

    /// Whether this is `9000`.
    pub fn is_ok(self) -> bool {
        self == Self::OK
    }

    /// Whether this is `61xx`: more response data waits for SEND REMAINING / GET RESPONSE.
    pub fn has_more_data(self) -> bool {
        self.sw1() == SW1_MORE_DATA
    }
}

impl fmt::Debug for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StatusWord({:04X})", self.0)
    }
}

impl fmt::Display for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X}", self.0)
    }
}

/// A card's answer: the data (wiped on drop: it may be a code) and the status word.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    data: Zeroizing<Vec<u8>>,
    sw: StatusWord,
}

impl Response {
    /// A response from its parts.
    pub fn new(data: Vec<u8>, sw: StatusWord) -> Self {
        Self {
            data: Zeroizing::new(data),
            sw,
        }
    }

    /// Splits a raw answer (`data… SW1 SW2`); `None` when it is shorter than a status word.
    pub fn from_raw(raw: &[u8]) -> Option<Self> {
        let split = raw.len().checked_sub(2)?;
        let (data, sw) = raw.split_at(split);
        Some(Self::new(
            data.to_vec(),
            StatusWord::from_bytes(sw[0], sw[1]),
        ))
    }

    /// The response data, without the status word.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The status word.
    pub fn sw(&self) -> StatusWord {
        self.sw
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The data may be a code or a MAC: show its size only.
        write!(f, "Response({} bytes, SW {})", self.data.len(), self.sw)
    }
}

/// A command APDU under construction.
///
/// The data buffer is zeroized on drop; encode with [`Command::encode`] (also zeroizing).
pub struct Command {
    cla: u8,
    ins: u8,
    p1: u8,
    p2: u8,
    data: Zeroizing<Vec<u8>>,
    overflow: usize,
}

impl Command {
    /// A command with no data yet.
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        Self {
            cla,
            ins,
            p1,
            p2,
            data: Zeroizing::new(Vec::with_capacity(MAX_SHORT_DATA)),
            overflow: 0,
        }
    }

    /// Appends raw bytes to the data.
    pub fn push(&mut self, bytes: &[u8]) -> &mut Self {
        let room = MAX_SHORT_DATA - self.data.len();
        if bytes.len() > room {
            // Never grow the buffer (a reallocation would leave a copy of a secret behind):
            // remember the overflow and fail in `encode`.
            self.overflow += bytes.len();
        } else {
            self.data.extend_from_slice(bytes);
        }
        self
    }

    /// Appends a TLV (see [`tlv::encode_header`]).
    pub fn push_tlv(&mut self, tag: u8, value: &[u8]) -> &mut Self {
        let mut header = [0u8; tlv::MAX_HEADER];
        let header_len = tlv::encode_header(tag, value.len(), &mut header);
        self.push(&header[..header_len]);
        self.push(value)
    }

    /// Builder form of [`Command::push_tlv`].
    pub fn with_tlv(mut self, tag: u8, value: &[u8]) -> Self {
        self.push_tlv(tag, value);
        self
    }

    /// Builder form of [`Command::push`].
    pub fn with_data(mut self, bytes: &[u8]) -> Self {
        self.push(bytes);
        self
    }

    /// The instruction byte.
    pub fn ins(&self) -> u8 {
        self.ins
    }

    /// The data appended so far.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Encodes the short APDU the way Yubico's tools do: `CLA INS P1 P2`, then `Lc data` when
    /// there is data, else a single `00` (Le: up to 256 bytes back).
    pub fn encode(&self) -> Result<Zeroizing<Vec<u8>>, TransportError> {
        if self.overflow > 0 {
            return Err(TransportError::CommandTooLong {
                length: self.data.len() + self.overflow,
            });
        }
        let mut apdu = Zeroizing::new(Vec::with_capacity(5 + self.data.len()));
        apdu.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        if self.data.is_empty() {
            apdu.push(0);
        } else {
            // `push` keeps the data within MAX_SHORT_DATA, so the length fits a byte.
            apdu.push(u8::try_from(self.data.len()).unwrap_or(u8::MAX));
            apdu.extend_from_slice(&self.data);
        }
        Ok(apdu)
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The data may hold a key or a password response: show the header and size only.
        write!(
            f,
            "Command({:02X} {:02X} {:02X} {:02X}, {} bytes)",
            self.cla,
            self.ins,
            self.p1,
            self.p2,
            self.data.len() + self.overflow
        )
    }
}

/// Sends `command` and follows `61xx` chaining: while the card says more data waits, sends
/// `00 <send_remaining> 00 00 00` (YKOATH SEND REMAINING is `A5`; ISO GET RESPONSE is `C0`) and
/// appends what comes back. Returns the whole data with the final status word.
pub fn transmit<T: Transport + ?Sized>(
    transport: &mut T,
    command: &Command,
    send_remaining: u8,
) -> Result<Response, TransportError> {
    let encoded = command.encode()?;
    let mut response = transport.transmit(&encoded)?;
    if !response.sw().has_more_data() {
        return Ok(response);
    }
    let mut data = Zeroizing::new(Vec::with_capacity(1024));
    let more = Command::new(0, send_remaining, 0, 0).encode()?;
    while response.sw().has_more_data() {
        if data.len() + response.data().len() > MAX_CHAINED_RESPONSE {
            return Err(TransportError::MalformedResponse {
                reason: "the card's chained response does not end",
            });
        }
        append(&mut data, response.data());
        response = transport.transmit(&more)?;
    }
    append(&mut data, response.data());
    Ok(Response {
        data: take(&mut data),
        sw: response.sw(),
    })
}

/// Appends to a zeroizing buffer; when it must grow, moves into a new zeroizing allocation so
/// the old one is wiped rather than freed with its contents.
fn append(buffer: &mut Zeroizing<Vec<u8>>, bytes: &[u8]) {
    if buffer.capacity() - buffer.len() < bytes.len() {
        let mut bigger = Zeroizing::new(Vec::with_capacity(
            (buffer.len() + bytes.len()).max(2 * buffer.len()),
        ));
        bigger.extend_from_slice(buffer);
        *buffer = bigger;
    }
    buffer.extend_from_slice(bytes);
}

fn take(buffer: &mut Zeroizing<Vec<u8>>) -> Zeroizing<Vec<u8>> {
    std::mem::replace(buffer, Zeroizing::new(Vec::new()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::transport::ScriptedTransport;

    #[test]
    fn encodes_like_yubico_tools() {
        let select = Command::new(0, 0xA4, 4, 0).with_data(&[0xA0, 0, 0, 5, 0x27, 0x21, 1]);
        assert_eq!(
            &select.encode().unwrap()[..],
            &[0, 0xA4, 4, 0, 7, 0xA0, 0, 0, 5, 0x27, 0x21, 1]
        );
        let list = Command::new(0, 0xA1, 0, 0);
        assert_eq!(&list.encode().unwrap()[..], &[0, 0xA1, 0, 0, 0]);
        let calc = Command::new(0, 0xA4, 0, 1).with_tlv(0x74, &[0; 8]);
        assert_eq!(calc.encode().unwrap().len(), 5 + 10);
    }

    #[test]
    fn refuses_data_longer_than_a_short_apdu() {
        let mut command = Command::new(0, 1, 0, 0);
        command.push(&[0; 200]).push(&[0; 56]);
        assert!(matches!(
            command.encode(),
            Err(TransportError::CommandTooLong { length: 256 })
        ));
        assert_eq!(command.data().len(), 200, "the buffer never grew");
        let exact = Command::new(0, 1, 0, 0).with_data(&[0; 255]);
        assert_eq!(exact.encode().unwrap()[4], 255);
    }

    #[test]
    fn debug_shows_no_data() {
        let command = Command::new(0, 3, 0, 0).with_tlv(0x73, b"secret key");
        assert_eq!(format!("{command:?}"), "Command(00 03 00 00, 12 bytes)");
        let response = Response::new(b"123456".to_vec(), StatusWord::OK);
        assert_eq!(format!("{response:?}"), "Response(6 bytes, SW 9000)");
    }

    #[test]
    fn splits_raw_responses() {
        let response = Response::from_raw(&[1, 2, 0x90, 0]).unwrap();
        assert_eq!(response.data(), &[1, 2]);
        assert!(response.sw().is_ok());
        assert!(Response::from_raw(&[0x90]).is_none());
        assert!(
            Response::from_raw(&[0x61, 0x10])
                .unwrap()
                .sw()
                .has_more_data()
        );
    }

    #[test]
    fn follows_response_chaining() {
        let mut card = ScriptedTransport::from_trace(
            "> 00 a1 00 00 00\n< 01 02 61 02\n> 00 a5 00 00 00\n< 03 61 00\n\
             > 00 a5 00 00 00\n< 04 90 00\n",
        )
        .unwrap();
        let response = transmit(&mut card, &Command::new(0, 0xA1, 0, 0), 0xA5).unwrap();
        assert_eq!(response.data(), &[1, 2, 3, 4]);
        assert!(response.sw().is_ok());
        card.assert_finished();
    }

    #[test]
    fn chaining_ends_with_the_last_status_word() {
        let mut card = ScriptedTransport::from_trace(
            "> 00 a1 00 00 00\n< 01 61 05\n> 00 c0 00 00 00\n< 6a 80\n",
        )
        .unwrap();
        let response = transmit(&mut card, &Command::new(0, 0xA1, 0, 0), 0xC0).unwrap();
        assert_eq!(response.data(), &[1]);
        assert_eq!(response.sw(), StatusWord::WRONG_DATA);
    }

    #[test]
    fn endless_chaining_is_an_error() {
        struct Endless;
        impl Transport for Endless {
            fn transmit(&mut self, _: &[u8]) -> Result<Response, TransportError> {
                Ok(Response::new(vec![0; 256], StatusWord(0x6100)))
            }
        }
        let result = transmit(&mut Endless, &Command::new(0, 0xA1, 0, 0), 0xA5);
        assert!(matches!(
            result,
            Err(TransportError::MalformedResponse { .. })
        ));
    }
}
