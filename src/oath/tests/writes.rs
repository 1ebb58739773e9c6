//! PUT, RENAME, DELETE: the exact bytes sent, including the bare `78 02` touch property and the
//! key hashing and padding rules.

use super::{trace, trace_file};
use crate::oath::{CredentialData, CredentialId, HashAlgorithm, OathError, OathSession, OathType};
use crate::secret::SecretBytes;
use crate::transport::ScriptedTransport;
use crate::transport::tlv::Parser;

#[test]
fn put_with_touch_then_rename_and_delete() {
    let mut card = trace(trace_file!("put_rename_delete"));
    let mut session = OathSession::select(&mut card).unwrap();
    let data = CredentialData {
        name: "new".into(),
        issuer: Some("Example".into()),
        oath_type: OathType::Totp,
        algorithm: HashAlgorithm::Sha256,
        secret: SecretBytes::new(b"12345678901234567890123456789012".to_vec()),
        digits: 8,
        period: 60,
        counter: 0,
    };
    let id = session.put(&data, true).unwrap();
    assert_eq!(id.as_bytes(), b"60/Example:new");
    let renamed = session.rename(&id, Some("Renamed"), "newer").unwrap();
    assert_eq!(renamed.as_bytes(), b"60/Renamed:newer");
    session.delete(&renamed).unwrap();
    let error = session.delete(&renamed).unwrap_err();
    assert!(
        matches!(&error, OathError::NoSuchAccount { account } if account == "60/Renamed:newer"),
        "{error:?}"
    );
    drop(session);
    card.assert_finished();
}

#[test]
fn put_hotp_pads_short_keys_and_sends_the_counter() {
    let mut card = trace(trace_file!("put_hotp"));
    let mut session = OathSession::select(&mut card).unwrap();
    let data = CredentialData {
        name: "short".into(),
        issuer: Some("Counter".into()),
        oath_type: OathType::Hotp,
        algorithm: HashAlgorithm::Sha1,
        secret: SecretBytes::new(b"0123456789".to_vec()),
        digits: 6,
        period: 30,
        counter: 10,
    };
    let id = session.put(&data, false).unwrap();
    assert_eq!(id.as_bytes(), b"Counter:short");
    let code = session.calculate_hotp(&id).unwrap();
    assert_eq!(code.value().expose(), "987279");
    drop(session);
    card.assert_finished();
}

/// A card that accepts any PUT and keeps the last command, to look at the bytes.
fn put_bytes(data: &CredentialData, touch: bool) -> Vec<u8> {
    struct Recorder(Vec<u8>);
    impl crate::transport::Transport for Recorder {
        fn transmit(
            &mut self,
            command: &[u8],
        ) -> Result<crate::transport::Response, crate::transport::TransportError> {
            self.0 = command.to_vec();
            let data = if command[1] == 0xA4 {
                vec![0x79, 3, 5, 7, 1, 0x71, 1, 0]
            } else {
                vec![]
            };
            Ok(crate::transport::Response::new(
                data,
                crate::transport::StatusWord::OK,
            ))
        }
    }
    let mut card = Recorder(Vec::new());
    let mut session = OathSession::select(&mut card).unwrap();
    session.put(data, touch).unwrap();
    drop(session);
    card.0
}

#[test]
fn put_hashes_keys_longer_than_the_block() {
    use sha2::{Digest, Sha256, Sha512};
    for (algorithm, length, expected) in [
        (
            HashAlgorithm::Sha256,
            65,
            Sha256::digest([5u8; 65]).to_vec(),
        ),
        (HashAlgorithm::Sha512, 128, vec![5u8; 128]),
        (
            HashAlgorithm::Sha512,
            129,
            Sha512::digest([5u8; 129]).to_vec(),
        ),
    ] {
        let mut data = CredentialData::totp(None, "k", SecretBytes::new(vec![5u8; length]));
        data.algorithm = algorithm;
        let command = put_bytes(&data, false);
        let elements: Vec<_> = Parser::new(&command[5..])
            .with_bare_tags(&[0x78])
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(elements[1].tag, 0x73);
        assert_eq!(elements[1].value[0], 0x20 | algorithm.bits());
        assert_eq!(
            &elements[1].value[2..],
            &expected[..],
            "{algorithm} {length}"
        );
    }
}

#[test]
fn put_touch_property_is_bare_and_last_before_imf() {
    let mut data = CredentialData::totp(Some("I"), "n", SecretBytes::new(vec![1; 20]));
    data.oath_type = OathType::Hotp;
    data.counter = 1;
    let command = put_bytes(&data, true);
    let elements: Vec<_> = Parser::new(&command[5..])
        .with_bare_tags(&[0x78])
        .collect::<Result<_, _>>()
        .unwrap();
    let tags: Vec<u8> = elements.iter().map(|element| element.tag).collect();
    assert_eq!(tags, [0x71, 0x73, 0x78, 0x7A]);
    assert_eq!(elements[2].value, &[0x02]);
    assert_eq!(elements[3].value, &[0, 0, 0, 1]);
}

#[test]
fn put_refuses_what_the_key_cannot_store() {
    let mut card = ScriptedTransport::new();
    card.push(
        [
            0x00, 0xA4, 0x04, 0x00, 0x07, 0xA0, 0x00, 0x00, 0x05, 0x27, 0x21, 0x01,
        ],
        [0x79, 0x03, 0x05, 0x04, 0x03, 0x90, 0x00],
    );
    let mut session = OathSession::select(&mut card).unwrap();
    let good = CredentialData::totp(None, "n", SecretBytes::new(vec![1; 20]));
    let mut digits = good.clone();
    digits.digits = 9;
    let mut empty = good.clone();
    empty.secret = SecretBytes::new(Vec::new());
    let mut long = good.clone();
    long.name = "n".repeat(65);
    let mut period = good;
    period.period = 0;
    for data in [digits, empty, long, period] {
        assert!(
            matches!(
                session.put(&data, false),
                Err(OathError::InvalidCredential { .. })
            ),
            "{data:?}"
        );
    }
    drop(session);
    assert_eq!(card.exchanged(), 1, "nothing sent");
}

#[test]
fn rename_keeps_the_period() {
    let id = CredentialId::totp(Some("Old"), "name", 15).unwrap();
    let mut card = ScriptedTransport::new();
    card.push(
        [
            0x00, 0xA4, 0x04, 0x00, 0x07, 0xA0, 0x00, 0x00, 0x05, 0x27, 0x21, 0x01,
        ],
        [0x79, 0x03, 0x05, 0x04, 0x03, 0x90, 0x00],
    );
    let mut expected = vec![0x00, 0x05, 0x00, 0x00, 0x18, 0x71, 0x0B];
    expected.extend_from_slice(b"15/Old:name");
    expected.extend_from_slice(&[0x71, 0x09]);
    expected.extend_from_slice(b"15/New:nm");
    card.push(expected, [0x6D, 0x00]);
    let mut session = OathSession::select(&mut card).unwrap();
    let error = session.rename(&id, Some("New"), "nm").unwrap_err();
    assert!(matches!(error, OathError::NotSupported { .. }), "{error:?}");
    assert!(error.to_string().contains("5.4.3"), "{error}");
    drop(session);
    card.assert_finished();
}

/// CALCULATE with P2 `00` (the full HMAC that seals long-term keys): the exact command, the MAC
/// taken whole; a card that answers a truncated code anyway, or a MAC of an odd length, is
/// refused rather than used as a key.
#[test]
fn calculate_full_sends_p2_zero_and_returns_the_whole_mac() {
    use hmac::{Hmac, Mac};
    let select = [
        0x00, 0xA4, 0x04, 0x00, 0x07, 0xA0, 0x00, 0x00, 0x05, 0x27, 0x21, 0x01,
    ];
    let selected = [0x79, 0x03, 0x05, 0x04, 0x03, 0x90, 0x00];
    let id = CredentialId::from_raw(b"mfa:sealed-keys", OathType::Totp);
    let challenge = [0x5Au8; 32];
    let mut command = vec![0x00, 0xA2, 0x00, 0x00, 2 + 15 + 2 + 32, 0x71, 15];
    command.extend_from_slice(b"mfa:sealed-keys");
    command.extend_from_slice(&[0x74, 32]);
    command.extend_from_slice(&challenge);
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&[7u8; 32]).unwrap();
    mac.update(&challenge);
    let mac = mac.finalize().into_bytes().to_vec();
    let mut full = vec![0x75, 33, 6];
    full.extend_from_slice(&mac);
    full.extend_from_slice(&[0x90, 0x00]);
    let truncated = [0x76, 0x05, 0x06, 1, 2, 3, 4, 0x90, 0x00];
    let mut odd = vec![0x75, 11, 6];
    odd.extend_from_slice(&[9u8; 10]);
    odd.extend_from_slice(&[0x90, 0x00]);

    let mut card = ScriptedTransport::new();
    card.push(select, selected);
    card.push(command.clone(), full);
    card.push(command.clone(), truncated);
    card.push(command.clone(), odd);
    card.push(command, [0x69, 0x84]);
    let mut session = OathSession::select(&mut card).unwrap();
    assert_eq!(
        session.calculate_full(&id, &challenge).unwrap().expose(),
        &mac[..]
    );
    assert!(matches!(
        session.calculate_full(&id, &challenge),
        Err(OathError::NoFullResponse)
    ));
    assert!(matches!(
        session.calculate_full(&id, &challenge),
        Err(OathError::MalformedResponse { .. })
    ));
    assert!(matches!(
        session.calculate_full(&id, &challenge),
        Err(OathError::NoSuchAccount { account }) if account == "mfa:sealed-keys"
    ));
    drop(session);
    card.assert_finished();
}
