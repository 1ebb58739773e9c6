//! Seed 004's workflow (docs/get-session-token.md): `aws sts get-session-token --serial-number
//! … --token-code …`, then the three credentials put to use in one of three ways — exported in
//! the shell, written as a `[temp]` profile, or given to a new shell (the seed's `mfa.sh`). Each
//! way with mfa's command, as the docs page writes it, checked by the AWS CLI v2 or the shell.
//!
//! The seed's setup: long-term keys as `[default]` in `~/.aws/credentials`, the MFA device's
//! serial in `~/.aws/config` (alice's world).

#![allow(clippy::unwrap_used)]

mod common;

use common::aws::{World, aws_vars};
use common::consumers::{AWS_CLI_V2, mfa_path, require};
use common::fixtures::ARN;
use common::output::{stderr_of, stdout_of};

const ALICE: &str = "arn:aws:iam::123456789012:user/alice\n";

/// Runs `script` in bash with `mfa` on PATH, as a user would type it; its output.
fn bash(world: &World, script: &str) -> std::process::Output {
    let bin = std::path::Path::new(mfa_path()).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    world
        .command("bash")
        .args(["-c", script])
        .env("PATH", path)
        .env("AWS", AWS_CLI_V2)
        .env("URL", world.sts.url())
        .env("MFA_CODE", world.code_now())
        .output()
        .unwrap()
}

/// The session went through GetSessionToken with alice's device, and the AWS CLI called STS
/// with it.
fn assert_session_used(world: &World) {
    let calls = world.sts.calls();
    let actions: Vec<&str> = calls.iter().map(|c| c.action.as_str()).collect();
    assert_eq!(actions, ["GetSessionToken", "GetCallerIdentity"]);
    assert_eq!(calls[0].serial.as_deref(), Some(ARN));
    assert!(
        calls[1]
            .access_key_id
            .as_deref()
            .unwrap()
            .starts_with("ASIA")
    );
}

#[test]
fn into_the_environment_with_eval() {
    require(AWS_CLI_V2, "awscli");
    let world = World::new();
    let out = bash(
        &world,
        "eval \"$(mfa env)\"\n\
         \"$AWS\" sts get-caller-identity --query Arn --output text --endpoint-url \"$URL\"",
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out), ALICE);
    assert_session_used(&world);
}

#[test]
fn into_a_temp_profile() {
    require(AWS_CLI_V2, "awscli");
    let world = World::new();
    let out = bash(
        &world,
        "mfa login --write-profile temp\n\
         AWS_DEFAULT_REGION=eu-west-1 \"$AWS\" --profile temp sts get-caller-identity \
         --query Arn --output text --endpoint-url \"$URL\"",
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out), ALICE);
    assert_session_used(&world);
    // The seed's [temp]: the three keys the AWS CLI reads.
    let credentials = std::fs::read_to_string(world.sandbox.path(".aws/credentials")).unwrap();
    let temp = &credentials[credentials.find("[temp]").unwrap()..];
    for key in [
        "aws_access_key_id = ASIA",
        "aws_secret_access_key = ",
        "aws_session_token = ",
    ] {
        assert!(temp.contains(key), "{key}: {temp}");
    }
}

#[test]
fn into_a_subshell() {
    let world = World::new();
    let shell = world.sandbox.path("record-env");
    std::fs::write(&shell, "#!/bin/sh\nenv > \"$HOME/subshell-env\"\n").unwrap();
    std::fs::set_permissions(&shell, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = world
        .mfa()
        .arg("shell")
        .env("SHELL", &shell)
        .env("MFA_CODE", world.code_now())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let vars = aws_vars(&std::fs::read(world.sandbox.path("subshell-env")).unwrap());
    assert!(vars["AWS_ACCESS_KEY_ID"].starts_with("ASIA"), "{vars:?}");
    assert!(!vars["AWS_SECRET_ACCESS_KEY"].is_empty());
    assert!(!vars["AWS_SESSION_TOKEN"].is_empty());
    assert_eq!(vars["MFA_PROFILE"], "default");
    let calls = world.sts.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].action, "GetSessionToken");
    assert_eq!(calls[0].serial.as_deref(), Some(ARN));
}
