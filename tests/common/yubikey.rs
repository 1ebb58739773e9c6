//! Helpers for the YubiKey tests: account data, the clock, and comparing `mfa code` with
//! `ykman oath accounts code` inside one time step.

use std::time::{SystemTime, UNIX_EPOCH};

use super::{CardSlot, Sandbox};

/// The account `mfa register` would create for [`ARN`].
pub const AWS_ID: &str = "Amazon Web Services:alice@123456789012";
/// An IAM virtual MFA device.
pub const ARN: &str = "arn:aws:iam::123456789012:mfa/alice";
/// RFC 4226/6238's SHA1 seed `12345678901234567890`, Base32.
pub const SEED_SHA1: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
/// RFC 6238's SHA256 seed (32 bytes), Base32.
pub const SEED_SHA256: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA";
/// RFC 6238's SHA512 seed (64 bytes), Base32.
pub const SEED_SHA512: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA";

/// Unix seconds now.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Adds an account with `ykman oath accounts add [OPTIONS] NAME SECRET`.
pub fn ykman_add(slot: &CardSlot, options: &[&str], name: &str, secret: &str) {
    let mut args = vec!["oath", "accounts", "add", "-f"];
    args.extend_from_slice(options);
    args.extend_from_slice(&[name, secret]);
    slot.ykman(&args);
}

/// Runs `mfa ARGS` in `sandbox`, expects success and returns stdout, which must be one line of
/// digits and nothing else.
pub fn mfa_code(sandbox: &Sandbox, args: &[&str]) -> String {
    mfa_code_with(sandbox, &[], args)
}

/// [`mfa_code`] with environment variables `envs` set.
pub fn mfa_code_with(sandbox: &Sandbox, envs: &[(&str, &str)], args: &[&str]) -> String {
    let output = sandbox
        .mfa_without_tty()
        .envs(envs.iter().copied())
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "mfa {args:?} failed ({:?}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let code = stdout
        .strip_suffix('\n')
        .unwrap_or_else(|| panic!("no newline: {stdout:?}"));
    assert!(
        !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()),
        "stdout is not one line of digits: {stdout:?}"
    );
    code.to_owned()
}

/// Runs `f` until one run starts and ends in the same step of `period` seconds (a step
/// boundary passed in between: run it again), and returns what that run returned.
pub fn in_one_step<T>(period: u64, mut f: impl FnMut() -> T) -> T {
    for _ in 0..3 {
        let before = now() / period;
        let result = f();
        if now() / period == before {
            return result;
        }
    }
    panic!("three step boundaries in a row: the clock is jumping");
}

/// `ykman oath accounts code -s [YKMAN_EXTRA…] QUERY`: the code alone.
pub fn ykman_code(slot: &CardSlot, query: &str, extra: &[&str]) -> String {
    let mut args = vec!["oath", "accounts", "code", "-s"];
    args.extend_from_slice(extra);
    args.push(query);
    slot.ykman(&args).trim().to_owned()
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
