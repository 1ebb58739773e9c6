//! `mfa` against a Nitrokey 3: Nitrokey's own secrets app (tests/nkcard) as a virtual card in
//! the bench reader. Codes equal RFC 6238 from the seed; listing survives the app refusing
//! CALCULATE ALL; an SHA512 account (stored, never calculated) gets its own clear error. See
//! docs/nitrokey.md.

#![allow(clippy::unwrap_used)]

mod common;

use common::aws::{OATH_ACCOUNT, World, aws_vars};
use common::fixtures::{SEED_SHA1, SEED_SHA256, SEED_SHA512, in_one_step, now};
use common::nitrokey::{NitrokeySlot, insert_nitrokey};
use common::output::{assert_two_line_failure, stderr_of, stdout_of};
use common::sandbox::Sandbox;
use hmac::{Hmac, Mac};

/// RFC 6238 (RFC 4226 truncation) from the RFC's ASCII seeds, independent of `mfa`'s code.
fn rfc6238(algorithm: &str, digits: u32, period: u64, unix_time: u64) -> String {
    let counter = (unix_time / period).to_be_bytes();
    let digest: Vec<u8> = match algorithm {
        "SHA1" => {
            let mut mac = Hmac::<sha1::Sha1>::new_from_slice(b"12345678901234567890").unwrap();
            mac.update(&counter);
            mac.finalize().into_bytes().to_vec()
        }
        "SHA256" => {
            let mut mac =
                Hmac::<sha2::Sha256>::new_from_slice(b"12345678901234567890123456789012").unwrap();
            mac.update(&counter);
            mac.finalize().into_bytes().to_vec()
        }
        other => panic!("no RFC 6238 seed for {other} here"),
    };
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let value = u32::from_be_bytes(digest[offset..offset + 4].try_into().unwrap()) & 0x7fff_ffff;
    format!(
        "{:0width$}",
        value % 10u32.pow(digits),
        width = digits as usize
    )
}

fn mfa(sandbox: &Sandbox, token: &NitrokeySlot, args: &[&str]) -> std::process::Output {
    sandbox
        .mfa()
        .env("MFA_READER", token.reader())
        .args(args)
        .output()
        .unwrap()
}

/// The accounts every test here puts on the token: SHA1/6/30 s, SHA256/8/60 s, SHA1 touch.
fn token_with_accounts() -> NitrokeySlot {
    let token = insert_nitrokey();
    token.add(&["-o", "TOTP"], "sha1", SEED_SHA1);
    token.add(
        &["-o", "TOTP", "-a", "SHA256", "-d", "8", "-P", "60"],
        "sha256",
        SEED_SHA256,
    );
    token.add(&["-o", "TOTP", "-t"], "touch", SEED_SHA1);
    token
}

#[test]
fn codes_equal_rfc_6238_for_every_supported_kind() {
    let token = token_with_accounts();
    let sandbox = Sandbox::new();
    for (account, algorithm, digits, period) in [
        ("sha1", "SHA1", 6, 30),
        ("60/sha256", "SHA256", 8, 60),
        // trussed's virtual platform always grants user presence: the touch is given at once.
        ("touch", "SHA1", 6, 30),
    ] {
        let (output, expected) = in_one_step(period, || {
            let output = mfa(&sandbox, &token, &["code", account]);
            (output, rfc6238(algorithm, digits, period, now()))
        });
        assert!(output.status.success(), "{}", stderr_of(&output));
        assert_eq!(stdout_of(&output).trim(), expected, "account {account}");
    }
}

#[test]
fn accounts_fall_back_to_list_when_calculate_all_is_refused() {
    let token = token_with_accounts();
    token.add(&["-o", "TOTP", "-a", "SHA512"], "sha512", SEED_SHA512);
    let sandbox = Sandbox::new();
    let output = mfa(&sandbox, &token, &["accounts"]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let stdout = stdout_of(&output);
    for line in [
        "sha512     TOTP  SHA512",
        "touch      TOTP  SHA1",
        "60/sha256  TOTP  SHA256",
        "sha1       TOTP  SHA1",
    ] {
        assert!(stdout.contains(line), "{line:?} missing from:\n{stdout}");
    }
    // Digits and touch are unknown without CALCULATE ALL, as in `ykman oath accounts list`.
    assert!(stdout.contains('?'), "{stdout}");
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("CALCULATE ALL") && stderr.contains("digits and touch unknown"),
        "{stderr}"
    );

    let output = mfa(&sandbox, &token, &["accounts", "--json"]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let stdout = stdout_of(&output);
    assert!(stdout.contains("\"digits\": null"), "{stdout}");
    assert!(stdout.contains("\"algorithm\": \"SHA512\""), "{stdout}");

    // ykman lists the same four accounts.
    let listed = String::from_utf8_lossy(&token.ykman_output(&["oath", "accounts", "list"]).stdout)
        .into_owned();
    assert_eq!(listed.lines().count(), 4, "{listed}");
}

#[test]
fn an_sha512_account_is_refused_as_unsupported_not_as_a_broken_key() {
    let token = insert_nitrokey();
    token.add(&["-o", "TOTP", "-a", "SHA512"], "sha512", SEED_SHA512);
    let sandbox = Sandbox::new();
    let output = mfa(&sandbox, &token, &["code", "sha512"]);
    let [what, hint] = assert_two_line_failure(&output, 1);
    assert_eq!(
        what,
        "mfa: this key does not support SHA512 accounts (account `sha512`)"
    );
    assert!(!hint.contains("unplug"), "{hint}");
    assert!(hint.contains("SHA1 or SHA256"), "{hint}");
}

#[test]
fn devices_names_the_token_a_nitrokey_from_what_it_answers() {
    let token = insert_nitrokey();
    let sandbox = Sandbox::new();
    let output = mfa(&sandbox, &token, &["devices", "--json"]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let stdout = stdout_of(&output);
    let row = stdout
        .split('}')
        .find(|row| row.contains(token.reader()))
        .unwrap_or_else(|| panic!("no row for {:?}: {stdout}", token.reader()));
    for field in [
        "\"kind\": \"nitrokey\"",
        "\"firmware\": null",
        "\"oath_version\": \"4.16.0\"",
        "\"password\": false",
    ] {
        assert!(row.contains(field), "{field} missing from {row}");
    }
}

#[test]
fn a_password_for_a_token_without_one_is_ignored_with_a_note_at_v() {
    let token = insert_nitrokey();
    token.add(&["-o", "TOTP"], "sha1", SEED_SHA1);
    // The app accepts SET CODE but never turns password protection on.
    let changed = token.ykman_output(&["oath", "access", "change", "-n", "hunter2"]);
    assert!(changed.status.success(), "{}", stderr_of(&changed));
    let sandbox = Sandbox::new();
    let output = sandbox
        .mfa()
        .env("MFA_READER", token.reader())
        .env("MFA_OATH_PASSWORD", "hunter2")
        .args(["-v", "code", "sha1"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(stdout_of(&output).trim().len(), 6);
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains(
            "MFA_OATH_PASSWORD is set, but the key's OATH application has no password: ignored"
        ),
        "{stderr}"
    );
    // Without -v, no note.
    let output = sandbox
        .mfa()
        .env("MFA_READER", token.reader())
        .env("MFA_OATH_PASSWORD", "hunter2")
        .args(["code", "sha1"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(!stderr_of(&output).contains("MFA_OATH_PASSWORD"));
}

#[test]
fn exec_gets_a_session_from_a_code_the_nitrokey_computed() {
    let world = World::new();
    let token = insert_nitrokey();
    token.add(&["-o", "TOTP"], OATH_ACCOUNT, SEED_SHA1);
    let output = world
        .mfa_std_with_card()
        .env("MFA_READER", token.reader())
        .args(["exec", "--", "env"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(aws_vars(&output.stdout)["AWS_ACCESS_KEY_ID"].starts_with("ASIA"));
    // The STS double checked the code against the seed.
    assert_eq!(world.sts.mfa_calls(), 1);
}
