//! `mfa cache list|clear` on entries written through the library's `SessionCache` into the
//! sandbox's `MFA_CACHE_DIR` (and, for one test, into the OS keyring).
//!
//! The OS keyring is the user's, shared with the rest of the machine: other `mfa:session:*`
//! entries may exist there, so assertions look at the file store, or at the entries a test
//! wrote itself. `mfa cache clear` empties the keyring's sessions too, so the tests of this file
//! that clear or rely on keyring entries take [`KEYRING`] first.

#![allow(clippy::unwrap_used)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde_json::{Value, json};

use common::Sandbox;
use common::cache::{Planted, cached_session};
use common::fixtures::{ADMIN_ROLE as ROLE, ARN as SERIAL, now};
use common::output::{stderr_of, stdout_of};
use mfa::aws::cache::{CachedSession, SessionCache, SessionKey, SessionKind};
use mfa::aws::credentials::rfc3339;
use mfa::keystore::OsKeyring;

const KEY_ID: &str = "ASIACACHETESTKEY0001";
const SECRET: &str = "cache-test-secret-access-key";
const TOKEN: &str = "cache-test-session-token";

/// Held by the tests that clear the cache (which clears the keyring's sessions) or put entries
/// in the keyring.
static KEYRING: Mutex<()> = Mutex::new(());

fn keyring_lock() -> MutexGuard<'static, ()> {
    KEYRING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A session with this file's made-up credentials.
fn session(kind: SessionKind, profile: &str, expiration: u64) -> CachedSession {
    let credentials = Planted {
        access_key_id: KEY_ID,
        secret_access_key: SECRET,
        session_token: TOKEN,
    };
    cached_session(kind, profile, &credentials, expiration)
}

fn cache_dir(sandbox: &Sandbox) -> PathBuf {
    sandbox.path(".cache/mfa")
}

fn file_cache(sandbox: &Sandbox) -> SessionCache {
    common::cache::file_cache(&cache_dir(sandbox))
}

/// `mfa ARGS`, which must exit 0 and never print a credential; (stdout, stderr).
fn mfa_ok(sandbox: &Sandbox, args: &[&str]) -> (String, String) {
    let output = sandbox.mfa().args(args).output().unwrap();
    let (out, err) = (stdout_of(&output), stderr_of(&output));
    assert!(output.status.success(), "mfa {args:?}: {err}");
    for text in [&out, &err] {
        assert!(
            !text.contains(SECRET) && !text.contains(TOKEN) && !text.contains(KEY_ID),
            "mfa {args:?} showed a credential: {text}"
        );
    }
    (out, err)
}

/// The rows of `mfa cache list --json` in `store`.
fn rows(sandbox: &Sandbox, store: &str) -> Vec<Value> {
    let (out, _) = mfa_ok(sandbox, &["cache", "list", "--json"]);
    let all: Vec<Value> = serde_json::from_str(&out).unwrap();
    all.into_iter().filter(|r| r["store"] == store).collect()
}

#[test]
fn an_empty_cache_lists_nothing_and_clear_succeeds() {
    let _keyring = keyring_lock();
    let sandbox = Sandbox::new();
    let (out, _) = mfa_ok(&sandbox, &["cache", "list", "--json"]);
    let all: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert!(
        all.iter().all(|r| r["store"] == "keyring"),
        "file rows in an empty cache: {out}"
    );
    assert!(rows(&sandbox, "file").is_empty());
    let (out, _) = mfa_ok(&sandbox, &["cache", "list"]);
    assert!(
        !out.lines().skip(1).any(|l| l.ends_with(" file")),
        "file rows in an empty cache: {out}"
    );
    let (out, err) = mfa_ok(&sandbox, &["cache", "clear"]);
    assert_eq!(out, "");
    assert!(err.starts_with("Removed "), "{err}");
    assert!(
        !cache_dir(&sandbox).exists(),
        "list and clear created the cache directory"
    );
}

#[test]
fn lists_sessions_and_roles_with_their_expiry() {
    let sandbox = Sandbox::new();
    let cache = file_cache(&sandbox);
    let t = now();
    let parent = SessionKey::session_token("AKIAALICE", SERIAL);
    cache
        .put(
            &parent,
            &session(SessionKind::SessionToken, "default", t + 3 * 3600 + 600),
        )
        .unwrap();
    let role = SessionKey::role("admin", ROLE, &parent);
    cache
        .put(&role, &session(SessionKind::Role, "admin", t - 60))
        .unwrap();

    let rows = rows(&sandbox, "file");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(
        rows[0],
        json!({
            "profile": "admin", "kind": "role", "role_arn": ROLE, "mfa_serial": null,
            "expiration": rfc3339::format(t - 60), "expires_in_secs": 0, "expired": true,
            "fresh": false, "store": "file", "id": role.id(),
        })
    );
    assert_eq!(rows[1]["profile"], "default");
    assert_eq!(rows[1]["kind"], "session-token");
    assert_eq!(rows[1]["mfa_serial"], SERIAL);
    assert_eq!(rows[1]["expiration"], rfc3339::format(t + 3 * 3600 + 600));
    assert_eq!(rows[1]["expired"], false);
    assert_eq!(rows[1]["fresh"], true);

    let (table, _) = mfa_ok(&sandbox, &["cache", "list"]);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("PROFILE"), "{table}");
    let admin = lines.iter().find(|l| l.starts_with("admin ")).unwrap();
    assert!(
        admin.contains(ROLE) && admin.contains("(expired)"),
        "{table}"
    );
    let default = lines.iter().find(|l| l.starts_with("default ")).unwrap();
    assert!(
        default.contains("session-token") && default.contains(SERIAL),
        "{table}"
    );
    assert!(default.contains("(in 3h"), "{table}");
}

#[test]
fn untrusted_entries_are_reported_at_v_and_never_listed() {
    let sandbox = Sandbox::new();
    let cache = file_cache(&sandbox);
    let t = now();
    let good = SessionKey::session_token("AKIAGOOD", SERIAL);
    let open = SessionKey::session_token("AKIAOPEN", SERIAL);
    cache
        .put(&good, &session(SessionKind::SessionToken, "good", t + 3600))
        .unwrap();
    cache
        .put(&open, &session(SessionKind::SessionToken, "open", t + 3600))
        .unwrap();
    let open_path = cache_dir(&sandbox).join(format!("{}.json", open.id()));
    std::fs::set_permissions(&open_path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let corrupt_id = SessionKey::session_token("AKIABAD", SERIAL).id();
    let corrupt_path = cache_dir(&sandbox).join(format!("{corrupt_id}.json"));
    std::fs::write(&corrupt_path, "{\"version\":1,").unwrap();
    std::fs::set_permissions(&corrupt_path, std::fs::Permissions::from_mode(0o600)).unwrap();

    let profiles: Vec<Value> = rows(&sandbox, "file")
        .iter()
        .map(|r| r["profile"].clone())
        .collect();
    assert_eq!(profiles, [json!("good")]);

    let (_, quiet) = mfa_ok(&sandbox, &["cache", "list", "--json"]);
    assert!(!quiet.contains("ignored"), "{quiet}");
    let (_, err) = mfa_ok(&sandbox, &["-v", "cache", "list", "--json"]);
    let line = |path: &PathBuf| {
        err.lines()
            .find(|l| l.contains(&path.display().to_string()))
            .unwrap_or_else(|| panic!("{} not reported: {err}", path.display()))
            .to_owned()
    };
    assert!(
        line(&open_path).contains("mode 0644 gives other users access"),
        "{err}"
    );
    assert!(
        line(&corrupt_path).contains("not a valid cache entry"),
        "{err}"
    );
}

#[test]
fn clear_removes_sessions_and_keeps_spent_codes() {
    let _keyring = keyring_lock();
    let sandbox = Sandbox::new();
    let cache = file_cache(&sandbox);
    let t = now();
    for (id, profile) in [("AKIAONE", "one"), ("AKIATWO", "two")] {
        cache
            .put(
                &SessionKey::session_token(id, SERIAL),
                &session(SessionKind::SessionToken, profile, t + 3600),
            )
            .unwrap();
    }
    cache.spent_codes().unwrap().record(SERIAL, t / 30).unwrap();

    let (out, err) = mfa_ok(&sandbox, &["cache", "clear"]);
    assert_eq!(out, "");
    let dir = cache_dir(&sandbox);
    assert!(
        err.starts_with("Removed ") && err.contains(&format!("(2 from {}", dir.display())),
        "{err}"
    );
    assert!(rows(&sandbox, "file").is_empty());
    assert_eq!(cache.spent_codes().unwrap().last(SERIAL), Some(t / 30));
    let left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    assert!(left.is_empty(), "{left:?}");

    let (_, err) = mfa_ok(&sandbox, &["cache", "clear"]);
    assert!(err.contains(&format!("(0 from {}", dir.display())), "{err}");
    let (_, err) = mfa_ok(&sandbox, &["-q", "cache", "clear"]);
    assert_eq!(err, "");
}

/// Deletes this test's keyring entry even when the test fails half-way.
struct KeyringEntry(SessionKey);

impl Drop for KeyringEntry {
    fn drop(&mut self) {
        let _ = SessionCache::keyring(Box::new(OsKeyring::default()), None).remove(&self.0);
    }
}

#[test]
fn keyring_sessions_are_listed_and_cleared_too() {
    let _keyring = keyring_lock();
    let sandbox = Sandbox::new();
    let profile = format!("cache-test-{}", std::process::id());
    let entry = KeyringEntry(SessionKey::session_token(&profile, SERIAL));
    SessionCache::keyring(Box::new(OsKeyring::default()), None)
        .put(
            &entry.0,
            &session(SessionKind::SessionToken, &profile, now() + 3600),
        )
        .unwrap();

    let mine = |sandbox: &Sandbox| -> Vec<Value> {
        rows(sandbox, "keyring")
            .into_iter()
            .filter(|r| r["profile"] == profile.as_str())
            .collect()
    };
    let listed = mine(&sandbox);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["id"], entry.0.id());
    assert!(rows(&sandbox, "file").is_empty());

    let (_, err) = mfa_ok(&sandbox, &["cache", "clear"]);
    assert!(err.contains("from the OS keyring"), "{err}");
    assert!(mine(&sandbox).is_empty());
}
