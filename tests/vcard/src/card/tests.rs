//! Card-level tests: application selection, Management/OTP answers, APDU forms, chaining,
//! and robustness against garbage.
#![allow(clippy::unwrap_used)]

use crate::testutil::*;
use crate::{CardConfig, OathCard};

const MANAGEMENT_AID: &[u8] = &crate::management::AID;
const OTP_AID: &[u8] = &crate::otp::AID;

#[test]
fn unknown_aid_and_instruction() {
    let mut card = card();
    assert_eq!(
        send(&mut card, &apdu(0xA4, 4, 0, &[0xA0, 0, 0, 3, 8])).1,
        0x6A82
    );
    // Nothing selected: no application answers.
    assert_eq!(send(&mut card, &apdu(0xA1, 0, 0, &[])).1, 0x6D00);
    select(&mut card);
    assert_eq!(send(&mut card, &apdu(0x42, 0, 0, &[])).1, 0x6D00);
    // A failed SELECT keeps OATH selected.
    assert_eq!(send(&mut card, &apdu(0xA4, 4, 0, &[0xD2, 0x76])).1, 0x6A82);
    assert_eq!(send(&mut card, &apdu(0xA1, 0, 0, &[])).1, 0x9000);
    assert_eq!(send(&mut card, &[0x80, 0xA1, 0, 0]).1, 0x6E00);
}

#[test]
fn select_answers_version_and_salt() {
    let mut card = OathCard::new(CardConfig {
        version: [5, 7, 1],
        ..CardConfig::default()
    });
    let answer = select(&mut card);
    assert_eq!(answer[&0x79], [5, 7, 1]);
    assert_eq!(answer[&0x71].len(), 8);
    assert_eq!(answer.len(), 2);
    // The salt (device id) is stable across SELECTs and power cycles.
    card.power_cycle();
    assert_eq!(select(&mut card)[&0x71], answer[&0x71]);
}

#[test]
fn management_device_info() {
    let mut card = OathCard::new(CardConfig {
        serial: 0x0102_0304,
        ..CardConfig::default()
    });
    let (version, sw) = send(&mut card, &apdu(0xA4, 4, 0, MANAGEMENT_AID));
    assert_eq!((version.as_slice(), sw), (&b"5.4.3"[..], 0x9000));
    let (info, sw) = send(&mut card, &apdu(0x1D, 0, 0, &[]));
    assert_eq!(sw, 0x9000);
    assert_eq!(usize::from(info[0]), info.len() - 1);
    let fields = tlvs(&info[1..]);
    assert_eq!(fields[&0x02], [1, 2, 3, 4]);
    assert_eq!(fields[&0x05], [5, 4, 3]);
    assert_eq!(fields[&0x01], [0x02, 0x3B]);
    assert_eq!(fields[&0x04], [0x01]);
}

#[test]
fn otp_serial() {
    let mut card = card();
    let (status, sw) = send(&mut card, &apdu(0xA4, 4, 0, OTP_AID));
    assert_eq!((&status[..3], sw), (&[5u8, 4, 3][..], 0x9000));
    let (serial, sw) = send(&mut card, &apdu(0x01, 0x10, 0, &[]));
    assert_eq!((serial, sw), (12_345_678u32.to_be_bytes().to_vec(), 0x9000));
}

#[test]
fn selecting_another_application_drops_oath_authentication() {
    let mut card = card();
    select(&mut card);
    Put::totp("a", b"12345678901234567890").send(&mut card);
    send(&mut card, &apdu(0xA4, 4, 0, MANAGEMENT_AID));
    // OATH instructions mean nothing to the Management application.
    assert_eq!(send(&mut card, &apdu(0xA1, 0, 0, &[])).1, 0x6D00);
    select(&mut card);
    assert_eq!(transmit(&mut card, &apdu(0xA1, 0, 0, &[])).1, 0x9000);
}

#[test]
fn extended_apdus_and_command_chaining() {
    let mut card = card();
    select(&mut card);
    let data = Put::totp("chained", b"12345678901234567890").data();
    // Extended form with Le.
    let mut ext = vec![0, 0x01, 0, 0, 0];
    ext.extend_from_slice(&(data.len() as u16).to_be_bytes());
    ext.extend_from_slice(&data);
    ext.extend([0, 0]);
    assert_eq!(send(&mut card, &ext).1, 0x9000);
    // Command chaining: CLA 10 for all but the last piece.
    let (head, tail) = data.split_at(10);
    let mut first = apdu(0x01, 0, 0, head);
    first[0] = 0x10;
    assert_eq!(send(&mut card, &first).1, 0x9000);
    assert_eq!(send(&mut card, &apdu(0x01, 0, 0, tail)).1, 0x9000);
    assert_eq!(card.accounts(), ["chained"]);
    // Extended SEND REMAINING, as ykman 5 sends it.
    let (_, sw) = send(&mut card, &[0, 0xA5, 0, 0, 0, 0, 0]);
    assert_eq!(sw, 0x9000);
}

#[test]
fn factory_reset_wipes_everything() {
    let mut card = card();
    let salt = select(&mut card)[&0x71].clone();
    Put::totp("a", b"12345678901234567890").send(&mut card);
    card.factory_reset();
    assert!(card.accounts().is_empty());
    assert_eq!(send(&mut card, &apdu(0xA1, 0, 0, &[])).1, 0x6D00);
    assert_ne!(select(&mut card)[&0x71], salt);
}

/// A small deterministic generator, so failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u8 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 56) as u8
    }
}

#[test]
fn garbage_never_panics() {
    let mut rng = Lcg(0x5EED);
    let mut card = card();
    let headers: [&[u8]; 4] = [&[], &[0, 0xA4, 4, 0], &[0, 0x01, 0, 0], &[0, 0xA2, 0, 1]];
    for round in 0..20_000 {
        if round % 50 == 0 {
            // Keep OATH selected most of the time, with accounts present.
            select(&mut card);
            Put {
                touch: round % 100 == 0,
                ..Put::totp("x", b"12345678901234567890")
            }
            .send(&mut card);
        }
        let len = usize::from(rng.next()) % 80;
        let mut msg: Vec<u8> = headers[round % 4].to_vec();
        msg.extend((0..len).map(|_| rng.next()));
        if round % 3 == 0 && msg.len() > 4 {
            // Make the length byte consistent so the body reaches the application.
            msg[4] = (msg.len() - 5) as u8;
        }
        if round % 7 == 0 && msg.len() > 1 {
            msg[1] = [0x01, 0x02, 0x03, 0x04, 0x05, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5][round % 10];
        }
        let resp = card.execute(&msg);
        assert!(resp.len() >= 2);
    }
    // Structured garbage: every instruction with TLVs whose lengths lie.
    select(&mut card);
    for ins in [0x01u8, 0x02, 0x03, 0x05, 0xA2, 0xA3, 0xA4] {
        for data in [
            vec![0x71],
            vec![0x71, 0x81],
            vec![0x71, 0x82, 0xFF, 0xFF],
            vec![0x71, 0x01, b'x', 0x73, 0x00],
            vec![0x71, 0x01, b'x', 0x73, 0x01, 0x21],
            vec![0x71, 0x01, b'x', 0x73, 0x02, 0x21, 0x06, 0x78],
            vec![0x71, 0x01, b'x', 0x73, 0x02, 0x21, 0x06, 0x7A, 0x04, 1],
            vec![0x75, 0x00, 0x74, 0x00],
            vec![0x73, 0x01, 0x21, 0x74, 0x00, 0x75, 0x00],
            vec![0x74, 0x90],
        ] {
            for p2 in [0, 1] {
                let resp = card.execute(&apdu(ins, 0, p2, &data));
                assert!(resp.len() >= 2);
            }
        }
    }
}

#[test]
fn a_refusal_fault_answers_its_status_once_and_stores_nothing() {
    let mut card = OathCard::new(CardConfig {
        fault: Some(crate::Fault::Refuse {
            ins: crate::INS_PUT,
            sw: 0x6A80,
        }),
        ..CardConfig::default()
    });
    // Not for another application: the OTP application's INS 01 is left alone.
    send(&mut card, &apdu(0xA4, 4, 0, OTP_AID));
    assert_ne!(send(&mut card, &apdu(0x01, 0, 0, &[])).1, 0x6A80);
    select(&mut card);
    assert_eq!(Put::totp("a", &[1; 16]).send(&mut card), 0x6A80);
    assert!(card.accounts().is_empty());
    assert!(!card.take_pulled());
    // Once only.
    assert_eq!(Put::totp("a", &[1; 16]).send(&mut card), 0x9000);
    assert_eq!(card.accounts(), ["a"]);
}

#[test]
fn a_pull_fault_carries_the_command_out_and_raises_the_flag_once() {
    let mut card = card();
    select(&mut card);
    assert_eq!(send(&mut card, &apdu(0xA1, 0, 0, &[])).1, 0x9000);
    card.set_fault(Some(crate::Fault::Pull {
        ins: crate::INS_PUT,
    }));
    assert!(!card.take_pulled());
    assert_eq!(Put::totp("a", &[1; 16]).send(&mut card), 0x9000);
    assert!(card.take_pulled());
    assert!(!card.take_pulled());
    assert_eq!(card.accounts(), ["a"]);
    assert_eq!(Put::totp("b", &[1; 16]).send(&mut card), 0x9000);
    assert!(!card.take_pulled());
}
