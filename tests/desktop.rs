//! The desktop without a desktop (docs/desktop.md): a private session bus with a real
//! gnome-keyring, and a notification server, started by tests/common/desktop.rs.
//!
//! - Sessions with `mfa_cache = keyring` and software TOTP secrets go to the Secret Service,
//!   where `secret-tool` finds them; a second run is served from there; the cache directory
//!   keeps only locks and spent-code records.
//! - The index in the data directory says where each item is, so a process with no session bus
//!   (SSH, cron) lists it and reports it out of reach instead of missing.
//! - With no terminal, a touch request and a question that cannot be asked are sent as desktop
//!   notifications; no notification server never blocks or fails the command.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::aws::{OATH_ACCOUNT, alice_sandbox, alice_sts};
use common::bench::insert_card;
use common::desktop::Desktop;
use common::fixtures::{ARN, NO_PCSCD, SEED_SHA1, now};
use common::output::{assert_two_line_failure, stderr_of, stdout_of};
use common::ykman::ykman_add;
use common::{CardConfig, Sandbox, TouchMode};
use mfa::aws::cache::SessionKey;
use mfa_sts::StsDouble;
use serde_json::Value;

fn config(extra: &str) -> String {
    format!("[default]\nregion = eu-west-1\nmfa_serial = {ARN}\n{extra}")
}

/// `mfa ARGS` without a terminal and without PC/SC, in `desktop`'s session when given.
fn mfa(sandbox: &Sandbox, desktop: Option<&Desktop>, sts: Option<&StsDouble>) -> Command {
    let mut cmd = sandbox.mfa_std_without_tty();
    cmd.env(NO_PCSCD.0, NO_PCSCD.1).stdin(Stdio::null());
    if let Some(desktop) = desktop {
        cmd.envs(desktop.env());
    }
    if let Some(sts) = sts {
        cmd.env("AWS_ENDPOINT_URL_STS", sts.url());
    }
    cmd
}

/// Should the desktop keyring not answer, `mfa` falls back to the kernel user keyring, which is
/// the machine's, not the sandbox's: whatever a test may have put there under alice's names is
/// removed when the test ends, pass or fail, so other tests never find it.
struct KernelLeftovers;

impl Drop for KernelLeftovers {
    fn drop(&mut self) {
        use mfa::keystore::{OsKeyring, SecretStore};
        let session = SessionKey::session_token(common::aws::ACCESS_KEY, ARN).id();
        for name in [format!("totp:{ARN}"), format!("session:{session}")] {
            let _ = OsKeyring::default().delete(&name);
        }
    }
}

fn index(sandbox: &Sandbox) -> Vec<Value> {
    let text = std::fs::read_to_string(sandbox.path(".local/share/mfa/keyring-index.json"))
        .unwrap_or_else(|e| panic!("no keyring index: {e}"));
    let index: Value = serde_json::from_str(&text).unwrap();
    index["items"].as_array().unwrap().clone()
}

#[test]
fn keyring_sessions_go_to_the_secret_service_and_the_second_run_is_served_from_it() {
    let _leftovers = KernelLeftovers;
    let sts = alice_sts(vec![]);
    let sandbox = alice_sandbox(&config("mfa_cache = keyring\n"));
    let desktop = Desktop::with_keyring(sandbox.home.path());

    let first = mfa(&sandbox, Some(&desktop), Some(&sts))
        .arg("credential-process")
        .env("MFA_CODE", StsDouble::totp(SEED_SHA1, now()))
        .output()
        .unwrap();
    assert!(first.status.success(), "{}", stderr_of(&first));
    assert_eq!(sts.mfa_calls(), 1);
    let first: Value = serde_json::from_slice(&first.stdout).unwrap();

    // The item is in gnome-keyring, under service `mfa`.
    let found = desktop.secret_tool(&["search", "--all", "service", "mfa"]);
    let found = format!("{}{}", stdout_of(&found), stderr_of(&found));
    assert!(found.contains("attribute.username = session:"), "{found}");
    assert!(found.contains(first["SessionToken"].as_str().unwrap()));
    let items = index(&sandbox);
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["backend"], "secret-service");
    assert_eq!(items[0]["kind"], "session");
    let index_text =
        std::fs::read_to_string(sandbox.path(".local/share/mfa/keyring-index.json")).unwrap();
    assert!(!index_text.contains(first["SessionToken"].as_str().unwrap()));

    // A second run: no code, no STS call, the same credentials.
    let second = mfa(&sandbox, Some(&desktop), Some(&sts))
        .arg("credential-process")
        .output()
        .unwrap();
    assert!(second.status.success(), "{}", stderr_of(&second));
    let second: Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(second["AccessKeyId"], first["AccessKeyId"]);
    assert_eq!(sts.mfa_calls(), 1);

    // The cache directory holds the spent-code record and the lock, no session.
    let names: Vec<String> = std::fs::read_dir(sandbox.path(".cache/mfa"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().any(|n| n.starts_with("spent")), "{names:?}");
    assert!(names.iter().any(|n| n.ends_with(".lock")), "{names:?}");
    assert!(!names.iter().any(|n| n.ends_with(".json")), "{names:?}");
    for name in &names {
        let text = std::fs::read(sandbox.path(&format!(".cache/mfa/{name}"))).unwrap();
        let text = String::from_utf8_lossy(&text);
        assert!(!text.contains(first["SecretAccessKey"].as_str().unwrap()));
    }

    // `mfa cache list` in the session shows it; `mfa cache clear` removes it from gnome-keyring
    // and from the index.
    let listed = mfa(&sandbox, Some(&desktop), None)
        .args(["cache", "list", "--json"])
        .output()
        .unwrap();
    assert!(listed.status.success(), "{}", stderr_of(&listed));
    let rows: Value = serde_json::from_slice(&listed.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["store"], "keyring");
    let cleared = mfa(&sandbox, Some(&desktop), None)
        .args(["cache", "clear"])
        .output()
        .unwrap();
    assert!(cleared.status.success(), "{}", stderr_of(&cleared));
    let found = desktop.secret_tool(&["search", "--all", "service", "mfa"]);
    assert!(
        !stdout_of(&found).contains("session:"),
        "{}",
        stdout_of(&found)
    );
    assert!(index(&sandbox).is_empty());
}

#[test]
fn a_secret_in_the_desktop_keyring_is_listed_and_reported_out_of_reach_without_a_bus() {
    let _leftovers = KernelLeftovers;
    let sandbox = alice_sandbox(&config(""));
    let desktop = Desktop::with_keyring(sandbox.home.path());
    let mut add = mfa(&sandbox, Some(&desktop), None)
        .args(["totp", "add", "--store", "keyring"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    add.stdin
        .take()
        .unwrap()
        .write_all(SEED_SHA1.as_bytes())
        .unwrap();
    let added = add.wait_with_output().unwrap();
    assert!(added.status.success(), "{}", stderr_of(&added));

    let looked_up = desktop.secret_tool(&[
        "lookup",
        "service",
        "mfa",
        "username",
        &format!("totp:{ARN}"),
    ]);
    assert!(
        stdout_of(&looked_up).starts_with("otpauth://totp/"),
        "{}",
        stderr_of(&looked_up)
    );
    assert_eq!(index(&sandbox)[0]["backend"], "secret-service");
    assert_eq!(index(&sandbox)[0]["kind"], "totp");

    // In the session: the code comes from gnome-keyring.
    let code = mfa(&sandbox, Some(&desktop), None)
        .args(["--source", "totp", "code"])
        .output()
        .unwrap();
    assert!(code.status.success(), "{}", stderr_of(&code));
    let expected = [now(), now() - 1].map(|t| StsDouble::totp(SEED_SHA1, t));
    assert!(expected.contains(&stdout_of(&code).trim().to_owned()));

    // From SSH or cron (no session bus): listed from the index, and out of reach.
    let listed = mfa(&sandbox, None, None)
        .args(["totp", "list", "--json"])
        .output()
        .unwrap();
    let shown = format!("{}{}", stdout_of(&listed), stderr_of(&listed));
    assert!(shown.contains(ARN), "{shown}");
    assert!(shown.contains("cannot be reached from here"), "{shown}");
    let failed = mfa(&sandbox, None, None)
        .args(["--source", "totp", "code"])
        .output()
        .unwrap();
    let [what, hint] = assert_two_line_failure(&failed, 1);
    assert!(
        what.contains("the desktop keyring (Secret Service), which cannot be reached from here"),
        "{what}"
    );
    assert!(hint.contains("desktop session"), "{hint}");

    // `mfa doctor` says where new items go, and what is out of reach.
    let keyring_check = |desktop: Option<&Desktop>| -> Value {
        let out = mfa(&sandbox, desktop, None)
            .args(["doctor", "--json"])
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["check"] == "keyring")
            .unwrap()
            .clone()
    };
    let inside = keyring_check(Some(&desktop));
    assert_eq!(inside["status"], "ok", "{inside}");
    let detail = inside["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("new items go to the desktop keyring (Secret Service)"),
        "{detail}"
    );
    assert!(detail.contains("1 in the desktop keyring"), "{detail}");
    let outside = keyring_check(None);
    assert_eq!(outside["status"], "warn", "{outside}");
    let detail = outside["detail"].as_str().unwrap();
    let expected = "1 item(s) kept in the desktop keyring (Secret Service) cannot be reached \
                    from here (no session bus";
    assert!(detail.contains(expected), "{detail}");
    assert!(
        detail.contains("new items go to the kernel user keyring"),
        "{detail}"
    );
}

#[test]
fn a_touch_request_with_no_terminal_is_sent_as_a_desktop_notification() {
    let sandbox = Sandbox::new();
    let mut desktop = Desktop::bus(sandbox.home.path());
    desktop.start_notification_server();
    let slot = insert_card(CardConfig {
        touch: TouchMode::Delay(Duration::from_millis(800)),
        ..CardConfig::default()
    });
    ykman_add(&slot, &["--touch"], OATH_ACCOUNT, SEED_SHA1);
    // setsid: no controlling terminal, as under a GUI program.
    let out = sandbox
        .mfa_std_without_tty()
        .envs(desktop.env())
        .args(["-p", "work", "code", OATH_ACCOUNT])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(slot.card().touch_count(), 1);
    let sent = desktop.notifications();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["app"], "mfa");
    assert_eq!(sent[0]["summary"], "mfa: touch your YubiKey");
    let body = sent[0]["body"].as_str().unwrap();
    assert!(body.contains("Profile work"), "{body}");
    assert!(body.contains("15 s"), "{body}");
    assert_eq!(sent[0]["expire_timeout"], 15000);
}

#[test]
fn no_notification_server_or_no_bus_neither_blocks_nor_fails_a_touch() {
    let sandbox = Sandbox::new();
    let desktop = Desktop::bus(sandbox.home.path());
    let slot = insert_card(CardConfig {
        touch: TouchMode::Delay(Duration::from_millis(300)),
        ..CardConfig::default()
    });
    ykman_add(&slot, &["--touch"], OATH_ACCOUNT, SEED_SHA1);
    for bus in ["bare bus", "dead bus"] {
        let mut cmd = sandbox.mfa_std_without_tty();
        cmd.envs(desktop.env()).stdin(Stdio::null());
        if bus == "dead bus" {
            cmd.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
        }
        let started = Instant::now();
        let out = cmd.args(["code", OATH_ACCOUNT]).output().unwrap();
        assert!(out.status.success(), "{bus}: {}", stderr_of(&out));
        assert!(stderr_of(&out).contains("Touch your YubiKey"), "{bus}");
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{bus}: {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn a_question_that_cannot_be_asked_is_sent_as_a_desktop_notification() {
    let sts = alice_sts(vec![]);
    let sandbox = alice_sandbox(&config("mfa_source = prompt\n"));
    let mut desktop = Desktop::bus(sandbox.home.path());
    desktop.start_notification_server();
    let out = mfa(&sandbox, Some(&desktop), Some(&sts))
        .arg("credential-process")
        .output()
        .unwrap();
    assert_two_line_failure(&out, 1);
    assert_eq!(sts.mfa_calls(), 0);
    let sent = desktop.notifications();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["summary"], "mfa: an answer is needed");
    let body = sent[0]["body"].as_str().unwrap();
    assert!(body.contains("Profile default"), "{body}");
    assert!(body.contains(ARN), "{body}");
}

/// kubectl run by an editor: `mfa eks-token` with no terminal refuses a touch nobody was asked
/// for — unless the desktop can be told, then it asks by notification and waits for the touch.
#[test]
fn eks_token_with_no_terminal_waits_for_a_touch_only_when_a_notification_can_ask_for_it() {
    let world = common::aws::World::new();
    let mut desktop = Desktop::bus(world.sandbox.home.path());
    let slot = insert_card(CardConfig {
        touch: TouchMode::Delay(Duration::from_millis(800)),
        ..CardConfig::default()
    });
    ykman_add(&slot, &["--touch"], OATH_ACCOUNT, SEED_SHA1);
    let eks_token = |desktop: &Desktop| {
        world
            .sandbox
            .mfa_std_without_tty()
            .envs(desktop.env())
            .env("AWS_ENDPOINT_URL_STS", world.sts.url())
            .args(["--no-cache", "eks-token", "--cluster", "desk"])
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };

    // A bus but no notification server: refused at once, nothing spent.
    let refused = eks_token(&desktop);
    let [what, _] = assert_two_line_failure(&refused, 1);
    assert!(what.contains("needs a touch"), "{what}");
    assert_eq!(slot.card().touch_count(), 0);
    assert_eq!(world.sts.mfa_calls(), 0);

    // With one: the touch is asked for on the desktop, given, and the token made.
    desktop.start_notification_server();
    let out = eks_token(&desktop);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(stdout_of(&out).contains("k8s-aws-v1."));
    assert_eq!(slot.card().touch_count(), 1);
    assert_eq!(world.sts.mfa_calls(), 1);
    let sent = desktop.notifications();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["summary"], "mfa: touch your YubiKey");
}
