//! `mfa code` against the virtual YubiKey, and compared with `ykman oath accounts code` inside
//! one time step. Re-exports the fixtures and ykman helpers the YubiKey tests use, so they can
//! `use common::yubikey::*`.

pub use super::fixtures::{
    ARN, AWS_ID, AWS_ISSUER, AWS_NAME, SEED_SHA1, SEED_SHA256, SEED_SHA512, in_one_step, now,
};
pub use super::output::{assert_two_line_failure, stderr_of, stdout_of};
pub use super::ykman::{ykman_add, ykman_code};

use super::{CardSlot, Sandbox};

/// Instruction bytes of YKOATH, for asserting what `mfa` sent to the card.
pub mod ins {
    pub const SELECT: u8 = 0xA4;
    pub const LIST: u8 = 0xA1;
    pub const CALCULATE: u8 = 0xA2;
    pub const VALIDATE: u8 = 0xA3;
}

/// Adds alice's AWS account ([`AWS_ISSUER`]:[`AWS_NAME`], [`SEED_SHA1`]) to the slot's card,
/// with ykman `options` (e.g. `-t` for touch).
pub fn add_aws_account(slot: &CardSlot, options: &[&str]) {
    let mut all = options.to_vec();
    all.extend_from_slice(&["-i", AWS_ISSUER]);
    ykman_add(slot, &all, AWS_NAME, SEED_SHA1);
}

/// Runs `mfa ARGS` in `sandbox`, expects success and returns stdout, which must be one line of
/// digits and nothing else.
pub fn mfa_code(sandbox: &Sandbox, args: &[&str]) -> String {
    mfa_code_with(sandbox, &[], args)
}

/// [`mfa_code`] with environment variables `envs` set.
pub fn mfa_code_with(sandbox: &Sandbox, envs: &[(&str, &str)], args: &[&str]) -> String {
    let output = sandbox.run_without_tty(envs, args);
    assert!(
        output.status.success(),
        "mfa {args:?} failed ({:?}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let code = stdout
        .strip_suffix('\n')
        .unwrap_or_else(|| panic!("no newline: {stdout:?}"));
    assert!(
        !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()),
        "stdout is not one line of digits: {stdout:?}"
    );
    code.to_owned()
}

/// `mfa ARGS` and `ykman oath accounts code -s [YKMAN_EXTRA…] YKMAN_QUERY`, calculated within
/// one step of `period` seconds.
pub fn codes_in_one_step(
    slot: &CardSlot,
    sandbox: &Sandbox,
    mfa_args: &[&str],
    ykman_query: &str,
    ykman_extra: &[&str],
    period: u64,
) -> (String, String) {
    in_one_step(period, || {
        let ykman = ykman_code(slot, ykman_query, ykman_extra);
        (mfa_code(sandbox, mfa_args), ykman)
    })
}
