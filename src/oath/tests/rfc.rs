//! RFC 6238 (TOTP, appendix B) and RFC 4226 (HOTP, appendix D) vectors.
//!
//! The card's answers are computed here with a software HMAC over the challenge the test
//! expects; the session must send exactly that challenge and truncate the answer to the RFC's
//! code.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Sha256, Sha512};

use crate::oath::{CredentialId, HashAlgorithm, OathSession, OathType};
use crate::transport::ScriptedTransport;

const SEED_SHA1: &[u8] = b"12345678901234567890";
const SEED_SHA256: &[u8] = b"12345678901234567890123456789012";
const SEED_SHA512: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

/// RFC 6238 appendix B: time, code (8 digits), algorithm.
const TOTP_VECTORS: &[(u64, &str, HashAlgorithm)] = &[
    (59, "94287082", HashAlgorithm::Sha1),
    (59, "46119246", HashAlgorithm::Sha256),
    (59, "90693936", HashAlgorithm::Sha512),
    (1_111_111_109, "07081804", HashAlgorithm::Sha1),
    (1_111_111_109, "68084774", HashAlgorithm::Sha256),
    (1_111_111_109, "25091201", HashAlgorithm::Sha512),
    (1_111_111_111, "14050471", HashAlgorithm::Sha1),
    (1_111_111_111, "67062674", HashAlgorithm::Sha256),
    (1_111_111_111, "99943326", HashAlgorithm::Sha512),
    (1_234_567_890, "89005924", HashAlgorithm::Sha1),
    (1_234_567_890, "91819424", HashAlgorithm::Sha256),
    (1_234_567_890, "93441116", HashAlgorithm::Sha512),
    (2_000_000_000, "69279037", HashAlgorithm::Sha1),
    (2_000_000_000, "90698825", HashAlgorithm::Sha256),
    (2_000_000_000, "38618901", HashAlgorithm::Sha512),
    (20_000_000_000, "65353130", HashAlgorithm::Sha1),
    (20_000_000_000, "77737706", HashAlgorithm::Sha256),
    (20_000_000_000, "47863826", HashAlgorithm::Sha512),
];

/// RFC 4226 appendix D: counts 0 to 9, 6 digits.
const HOTP_VECTORS: [&str; 10] = [
    "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871",
    "520489",
];

fn software_hmac(algorithm: HashAlgorithm, key: &[u8], message: &[u8]) -> Vec<u8> {
    match algorithm {
        HashAlgorithm::Sha1 => {
            let mut mac = Hmac::<Sha1>::new_from_slice(key).unwrap();
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
        HashAlgorithm::Sha256 => {
            let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
        HashAlgorithm::Sha512 => {
            let mut mac = Hmac::<Sha512>::new_from_slice(key).unwrap();
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
    }
}

/// What the key answers to a truncated CALCULATE: `76 05 digits` and the four bytes at the
/// dynamic offset (top bit not masked: that is the host's job).
fn truncated_answer(algorithm: HashAlgorithm, key: &[u8], challenge: &[u8], digits: u8) -> Vec<u8> {
    let mac = software_hmac(algorithm, key, challenge);
    let offset = usize::from(mac[mac.len() - 1] & 0x0F);
    let mut answer = vec![0x76, 5, digits];
    answer.extend_from_slice(&mac[offset..offset + 4]);
    answer.extend_from_slice(&[0x90, 0x00]);
    answer
}

/// `00 A2 00 01 Lc 71 len name 74 len challenge`, written out independently of the session.
fn calculate_command(name: &[u8], challenge: &[u8]) -> Vec<u8> {
    let mut data = vec![0x71, name.len() as u8];
    data.extend_from_slice(name);
    data.extend_from_slice(&[0x74, challenge.len() as u8]);
    data.extend_from_slice(challenge);
    let mut command = vec![0x00, 0xA2, 0x00, 0x01, data.len() as u8];
    command.extend_from_slice(&data);
    command
}

fn select_exchange(card: &mut ScriptedTransport) {
    card.push(
        [
            0x00, 0xA4, 0x04, 0x00, 0x07, 0xA0, 0x00, 0x00, 0x05, 0x27, 0x21, 0x01,
        ],
        [
            0x79, 0x03, 0x05, 0x04, 0x03, 0x71, 0x02, 0x01, 0x02, 0x90, 0x00,
        ],
    );
}

#[test]
fn rfc6238_totp_sha1_sha256_sha512_with_8_digits() {
    for &(time, expected, algorithm) in TOTP_VECTORS {
        let seed = match algorithm {
            HashAlgorithm::Sha1 => SEED_SHA1,
            HashAlgorithm::Sha256 => SEED_SHA256,
            HashAlgorithm::Sha512 => SEED_SHA512,
        };
        let name = format!("RFC 6238:{algorithm}");
        let step = (time / 30).to_be_bytes();
        let mut card = ScriptedTransport::new();
        select_exchange(&mut card);
        card.push(
            calculate_command(name.as_bytes(), &step),
            truncated_answer(algorithm, seed, &step, 8),
        );
        let mut session = OathSession::select(&mut card).unwrap();
        let code = session.calculate(&name.parse().unwrap(), time).unwrap();
        assert_eq!(code.value().expose(), expected, "{algorithm} at {time}");
        drop(session);
        card.assert_finished();
    }
}

#[test]
fn rfc6238_with_another_period_uses_its_own_step() {
    // The same vectors hold for a 60 s account at the time whose 60 s step equals the 30 s one.
    let mut card = ScriptedTransport::new();
    select_exchange(&mut card);
    let step = (1_111_111_109u64 / 30).to_be_bytes();
    card.push(
        calculate_command(b"60/RFC:SHA1", &step),
        truncated_answer(HashAlgorithm::Sha1, SEED_SHA1, &step, 8),
    );
    let mut session = OathSession::select(&mut card).unwrap();
    let id = CredentialId::totp(Some("RFC"), "SHA1", 60).unwrap();
    let time = (1_111_111_109 / 30) * 60;
    let code = session.calculate(&id, time).unwrap();
    assert_eq!(code.value().expose(), "07081804");
    drop(session);
    card.assert_finished();
}

#[test]
fn rfc4226_hotp_counts_0_to_9() {
    let mut card = ScriptedTransport::new();
    select_exchange(&mut card);
    for count in 0u64..10 {
        // An HOTP CALCULATE carries an empty challenge; the key uses its own counter.
        card.push(
            calculate_command(b"RFC 4226", &[]),
            truncated_answer(HashAlgorithm::Sha1, SEED_SHA1, &count.to_be_bytes(), 6),
        );
    }
    let mut session = OathSession::select(&mut card).unwrap();
    let id = CredentialId::from_raw(b"RFC 4226", OathType::Hotp);
    for expected in HOTP_VECTORS {
        let code = session.calculate_hotp(&id).unwrap();
        assert_eq!(code.value().expose(), expected);
        assert_eq!(code.valid(), None);
    }
    drop(session);
    card.assert_finished();
}
