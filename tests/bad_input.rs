//! Bad input and faults met through the real binary (docs/bad-input.md): each test is named after
//! what broke before it was fixed, and checks what the user sees — the two lines, the exit status,
//! no secret — and what the STS double saw (no code spent when none should be).

#![allow(clippy::unwrap_used)]

mod common;

use common::aws::{World, aws_vars};
use common::output::{assert_two_line_failure, stderr_of, stdout_of};

#[test]
fn the_child_inherited_mfa_code_and_mfa_oath_password() {
    let world = World::new();
    let out = world
        .mfa()
        .args(["exec", "--", "env"])
        .env("MFA_CODE", world.code_now())
        .env("MFA_OATH_PASSWORD", "oath-password-of-the-test")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let vars = aws_vars(&out.stdout);
    assert!(vars["AWS_ACCESS_KEY_ID"].starts_with("ASIA"), "{vars:?}");
    assert!(!vars.contains_key("MFA_CODE"), "{vars:?}");
    assert!(!vars.contains_key("MFA_OATH_PASSWORD"), "{vars:?}");
    assert!(!stdout_of(&out).contains("oath-password-of-the-test"));
}

#[test]
fn the_server_child_inherited_mfa_code_and_mfa_oath_password() {
    let world = World::new();
    let out = world
        .mfa()
        .args(["exec", "--server", "--", "env"])
        .env("MFA_CODE", world.code_now())
        .env("MFA_OATH_PASSWORD", "oath-password-of-the-test")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let vars = aws_vars(&out.stdout);
    assert!(
        vars.contains_key("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
        "{vars:?}"
    );
    assert!(!vars.contains_key("MFA_CODE"), "{vars:?}");
    assert!(!vars.contains_key("MFA_OATH_PASSWORD"), "{vars:?}");
}
