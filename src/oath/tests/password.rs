//! Password-protected OATH: VALIDATE right, wrong, and a card whose proof is wrong; SET CODE;
//! RESET.

use hmac::{Hmac, Mac};
use sha1::Sha1;

use super::{AWS, T, trace, trace_file};
use crate::oath::parse::parse_select;
use crate::oath::{AccessKey, OathError, OathSession};
use crate::secret::SecretString;
use crate::transport::{Response, StatusWord, Transport, TransportError};

/// The host challenge the traces were made with.
const HOST_CHALLENGE: [u8; 8] = [0x0A, 0x1B, 0x2C, 0x3D, 0x4E, 0x5F, 0x60, 0x71];

fn password(text: &str) -> SecretString {
    SecretString::new(text.to_owned())
}

#[test]
fn the_right_password_unlocks_and_the_card_proves_the_key() {
    let mut card = trace(trace_file!("password_validate"));
    let mut session = OathSession::select(&mut card).unwrap();
    assert!(session.has_password() && session.is_locked());
    let key = session.derive_key(&password("hunter2"));
    session.validate_key(&key, HOST_CHALLENGE).unwrap();
    assert!(!session.is_locked());
    let code = session.calculate(&AWS.parse().unwrap(), T).unwrap();
    assert_eq!(code.value().expose(), "921300");
    drop(session);
    assert_eq!(card.exchanged(), 3, "SELECT + VALIDATE + CALCULATE");
    card.assert_finished();
}

#[test]
fn a_wrong_password_is_refused() {
    let mut card = trace(trace_file!("password_wrong"));
    let mut session = OathSession::select(&mut card).unwrap();
    let key = session.derive_key(&password("wrong"));
    let error = session.validate_key(&key, HOST_CHALLENGE).unwrap_err();
    assert!(matches!(error, OathError::WrongPassword), "{error:?}");
    assert!(session.is_locked());
    drop(session);
    card.assert_finished();
}

#[test]
fn a_card_that_cannot_prove_the_key_is_not_trusted() {
    let mut card = trace(trace_file!("password_card_answer_wrong"));
    let mut session = OathSession::select(&mut card).unwrap();
    let key = session.derive_key(&password("hunter2"));
    let error = session.validate_key(&key, HOST_CHALLENGE).unwrap_err();
    assert!(
        matches!(error, OathError::CardAuthenticationFailed),
        "{error:?}"
    );
    assert!(session.is_locked(), "still locked after a bad proof");
    assert!(matches!(session.list(), Err(OathError::PasswordRequired)));
    drop(session);
    card.assert_finished();
}

#[test]
fn a_locked_session_refuses_without_sending_anything() {
    let mut card = trace(trace_file!("password_wrong"));
    let mut session = OathSession::select(&mut card).unwrap();
    let id = AWS.parse().unwrap();
    assert!(matches!(
        session.calculate(&id, T),
        Err(OathError::PasswordRequired)
    ));
    assert!(matches!(
        session.calculate_all(T),
        Err(OathError::PasswordRequired)
    ));
    assert!(matches!(
        session.delete(&id),
        Err(OathError::PasswordRequired)
    ));
    drop(session);
    assert_eq!(card.exchanged(), 1, "only SELECT");
}

#[test]
fn validate_without_a_password_set_sends_nothing() {
    let mut card = trace(trace_file!("code_known_account"));
    let mut session = OathSession::select(&mut card).unwrap();
    session.validate(&password("anything")).unwrap();
    drop(session);
    assert_eq!(card.exchanged(), 1);
}

/// A software card for VALIDATE with a random host challenge: checks the host's response and
/// proves the key back.
struct PasswordCard {
    key: AccessKey,
    challenge: [u8; 8],
    validated: bool,
}

impl Transport for PasswordCard {
    fn transmit(&mut self, command: &[u8]) -> Result<Response, TransportError> {
        let ok = StatusWord::OK;
        match command[1] {
            0xA4 => {
                let mut data = vec![0x79, 3, 5, 7, 1, 0x71, 8];
                data.extend_from_slice(b"saltsalt");
                data.extend_from_slice(&[0x74, 8]);
                data.extend_from_slice(&self.challenge);
                Ok(Response::new(data, ok))
            }
            0xA3 => {
                // 00 A3 00 00 Lc 75 14 <20> 74 08 <8>
                let response = &command[7..27];
                let host_challenge = &command[29..37];
                if !self.key.verify(&self.challenge, response) {
                    return Ok(Response::new(vec![], StatusWord::WRONG_DATA));
                }
                self.validated = true;
                let mut mac = Hmac::<Sha1>::new_from_slice(self.key.expose()).unwrap();
                mac.update(host_challenge);
                let mut data = vec![0x75, 20];
                data.extend_from_slice(&mac.finalize().into_bytes());
                Ok(Response::new(data, ok))
            }
            _ => Ok(Response::new(vec![], StatusWord::INS_NOT_SUPPORTED)),
        }
    }
}

#[test]
fn validate_with_a_random_host_challenge() {
    let key = AccessKey::derive(&password("correct horse"), b"saltsalt");
    let mut card = PasswordCard {
        key,
        challenge: [9; 8],
        validated: false,
    };
    let mut session = OathSession::select(&mut card).unwrap();
    assert!(matches!(
        session.validate(&password("battery staple")),
        Err(OathError::WrongPassword)
    ));
    session.validate(&password("correct horse")).unwrap();
    assert!(!session.is_locked());
    drop(session);
    assert!(card.validated);
}

#[test]
fn set_and_clear_the_password() {
    let mut card = trace(trace_file!("set_clear_password"));
    let mut session = OathSession::select(&mut card).unwrap();
    let key = session.derive_key(&password("hunter2"));
    assert!(!session.has_password());
    session
        .set_key(&key, [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88])
        .unwrap();
    assert!(session.has_password() && !session.is_locked());
    session.clear_password().unwrap();
    assert!(!session.has_password());
    drop(session);
    card.assert_finished();
}

#[test]
fn reset_needs_no_password_and_renews_the_salt() {
    let mut card = trace(trace_file!("reset"));
    let mut session = OathSession::select(&mut card).unwrap();
    assert!(session.is_locked());
    session.reset().unwrap();
    assert!(!session.is_locked() && !session.has_password());
    assert_eq!(
        session.salt(),
        &[0x0F, 0x1E, 0x2D, 0x3C, 0x4B, 0x5A, 0x69, 0x78]
    );
    drop(session);
    card.assert_finished();
}

#[test]
fn the_trace_key_is_pbkdf2_of_the_password_and_salt() {
    // The salt in the traces' SELECT answers is the PBKDF2 salt.
    let info = parse_select(&[
        0x79, 3, 5, 4, 3, 0x71, 8, 0xD1, 0x5A, 0x0B, 0x7E, 0x33, 0xC4, 0x89, 0x21,
    ])
    .unwrap();
    let key = AccessKey::derive(&password("hunter2"), &info.salt);
    // hashlib.pbkdf2_hmac("sha1", b"hunter2", salt, 1000, 16)
    assert_eq!(
        key.expose(),
        &[
            0xf9, 0x20, 0x2e, 0xda, 0x0e, 0x0f, 0x89, 0xcd, 0x10, 0x89, 0x37, 0x26, 0xd2, 0xf4,
            0x3e, 0xe8
        ]
    );
}
