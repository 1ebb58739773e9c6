//! A password-protected OATH application (set with ykman): the password from
//! `MFA_OATH_PASSWORD`, wrong, missing without a terminal, and remembered in / forgotten from
//! the real OS keyring.

#![allow(clippy::unwrap_used)]

mod common;

use common::yubikey::*;
use common::{CardConfig, CardSlot, Sandbox, insert_card};

const SELECT: u8 = 0xA4;
const VALIDATE: u8 = 0xA3;
const CALCULATE: u8 = 0xA2;

fn locked_card() -> CardSlot {
    let slot = insert_card(CardConfig::default());
    ykman_add(
        &slot,
        &["-i", "Amazon Web Services"],
        "alice@123456789012",
        SEED_SHA1,
    );
    slot.ykman(&["oath", "access", "change", "-n", "hunter2"]);
    slot
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn the_password_from_the_environment_unlocks_the_key() {
    let slot = locked_card();
    let sandbox = Sandbox::new();
    let env = [("MFA_OATH_PASSWORD", "hunter2")];
    let (mfa, ykman) = in_one_step(30, || {
        let ykman = ykman_code(&slot, AWS_ID, &["-p", "hunter2"]);
        (mfa_code_with(&sandbox, &env, &["code", AWS_ID]), ykman)
    });
    assert_eq!(mfa, ykman);
    let start = slot.card().apdu_count();
    mfa_code_with(&sandbox, &env, &["code", AWS_ID]);
    assert_eq!(
        slot.card().instructions()[start..],
        [SELECT, VALIDATE, CALCULATE]
    );
}

#[test]
fn a_wrong_password_is_an_error_not_a_loop() {
    let slot = locked_card();
    let start = slot.card().apdu_count();
    let output = Sandbox::new()
        .mfa_without_tty()
        .env("MFA_OATH_PASSWORD", "wrong")
        .args(["code", AWS_ID])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("mfa: wrong OATH password (from MFA_OATH_PASSWORD)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("  hint: correct MFA_OATH_PASSWORD"),
        "{stderr}"
    );
    assert!(!stderr.contains("wrong\n"), "the password is not echoed");
    assert_eq!(
        slot.card().instructions()[start..],
        [SELECT, VALIDATE],
        "one attempt"
    );
}

#[test]
fn a_missing_password_without_a_terminal_says_how_to_give_one() {
    let _slot = locked_card();
    for args in [&["code", AWS_ID][..], &["accounts"]] {
        let output = Sandbox::new()
            .mfa_without_tty()
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(output.stdout.is_empty());
        let stderr = stderr_of(&output);
        assert!(
            stderr.contains("mfa: the YubiKey's OATH accounts are protected by a password"),
            "{stderr}"
        );
        assert!(
            stderr.contains("MFA_OATH_PASSWORD") && stderr.contains("--remember-password"),
            "{stderr}"
        );
    }
}

/// Forgets what a test remembered, even when it fails half-way.
struct Forget<'a>(&'a Sandbox);

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        let _ = self
            .0
            .mfa_without_tty()
            .args(["accounts", "--forget-password"])
            .output();
    }
}

#[test]
fn a_remembered_password_unlocks_until_it_is_forgotten() {
    let slot = locked_card();
    let sandbox = Sandbox::new();
    let _forget = Forget(&sandbox);

    let output = sandbox
        .mfa_without_tty()
        .env("MFA_OATH_PASSWORD", "hunter2")
        .args(["accounts", "--remember-password"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains(AWS_ID));
    assert!(
        stderr_of(&output).contains("is remembered in the OS keyring"),
        "{}",
        stderr_of(&output)
    );

    // No variable, no terminal: the keyring unlocks, at the cost of one VALIDATE.
    let (mfa, ykman) = in_one_step(30, || {
        let ykman = ykman_code(&slot, AWS_ID, &["-p", "hunter2"]);
        (mfa_code(&sandbox, &["code", AWS_ID]), ykman)
    });
    assert_eq!(mfa, ykman);
    let start = slot.card().apdu_count();
    mfa_code(&sandbox, &["code", AWS_ID]);
    assert_eq!(
        slot.card().instructions()[start..],
        [SELECT, VALIDATE, CALCULATE]
    );

    let output = sandbox
        .mfa_without_tty()
        .args(["accounts", "--forget-password"])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(output.stdout.is_empty());
    assert!(stderr_of(&output).contains("Forgot the OATH password"));

    let output = sandbox
        .mfa_without_tty()
        .args(["code", AWS_ID])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr_of(&output).contains("protected by a password"));

    let output = sandbox
        .mfa_without_tty()
        .args(["accounts", "--forget-password"])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(stderr_of(&output).contains("No OATH password was remembered"));
}
