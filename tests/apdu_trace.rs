//! The library's APDU trace against the virtual YubiKey: `PcscConnector::with_trace` reports
//! every exchange of a transaction, with the PUT key and the CALCULATE answer redacted.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::mpsc;

use mfa::oath::{CredentialData, OathSession};
use mfa::secret::SecretBytes;
use mfa::sources::yubikey::{Connector, PcscConnector};

use common::{CardConfig, insert_card};

#[test]
fn a_traced_transaction_on_a_real_reader_hides_the_key_and_the_code() {
    let slot = insert_card(CardConfig::default());
    let (sender, receiver) = mpsc::channel();
    let mut connector = PcscConnector::new().with_trace(move |line: &str| {
        let _ = sender.send(line.to_owned());
    });
    let code = connector
        .with_transaction(slot.reader(), |transport| {
            let mut session = OathSession::select(transport).unwrap();
            let secret = SecretBytes::new(b"KEYKEYKEYKEYKEYKEYKE".to_vec());
            let id = session
                .put(&CredentialData::totp(Some("Trace"), "alice", secret), false)
                .unwrap();
            session.calculate(&id, 1_700_000_000).unwrap()
        })
        .unwrap();
    drop(connector);
    let lines: Vec<String> = receiver.iter().collect();
    let all = lines.join("\n");
    assert_eq!(
        lines.len(),
        6,
        "SELECT, PUT, CALCULATE and their answers:\n{all}"
    );
    assert!(
        lines[0].starts_with("> 00 A4 04 00 07 A0 00 00 05 27 21 01"),
        "{all}"
    );
    assert!(lines[2].starts_with("> 00 01 00 00 # "), "{all}");
    assert!(lines[5].starts_with("< 90 00 # "), "{all}");
    assert!(!all.contains("4B 45 59"), "the key leaked:\n{all}");
    assert_eq!(
        code.value().expose().len(),
        6,
        "the code itself reaches the caller"
    );
}

/// `mfa --trace-apdu code`: the trace reaches stderr with the CALCULATE answer redacted, while
/// stdout still carries only the code.
#[test]
fn the_trace_option_prints_redacted_apdus_on_stderr() {
    use common::Sandbox;
    use common::yubikey::{AWS_ID, SEED_SHA1, ykman_add};

    let slot = insert_card(CardConfig::default());
    ykman_add(
        &slot,
        &["-i", "Amazon Web Services"],
        "alice@123456789012",
        SEED_SHA1,
    );
    let sandbox = Sandbox::new();
    let output = sandbox
        .mfa_without_tty()
        .args(["--trace-apdu", "code", AWS_ID])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let code = String::from_utf8(output.stdout).unwrap();
    assert_eq!(code.trim().len(), 6, "{code}");
    assert!(
        stderr.contains("mfa: apdu > 00 A4 04 00 07 A0 00 00 05 27 21 01"),
        "{stderr}"
    );
    assert!(stderr.contains("mfa: apdu > 00 A2 00 01"), "{stderr}");
    assert!(stderr.contains("bytes of data redacted"), "{stderr}");
    assert!(!stderr.contains(code.trim()), "the code leaked:\n{stderr}");
    // Without the option, no trace.
    let output = sandbox
        .mfa_without_tty()
        .args(["code", AWS_ID])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&output.stderr).contains("apdu"));
}
