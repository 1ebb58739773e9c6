//! OATH password tests: SET CODE, VALIDATE (mutual authentication), locking, RESET.
#![allow(clippy::unwrap_used)]

use crate::testutil::*;

const SEED_SHA1: &[u8] = b"12345678901234567890";

fn derive(password: &str, salt: &[u8]) -> Vec<u8> {
    let mut key = vec![0; 16];
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password.as_bytes(), salt, 1000, &mut key);
    key
}

fn hmac_sha1(key: &[u8], message: &[u8]) -> Vec<u8> {
    crate::crypto::hmac(crate::crypto::HashAlg::Sha1, key, message)
}

fn set_code_data(key: &[u8], challenge: &[u8], response: &[u8]) -> Vec<u8> {
    let mut data = tlv(0x73, &[&[0x21], key].concat());
    data.extend(tlv(0x74, challenge));
    data.extend(tlv(0x75, response));
    data
}

fn validate_data(response: &[u8], challenge: &[u8]) -> Vec<u8> {
    let mut data = tlv(0x75, response);
    data.extend(tlv(0x74, challenge));
    data
}

#[test]
fn password_set_validate_wrong_and_clear() {
    let mut card = card();
    let salt = select(&mut card).remove(&0x71).unwrap();
    assert_eq!(salt.len(), 8);
    Put::totp("acct", SEED_SHA1).send(&mut card);
    let key = derive("hunter2", &salt);
    let challenge = [9u8; 8];

    // A SET CODE whose response does not match is refused.
    let bad = set_code_data(&key, &challenge, &[0; 20]);
    assert_eq!(send(&mut card, &apdu(0x03, 0, 0, &bad)).1, 0x6984);
    assert!(!card.has_password());
    let good = set_code_data(&key, &challenge, &hmac_sha1(&key, &challenge));
    assert_eq!(send(&mut card, &apdu(0x03, 0, 0, &good)).1, 0x9000);
    assert!(card.has_password());

    // After SELECT: challenge + algorithm, and everything but VALIDATE/RESET is refused.
    let answer = select(&mut card);
    assert_eq!(answer[&0x71], salt);
    assert_eq!(answer[&0x7B], [0x01]);
    let card_challenge = answer[&0x74].clone();
    for ins in [0x01, 0x02, 0x03, 0x05, 0xA1, 0xA2, 0xA4, 0xA5] {
        assert_eq!(
            send(&mut card, &apdu(ins, 0, 0, &[])).1,
            0x6982,
            "INS {ins:02X}"
        );
    }

    // Wrong password: 6A80, still locked.
    let wrong = derive("hunter3", &salt);
    let data = validate_data(&hmac_sha1(&wrong, &card_challenge), &[7; 8]);
    assert_eq!(send(&mut card, &apdu(0xA3, 0, 0, &data)).1, 0x6A80);
    assert_eq!(send(&mut card, &apdu(0xA1, 0, 0, &[])).1, 0x6982);

    // Right password: the card proves it knows the key too.
    let host_challenge = [0x42; 8];
    let data = validate_data(&hmac_sha1(&key, &card_challenge), &host_challenge);
    let (resp, sw) = send(&mut card, &apdu(0xA3, 0, 0, &data));
    assert_eq!(sw, 0x9000);
    assert_eq!(tlvs(&resp)[&0x75], hmac_sha1(&key, &host_challenge));
    assert_eq!(transmit(&mut card, &apdu(0xA1, 0, 0, &[])).1, 0x9000);

    // SELECT drops the authentication; the old response does not work on a new challenge.
    let fresh = select(&mut card)[&0x74].clone();
    assert_ne!(fresh, card_challenge);
    assert_eq!(send(&mut card, &apdu(0xA1, 0, 0, &[])).1, 0x6982);
    assert_eq!(send(&mut card, &apdu(0xA3, 0, 0, &data)).1, 0x6A80);
    let data = validate_data(&hmac_sha1(&key, &fresh), &host_challenge);
    assert_eq!(send(&mut card, &apdu(0xA3, 0, 0, &data)).1, 0x9000);

    // `73 00` clears it.
    assert_eq!(send(&mut card, &apdu(0x03, 0, 0, &[0x73, 0])).1, 0x9000);
    let answer = select(&mut card);
    assert!(!answer.contains_key(&0x74) && !answer.contains_key(&0x7B));
    assert_eq!(transmit(&mut card, &apdu(0xA1, 0, 0, &[])).1, 0x9000);
    // VALIDATE without a password.
    assert_eq!(send(&mut card, &apdu(0xA3, 0, 0, &data)).1, 0x6984);
}

#[test]
fn reset_works_while_locked_and_renews_the_salt() {
    let mut card = card();
    let salt = select(&mut card).remove(&0x71).unwrap();
    Put::totp("acct", SEED_SHA1).send(&mut card);
    let key = derive("pw", &salt);
    let data = set_code_data(&key, &[1; 8], &hmac_sha1(&key, &[1; 8]));
    assert_eq!(send(&mut card, &apdu(0x03, 0, 0, &data)).1, 0x9000);
    select(&mut card);
    assert_eq!(send(&mut card, &apdu(0x04, 0, 0, &[])).1, 0x6B00);
    assert_eq!(send(&mut card, &apdu(0x04, 0xDE, 0xAD, &[])).1, 0x9000);
    let answer = select(&mut card);
    assert_ne!(answer[&0x71], salt);
    assert!(!answer.contains_key(&0x74));
    assert!(card.accounts().is_empty());
}
