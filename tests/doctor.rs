//! `mfa doctor` against the bench: no pcscd, readers without a card, no configuration, a good
//! setup (the virtual YubiKey holding the account, an in-process STS double), a skewed clock,
//! and an STS that cannot be reached.

#![allow(clippy::unwrap_used)]

mod common;

use serde_json::Value;

use common::aws::{alice_sandbox, alice_sts};
use common::fixtures::{ARN, AWS_ID, NO_PCSCD, SECRET_KEY};
use common::output::{stderr_of, stdout_of};
use common::yubikey::{add_aws_account, ins};
use common::{CardConfig, Sandbox, hold_empty_readers, insert_card};
use mfa_sts::StsDouble;

/// An STS double that knows alice's keys and MFA device.
fn sts() -> StsDouble {
    alice_sts(vec![])
}

/// A sandbox with alice's `[default]` profile: keys and `mfa_serial`.
fn configured() -> Sandbox {
    alice_sandbox(&format!(
        "[default]\nregion = eu-west-1\nmfa_serial = {ARN}\n"
    ))
}

struct Doctor {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Doctor {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", self.stdout, self.stderr))
    }

    /// The check named `name` of the JSON report.
    fn check(&self, name: &str) -> Value {
        self.json()["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["check"] == name)
            .unwrap_or_else(|| panic!("no `{name}` check: {}", self.stdout))
            .clone()
    }

    fn names(&self) -> Vec<String> {
        self.json()["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["check"].as_str().unwrap().to_owned())
            .collect()
    }

    fn status(&self, name: &str) -> String {
        self.check(name)["status"].as_str().unwrap().to_owned()
    }
}

/// `mfa doctor ARGS` without a terminal, with `envs`; never shows the secret key.
fn doctor(sandbox: &Sandbox, envs: &[(&str, &str)], args: &[&str]) -> Doctor {
    let args: Vec<&str> = std::iter::once("doctor")
        .chain(args.iter().copied())
        .collect();
    let output = sandbox.run_without_tty(envs, &args);
    let result = Doctor {
        code: output.status.code(),
        stdout: stdout_of(&output),
        stderr: stderr_of(&output),
    };
    for text in [&result.stdout, &result.stderr] {
        assert!(
            !text.contains(SECRET_KEY),
            "the secret key was shown: {text}"
        );
    }
    result
}

#[test]
fn without_pcscd_the_key_checks_warn() {
    let sandbox = configured();
    let sts = sts();
    let url = sts.url();
    let envs = [NO_PCSCD, ("AWS_ENDPOINT_URL_STS", url.as_str())];
    let report = doctor(&sandbox, &envs, &["--json"]);
    assert_eq!(report.code, Some(0), "{}{}", report.stdout, report.stderr);
    assert_eq!(
        report.names(),
        [
            "pcscd",
            "aws-files",
            "profile",
            "mfa_serial",
            "cache",
            "keyring",
            "sts",
            "clock"
        ]
    );
    let pcscd = report.check("pcscd");
    assert_eq!(pcscd["status"], "warn");
    assert!(
        pcscd["detail"]
            .as_str()
            .unwrap()
            .starts_with("pcscd is not running"),
        "{pcscd}"
    );
    assert!(pcscd["fix"].as_str().unwrap().contains("pcscd"));
    assert_eq!(report.json()["status"], "warn");
    for check in [
        "aws-files",
        "profile",
        "mfa_serial",
        "cache",
        "sts",
        "clock",
    ] {
        assert_eq!(report.status(check), "ok", "{}", report.stdout);
    }
    assert_eq!(sts.mfa_calls(), 0, "the doctor spent an MFA code");

    // When the code must come from the key, its absence fails the doctor.
    let report = doctor(&sandbox, &envs, &["--source", "yubikey", "--json"]);
    assert_eq!(report.code, Some(1));
    assert_eq!(report.status("pcscd"), "fail");
    assert!(
        report.stderr.contains("1 check failed"),
        "{}",
        report.stderr
    );
}

#[test]
fn readers_without_a_card() {
    // Hold the bench's card lock without inserting a card: no other test's card shows up.
    let readers = hold_empty_readers();
    let bench = &readers.bench;

    let sandbox = configured();
    let sts = sts();
    let report = doctor(
        &sandbox,
        &[("AWS_ENDPOINT_URL_STS", &sts.url())],
        &["--json"],
    );
    assert_eq!(report.code, Some(0), "{}{}", report.stdout, report.stderr);
    assert_eq!(report.status("pcscd"), "ok");
    let readers = report.check("readers");
    assert_eq!(readers["status"], "ok");
    assert!(
        readers["detail"].as_str().unwrap().contains(&bench.reader),
        "{readers}"
    );
    let key = report.check("yubikey");
    assert_eq!(key["status"], "warn");
    assert_eq!(key["detail"], "no YubiKey in any reader");
    assert!(!report.names().contains(&"oath-account".to_owned()));
}

#[test]
fn without_configuration_the_profile_fails() {
    let sandbox = Sandbox::new();
    let report = doctor(&sandbox, &[NO_PCSCD], &[]);
    assert_eq!(report.code, Some(1), "{}{}", report.stdout, report.stderr);
    let lines: Vec<&str> = report.stdout.lines().collect();
    let line = |name: &str| {
        let at = lines
            .iter()
            .position(|l| l.split_whitespace().nth(1) == Some(name))
            .unwrap_or_else(|| panic!("no `{name}` line: {}", report.stdout));
        (lines[at], lines.get(at + 1).copied().unwrap_or(""))
    };
    let (files, fix) = line("aws-files");
    assert!(
        files.starts_with("warn ") && files.contains("(not found)"),
        "{files}"
    );
    assert!(
        fix.trim_start().starts_with("fix: create a profile"),
        "{fix}"
    );
    let (profile, fix) = line("profile");
    assert!(
        profile.starts_with("fail ") && profile.contains("profile `default` is not in"),
        "{profile}"
    );
    assert!(fix.trim_start().starts_with("fix: "), "{fix}");
    let (clock, _) = line("clock");
    assert!(
        clock.starts_with("warn ") && clock.contains("not checked"),
        "{clock}"
    );
    let (cache, after) = line("cache");
    assert!(
        cache.starts_with("ok ") && cache.contains("does not exist yet"),
        "{cache}"
    );
    assert!(
        !after.trim_start().starts_with("fix:"),
        "an ok check has no fix"
    );
    assert!(
        !lines
            .iter()
            .any(|l| l.split_whitespace().nth(1) == Some("mfa_serial")),
        "no mfa_serial check without a profile: {}",
        report.stdout
    );
    assert!(report.stderr.contains("check failed"), "{}", report.stderr);
    assert!(!sandbox.path(".cache/mfa").exists());
}

#[test]
fn a_good_setup_with_the_virtual_key_and_sts() {
    let slot = insert_card(CardConfig::default());
    add_aws_account(&slot, &[]);
    let sandbox = configured();
    let sts = sts();
    let apdus_before = slot.card().instructions().len();

    let report = doctor(
        &sandbox,
        &[("AWS_ENDPOINT_URL_STS", &sts.url())],
        &["--json"],
    );
    assert_eq!(report.code, Some(0), "{}{}", report.stdout, report.stderr);
    assert_eq!(report.json()["status"], "ok", "{}", report.stdout);
    assert_eq!(
        report.names(),
        [
            "pcscd",
            "readers",
            "yubikey",
            "aws-files",
            "profile",
            "mfa_serial",
            "oath-account",
            "cache",
            "keyring",
            "sts",
            "clock"
        ]
    );
    let key = report.check("yubikey")["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        key,
        format!(
            "serial 12345678 in `{}`: firmware 5.4.3, OATH 5.4.3, no OATH password",
            slot.reader()
        )
    );
    assert_eq!(
        report.check("oath-account")["detail"],
        format!("`{AWS_ID}` is on the YubiKey with serial 12345678")
    );
    assert!(
        report.check("profile")["detail"]
            .as_str()
            .unwrap()
            .contains("static keys in [default]")
    );
    assert!(
        report.check("sts")["detail"]
            .as_str()
            .unwrap()
            .contains("arn:aws:iam::123456789012:user/alice")
    );
    assert!(
        report.stderr.contains("everything looks right"),
        "{}",
        report.stderr
    );

    // LIST only: no code calculated (no CALCULATE; SELECT and CALCULATE ALL share A4, and
    // the account check has no use for the latter), no touch, no MFA code spent.
    use ins::{CALCULATE, LIST};
    let sent = slot.card().instructions();
    let doctor_sent = &sent[apdus_before..];
    assert!(doctor_sent.contains(&LIST), "no LIST: {doctor_sent:02X?}");
    assert!(!doctor_sent.contains(&CALCULATE), "{doctor_sent:02X?}");
    assert_eq!(slot.card().touch_count(), 0);
    assert_eq!(sts.mfa_calls(), 0);
    let calls = sts.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");

    // The same report for humans: one line per check, all ok.
    let human = doctor(&sandbox, &[("AWS_ENDPOINT_URL_STS", &sts.url())], &[]);
    assert_eq!(human.code, Some(0));
    assert_eq!(human.stdout.lines().count(), 11, "{}", human.stdout);
    assert!(
        human.stdout.lines().all(|l| l.starts_with("ok  ")),
        "{}",
        human.stdout
    );
}

#[test]
fn a_skewed_clock_fails() {
    let sandbox = configured();
    let sts = sts();
    sts.set_clock_offset(600);
    let report = doctor(
        &sandbox,
        &[NO_PCSCD, ("AWS_ENDPOINT_URL_STS", &sts.url())],
        &["--json"],
    );
    assert_eq!(report.code, Some(1), "{}{}", report.stdout, report.stderr);
    let clock = report.check("clock");
    assert_eq!(clock["status"], "fail");
    let detail = clock["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("the local clock is") && detail.contains("s behind STS's"),
        "{clock}"
    );
    assert!(detail.contains(&sts.url()), "{clock}");
    assert!(clock["fix"].as_str().unwrap().contains("timedatectl"));
    assert_eq!(report.status("sts"), "ok");
    assert_eq!(sts.mfa_calls(), 0);
}

#[test]
fn an_unreachable_sts_is_a_warning_naming_the_endpoint() {
    let sandbox = configured();
    // A port that was free a moment ago: connecting to it is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = &format!("http://127.0.0.1:{port}");
    let report = doctor(
        &sandbox,
        &[NO_PCSCD, ("AWS_ENDPOINT_URL_STS", endpoint.as_str())],
        &["--json"],
    );
    assert_eq!(report.code, Some(0), "{}{}", report.stdout, report.stderr);
    let sts = report.check("sts");
    assert_eq!(sts["status"], "warn");
    assert!(
        sts["detail"].as_str().unwrap().contains(endpoint.as_str()),
        "{sts}"
    );
    assert!(
        sts["fix"]
            .as_str()
            .unwrap()
            .contains("AWS_ENDPOINT_URL_STS"),
        "{sts}"
    );
    let clock = report.check("clock");
    assert_eq!(clock["status"], "warn");
    assert!(clock["detail"].as_str().unwrap().contains("not checked"));
}

/// gpg's scdaemon opens a key's reader exclusively unless `pcsc-shared` is set: the doctor names
/// the reader, scdaemon and both fixes instead of reporting no key.
#[test]
fn a_reader_held_exclusively_is_reported_with_scdaemon_and_the_fixes() {
    let slot = insert_card(CardConfig::default());
    add_aws_account(&slot, &[]);
    let sandbox = configured();
    // What scdaemon does without pcsc-shared.
    let context = pcsc::Context::establish(pcsc::Scope::User).unwrap();
    let reader = std::ffi::CString::new(slot.reader()).unwrap();
    let held = context
        .connect(&reader, pcsc::ShareMode::Exclusive, pcsc::Protocols::ANY)
        .unwrap();
    let report = doctor(&sandbox, &[], &["--json"]);
    let shown = report.stdout.clone();
    assert!(shown.contains(slot.reader()), "{shown}");
    assert!(shown.contains("in use by another program"), "{shown}");
    assert!(shown.contains("scdaemon"), "{shown}");
    assert!(shown.contains("gpgconf --kill scdaemon"), "{shown}");
    assert!(shown.contains("pcsc-shared"), "{shown}");
    assert_ne!(report.json()["status"], "ok", "{shown}");
    drop(held);
    let report = doctor(&sandbox, &[], &["--json"]);
    assert!(
        !report.stdout.contains("in use by another program"),
        "{}",
        report.stdout
    );
}
