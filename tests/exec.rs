//! `mfa exec`: a code from each source spent on the local STS double, the child's environment,
//! roles through the session, long roles directly with MFA, exit codes, nesting, STS failures.
//!
//! The double verifies every code against alice's seed and counts MFA calls, so "no code spent"
//! is checked at the server.

#![allow(clippy::unwrap_used)]

mod common;

use common::aws::{ACCESS_KEY, ADMIN_ROLE, LONG_ROLE, World, aws_vars};
use common::fixtures::{ARN, SEED_SHA1, now};
use common::output::{assert_two_line_failure, stderr_of};
use mfa_sts::Fault;
use predicates::prelude::*;

#[test]
fn a_piped_code_gives_the_child_a_session_and_a_clean_environment() {
    let world = World::new();
    let out = world
        .mfa()
        .args(["exec", "--", "env"])
        .env("AWS_PROFILE", "default")
        .env("AWS_SECURITY_TOKEN", "stale")
        .write_stdin(format!("{}\n", world.code_now()))
        .assert()
        .success();
    let vars = aws_vars(&out.get_output().stdout);
    assert!(vars["AWS_ACCESS_KEY_ID"].starts_with("ASIA"), "{vars:?}");
    assert!(!vars["AWS_SECRET_ACCESS_KEY"].is_empty());
    assert!(!vars["AWS_SESSION_TOKEN"].is_empty());
    assert!(vars["AWS_CREDENTIAL_EXPIRATION"].ends_with('Z'));
    assert_eq!(vars["AWS_REGION"], "eu-west-1");
    assert_eq!(vars["AWS_DEFAULT_REGION"], "eu-west-1");
    assert_eq!(vars["MFA_PROFILE"], "default");
    assert!(!vars.contains_key("AWS_PROFILE"));
    assert!(!vars.contains_key("AWS_SECURITY_TOKEN"));
    assert_eq!(world.sts.mfa_calls(), 1);
    let calls = world.sts.calls();
    assert_eq!(calls[0].action, "GetSessionToken");
    assert_eq!(calls[0].serial.as_deref(), Some(ARN));
    assert_eq!(calls[0].access_key_id.as_deref(), Some(ACCESS_KEY));
}

#[test]
fn mfa_code_works_headless_and_the_second_run_is_cached() {
    let world = World::new();
    world
        .mfa()
        .args(["exec", "--", "true"])
        .env("MFA_CODE", world.code_now())
        .assert()
        .success();
    // No code at all this time: only the cache can serve it.
    let out = world
        .mfa()
        .args(["-v", "exec", "--", "env"])
        .assert()
        .success();
    assert!(aws_vars(&out.get_output().stdout)["AWS_ACCESS_KEY_ID"].starts_with("ASIA"));
    assert!(stderr_of(out.get_output()).contains("from the cache"));
    assert_eq!(world.sts.mfa_calls(), 1, "the second run spent a code");
}

#[test]
fn no_code_anywhere_names_the_four_ways() {
    let world = World::new();
    world
        .mfa()
        .args(["exec", "--", "true"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("MFA_CODE"));
    assert_eq!(world.sts.mfa_calls(), 0);
}

#[test]
fn mfa_process_gives_the_code() {
    let code = mfa_sts::StsDouble::totp(SEED_SHA1, now());
    let world = World::with_config(&format!(
        "[profile proc]\nrole_arn = {ADMIN_ROLE}\nsource_profile = default\n\
         mfa_process = printf '%s\\n' {code}\n"
    ));
    world
        .mfa()
        .args(["-p", "proc", "--source", "process", "exec", "--", "true"])
        .assert()
        .success();
    assert_eq!(world.sts.mfa_calls(), 1);
}

#[test]
fn a_software_secret_gives_the_code() {
    let world = World::new();
    world
        .mfa()
        .args(["totp", "add"])
        .write_stdin(format!("{SEED_SHA1}\n"))
        .assert()
        .success()
        .stdout("");
    world
        .mfa()
        .args(["--source", "totp", "exec", "--", "true"])
        .assert()
        .success();
    assert_eq!(world.sts.mfa_calls(), 1);
}

#[test]
fn a_role_is_assumed_with_the_session_and_no_mfa() {
    let world = World::new();
    let out = world
        .mfa()
        .args(["-p", "admin", "exec", "--", "env"])
        .env("MFA_CODE", world.code_now())
        .assert()
        .success();
    let vars = aws_vars(&out.get_output().stdout);
    assert_eq!(vars["MFA_PROFILE"], "admin");
    let calls = world.sts.calls();
    let actions: Vec<&str> = calls.iter().map(|c| c.action.as_str()).collect();
    assert_eq!(actions, ["GetSessionToken", "AssumeRole"]);
    assert_eq!(calls[1].role_arn.as_deref(), Some(ADMIN_ROLE));
    assert!(calls[1].token_code.is_none(), "AssumeRole carried MFA");
    assert!(
        calls[1]
            .access_key_id
            .as_deref()
            .unwrap()
            .starts_with("ASIA")
    );
    assert_eq!(world.sts.mfa_calls(), 1);

    // Both the session and the role are cached: a second role run costs nothing.
    world
        .mfa()
        .args(["-p", "admin", "exec", "--", "true"])
        .assert()
        .success();
    assert_eq!(world.sts.calls().len(), 2);
}

#[test]
fn a_role_longer_than_an_hour_is_assumed_directly_with_mfa() {
    let world = World::new();
    world
        .mfa()
        .args(["-p", "long", "exec", "--", "true"])
        .env("MFA_CODE", world.code_now())
        .assert()
        .success();
    let calls = world.sts.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].action, "AssumeRole");
    assert_eq!(calls[0].role_arn.as_deref(), Some(LONG_ROLE));
    assert_eq!(calls[0].duration, Some(7200));
    assert!(calls[0].token_code.is_some());
    assert_eq!(calls[0].access_key_id.as_deref(), Some(ACCESS_KEY));
}

#[test]
fn the_childs_exit_status_is_ours() {
    let world = World::new();
    world
        .mfa()
        .args(["exec", "--", "sh", "-c", "exit 7"])
        .env("MFA_CODE", world.code_now())
        .assert()
        .code(7);
    world
        .mfa()
        .args(["exec", "--", "no-such-command-mfa-test"])
        .assert()
        .code(127)
        .stderr(predicate::str::contains(
            "command not found: no-such-command-mfa-test",
        ));
}

#[test]
fn nesting_is_refused_unless_forced() {
    let world = World::new();
    world
        .mfa()
        .args(["exec", "--", "true"])
        .env("MFA_PROFILE", "default")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already running under `mfa exec`"));
    assert_eq!(world.sts.calls().len(), 0);
    world
        .mfa()
        .args(["exec", "--force", "--", "true"])
        .env("MFA_PROFILE", "default")
        .env("MFA_CODE", world.code_now())
        .assert()
        .success();
}

/// Each refusal is explained in two lines and fails (exit 1) without hanging.
#[test]
fn sts_failures_are_explained() {
    for (fault, expected) in [
        (Fault::AccessDenied, "not authorized"),
        (Fault::Throttling, "Rate exceeded"),
        (Fault::ServerError, "500"),
    ] {
        let world = World::new();
        world.sts.fail_always(fault);
        let out = world
            .mfa()
            .args(["exec", "--", "true"])
            .env("MFA_CODE", world.code_now())
            .output()
            .unwrap();
        assert_two_line_failure(&out, 1);
        let stderr = stderr_of(&out);
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
    let world = World::new();
    world
        .mfa()
        .args(["exec", "--", "true"])
        .env("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1")
        .env("MFA_CODE", world.code_now())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("127.0.0.1:1"));
}

#[test]
fn a_reused_code_is_explained() {
    let world = World::new();
    let code = world.code_now();
    // Another client spent this step's code already (the double remembers, as AWS does).
    world
        .mfa()
        .args(["--no-cache", "exec", "--", "true"])
        .env("MFA_CODE", &code)
        .env("MFA_CACHE_DIR", world.sandbox.path("other-cache"))
        .assert()
        .success();
    let out = world
        .mfa()
        .args(["--no-cache", "exec", "--", "true"])
        .env("MFA_CODE", &code)
        .env("MFA_CACHE_DIR", world.sandbox.path("third-cache"))
        .assert()
        .code(1);
    let stderr = stderr_of(out.get_output());
    assert!(
        stderr.contains("invalid MFA one time pass code"),
        "{stderr}"
    );
    assert!(stderr.contains("once"), "{stderr}");
}

#[test]
fn unknown_profile_and_missing_serial_are_configuration_errors() {
    let world = World::with_config("[profile nomfa]\nregion = x\n");
    world
        .mfa()
        .args(["-p", "nope", "exec", "--", "true"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("admin"));
    world.sandbox.write_credentials(&format!(
        "[nomfa]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = x\n"
    ));
    world
        .mfa()
        .args(["-p", "nomfa", "exec", "--", "true"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no mfa_serial"));
}

/// Regression: the prompt read its one line of stdin through std's buffer, which swallowed what
/// followed — input meant for the command.
#[test]
fn the_code_line_is_taken_from_stdin_and_the_rest_is_left_for_the_command() {
    let world = World::new();
    world
        .mfa()
        .args(["exec", "--", "cat"])
        .write_stdin(format!("{}\nfor the command\nand more\n", world.code_now()))
        .assert()
        .success()
        .stdout("for the command\nand more\n");
}

/// `--duration` sets the session's lifetime at STS; a 15-minute session is cached, and its
/// expiry reaches the child.
#[test]
fn a_short_duration_reaches_sts_and_the_child() {
    let world = World::new();
    let out = world
        .mfa()
        .args(["exec", "--duration", "15m", "--", "env"])
        .env("MFA_CODE", world.code_now())
        .assert()
        .success();
    assert_eq!(world.sts.calls()[0].duration, Some(900));
    let expiration = aws_vars(&out.get_output().stdout)["AWS_CREDENTIAL_EXPIRATION"].clone();
    let expires = mfa::aws::credentials::rfc3339::parse(&expiration).unwrap();
    let t = now();
    assert!(expires > t + 800 && expires <= t + 900, "{expiration}");
    // Still fresh (more than 5 minutes left): the next run is served from the cache.
    world.mfa().args(["exec", "--", "true"]).assert().success();
    assert_eq!(world.sts.mfa_calls(), 1);
}
