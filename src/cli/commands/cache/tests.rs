#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use super::*;
use crate::aws::cache::{CachedSession, SessionKey, SessionKind};
use crate::aws::credentials::SessionCredentials;
use crate::cli::args::JsonOutput;
use crate::keystore::MemoryStore;
use crate::secret::{SecretBytes, SecretString};

const NOW: u64 = 1_800_000_000;
const SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";
const ROLE: &str = "arn:aws:iam::123456789012:role/admin";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG";
const TOKEN: &str = "FwoGZXIvYXdzEJr//token";

/// A keyring the test keeps a handle on after giving one to the command.
#[derive(Clone, Default)]
struct SharedStore(Arc<MemoryStore>);

impl SecretStore for SharedStore {
    fn get(&self, name: &str) -> Result<Option<SecretBytes>, KeystoreError> {
        self.0.get(name)
    }
    fn set(&self, name: &str, secret: &[u8]) -> Result<(), KeystoreError> {
        self.0.set(name, secret)
    }
    fn delete(&self, name: &str) -> Result<bool, KeystoreError> {
        self.0.delete(name)
    }
    fn list(&self, prefix: &str) -> Result<Vec<String>, KeystoreError> {
        self.0.list(prefix)
    }
}

/// A keyring that refuses everything.
struct BrokenStore;

impl SecretStore for BrokenStore {
    fn get(&self, _: &str) -> Result<Option<SecretBytes>, KeystoreError> {
        Err(denied())
    }
    fn set(&self, _: &str, _: &[u8]) -> Result<(), KeystoreError> {
        Err(denied())
    }
    fn delete(&self, _: &str) -> Result<bool, KeystoreError> {
        Err(denied())
    }
    fn list(&self, _: &str) -> Result<Vec<String>, KeystoreError> {
        Err(denied())
    }
}

fn denied() -> KeystoreError {
    KeystoreError::AccessDenied {
        detail: "seccomp".into(),
    }
}

fn session(kind: SessionKind, profile: &str, expiration: u64) -> CachedSession {
    CachedSession {
        kind,
        profile: profile.into(),
        mfa_serial: (kind == SessionKind::SessionToken).then(|| SERIAL.into()),
        role_arn: (kind == SessionKind::Role).then(|| ROLE.into()),
        credentials: SessionCredentials {
            access_key_id: "ASIAEXAMPLEKEY123456".into(),
            secret_access_key: SecretString::new(SECRET.into()),
            session_token: SecretString::new(TOKEN.into()),
            expiration,
        },
    }
}

fn st_key(access_key_id: &str) -> SessionKey {
    SessionKey::session_token(access_key_id, SERIAL)
}

struct Fixture {
    _temp: tempfile::TempDir,
    dir: PathBuf,
    keyring: SharedStore,
}

impl Fixture {
    fn new() -> Fixture {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("mfa");
        Fixture {
            _temp: temp,
            dir,
            keyring: SharedStore::default(),
        }
    }

    fn file_cache(&self) -> SessionCache {
        SessionCache::file(CacheDir::open(&self.dir).unwrap())
    }

    fn keyring_cache(&self) -> SessionCache {
        SessionCache::keyring(Box::new(self.keyring.clone()), None)
    }

    /// Runs `command` at `verbosity`; (exit, stdout, stderr).
    fn run(&self, command: &CacheCommand, verbosity: u8) -> (Exit, String, String) {
        self.run_with(command, verbosity, Some(Box::new(self.keyring.clone())))
    }

    fn run_with(
        &self,
        command: &CacheCommand,
        verbosity: u8,
        keyring: Option<Box<dyn SecretStore + Send + Sync>>,
    ) -> (Exit, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let exit = run_with(
            command,
            CacheIo {
                dir: Some(self.dir.clone()),
                keyring,
                now: NOW,
                out: &mut out,
                err: &mut err,
                verbosity,
                quiet: false,
            },
        )
        .unwrap();
        (
            exit,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }
}

fn list(json: bool) -> CacheCommand {
    CacheCommand::List {
        output: JsonOutput { json },
    }
}

#[test]
fn an_empty_cache_lists_nothing_and_is_not_created() {
    let fixture = Fixture::new();
    let (exit, out, err) = fixture.run(&list(true), 0);
    assert_eq!(
        (exit, out.as_str(), err.as_str()),
        (Exit::Success, "[]\n", "")
    );
    let (exit, out, err) = fixture.run(&list(false), 1);
    assert_eq!(exit, Exit::Success);
    assert_eq!(out, "");
    assert!(err.contains("No cached sessions."), "{err}");
    assert!(err.contains("no cache directory at"), "{err}");
    assert!(!fixture.dir.exists(), "listing created the directory");
    let (exit, _, err) = fixture.run(&CacheCommand::Clear, 0);
    assert_eq!(exit, Exit::Success);
    assert_eq!(err, "Removed 0 cached sessions (0 from the OS keyring).\n");
    assert!(!fixture.dir.exists());
}

#[test]
fn lists_both_stores_sorted_without_secrets() {
    let fixture = Fixture::new();
    let file = fixture.file_cache();
    let parent = st_key("AKIAALICE");
    file.put(
        &parent,
        &session(SessionKind::SessionToken, "prod", NOW + 3 * 3600 + 12 * 60),
    )
    .unwrap();
    file.put(
        &SessionKey::role("admin", ROLE, &parent),
        &session(SessionKind::Role, "admin", NOW - 10),
    )
    .unwrap();
    fixture
        .keyring_cache()
        .put(
            &st_key("AKIABOB"),
            &session(SessionKind::SessionToken, "bob", NOW + 120),
        )
        .unwrap();

    let (_, out, _) = fixture.run(&list(true), 0);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let profiles: Vec<&str> = rows
        .iter()
        .map(|r| r["profile"].as_str().unwrap())
        .collect();
    assert_eq!(profiles, ["admin", "bob", "prod"]);
    assert_eq!(
        rows[0],
        serde_json::json!({
            "profile": "admin", "kind": "role", "role_arn": ROLE, "mfa_serial": null,
            "expiration": rfc3339::format(NOW - 10), "expires_in_secs": 0, "expired": true,
            "fresh": false, "store": "file",
            "id": SessionKey::role("admin", ROLE, &parent).id(),
        })
    );
    assert_eq!(rows[1]["store"], "keyring");
    assert_eq!(rows[1]["fresh"], false);
    assert_eq!(rows[2]["kind"], "session-token");
    assert_eq!(rows[2]["mfa_serial"], SERIAL);
    assert_eq!(rows[2]["expires_in_secs"], 3 * 3600 + 12 * 60);

    let (_, table, _) = fixture.run(&list(false), 0);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4, "{table}");
    assert!(lines[0].starts_with("PROFILE"), "{table}");
    assert!(lines[1].contains("(expired)"), "{table}");
    assert!(
        lines[2].contains("(in 2m (too close to expiry to be used))"),
        "{table}"
    );
    assert!(
        lines[3].contains("(in 3h12m)") && lines[3].ends_with("file"),
        "{table}"
    );
    for text in [&out, &table] {
        assert!(!text.contains(SECRET) && !text.contains(TOKEN), "{text}");
        assert!(!text.contains("ASIAEXAMPLE"), "{text}");
    }
}

#[test]
fn untrusted_entries_are_explained_at_v() {
    let fixture = Fixture::new();
    let file = fixture.file_cache();
    file.put(
        &st_key("AKIAALICE"),
        &session(SessionKind::SessionToken, "prod", NOW + 3600),
    )
    .unwrap();
    let corrupt = fixture.dir.join(format!("{}.json", st_key("AKIABOB").id()));
    std::fs::write(&corrupt, b"{not json").unwrap();
    std::fs::set_permissions(
        &corrupt,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();

    let (_, out, err) = fixture.run(&list(true), 0);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(err, "");
    let (_, _, err) = fixture.run(&list(true), 1);
    assert!(
        err.contains(&corrupt.display().to_string()) && err.contains("not a valid cache entry"),
        "{err}"
    );
}

#[test]
fn clear_removes_sessions_and_keeps_spent_codes() {
    let fixture = Fixture::new();
    let file = fixture.file_cache();
    file.put(
        &st_key("AKIAALICE"),
        &session(SessionKind::SessionToken, "prod", NOW + 3600),
    )
    .unwrap();
    file.put(
        &st_key("AKIACAROL"),
        &session(SessionKind::SessionToken, "carol", NOW - 3600),
    )
    .unwrap();
    file.spent_codes()
        .unwrap()
        .record(SERIAL, NOW / 30)
        .unwrap();
    fixture
        .keyring_cache()
        .put(
            &st_key("AKIABOB"),
            &session(SessionKind::SessionToken, "bob", NOW + 3600),
        )
        .unwrap();

    let (exit, out, err) = fixture.run(&CacheCommand::Clear, 0);
    assert_eq!((exit, out.as_str()), (Exit::Success, ""));
    assert_eq!(
        err,
        format!(
            "Removed 3 cached sessions (2 from {}, 1 from the OS keyring).\n",
            fixture.dir.display()
        )
    );
    let (_, out, _) = fixture.run(&list(true), 0);
    assert_eq!(out, "[]\n");
    assert_eq!(file.spent_codes().unwrap().last(SERIAL), Some(NOW / 30));
}

#[test]
fn a_keyring_that_refuses_is_skipped() {
    let fixture = Fixture::new();
    fixture
        .file_cache()
        .put(
            &st_key("AKIAALICE"),
            &session(SessionKind::SessionToken, "prod", NOW + 3600),
        )
        .unwrap();
    let (exit, out, err) = fixture.run_with(&list(true), 0, Some(Box::new(BrokenStore)));
    assert_eq!(exit, Exit::Success);
    assert_eq!(
        serde_json::from_str::<Vec<serde_json::Value>>(&out)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(err, "");
    let (_, _, err) = fixture.run_with(&CacheCommand::Clear, 1, Some(Box::new(BrokenStore)));
    assert!(
        err.contains("sessions in the OS keyring were not cleared")
            && err.contains(&format!(
                "Removed 1 cached session (1 from {})",
                fixture.dir.display()
            )),
        "{err}"
    );
}

#[test]
fn a_cache_directory_of_someone_else_is_an_error_with_a_fix() {
    let fixture = Fixture::new();
    std::fs::create_dir_all(&fixture.dir).unwrap();
    std::fs::write(fixture.dir.join("notes.txt"), b"mine").unwrap();
    std::fs::set_permissions(
        &fixture.dir,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let failure = run_with(
        &list(false),
        CacheIo {
            dir: Some(fixture.dir.clone()),
            keyring: None,
            now: NOW,
            out: &mut out,
            err: &mut err,
            verbosity: 0,
            quiet: false,
        },
    )
    .unwrap_err();
    assert_eq!(
        failure.exit(),
        Exit::Usage,
        "a directory of the user's making is configuration"
    );
    assert!(failure.what().contains("notes.txt"), "{}", failure.what());
    assert!(failure.fix().contains("MFA_CACHE_DIR"), "{}", failure.fix());
    assert!(out.is_empty());
}

#[test]
fn expiry_in_words() {
    assert_eq!(
        expires_in(NOW + 3 * 3600 + 12 * 60 + 59, true, NOW),
        "in 3h12m"
    );
    assert_eq!(expires_in(NOW + 3600, true, NOW), "in 1h00m");
    assert_eq!(expires_in(NOW + 599, true, NOW), "in 9m");
    assert_eq!(
        expires_in(NOW + 45, false, NOW),
        "in 45s (too close to expiry to be used)"
    );
    assert_eq!(expires_in(NOW, false, NOW), "expired");
    assert_eq!(expires_in(NOW - 5, false, NOW), "expired");
}
