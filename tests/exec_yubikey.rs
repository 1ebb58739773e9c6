//! Touch-to-run: `mfa yubi CMD` with the code read from the virtual YubiKey through pcscd, spent
//! on the local STS double; one touch serves many commands, also when they start together.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::aws::{OATH_ACCOUNT, World, aws_vars};
use common::fixtures::{SEED_SHA1, now};
use common::output::{stderr_of, stdout_of};
use common::signals::interrupt;
use common::ykman::ykman_add;
use common::{CardConfig, TouchMode, insert_card};

fn yubi(world: &World, args: &[&str]) -> std::process::Output {
    let mut cmd = world.mfa_std_with_card();
    cmd.arg("yubi").args(args);
    cmd.output().unwrap()
}

#[test]
fn yubi_runs_the_command_with_a_code_from_the_key() {
    let world = World::new();
    let slot = insert_card(CardConfig::default());
    ykman_add(&slot, &[], OATH_ACCOUNT, SEED_SHA1);
    let before = slot.card().apdu_count();
    let out = yubi(&world, &["env"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(aws_vars(&out.stdout)["AWS_ACCESS_KEY_ID"].starts_with("ASIA"));
    assert_eq!(world.sts.mfa_calls(), 1);
    assert!(slot.card().apdu_count() > before);

    // Second run: from the cache, the key is not even asked.
    let asked = slot.card().apdu_count();
    let out = yubi(&world, &["true"]);
    assert!(out.status.success());
    assert_eq!(
        slot.card().apdu_count(),
        asked,
        "the cached run talked to the key"
    );
    assert_eq!(world.sts.mfa_calls(), 1);
}

#[test]
fn a_touch_account_asks_for_the_touch_on_stderr_once() {
    let world = World::new();
    let slot = insert_card(CardConfig {
        touch: TouchMode::Delay(Duration::from_millis(600)),
        ..CardConfig::default()
    });
    ykman_add(&slot, &["--touch"], OATH_ACCOUNT, SEED_SHA1);
    // Options before CMD are mfa's (`mfa yubi [-p P] CMD`); everything from CMD on is CMD's.
    let out = yubi(&world, &["-p", "admin", "sh", "-c", "echo ran"]);
    let stderr = stderr_of(&out);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stdout_of(&out), "ran\n");
    assert!(stderr.contains("Touch your YubiKey"), "{stderr}");
    assert_eq!(slot.card().touch_count(), 1);
    assert_eq!(world.sts.mfa_calls(), 1);
}

#[test]
fn a_denied_touch_fails_clearly_and_spends_nothing() {
    let world = World::new();
    let slot = insert_card(CardConfig {
        touch: TouchMode::Deny,
        ..CardConfig::default()
    });
    ykman_add(&slot, &["--touch"], OATH_ACCOUNT, SEED_SHA1);
    let out = yubi(&world, &["true"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = stderr_of(&out);
    assert!(stderr.contains("touch"), "{stderr}");
    assert_eq!(world.sts.calls().len(), 0);
}

/// Eight commands started together on an empty cache: one touch, one MFA call at the server.
#[test]
fn eight_parallel_runs_cost_one_touch_and_one_code() {
    let world = World::new();
    let slot = insert_card(CardConfig {
        touch: TouchMode::Delay(Duration::from_millis(300)),
        ..CardConfig::default()
    });
    ykman_add(&slot, &["--touch"], OATH_ACCOUNT, SEED_SHA1);
    let children: Vec<_> = (0..8)
        .map(|_| {
            let mut cmd = world.mfa_std_with_card();
            cmd.args(["yubi", "sh", "-c", "echo $AWS_ACCESS_KEY_ID"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            cmd.spawn().unwrap()
        })
        .collect();
    let mut keys = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out));
        keys.push(stdout_of(&out).trim().to_owned());
    }
    assert_eq!(world.sts.mfa_calls(), 1, "{:?}", world.sts.calls());
    assert_eq!(slot.card().touch_count(), 1);
    assert!(
        keys.iter().all(|k| k == &keys[0] && k.starts_with("ASIA")),
        "{keys:?}"
    );
}

/// Another client spent this step's code, which this machine's records cannot know: STS refuses
/// the key's code as invalid, and the key is asked once more for the next step's code.
#[test]
fn a_refused_key_code_is_retried_once_with_the_next_steps_code() {
    let world = World::new();
    let slot = insert_card(CardConfig::default());
    ykman_add(&slot, &[], OATH_ACCOUNT, SEED_SHA1);
    // Both runs must fall in one 30 s step: start early in one.
    let into_step = now() % 30;
    if into_step > 20 {
        std::thread::sleep(Duration::from_secs(31 - into_step));
    }
    world
        .mfa()
        .args(["--no-cache", "exec", "--", "true"])
        .env("MFA_CODE", world.code_now())
        .env("MFA_CACHE_DIR", world.sandbox.path("elsewhere"))
        .assert()
        .success();
    let out = yubi(&world, &["-v", "true"]);
    let stderr = stderr_of(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("retrying once with the next step's code"),
        "{stderr}"
    );
    let calls = world.sts.calls();
    let errors: Vec<_> = calls.iter().map(|c| c.error.as_deref()).collect();
    assert_eq!(errors, [None, Some("AccessDenied"), None], "{calls:?}");
}

/// Ctrl-C while `mfa yubi` waits for a touch: exit 130 with the two-line message, nothing spent.
#[test]
fn ctrl_c_during_the_touch_exits_130_and_spends_nothing() {
    use std::io::{BufRead, BufReader};
    let world = World::new();
    let slot = insert_card(CardConfig::default());
    ykman_add(&slot, &["--touch"], OATH_ACCOUNT, SEED_SHA1);
    slot.card()
        .set_touch(TouchMode::Delay(Duration::from_secs(3)));
    let mut child = world
        .mfa_std_with_card()
        .args(["yubi", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let notice = stderr.next().unwrap().unwrap();
    assert!(notice.contains("Touch your YubiKey"), "{notice}");
    interrupt(child.id());
    let status = child.wait().unwrap();
    let rest: Vec<String> = stderr.map(Result::unwrap).collect();
    assert_eq!(status.code(), Some(130), "{rest:?}");
    assert_eq!(rest[0], "mfa: interrupted");
    assert_eq!(world.sts.calls().len(), 0);
}

/// After `exec` the command is the process: SIGINT reaches its own handler, and its exit status
/// is what the caller sees.
#[test]
fn signals_reach_the_command_after_exec() {
    use std::io::{BufRead, BufReader};
    let world = World::new();
    let mut child = world
        .mfa_std()
        .args(["exec", "--", "sh", "-c"])
        .arg("trap 'exit 42' INT; echo ready; while :; do sleep 0.1; done")
        .env("MFA_CODE", world.code_now())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(stdout.next().unwrap().unwrap(), "ready");
    interrupt(child.id());
    assert_eq!(child.wait().unwrap().code(), Some(42));
}
