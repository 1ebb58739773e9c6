//! A password-protected OATH application (set with ykman): the password from
//! `MFA_OATH_PASSWORD`, wrong, missing without a terminal, and remembered in / forgotten from
//! the real OS keyring.

#![allow(clippy::unwrap_used)]

mod common;

use common::yubikey::ins::{CALCULATE, SELECT, VALIDATE};
use common::yubikey::*;
use common::{CardConfig, CardSlot, Sandbox, insert_card};

fn locked_card() -> CardSlot {
    let slot = insert_card(CardConfig::default());
    add_aws_account(&slot, &[]);
    slot.ykman(&["oath", "access", "change", "-n", "hunter2"]);
    slot
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
    let output =
        Sandbox::new().run_without_tty(&[("MFA_OATH_PASSWORD", "wrong")], &["code", AWS_ID]);
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
        let output = Sandbox::new().run_without_tty(&[], args);
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

    let output = sandbox.run_without_tty(
        &[("MFA_OATH_PASSWORD", "hunter2")],
        &["accounts", "--remember-password"],
    );
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(stdout_of(&output).contains(AWS_ID));
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

    let output = sandbox.run_without_tty(&[], &["accounts", "--forget-password"]);
    assert!(output.status.success());
    assert!(output.stdout.is_empty());
    assert!(stderr_of(&output).contains("Forgot the OATH password"));

    let output = sandbox.run_without_tty(&[], &["code", AWS_ID]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr_of(&output).contains("protected by a password"));

    let output = sandbox.run_without_tty(&[], &["accounts", "--forget-password"]);
    assert!(output.status.success());
    assert!(stderr_of(&output).contains("No OATH password was remembered"));
}
