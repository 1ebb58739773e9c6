//! The session cache seen from `mfa exec`: entries that must not be trusted (corrupt, open to
//! others), the 5-minute expiry margin, and the wait for a fresh step when this step's code was
//! already spent.

#![allow(clippy::unwrap_used)]

mod common;

use std::os::unix::fs::PermissionsExt;

use common::aws::{ACCESS_KEY, World, aws_vars};
use common::cache::{Planted, cached_session, file_cache};
use common::fixtures::{ARN, SEED_SHA1, now};
use common::output::stderr_of;
use mfa::aws::cache::{SessionKey, SessionKind};

/// Stores a made-up session for alice's default profile, expiring at `expiration`; returns the
/// entry's path.
fn plant(world: &World, expiration: u64) -> std::path::PathBuf {
    let path = world.sandbox.path(".cache/mfa");
    let cache = file_cache(&path);
    let key = SessionKey::session_token(ACCESS_KEY, ARN);
    let credentials = Planted {
        access_key_id: "ASIAPLANTED000000001",
        secret_access_key: "planted",
        session_token: "planted",
    };
    let session = cached_session(
        SessionKind::SessionToken,
        "default",
        &credentials,
        expiration,
    );
    cache.put(&key, &session).unwrap();
    path.join(format!("{}.json", key.id()))
}

fn child_key(world: &World, code: Option<&str>, verbose: bool) -> (String, String) {
    let mut cmd = world.mfa();
    if verbose {
        cmd.arg("-v");
    }
    cmd.args(["exec", "--", "env"]);
    if let Some(code) = code {
        cmd.env("MFA_CODE", code);
    }
    let out = cmd.assert().success();
    let output = out.get_output();
    (
        aws_vars(&output.stdout)["AWS_ACCESS_KEY_ID"].clone(),
        stderr_of(output),
    )
}

#[test]
fn a_fresh_entry_is_used_without_a_code() {
    let world = World::new();
    plant(&world, now() + 3600);
    let (key, _) = child_key(&world, None, false);
    assert_eq!(key, "ASIAPLANTED000000001");
    assert!(world.sts.calls().is_empty());
}

#[test]
fn an_entry_expiring_within_five_minutes_is_renewed() {
    let world = World::new();
    plant(&world, now() + 200);
    let (key, stderr) = child_key(&world, Some(&world.code_now()), true);
    assert_ne!(key, "ASIAPLANTED000000001");
    assert!(stderr.contains("expires within 5 minutes"), "{stderr}");
    assert_eq!(world.sts.mfa_calls(), 1);
}

#[test]
fn a_corrupt_entry_is_ignored_reported_and_replaced() {
    let world = World::new();
    let path = plant(&world, now() + 3600);
    std::fs::write(&path, b"{ not json").unwrap();
    let (key, stderr) = child_key(&world, Some(&world.code_now()), true);
    assert!(key.starts_with("ASIA") && key != "ASIAPLANTED000000001");
    assert!(stderr.contains("ignored"), "{stderr}");
    assert_eq!(world.sts.mfa_calls(), 1);
    let replaced = std::fs::read_to_string(&path).unwrap();
    assert!(replaced.contains(&key), "the fresh session was not stored");
}

#[test]
fn an_entry_readable_by_others_is_not_trusted() {
    let world = World::new();
    let path = plant(&world, now() + 3600);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (key, stderr) = child_key(&world, Some(&world.code_now()), true);
    assert_ne!(key, "ASIAPLANTED000000001");
    assert!(stderr.contains("ignored"), "{stderr}");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the replacement must be private");
}

/// The first run spends this step's code; the session is then lost, and the second run must
/// wait for the next step rather than spend the same code again (AWS would refuse it).
#[test]
fn a_spent_step_is_waited_out_instead_of_failing() {
    let world = World::new();
    world
        .mfa()
        .args(["totp", "add"])
        .write_stdin(format!("{SEED_SHA1}\n"))
        .assert()
        .success();
    world
        .mfa()
        .args(["--source", "totp", "exec", "--", "true"])
        .assert()
        .success();
    world.mfa().args(["cache", "clear"]).assert().success();
    let out = world
        .mfa()
        .args(["--source", "totp", "exec", "--", "true"])
        .assert()
        .success();
    let stderr = stderr_of(out.get_output());
    assert!(stderr.contains("already spent"), "{stderr}");
    assert_eq!(world.sts.mfa_calls(), 2);
    assert!(
        world.sts.calls().iter().all(|c| c.error.is_none()),
        "{:?}",
        world.sts.calls()
    );
}
