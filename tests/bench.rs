//! The test bench checks itself: every later test trusts it, so these fail loudly (with how to
//! start it) instead of skipping when a part is missing.
//!
//! - the virtual YubiKey answers through the real pcscd + vpcd stack, and Yubico's ykman sees an
//!   OATH application and the configured serial on it;
//! - the second reader is empty;
//! - moto answers IAM on loopback.

mod common;

use common::ykman::ykman_add;
use common::{CardConfig, TouchMode, insert_card};

/// SELECT of the OATH application through pcscd, the way any PC/SC client does it.
#[test]
fn virtual_yubikey_answers_select_through_pcscd() {
    let slot = insert_card(CardConfig::default());
    let ctx = pcsc::Context::establish(pcsc::Scope::User).unwrap();
    let mut names = vec![0u8; 2048];
    let reader = ctx
        .list_readers(&mut names)
        .unwrap()
        .find(|r| r.to_string_lossy().contains(slot.reader()))
        .unwrap()
        .to_owned();
    let card = ctx
        .connect(&reader, pcsc::ShareMode::Shared, pcsc::Protocols::ANY)
        .unwrap();
    let mut buf = [0u8; 258];
    let answer = card
        .transmit(
            &[
                0x00, 0xA4, 0x04, 0x00, 0x07, 0xA0, 0x00, 0x00, 0x05, 0x27, 0x21, 0x01,
            ],
            &mut buf,
        )
        .unwrap();
    assert_eq!(
        &answer[answer.len() - 2..],
        [0x90, 0x00],
        "SELECT failed: {answer:02X?}"
    );
    assert_eq!(answer[0], 0x79, "no VERSION tag first: {answer:02X?}");
    assert_eq!(&answer[2..5], [5, 4, 3], "version");
    assert!(slot.card().apdu_count() >= 1);
}

#[test]
fn ykman_sees_the_oath_application_and_serial() {
    let slot = insert_card(CardConfig {
        serial: 7_654_321,
        ..CardConfig::default()
    });
    let info = slot.ykman(&["info"]);
    assert!(
        info.contains("7654321"),
        "ykman info lacks the serial:\n{info}"
    );
    let oath = slot.ykman(&["oath", "info"]);
    assert!(
        oath.contains("5.4.3"),
        "ykman oath info lacks the version:\n{oath}"
    );
}

#[test]
fn second_reader_is_empty_until_a_test_inserts_a_card() {
    let mut slot = insert_card(CardConfig::default());
    let ctx = pcsc::Context::establish(pcsc::Scope::User).unwrap();
    let mut names = vec![0u8; 2048];
    let reader = ctx
        .list_readers(&mut names)
        .unwrap()
        .find(|r| r.to_string_lossy().contains(slot.empty_reader()))
        .unwrap()
        .to_owned();
    let empty = ctx.connect(&reader, pcsc::ShareMode::Shared, pcsc::Protocols::ANY);
    assert!(
        matches!(empty, Err(pcsc::Error::NoSmartcard)),
        "{:?}",
        empty.err()
    );
    slot.insert_second(CardConfig::default());
    let card = ctx.connect(&reader, pcsc::ShareMode::Shared, pcsc::Protocols::ANY);
    assert!(card.is_ok(), "{:?}", card.err());
}

/// moto is the independent IAM implementation later registration tests run against.
#[test]
fn moto_answers_iam_on_loopback() {
    let url = common::moto_url();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let output = std::process::Command::new("curl")
        .args(["-s", "--max-time", "5", "-d", "Action=ListUsers&Version=2010-05-08"])
        .args(["-H", "Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261121/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0"])
        .arg(format!("{url}/"))
        .output()
        .unwrap();
    let body = String::from_utf8_lossy(&output.stdout);
    assert!(
        body.contains("<ListUsersResponse"),
        "moto did not answer ListUsers: {body}"
    );
}

/// vpcd holds one card per reader: a second card connecting to a busy port is never contacted,
/// and `RunningCard::insert` reports that instead of hanging.
#[test]
fn a_second_card_in_a_busy_reader_is_an_error() {
    let slot = insert_card(CardConfig::default());
    let second = common::RunningCard::insert(common::bench().vpcd_port, CardConfig::default());
    assert_eq!(second.unwrap_err().kind(), std::io::ErrorKind::TimedOut);
    assert!(slot.card().is_connected());
}

/// Repeated insertion and removal leaves pcscd and the reader in a clean state.
#[test]
fn insert_and_remove_repeatedly() {
    for _ in 0..3 {
        let slot = insert_card(CardConfig::default());
        assert_eq!(slot.card().apdu_count(), 0);
    }
}

/// The card's counters and touch modes, seen through pcscd by Yubico's ykman.
#[test]
fn counters_and_touch_modes_through_ykman() {
    use std::time::{Duration, Instant};
    let slot = insert_card(CardConfig::default());
    ykman_add(&slot, &["-t"], "t", "JBSWY3DPEHPK3PXP");
    assert_eq!(slot.card().with_card(|c| c.accounts()), ["t"]);
    let instructions = slot.card().instructions();
    assert_eq!(instructions.len(), slot.card().apdu_count());
    assert!(
        instructions.contains(&0xA4) && instructions.contains(&0x01),
        "{instructions:02X?}"
    );

    slot.card().set_touch(TouchMode::Deny);
    let denied = slot.ykman_output(&["oath", "accounts", "code", "-s", "t"]);
    assert!(!denied.status.success());
    assert!(String::from_utf8_lossy(&denied.stderr).contains("Touch account timed out"));
    assert_eq!(slot.card().touch_count(), 1);

    slot.card()
        .set_touch(TouchMode::Delay(Duration::from_millis(300)));
    let start = Instant::now();
    slot.ykman(&["oath", "accounts", "code", "-s", "t"]);
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert_eq!(slot.card().touch_count(), 2);

    slot.card().reset();
    assert_eq!(
        (slot.card().apdu_count(), slot.card().touch_count()),
        (0, 0)
    );
    assert!(slot.card().with_card(|c| c.accounts()).is_empty());
}
