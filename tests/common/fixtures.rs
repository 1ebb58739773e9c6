//! The data the tests share — alice, her IAM MFA device, its OATH account, the RFC seeds — and the
//! clock.

use std::time::{SystemTime, UNIX_EPOCH};

/// alice's AWS account.
pub const ACCOUNT: &str = "123456789012";
/// An IAM virtual MFA device: alice's `mfa_serial`.
pub const ARN: &str = "arn:aws:iam::123456789012:mfa/alice";
/// The OATH account `mfa register` would create for [`ARN`].
pub const AWS_ID: &str = "Amazon Web Services:alice@123456789012";
/// The issuer part of [`AWS_ID`] (`ykman … -i ISSUER NAME`).
pub const AWS_ISSUER: &str = "Amazon Web Services";
/// The name part of [`AWS_ID`].
pub const AWS_NAME: &str = "alice@123456789012";

/// alice's long-term access key id, known to the STS double.
pub const ACCESS_KEY: &str = "AKIAALICE00000000001";
/// alice's long-term secret key; output must never show it.
pub const SECRET_KEY: &str = "alice-long-term-secret";
/// A role alice may assume with MFA, for at most an hour.
pub const ADMIN_ROLE: &str = "arn:aws:iam::123456789012:role/Admin";
/// A role alice may assume with MFA for up to 12 hours.
pub const LONG_ROLE: &str = "arn:aws:iam::123456789012:role/LongAdmin";

/// RFC 4226/6238's SHA1 seed `12345678901234567890`, Base32.
pub const SEED_SHA1: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
/// RFC 6238's SHA256 seed (32 bytes), Base32.
pub const SEED_SHA256: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA";
/// RFC 6238's SHA512 seed (64 bytes), Base32.
pub const SEED_SHA512: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA";

/// A pcscd socket that does not exist: `mfa` run with it finds no PC/SC service, so it never
/// touches a virtual card another test inserted.
pub const NO_PCSCD: (&str, &str) = ("PCSCLITE_CSOCK_NAME", "/nonexistent/pcscd.comm");

/// Unix seconds now.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
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
