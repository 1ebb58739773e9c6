#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;

use super::*;
use crate::keystore::{MemoryStore, OsKeyring};

const ARN: &str = "arn:aws:iam::123456789012:mfa/alice";
const SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

fn secret() -> TotpSecret {
    TotpSecret::parse(SEED).unwrap()
}

fn eight_digits() -> TotpSecret {
    TotpSecret::parse(&format!(
        "otpauth://totp/Amazon%20Web%20Services:alice@123456789012?secret={SEED}&digits=8"
    ))
    .unwrap()
}

fn store(dir: &std::path::Path) -> TotpStore {
    TotpStore::new(FileStore::new(dir), Box::new(MemoryStore::default()))
}

#[test]
fn keyring_backend_with_the_memory_store() {
    let keyring = KeyringStore::new(Box::new(MemoryStore::default()));
    assert!(keyring.get(ARN).unwrap().is_none());
    keyring.put(ARN, &secret()).unwrap();
    keyring.put(ARN, &eight_digits()).unwrap();
    assert_eq!(keyring.get(ARN).unwrap(), Some(eight_digits()));
    assert_eq!(keyring.names().unwrap(), [ARN]);
    assert!(keyring.remove(ARN).unwrap());
    assert!(!keyring.remove(ARN).unwrap());
    assert!(keyring.names().unwrap().is_empty());
}

#[test]
fn keyring_entries_hold_the_uri_under_totp_names() {
    let memory = std::sync::Arc::new(MemoryStore::default());
    struct Shared(std::sync::Arc<MemoryStore>);
    impl SecretStore for Shared {
        fn get(&self, n: &str) -> Result<Option<crate::secret::SecretBytes>, KeystoreError> {
            self.0.get(n)
        }
        fn set(&self, n: &str, s: &[u8]) -> Result<(), KeystoreError> {
            self.0.set(n, s)
        }
        fn delete(&self, n: &str) -> Result<bool, KeystoreError> {
            self.0.delete(n)
        }
        fn list(&self, p: &str) -> Result<Vec<String>, KeystoreError> {
            self.0.list(p)
        }
    }
    let keyring = KeyringStore::new(Box::new(Shared(memory.clone())));
    keyring.put(ARN, &secret()).unwrap();
    let raw = memory.get(&format!("totp:{ARN}")).unwrap().unwrap();
    assert_eq!(raw.expose(), secret().to_uri().expose().as_bytes());
    // Another kind of entry in the same keyring is not a TOTP secret.
    memory.set("oath-password:x", b"hunter2").unwrap();
    memory.set("totp:broken", b"not a uri").unwrap();
    assert_eq!(keyring.names().unwrap(), [ARN, "broken"]);
    assert!(matches!(
        keyring.get("broken"),
        Err(StoreError::Corrupt { .. })
    ));
}

/// The real kernel keyring of the user running the tests, once.
#[cfg(target_os = "linux")]
#[test]
fn keyring_backend_with_the_os_keyring() {
    let name = format!("test:mfa-unit-{}", std::process::id());
    let keyring = KeyringStore::new(Box::new(OsKeyring::default()));
    assert!(keyring.get(&name).unwrap().is_none());
    keyring.put(&name, &eight_digits()).unwrap();
    let found = keyring.get(&name);
    let listed = keyring.names();
    let removed = keyring.remove(&name);
    assert_eq!(found.unwrap(), Some(eight_digits()));
    assert!(listed.unwrap().contains(&name));
    assert!(removed.unwrap());
    assert!(keyring.get(&name).unwrap().is_none());
}

#[test]
fn file_is_looked_up_before_the_keyring() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    store
        .put(ARN, &eight_digits(), StoreKind::Keyring, false)
        .unwrap();
    let found = store.get(ARN).unwrap().unwrap();
    assert_eq!(
        (found.store, found.secret),
        (StoreKind::Keyring, eight_digits())
    );
    // Stored again in the file (replacing): the keyring copy goes, the file answers.
    store.put(ARN, &secret(), StoreKind::File, true).unwrap();
    let found = store.get(ARN).unwrap().unwrap();
    assert_eq!((found.store, found.secret), (StoreKind::File, secret()));
    assert_eq!(store.find(ARN).unwrap(), Some(StoreKind::File));
    let rows = store.list().unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    // And back to the keyring: the file goes.
    store.put(ARN, &secret(), StoreKind::Keyring, true).unwrap();
    assert!(!store.file_store().path_of(ARN).exists());
    assert_eq!(store.find(ARN).unwrap(), Some(StoreKind::Keyring));
}

#[test]
fn an_existing_secret_is_not_replaced_without_asking() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    store.put(ARN, &secret(), StoreKind::File, false).unwrap();
    for kind in [StoreKind::File, StoreKind::Keyring] {
        let err = store.put(ARN, &eight_digits(), kind, false).unwrap_err();
        assert!(
            matches!(
                &err,
                StoreError::AlreadyExists {
                    store: StoreKind::File,
                    ..
                }
            ),
            "{err:?}"
        );
    }
    assert_eq!(store.get(ARN).unwrap().unwrap().secret, secret());
}

#[test]
fn remove_clears_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    assert!(store.remove(ARN).unwrap().is_empty());
    store.put(ARN, &secret(), StoreKind::File, false).unwrap();
    assert_eq!(store.remove(ARN).unwrap(), [StoreKind::File]);
    store
        .put(ARN, &secret(), StoreKind::Keyring, false)
        .unwrap();
    assert_eq!(store.remove(ARN).unwrap(), [StoreKind::Keyring]);
    assert!(store.get(ARN).unwrap().is_none());
}

#[test]
fn list_shows_names_and_parameters_and_flags_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    store
        .put("b-file", &secret(), StoreKind::File, false)
        .unwrap();
    store
        .put("a-keyring", &eight_digits(), StoreKind::Keyring, false)
        .unwrap();
    store
        .put("c-exposed", &secret(), StoreKind::File, false)
        .unwrap();
    std::fs::set_permissions(
        store.file_store().path_of("c-exposed"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let rows = store.list().unwrap();
    let summary: Vec<(&str, StoreKind, Option<u8>)> = rows
        .iter()
        .map(|r| {
            (
                r.name.as_str(),
                r.store,
                r.params.as_ref().ok().map(|p| p.digits),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("a-keyring", StoreKind::Keyring, Some(8)),
            ("b-file", StoreKind::File, Some(6)),
            ("c-exposed", StoreKind::File, None),
        ]
    );
    assert_eq!(
        rows[0].params.as_ref().unwrap().issuer.as_deref(),
        Some("Amazon Web Services")
    );
    assert!(matches!(rows[2].params, Err(StoreError::Exposed { .. })));
    assert!(!format!("{rows:?}").contains(SEED));
}

#[test]
fn location_names_the_file_or_keyring_entry() {
    let store = store(std::path::Path::new("/data/mfa/totp"));
    assert_eq!(
        store.location("x", StoreKind::File),
        "/data/mfa/totp/x.totp"
    );
    assert_eq!(
        store.location("x", StoreKind::Keyring),
        "the OS keyring (item totp:x)"
    );
}
