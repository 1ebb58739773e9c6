//! `mfa credential-process` as the AWS CLI v2 and botocore use it, through a
//! `credential_process` line in `~/.aws/config`: they call STS with the session (the double's
//! GetCallerIdentity answers for it), a touch notice reaches the terminal while the AWS CLI runs,
//! the cached path reads one file and opens no connection, and a hundred parallel runs on an
//! empty cache spend one code.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::aws::{ACCESS_KEY, World};
use common::consumers::{
    aws_caller_identity, bench_python, credential_process_profile, mfa_path, require,
};
use common::fixtures::{ARN, SEED_SHA1};
use common::output::{assert_two_line_failure, stderr_of, stdout_of};
use common::ykman::ykman_add;
use common::{CardConfig, TouchMode, insert_card};

fn world() -> World {
    World::with_config(&format!(
        "{}{}",
        credential_process_profile("via-mfa", "default"),
        credential_process_profile("via-admin", "admin")
    ))
}

/// The session keys the double issued, in order.
fn issued_keys(world: &World) -> Vec<String> {
    world
        .sts
        .calls()
        .iter()
        .filter(|c| c.action == "GetCallerIdentity")
        .map(|c| c.access_key_id.clone().unwrap())
        .collect()
}

#[test]
fn prints_version_1_json_and_nothing_else() {
    let world = World::new();
    let out = world
        .mfa()
        .arg("credential-process")
        .env("MFA_CODE", world.code_now())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(stderr_of(&out), "");
    let stdout = stdout_of(&out);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let object = json.as_object().unwrap();
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "AccessKeyId",
            "Expiration",
            "SecretAccessKey",
            "SessionToken",
            "Version"
        ]
    );
    assert_eq!(json["Version"], 1);
    assert!(json["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));
    let expiration = json["Expiration"].as_str().unwrap();
    // RFC 3339 in UTC, as botocore parses it: 2026-05-01T12:00:00Z.
    assert_eq!(expiration.len(), 20, "{expiration}");
    assert!(expiration.ends_with('Z') && expiration.as_bytes()[10] == b'T');
    assert_eq!(world.sts.mfa_calls(), 1);
}

#[test]
fn a_failure_is_two_lines_on_stderr_and_nothing_on_stdout() {
    let world = World::new();
    // No code anywhere, no terminal.
    let out = world.mfa().arg("credential-process").output().unwrap();
    assert_two_line_failure(&out, 1);
    assert_eq!(world.sts.calls().len(), 0);
}

#[test]
fn the_aws_cli_v2_calls_sts_with_the_session() {
    let world = world();
    let out = aws_caller_identity(&world, "via-mfa")
        .env("MFA_CODE", world.code_now())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let identity: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(identity["Arn"], "arn:aws:iam::123456789012:user/alice");
    let keys = issued_keys(&world);
    assert_eq!(keys.len(), 1);
    assert!(keys[0].starts_with("ASIA"), "not the session: {keys:?}");
    assert_ne!(keys[0], ACCESS_KEY);
    let calls = world.sts.calls();
    assert_eq!(calls[0].action, "GetSessionToken");
    assert_eq!(calls[0].serial.as_deref(), Some(ARN));

    // Again, with no code: the cached session serves it.
    let out = aws_caller_identity(&world, "via-mfa").output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(world.sts.mfa_calls(), 1);
    assert_eq!(issued_keys(&world), [keys[0].clone(), keys[0].clone()]);
}

#[test]
fn the_aws_cli_v2_sees_a_role_assumed_with_the_session() {
    let world = world();
    let out = aws_caller_identity(&world, "via-admin")
        .env("MFA_CODE", world.code_now())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let identity: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let arn = identity["Arn"].as_str().unwrap();
    assert!(
        arn.starts_with("arn:aws:sts::123456789012:assumed-role/Admin/"),
        "{arn}"
    );
}

#[test]
fn botocore_calls_sts_with_the_session() {
    let world = world();
    let script = r#"
import json, sys
import boto3
session = boto3.Session(profile_name="via-mfa")
frozen = session.get_credentials().get_frozen_credentials()
sts = session.client("sts", endpoint_url=sys.argv[1])
identity = sts.get_caller_identity()
print(json.dumps({"arn": identity["Arn"], "key": frozen.access_key,
                  "token": bool(frozen.token),
                  "method": session.get_credentials().method}))
"#;
    let out = world
        .command(bench_python())
        .args(["-c", script, &world.sts.url()])
        .env("MFA_CODE", world.code_now())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(seen["arn"], "arn:aws:iam::123456789012:user/alice");
    assert_eq!(seen["method"], "custom-process");
    assert_eq!(seen["token"], true);
    assert_eq!(issued_keys(&world), [seen["key"].as_str().unwrap()]);
    assert_eq!(world.sts.mfa_calls(), 1);
}

/// A touch account: the AWS CLI runs `mfa credential-process`, which asks for the touch on the
/// terminal (the AWS CLI would hide stderr), and the answer comes once the key is touched.
#[test]
fn the_touch_notice_reaches_the_terminal_while_the_aws_cli_runs() {
    require("/usr/bin/script", "util-linux");
    let world = world();
    let slot = insert_card(CardConfig {
        touch: TouchMode::Delay(Duration::from_millis(800)),
        ..CardConfig::default()
    });
    ykman_add(&slot, &["--touch"], common::aws::OATH_ACCOUNT, SEED_SHA1);
    // `script` runs the AWS CLI on a pseudo-terminal of its own and copies everything shown on
    // it to stdout; without the PC/SC override, `auto` finds the virtual key.
    let aws = format!(
        "{} sts get-caller-identity --output json --profile via-mfa --endpoint-url {} \
         2>/dev/null",
        common::consumers::AWS_CLI_V2,
        world.sts.url()
    );
    let mut cmd = world.sandbox.command_without_tty("script");
    cmd.args(["-qefc", &aws, "/dev/null"])
        .env("AWS_ENDPOINT_URL_STS", world.sts.url())
        .stdin(Stdio::null());
    let out = cmd.output().unwrap();
    let shown = stdout_of(&out);
    assert!(out.status.success(), "{shown}{}", stderr_of(&out));
    let touch = shown
        .find("Touch your YubiKey")
        .unwrap_or_else(|| panic!("no touch notice on the terminal: {shown}"));
    let answer = shown.find("user/alice").expect("no identity");
    assert!(touch < answer, "{shown}");
    assert_eq!(slot.card().touch_count(), 1);
    assert_eq!(world.sts.mfa_calls(), 1);
}

/// The cached path: one read of one cache entry, no connection, no thread pool.
#[test]
fn the_cached_path_reads_one_file_and_connects_nowhere() {
    require("/usr/bin/strace", "strace");
    let world = World::new();
    world
        .mfa()
        .arg("credential-process")
        .env("MFA_CODE", world.code_now())
        .assert()
        .success();
    let trace = world.sandbox.path("trace");
    let out = world
        .command("strace")
        .args(["-f", "-qq", "-e", "trace=openat,connect,clone,clone3", "-o"])
        .arg(&trace)
        .args([mfa_path(), "credential-process"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(stdout_of(&out).contains("\"Version\":1"));
    let trace = std::fs::read_to_string(trace).unwrap();
    let cache_dir = world.sandbox.path(".cache/mfa");
    let cache_dir = cache_dir.to_str().unwrap();
    let entries: Vec<&str> = trace
        .lines()
        .filter(|l| l.contains("openat(") && l.contains(cache_dir) && l.contains(".json"))
        .collect();
    assert_eq!(entries.len(), 1, "{trace}");
    for syscall in ["connect(", "clone(", "clone3("] {
        assert!(
            !trace.lines().any(|l| l.contains(syscall)),
            "{syscall} on the cached path:\n{trace}"
        );
    }
    assert_eq!(world.sts.mfa_calls(), 1);
}

/// A hundred AWS CLI calls started together would each run `credential_process`: on an empty
/// cache they wait for the first, which spends the one code.
#[test]
fn a_hundred_parallel_runs_on_an_empty_cache_spend_one_code() {
    let world = World::new();
    let code = world.code_now();
    let children: Vec<_> = (0..100)
        .map(|_| {
            let mut cmd = world.mfa_std();
            cmd.arg("credential-process")
                .env("MFA_CODE", &code)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            cmd.spawn().unwrap()
        })
        .collect();
    let mut keys = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        keys.push(json["AccessKeyId"].as_str().unwrap().to_owned());
    }
    assert_eq!(world.sts.mfa_calls(), 1, "{:?}", world.sts.calls().len());
    assert_eq!(world.sts.calls().len(), 1);
    assert!(keys.iter().all(|k| k == &keys[0]), "{keys:?}");
}
