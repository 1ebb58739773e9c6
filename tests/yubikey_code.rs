//! `mfa code` against the virtual YubiKey on pcscd, with accounts created by Yubico's ykman:
//! every kind of account gives ykman's digits, touch approved / denied / delayed, queries,
//! profiles, and what a code costs in APDUs.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::yubikey::ins::{CALCULATE, SELECT};
use common::yubikey::*;
use common::{CardConfig, Sandbox, TouchMode, insert_card};

#[test]
fn every_account_kind_gives_the_digits_ykman_gives() {
    let slot = insert_card(CardConfig::default());
    let sandbox = Sandbox::new();
    // name, ykman options, seed, period
    let kinds: &[(&str, &[&str], &str, u64)] = &[
        ("sha1-6-30", &["-a", "SHA1", "-d", "6"], SEED_SHA1, 30),
        ("sha256-8-30", &["-a", "SHA256", "-d", "8"], SEED_SHA256, 30),
        ("sha512-6-30", &["-a", "SHA512", "-d", "6"], SEED_SHA512, 30),
        (
            "sha1-8-60",
            &["-a", "SHA1", "-d", "8", "-P", "60"],
            SEED_SHA1,
            60,
        ),
        (
            "sha256-6-60",
            &["-a", "SHA256", "-P", "60"],
            SEED_SHA256,
            60,
        ),
        (
            "sha512-8-60",
            &["-a", "SHA512", "-d", "8", "-P", "60"],
            SEED_SHA512,
            60,
        ),
        ("touch-sha1-6-30", &["-t"], SEED_SHA1, 30),
    ];
    for (name, options, seed, _) in kinds {
        let mut all = vec!["-i", "Kind"];
        all.extend_from_slice(options);
        ykman_add(&slot, &all, name, seed);
    }
    for (name, options, _, period) in kinds {
        let id = format!("Kind:{name}");
        let (mfa, ykman) = codes_in_one_step(&slot, &sandbox, &["code", &id], &id, &[], *period);
        assert_eq!(mfa, ykman, "{id}");
        let digits = if options.contains(&"8") { 8 } else { 6 };
        assert_eq!(mfa.len(), digits, "{id}");
    }
    // ykman and mfa each asked for a touch (more often if a step boundary made them repeat).
    assert!(slot.card().touch_count() >= 2);
}

#[test]
fn hotp_codes_follow_the_counter_shared_with_ykman() {
    let slot = insert_card(CardConfig::default());
    let sandbox = Sandbox::new();
    ykman_add(&slot, &["-o", "HOTP", "-i", "Counter"], "hotp", SEED_SHA1);
    add_aws_account(&slot, &[]);
    // RFC 4226 appendix D: counts 0, 1, 2.
    assert_eq!(mfa_code(&sandbox, &["code", "Counter:hotp"]), "755224");
    assert_eq!(ykman_code(&slot, "Counter:hotp", &[]), "287082");
    assert_eq!(mfa_code(&sandbox, &["code", "hotp"]), "359152");
    // Without a query HOTP is never calculated: the only TOTP account is.
    let (mfa, ykman) = codes_in_one_step(&slot, &sandbox, &["code"], AWS_ID, &[], 30);
    assert_eq!(mfa, ykman);
    assert_eq!(mfa_code(&sandbox, &["code", "hotp"]), "969429", "count 3");
}

#[test]
fn a_known_account_costs_select_and_one_calculate() {
    let slot = insert_card(CardConfig::default());
    let sandbox = Sandbox::new();
    add_aws_account(&slot, &[]);
    ykman_add(&slot, &["-i", "Other"], "bob", SEED_SHA256);
    sandbox.write_config(&format!("[default]\nmfa_serial = {ARN}\n"));

    for args in [&["code", AWS_ID][..], &["code"]] {
        let start = slot.card().apdu_count();
        mfa_code(&sandbox, args);
        assert_eq!(
            slot.card().instructions()[start..],
            [SELECT, CALCULATE],
            "mfa {args:?}"
        );
    }
}

#[test]
fn a_profile_chooses_the_account() {
    let slot = insert_card(CardConfig::default());
    let sandbox = Sandbox::new();
    add_aws_account(&slot, &[]);
    ykman_add(&slot, &["-i", "GitHub"], "alice", SEED_SHA256);
    sandbox.write_config(&format!(
        "[profile work]\nmfa_serial = {ARN}\n\
         [profile git]\nmfa_serial = {ARN}\nmfa_oath_account = GitHub:alice\n\
         [profile wrong]\nmfa_oath_account = GitLab:nobody\n"
    ));
    let (mfa, ykman) = codes_in_one_step(&slot, &sandbox, &["code", "-p", "work"], AWS_ID, &[], 30);
    assert_eq!(mfa, ykman);
    let (mfa, ykman) = codes_in_one_step(
        &slot,
        &sandbox,
        &["code", "-p", "git"],
        "GitHub:alice",
        &[],
        30,
    );
    assert_eq!(mfa, ykman);

    let out = sandbox
        .mfa_without_tty()
        .args(["code", "-p", "wrong"])
        .assert()
        .code(2)
        .stdout("");
    let stderr = stderr_of(out.get_output());
    assert!(
        stderr.contains("mfa_oath_account `GitLab:nobody` is not on the YubiKey"),
        "{stderr}"
    );
    assert!(stderr.contains("`GitHub:alice`"), "{stderr}");

    let out = sandbox
        .mfa_without_tty()
        .args(["code", "-p", "nope"])
        .assert()
        .code(2)
        .stdout("");
    let stderr = stderr_of(out.get_output());
    assert!(stderr.contains("profile `nope`"), "{stderr}");

    // No profile, two accounts, nobody to ask: the accounts are listed.
    let out = Sandbox::new()
        .mfa_without_tty()
        .arg("code")
        .assert()
        .code(2)
        .stdout("");
    let stderr = stderr_of(out.get_output());
    assert!(stderr.contains("several accounts"), "{stderr}");
    assert!(
        stderr.contains(AWS_ID) && stderr.contains("GitHub:alice"),
        "{stderr}"
    );
}

#[test]
fn queries_match_exactly_then_by_a_unique_part() {
    let slot = insert_card(CardConfig::default());
    let sandbox = Sandbox::new();
    ykman_add(&slot, &["-i", "GitHub"], "alice", SEED_SHA1);
    ykman_add(&slot, &["-i", "GitLab"], "alice", SEED_SHA256);
    ykman_add(
        &slot,
        &["-i", "Amazon Web Services"],
        "alice@123456789012",
        SEED_SHA512,
    );

    let (mfa, ykman) = codes_in_one_step(&slot, &sandbox, &["code", "gitHUB"], "GitHub", &[], 30);
    assert_eq!(mfa, ykman, "a unique part, in any case");
    let (mfa, ykman) = codes_in_one_step(
        &slot,
        &sandbox,
        &["code", "GitLab:alice"],
        "GitLab",
        &[],
        30,
    );
    assert_eq!(mfa, ykman, "an exact name");

    // `alice` is the name of two accounts; `git` a part of two.
    for query in ["alice", "git"] {
        let out = sandbox
            .mfa_without_tty()
            .args(["code", query])
            .assert()
            .code(2)
            .stdout("");
        let stderr = stderr_of(out.get_output());
        assert!(
            stderr.contains(&format!("mfa: `{query}` matches several accounts")),
            "{stderr}"
        );
        assert!(
            stderr.contains("`GitHub:alice`") && stderr.contains("`GitLab:alice`"),
            "{stderr}"
        );
        assert!(stderr.contains("  hint: "), "{stderr}");
    }

    let out = sandbox
        .mfa_without_tty()
        .args(["code", "bitbucket"])
        .assert()
        .code(2)
        .stdout("");
    let stderr = stderr_of(out.get_output());
    assert!(
        stderr.contains("mfa: no account on the YubiKey matches `bitbucket`"),
        "{stderr}"
    );
    assert!(stderr.contains(AWS_ID), "the accounts are listed: {stderr}");
}

#[test]
fn a_touch_nobody_gives_times_out() {
    let slot = insert_card(CardConfig {
        touch: TouchMode::Deny,
        ..CardConfig::default()
    });
    let sandbox = Sandbox::new();
    add_aws_account(&slot, &["-t"]);
    let out = sandbox
        .mfa_without_tty()
        .args(["code", AWS_ID])
        .assert()
        .code(1)
        .stdout("");
    let stderr = stderr_of(out.get_output());
    assert!(stderr.contains("mfa: touch timed out"), "{stderr}");
    assert!(
        stderr.contains("  hint: run the command again and touch the key when it blinks"),
        "{stderr}"
    );
    assert_eq!(slot.card().touch_count(), 1);
}

#[test]
fn a_slow_touch_is_asked_for_on_stderr_and_never_on_stdout() {
    let slot = insert_card(CardConfig::default());
    let sandbox = Sandbox::new();
    add_aws_account(&slot, &["-t"]);
    slot.card()
        .set_touch(TouchMode::Delay(Duration::from_millis(1500)));
    let output = sandbox.run_without_tty(&[], &["code", AWS_ID]);
    assert!(output.status.success(), "{output:?}");
    let stdout = stdout_of(&output);
    let stderr = stderr_of(&output);
    assert_eq!(stdout.len(), 7, "six digits and a newline: {stdout:?}");
    assert!(stdout.trim_end().bytes().all(|b| b.is_ascii_digit()));
    assert!(stderr.contains("Touch your YubiKey"), "{stderr}");
    assert!(!stdout.contains("Touch"));
}
