#![allow(clippy::unwrap_used)]

mod locking;

use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use super::*;
use crate::aws::credentials::SessionCredentials;
use crate::keystore::MemoryStore;
use crate::secret::SecretString;

const NOW: u64 = 1_800_000_000;
const SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";

fn session(access_key_id: &str, expiration: u64) -> CachedSession {
    CachedSession {
        kind: SessionKind::SessionToken,
        profile: "default".into(),
        mfa_serial: Some(SERIAL.into()),
        role_arn: None,
        credentials: SessionCredentials {
            access_key_id: access_key_id.into(),
            secret_access_key: SecretString::new("wJalrXUtnFEMI/K7MDENG".into()),
            session_token: SecretString::new("FwoGZXIvYXdzEJr//token".into()),
            expiration,
        },
    }
}

fn key() -> SessionKey {
    SessionKey::session_token("AKIAALICE", SERIAL)
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn my_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// A fresh cache directory inside a temporary directory.
fn file_cache() -> (tempfile::TempDir, SessionCache, PathBuf) {
    let temp = tempfile::tempdir().unwrap();
    let path = temp.path().join("cache").join("mfa");
    let cache = SessionCache::file(CacheDir::open(&path).unwrap());
    (temp, cache, path)
}

fn entry_path(dir: &Path, key: &SessionKey) -> PathBuf {
    dir.join(format!("{}.json", key.id()))
}

#[test]
fn directory_is_created_private() {
    let (_temp, cache, path) = file_cache();
    assert_eq!(mode(&path), 0o700);
    assert_eq!(cache.dir().unwrap().path(), path);
    assert_eq!(cache.dir().unwrap().repaired_from(), None);
}

#[test]
fn a_loose_directory_of_ours_is_tightened() {
    let (_temp, cache, path) = file_cache();
    cache.put(&key(), &session("ASIA1", NOW + 3600)).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    let dir = CacheDir::open(&path).unwrap();
    assert_eq!(dir.repaired_from(), Some(0o755));
    assert_eq!(mode(&path), 0o700);
}

#[test]
fn a_loose_directory_with_other_files_is_refused_and_left_alone() {
    let temp = tempfile::tempdir().unwrap();
    let path = temp.path().join("shared");
    fs::create_dir(&path).unwrap();
    fs::write(path.join("notes.txt"), "x").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o1777)).unwrap();
    let err = CacheDir::open(&path).unwrap_err();
    assert!(
        matches!(err, CacheError::DirTooOpen { mode: 0o1777, ref stranger, .. } if stranger == "notes.txt"),
        "{err}"
    );
    assert_eq!(mode(&path), 0o1777);
}

#[test]
fn a_foreign_or_non_directory_location_is_refused() {
    let temp = tempfile::tempdir().unwrap();
    let err = CacheDir::open_as(temp.path().to_owned(), my_uid() + 1).unwrap_err();
    assert!(matches!(err, CacheError::DirForeignOwner { .. }), "{err}");
    let file = temp.path().join("file");
    fs::write(&file, "").unwrap();
    let err = CacheDir::open(&file).unwrap_err();
    assert!(
        matches!(
            err,
            CacheError::NotADirectory { .. } | CacheError::CreateDir { .. }
        ),
        "{err}"
    );
}

#[test]
fn round_trip_with_a_private_file() {
    let (_temp, cache, path) = file_cache();
    let stored = session("ASIAROUNDTRIP", NOW + 3600);
    assert_eq!(cache.get(&key(), NOW), Lookup::Missing);
    cache.put(&key(), &stored).unwrap();
    assert_eq!(mode(&entry_path(&path, &key())), 0o600);
    assert_eq!(cache.get(&key(), NOW), Lookup::Fresh(stored.clone()));
    let text = fs::read_to_string(entry_path(&path, &key())).unwrap();
    assert!(text.contains("\"kind\":\"session-token\""), "{text}");
    assert!(
        text.contains("\"expiration\":\"2027-01-15T09:00:00Z\""),
        "{text}"
    );
    // Another key is another entry.
    let other = SessionKey::session_token("AKIABOB", SERIAL);
    assert_eq!(cache.get(&other, NOW), Lookup::Missing);
    assert!(cache.remove(&key()).unwrap());
    assert!(!cache.remove(&key()).unwrap());
    assert_eq!(cache.get(&key(), NOW), Lookup::Missing);
}

#[test]
fn sessions_are_used_until_five_minutes_before_expiry() {
    let (_temp, cache, _path) = file_cache();
    cache.put(&key(), &session("ASIA1", NOW + 301)).unwrap();
    assert!(matches!(cache.get(&key(), NOW), Lookup::Fresh(_)));
    assert_eq!(
        cache.get(&key(), NOW + 1),
        Lookup::Stale {
            expiration: NOW + 301
        }
    );
    assert!(matches!(cache.get(&key(), NOW + 400), Lookup::Stale { .. }));
    assert!(is_fresh(NOW + EXPIRY_MARGIN_SECS + 1, NOW));
    assert!(!is_fresh(NOW + EXPIRY_MARGIN_SECS, NOW));
}

fn ignored_reason(lookup: Lookup) -> IgnoreReason {
    match lookup {
        Lookup::Ignored(ignored) => ignored.reason,
        other => panic!("expected an ignored entry, got {other:?}"),
    }
}

#[test]
fn a_corrupt_entry_is_ignored_then_replaced() {
    let (_temp, cache, path) = file_cache();
    let file = entry_path(&path, &key());
    for garbage in ["", "{\"version\":1", "[]", "{\"version\":7}"] {
        fs::write(&file, garbage).unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
        let lookup = cache.get(&key(), NOW);
        let Lookup::Ignored(ignored) = &lookup else {
            panic!("{garbage:?}: {lookup:?}")
        };
        assert!(matches!(ignored.reason, IgnoreReason::Corrupt { .. }));
        assert!(ignored.to_string().contains(&file.display().to_string()));
    }
    cache.put(&key(), &session("ASIANEW", NOW + 3600)).unwrap();
    assert!(matches!(cache.get(&key(), NOW), Lookup::Fresh(_)));
}

#[test]
fn an_entry_open_to_others_is_not_trusted() {
    let (_temp, cache, path) = file_cache();
    cache.put(&key(), &session("ASIA1", NOW + 3600)).unwrap();
    let file = entry_path(&path, &key());
    for loose in [0o644, 0o640, 0o602] {
        fs::set_permissions(&file, fs::Permissions::from_mode(loose)).unwrap();
        assert_eq!(
            ignored_reason(cache.get(&key(), NOW)),
            IgnoreReason::OpenToOthers { mode: loose }
        );
    }
    let reason = IgnoreReason::OpenToOthers { mode: 0o644 };
    assert_eq!(
        reason.to_string(),
        "its mode 0644 gives other users access (0600 expected)"
    );
}

#[test]
fn an_entry_owned_by_someone_else_is_not_trusted() {
    let (_temp, cache, path) = file_cache();
    cache.put(&key(), &session("ASIA1", NOW + 3600)).unwrap();
    // As seen by a process of another user.
    let stranger = SessionCache::file(CacheDir::assume(path.clone(), my_uid() + 1));
    assert_eq!(
        ignored_reason(stranger.get(&key(), NOW)),
        IgnoreReason::ForeignOwner {
            owner: my_uid(),
            expected: my_uid() + 1
        }
    );
    // And for real, where the tests may chown.
    if my_uid() == 0 {
        std::os::unix::fs::chown(entry_path(&path, &key()), Some(4242), None).unwrap();
        assert_eq!(
            ignored_reason(cache.get(&key(), NOW)),
            IgnoreReason::ForeignOwner {
                owner: 4242,
                expected: 0
            }
        );
    }
}

#[test]
fn links_and_entries_under_another_name_are_not_trusted() {
    let (_temp, cache, path) = file_cache();
    let bob = SessionKey::session_token("AKIABOB", SERIAL);
    cache.put(&bob, &session("ASIABOB", NOW + 3600)).unwrap();
    std::os::unix::fs::symlink(entry_path(&path, &bob), entry_path(&path, &key())).unwrap();
    assert_eq!(
        ignored_reason(cache.get(&key(), NOW)),
        IgnoreReason::NotAFile
    );
    fs::remove_file(entry_path(&path, &key())).unwrap();
    fs::copy(entry_path(&path, &bob), entry_path(&path, &key())).unwrap();
    assert_eq!(
        ignored_reason(cache.get(&key(), NOW)),
        IgnoreReason::WrongKey
    );
    // A FIFO neither blocks the read nor the lock.
    fs::remove_file(entry_path(&path, &key())).unwrap();
    let fifo = rustix::fs::Mode::from_raw_mode(0o600);
    rustix::fs::mknodat(
        rustix::fs::CWD,
        entry_path(&path, &key()),
        rustix::fs::FileType::Fifo,
        fifo,
        0,
    )
    .unwrap();
    assert_eq!(
        ignored_reason(cache.get(&key(), NOW)),
        IgnoreReason::NotAFile
    );
}

#[test]
fn replacing_an_entry_is_atomic() {
    let (_temp, cache, path) = file_cache();
    let a = session("ASIAAAAAAAAAAAAA", NOW + 3600);
    let mut b = session("ASIABBBBBBBBBBBBBBBBBBBBBBBBBB", NOW + 7200);
    b.credentials.session_token = SecretString::new("t".repeat(900));
    cache.put(&key(), &a).unwrap();
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            for i in 0..200 {
                cache.put(&key(), if i % 2 == 0 { &b } else { &a }).unwrap();
            }
            stop.store(true, Ordering::SeqCst);
        });
        let mut reads = 0;
        while !stop.load(Ordering::SeqCst) || reads == 0 {
            match cache.get(&key(), NOW) {
                Lookup::Fresh(s) => assert!(s == a || s == b),
                other => panic!("a reader saw {other:?}"),
            }
            reads += 1;
        }
        writer.join().unwrap();
    });
    let names: Vec<String> = fs::read_dir(&path)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(
        names,
        [format!("{}.json", key().id())],
        "no temporary files left"
    );
}

#[test]
fn list_shows_no_secret_and_clear_removes_entries_only() {
    let (_temp, cache, path) = file_cache();
    cache.put(&key(), &session("ASIA1", NOW + 3600)).unwrap();
    let role_key = SessionKey::role("admin", "arn:aws:iam::2:role/Admin", &key());
    let mut role = session("ASIA2", NOW + 100);
    role.kind = SessionKind::Role;
    role.profile = "admin".into();
    role.role_arn = Some("arn:aws:iam::2:role/Admin".into());
    cache.put(&role_key, &role).unwrap();
    let broken = SessionKey::session_token("AKIABROKEN", SERIAL);
    fs::write(entry_path(&path, &broken), "not json").unwrap();
    fs::set_permissions(
        entry_path(&path, &broken),
        fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    cache.spent_codes().unwrap().record(SERIAL, 5).unwrap();
    drop(cache.lock(&key(), &mut |_| {}).unwrap());
    fs::write(path.join(".leftover.json.1.2.tmp"), "x").unwrap();

    let listing = cache.list(NOW).unwrap();
    assert_eq!(listing.entries.len(), 2);
    assert_eq!(listing.ignored.len(), 1);
    let admin = listing
        .entries
        .iter()
        .find(|e| e.profile == "admin")
        .unwrap();
    assert_eq!(admin.kind, SessionKind::Role);
    assert!(!admin.fresh, "expires within the margin");
    assert_eq!(admin.expiration, NOW + 100);
    let text = format!("{listing:?}");
    assert!(
        !text.contains("wJalr") && !text.contains("FwoGZX"),
        "{text}"
    );

    assert_eq!(cache.clear().unwrap(), 3);
    assert_eq!(cache.list(NOW).unwrap(), Listing::default());
    assert_eq!(cache.spent_codes().unwrap().last(SERIAL), Some(5));
    assert!(path.join(format!("{}.lock", key().id())).exists());
    assert!(!path.join(".leftover.json.1.2.tmp").exists());
}

#[test]
fn keyring_backend() {
    let store = std::sync::Arc::new(MemoryStore::default());
    struct Shared(std::sync::Arc<MemoryStore>);
    impl crate::keystore::SecretStore for Shared {
        fn get(
            &self,
            name: &str,
        ) -> Result<Option<crate::secret::SecretBytes>, crate::keystore::KeystoreError> {
            self.0.get(name)
        }
        fn set(&self, name: &str, secret: &[u8]) -> Result<(), crate::keystore::KeystoreError> {
            self.0.set(name, secret)
        }
        fn delete(&self, name: &str) -> Result<bool, crate::keystore::KeystoreError> {
            self.0.delete(name)
        }
        fn list(&self, prefix: &str) -> Result<Vec<String>, crate::keystore::KeystoreError> {
            self.0.list(prefix)
        }
    }
    let cache = SessionCache::keyring(Box::new(Shared(store.clone())), None);
    assert_eq!(cache.kind(), CacheKind::Keyring);
    let stored = session("ASIAKEYRING", NOW + 3600);
    cache.put(&key(), &stored).unwrap();
    assert_eq!(cache.get(&key(), NOW), Lookup::Fresh(stored));
    let name = format!("session:{}", key().id());
    assert!(store.get(&name).unwrap().is_some());

    let broken = SessionKey::session_token("AKIABROKEN", SERIAL);
    store
        .set(&format!("session:{}", broken.id()), b"{oops")
        .unwrap();
    let lookup = cache.get(&broken, NOW);
    let Lookup::Ignored(ignored) = lookup else {
        panic!("{lookup:?}")
    };
    assert_eq!(ignored.location, format!("keyring:session:{}", broken.id()));
    assert_eq!(cache.list(NOW).unwrap().entries.len(), 1);
    assert_eq!(cache.clear().unwrap(), 2);
    assert!(store.list("").unwrap().is_empty());
    // No directory: locking is a no-op, no spent-code records.
    assert!(!cache.lock(&key(), &mut |_| {}).unwrap().waited());
    assert!(cache.spent_codes().is_none());
}

#[test]
fn disabled_cache_stores_nothing() {
    let cache = SessionCache::disabled(None);
    cache.put(&key(), &session("ASIA1", NOW + 3600)).unwrap();
    assert_eq!(cache.get(&key(), NOW), Lookup::Missing);
    assert_eq!(cache.list(NOW).unwrap(), Listing::default());
    assert_eq!(cache.clear().unwrap(), 0);
}

#[test]
fn location_follows_the_environment() {
    let home = Path::new("/home/alice");
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        }
    };
    let all = env(&[("MFA_CACHE_DIR", "/c"), ("XDG_CACHE_HOME", "/x")]);
    assert_eq!(default_location(&all, Some(home)), Some("/c".into()));
    let xdg = env(&[("MFA_CACHE_DIR", ""), ("XDG_CACHE_HOME", "/x")]);
    assert_eq!(default_location(&xdg, Some(home)), Some("/x/mfa".into()));
    let relative = env(&[("XDG_CACHE_HOME", "x")]);
    assert_eq!(
        default_location(&relative, Some(home)),
        Some("/home/alice/.cache/mfa".into())
    );
    assert_eq!(default_location(&env(&[]), None), None);
}

#[test]
fn keys_are_opaque_and_distinct() {
    let st = key();
    assert_eq!(st.id(), key().id());
    assert!(entry::is_id(&st.id()) && st.id().starts_with("st-"));
    assert!(!st.id().contains("ALICE"));
    let other_serial = SessionKey::session_token("AKIAALICE", "arn:aws:iam::1:mfa/x");
    assert_ne!(st.id(), other_serial.id());
    let role = SessionKey::role("admin", "arn:aws:iam::2:role/A", &st);
    let role_from_other = SessionKey::role("admin", "arn:aws:iam::2:role/A", &other_serial);
    assert!(role.id().starts_with("role-"));
    assert_ne!(role.id(), role_from_other.id());
    assert_eq!(role.kind(), SessionKind::Role);
    let debug = format!(
        "{:?}",
        SessionKey::session_token("AKIAIOSFODNN7EXAMPLE", SERIAL)
    );
    assert!(
        debug.contains("AKIA…MPLE") && !debug.contains("IOSFODNN7"),
        "{debug}"
    );
    assert_eq!(CacheKind::parse("Keyring"), Some(CacheKind::Keyring));
    assert_eq!(CacheKind::parse("disk"), None);
}
