//! Arbitrary bytes into every parser of card answers: BER-TLV (with and without the bare `78`
//! PROPERTY quirk), the OATH SELECT / LIST / CALCULATE / CALCULATE ALL / VALIDATE answers,
//! the Management device info page, the trace-file format, and a whole session driven by a card
//! that answers with the fuzz input. None of them may panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa::oath::{CredentialId, OathSession, OathType, parse};
use mfa::transport::{Response, StatusWord, Transport, TransportError, management, tlv};

/// A card whose every answer is the next slice of the input.
struct FuzzCard<'a> {
    input: &'a [u8],
}

impl Transport for FuzzCard<'_> {
    fn transmit(&mut self, _command: &[u8]) -> Result<Response, TransportError> {
        // One length byte, then that much answer (data and status word).
        let (&length, rest) =
            self.input
                .split_first()
                .ok_or(TransportError::MalformedResponse {
                    reason: "end of input",
                })?;
        let length = usize::from(length).min(rest.len());
        let (answer, rest) = rest.split_at(length);
        self.input = rest;
        Response::from_raw(answer).ok_or(TransportError::MalformedResponse { reason: "short" })
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = tlv::parse_all(data);
    let _ = tlv::Parser::new(data).with_bare_tags(&[0x78]).count();
    let _ = tlv::find(data, 0x71);

    let time = data.get(..8).map_or(0, |bytes| {
        u64::from_be_bytes(bytes.try_into().unwrap_or([0; 8]))
    });
    let _ = parse::parse_select(data);
    let _ = parse::parse_list(data);
    let _ = parse::parse_calculate(data, None);
    let _ = parse::parse_calculate_all(data, time);
    let _ = parse::parse_validate(data);
    let _ = management::parse_config_page(data);
    let _ = Response::from_raw(data).map(|response| response.sw() == StatusWord::OK);

    if let Ok(text) = std::str::from_utf8(data) {
        let _ = mfa::transport::ScriptedTransport::from_trace(text);
        let _ = mfa::transport::Version::find_in_text(text);
    }

    // A whole conversation with a card answering garbage.
    let mut card = FuzzCard { input: data };
    let _ = management::read_device_info(&mut card);
    let mut card = FuzzCard { input: data };
    if let Ok(mut session) = OathSession::select(&mut card) {
        let _ = session.calculate_all(time);
        let _ = session.accounts(time);
        let _ = session.calculate(&CredentialId::from_raw(b"a:b", OathType::Totp), time);
    }
});
