//! `mfa devices`, several keys, and the errors of reaching a key: no card in the reader, a
//! reader that does not exist, pcscd not running.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};

use common::fixtures::NO_PCSCD;
use common::ykman::{add_in, code_in};
use common::yubikey::*;
use common::{CardConfig, Sandbox, TouchMode, insert_card};

#[test]
fn lists_readers_and_keys() {
    let slot = insert_card(CardConfig::default());
    let sandbox = Sandbox::new();
    let reader = slot.reader().to_owned();
    let empty = slot.empty_reader().to_owned();

    let output = sandbox.run_without_tty(&[], &["devices", "--json"]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let rows: Value = serde_json::from_slice(&output.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    let row = |name: &str| rows.iter().find(|r| r["reader"] == name).unwrap().clone();
    assert_eq!(
        row(&reader),
        json!({
            "reader": reader, "card": true, "kind": "yubikey", "serial": 12345678, "firmware": "5.4.3",
            "oath_version": "5.4.3", "password": false
        })
    );
    assert_eq!(
        row(&empty),
        json!({
            "reader": empty, "card": false, "kind": null, "serial": null, "firmware": null,
            "oath_version": null, "password": null
        })
    );

    slot.ykman(&["oath", "access", "change", "-n", "hunter2"]);
    let output = sandbox.run_without_tty(&[], &["devices"]);
    assert!(output.status.success());
    let table = stdout_of(&output);
    assert!(table.starts_with("READER"), "{table}");
    let line = table.lines().find(|l| l.starts_with(&reader)).unwrap();
    assert_eq!(
        line.split_whitespace().rev().take(5).collect::<Vec<_>>(),
        ["yes", "5.4.3", "5.4.3", "12345678", "YubiKey"],
        "{table}"
    );
    let line = table.lines().find(|l| l.starts_with(&empty)).unwrap();
    assert!(line.ends_with("(no card)"), "{table}");
}

#[test]
fn two_keys_need_a_choice() {
    let mut slot = insert_card(CardConfig::default());
    slot.insert_second(CardConfig {
        serial: 87_654_321,
        ..CardConfig::default()
    });
    let second = slot.empty_reader().to_owned();
    let sandbox = Sandbox::new();
    add_aws_account(&slot, &[]);
    add_in(&second, &["-i", AWS_ISSUER], AWS_NAME, SEED_SHA256);

    let output = sandbox.run_without_tty(&[], &["code", AWS_ID]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    assert!(output.stdout.is_empty());
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("mfa: several YubiKeys are connected"),
        "{stderr}"
    );
    assert!(
        stderr.contains("serial 12345678") && stderr.contains("serial 87654321"),
        "{stderr}"
    );
    assert!(
        stderr.contains("  hint: choose one with --serial"),
        "{stderr}"
    );

    let ykman_second = || code_in(&second, AWS_ID, &[]);
    let (mfa, ykman) = in_one_step(30, || {
        let ykman = ykman_second();
        (
            mfa_code(&sandbox, &["--serial", "87654321", "code", AWS_ID]),
            ykman,
        )
    });
    assert_eq!(mfa, ykman);
    let (mfa, ykman) = in_one_step(30, || {
        let ykman = ykman_code(&slot, AWS_ID, &[]);
        (
            mfa_code(&sandbox, &["--serial", "12345678", "code", AWS_ID]),
            ykman,
        )
    });
    assert_eq!(mfa, ykman);
    // The profile's mfa_yubikey_serial chooses too; --reader as well.
    sandbox.write_config(&format!(
        "[default]\nmfa_serial = {ARN}\nmfa_yubikey_serial = 87654321\n"
    ));
    let (mfa, ykman) = in_one_step(30, || {
        let ykman = ykman_second();
        (mfa_code(&sandbox, &["code"]), ykman)
    });
    assert_eq!(mfa, ykman);
    let (mfa, ykman) = in_one_step(30, || {
        let ykman = ykman_second();
        (
            mfa_code(&sandbox, &["--reader", "PCD 00 01", "code", AWS_ID]),
            ykman,
        )
    });
    assert_eq!(mfa, ykman);

    let output = sandbox.run_without_tty(&[], &["--serial", "5", "code"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr_of(&output).contains("no YubiKey with serial 5"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn an_empty_reader_is_named() {
    // Holding the card keeps the second reader empty (the two-key test fills it).
    let slot = insert_card(CardConfig::default());
    let empty = slot.empty_reader().to_owned();
    let output = Sandbox::new().run_without_tty(&[], &["--reader", &empty, "code"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains(&format!("mfa: no card in the reader `{empty}`")),
        "{stderr}"
    );
    assert!(stderr.contains("  hint: insert the YubiKey"), "{stderr}");

    let output = Sandbox::new().run_without_tty(&[], &["--reader", "Nano", "accounts"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr_of(&output);
    assert!(stderr.contains("mfa: no reader matches `Nano`"), "{stderr}");
    assert!(stderr.contains("Virtual PCD 00 00"), "{stderr}");
}

#[test]
fn pcscd_not_running_says_how_to_start_it() {
    for args in [&["code"][..], &["accounts"], &["devices", "--json"]] {
        let output = Sandbox::new().run_without_tty(&[NO_PCSCD], args);
        let [what, hint] = assert_two_line_failure(&output, 1);
        assert!(what.starts_with("mfa: pcscd is not running"), "{what}");
        assert!(
            hint.starts_with("  hint: start it with `systemctl start pcscd`"),
            "{hint}"
        );
    }
}

#[test]
fn a_key_pulled_out_during_a_touch_is_reported_as_removed() {
    let mut slot = insert_card(CardConfig::default());
    let sandbox = Sandbox::new();
    add_aws_account(&slot, &["-t"]);
    slot.card()
        .set_touch(TouchMode::Delay(Duration::from_secs(2)));
    let mut child = sandbox
        .mfa_std_without_tty()
        .args(["code", AWS_ID])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut notice = String::new();
    stderr.read_line(&mut notice).unwrap();
    assert!(notice.contains("Touch your YubiKey"), "{notice}");
    slot.remove();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{rest}");
    let lines: Vec<&str> = rest.lines().collect();
    assert_eq!(
        lines,
        [
            format!(
                "mfa: the YubiKey in `{}` was removed during the operation",
                slot.reader()
            ),
            "  hint: plug it back in and run the command again".to_owned(),
        ]
    );
}

#[test]
fn a_key_held_by_another_program_is_reported_busy() {
    let slot = insert_card(CardConfig::default());
    add_aws_account(&slot, &[]);
    // Another program holds the card exclusively.
    let context = pcsc::Context::establish(pcsc::Scope::User).unwrap();
    let reader = std::ffi::CString::new(slot.reader()).unwrap();
    let _held = context
        .connect(&reader, pcsc::ShareMode::Exclusive, pcsc::Protocols::ANY)
        .unwrap();
    let output = Sandbox::new().run_without_tty(&[], &["code", AWS_ID]);
    let [what, hint] = assert_two_line_failure(&output, 1);
    assert_eq!(
        what,
        format!(
            "mfa: the YubiKey in `{}` is in use by another program",
            slot.reader()
        )
    );
    assert!(hint.contains("gpgconf --kill scdaemon"), "{hint}");
}
