//! The fetch lock, `get_or_fetch` and spent-code records.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{NOW, SERIAL, entry_path, file_cache, key, session};
use crate::aws::cache::*;

#[test]
fn parallel_fetches_for_one_session_cost_one_fetch() {
    let (_temp, cache, path) = file_cache();
    let fetches = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                // Each thread is its own invocation: its own handle on the directory.
                let cache = SessionCache::file(CacheDir::open(&path).unwrap());
                if let Lookup::Fresh(_) = cache.get(&key(), NOW) {
                    return;
                }
                let _lock = cache.lock(&key(), &mut |_| {}).unwrap();
                if let Lookup::Fresh(_) = cache.get(&key(), NOW) {
                    return;
                }
                fetches.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(50));
                cache
                    .put(&key(), &session("ASIAFETCHED", NOW + 3600))
                    .unwrap();
            });
        }
    });
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    assert!(matches!(cache.get(&key(), NOW), Lookup::Fresh(_)));
}

#[test]
fn get_or_fetch_fetches_once_for_parallel_callers() {
    let (_temp, _cache, path) = file_cache();
    let fetches = AtomicUsize::new(0);
    let origins = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                let cache = SessionCache::file(CacheDir::open(&path).unwrap());
                let (session, origin) = cache
                    .get_or_fetch(&key(), NOW, &mut (), &mut |_, _| {}, |_| {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(50));
                        Ok::<_, String>(session("ASIAONCE", NOW + 3600))
                    })
                    .unwrap();
                assert_eq!(session.credentials.access_key_id, "ASIAONCE");
                origins.lock().unwrap().push(origin);
            });
        }
    });
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    let origins = origins.into_inner().unwrap();
    assert_eq!(
        origins.iter().filter(|o| **o == Origin::Fetched).count(),
        1,
        "{origins:?}"
    );
}

#[test]
fn get_or_fetch_reports_what_it_skipped_and_survives_a_failing_store() {
    let (_temp, cache, path) = file_cache();
    fs::write(entry_path(&path, &key()), "garbage").unwrap();
    fs::set_permissions(entry_path(&path, &key()), fs::Permissions::from_mode(0o600)).unwrap();
    let mut events = Vec::new();
    let (_, origin) = cache
        .get_or_fetch(
            &key(),
            NOW,
            &mut events,
            &mut |events: &mut Vec<CacheEvent>, e| events.push(e),
            |_| Ok::<_, String>(session("ASIA1", NOW + 3600)),
        )
        .unwrap();
    assert_eq!(origin, Origin::Fetched);
    assert!(matches!(events[..], [CacheEvent::Ignored(_)]), "{events:?}");
    let (_, origin) = cache
        .get_or_fetch(&key(), NOW, &mut (), &mut |_, _| {}, |_| Err("not called"))
        .unwrap();
    assert_eq!(origin, Origin::Cache);
    // Expired: fetched again, and said so.
    let mut events = Vec::new();
    let err = cache
        .get_or_fetch(
            &key(),
            NOW + 3600,
            &mut events,
            &mut |events: &mut Vec<CacheEvent>, e| events.push(e),
            |_| Err::<CachedSession, _>("STS said no"),
        )
        .unwrap_err();
    assert_eq!(err, "STS said no");
    assert!(
        matches!(events[..], [CacheEvent::Stale { .. }]),
        "{events:?}"
    );

    struct Broken;
    impl crate::keystore::SecretStore for Broken {
        fn get(
            &self,
            _: &str,
        ) -> Result<Option<crate::secret::SecretBytes>, crate::keystore::KeystoreError> {
            Ok(None)
        }
        fn set(&self, _: &str, _: &[u8]) -> Result<(), crate::keystore::KeystoreError> {
            Err(crate::keystore::KeystoreError::Unsupported)
        }
        fn delete(&self, _: &str) -> Result<bool, crate::keystore::KeystoreError> {
            Ok(false)
        }
        fn list(&self, _: &str) -> Result<Vec<String>, crate::keystore::KeystoreError> {
            Ok(Vec::new())
        }
    }
    let broken = SessionCache::keyring(Box::new(Broken), None);
    let mut events = Vec::new();
    let (session, origin) = broken
        .get_or_fetch(
            &key(),
            NOW,
            &mut events,
            &mut |events: &mut Vec<CacheEvent>, e| events.push(e),
            |_| Ok::<_, String>(session("ASIA2", NOW + 3600)),
        )
        .unwrap();
    assert_eq!(
        (session.credentials.access_key_id.as_str(), origin),
        ("ASIA2", Origin::Fetched)
    );
    assert!(
        matches!(events[..], [CacheEvent::StoreFailed(_)]),
        "{events:?}"
    );
}

const CHILD_DIR: &str = "MFA_TEST_LOCK_CHILD_DIR";

/// Run by `a_process_waits_for_the_lock_holder` in a child process; does nothing otherwise.
#[test]
fn lock_child_process() {
    let Some(path) = std::env::var_os(CHILD_DIR) else {
        return;
    };
    let path = PathBuf::from(path);
    let cache = SessionCache::file(CacheDir::open(&path).unwrap());
    let marker = path.join("child-waiting");
    let lock = cache
        .lock(&key(), &mut |pid| {
            fs::write(&marker, pid.map(|p| p.to_string()).unwrap_or_default()).unwrap();
        })
        .unwrap();
    assert!(lock.waited());
    assert!(matches!(cache.get(&key(), NOW), Lookup::Fresh(_)));
}

#[test]
fn a_process_waits_for_the_lock_holder() {
    let (_temp, cache, path) = file_cache();
    let lock = cache
        .lock(&key(), &mut |_| panic!("nobody holds it"))
        .unwrap();
    assert!(!lock.waited());
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "aws::cache::tests::locking::lock_child_process",
            "--test-threads=1",
            "--quiet",
        ])
        .env(CHILD_DIR, &path)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let marker = path.join("child-waiting");
    let mut waited = 0;
    while !marker.exists() {
        assert!(child.try_wait().unwrap().is_none(), "the child ended early");
        assert!(waited < 1000, "the child never blocked on the lock");
        std::thread::sleep(std::time::Duration::from_millis(10));
        waited += 1;
    }
    assert_eq!(
        fs::read_to_string(&marker).unwrap(),
        std::process::id().to_string(),
        "the waiter learns the holder's pid"
    );
    assert!(child.try_wait().unwrap().is_none(), "the child holds on");
    cache
        .put(&key(), &session("ASIAFETCHED", NOW + 3600))
        .unwrap();
    drop(lock);
    assert!(child.wait().unwrap().success());
}

#[test]
fn spent_steps_only_move_forward() {
    let (_temp, cache, path) = file_cache();
    let spent = cache.spent_codes().unwrap();
    assert_eq!(spent.last(SERIAL), None);
    spent.record(SERIAL, 100).unwrap();
    spent.record(SERIAL, 99).unwrap();
    assert_eq!(spent.last(SERIAL), Some(100));
    spent.record(SERIAL, 101).unwrap();
    assert_eq!(spent.last(SERIAL), Some(101));
    assert_eq!(spent.last("arn:aws:iam::123456789012:mfa/bob"), None);
    let record = fs::read_dir(&path)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("spent-") && !name.ends_with(".lock")
        })
        .unwrap();
    assert_eq!(fs::metadata(&record).unwrap().mode() & 0o777, 0o600);
    assert!(
        fs::read_to_string(&record)
            .unwrap()
            .contains("\"step\":101")
    );
}

#[test]
fn the_next_unspent_step() {
    let now = 30 * 1000 + 12;
    assert_eq!(
        next_step(None, now),
        NextStep {
            step: 1000,
            wait_secs: 0
        }
    );
    assert_eq!(
        next_step(Some(999), now),
        NextStep {
            step: 1000,
            wait_secs: 0
        }
    );
    assert_eq!(
        next_step(Some(1000), now),
        NextStep {
            step: 1001,
            wait_secs: 18
        }
    );
    assert_eq!(
        next_step(Some(1001), now),
        NextStep {
            step: 1002,
            wait_secs: 48
        }
    );
}

#[test]
fn a_spent_record_from_the_future_made_the_tool_wait_for_years() {
    let now = 30 * 1000 + 12;
    // A clock that was a year ahead when the record was written.
    let year_ahead = 1000 + 365 * 24 * 120;
    assert!(crate::aws::cache::is_from_the_future(year_ahead, now));
    assert_eq!(
        next_step(Some(year_ahead), now),
        NextStep {
            step: 1000,
            wait_secs: 0
        }
    );
    // Two steps ahead is the future too; one step ahead is a code computed for the next step.
    assert_eq!(next_step(Some(1002), now).wait_secs, 0);
    assert_eq!(next_step(Some(1001), now).wait_secs, 48);
}
