//! The OS keyring, behind one small interface, for the secrets a user asks us to remember: the
//! OATH password (`mfa accounts --remember-password`), software TOTP seeds, and cached sessions
//! with `mfa_cache = keyring`.
//!
//! On Linux the store is the kernel's **user keyring** (keyutils, `@u`): always there, no D-Bus
//! needed, readable by the user's processes and nobody else's, and kept in kernel memory only —
//! it is gone after a reboot (so a remembered password is asked for again). aws-vault's `keyctl`
//! backend makes the same choice. Entries are named `mfa:KIND:NAME`; `keyctl show @u` lists them.
//!
//! Other platforms get [`KeystoreError::Unsupported`] until their stores are built (macOS Keychain and Windows
//! Credential Manager are planned); every caller has a non-keyring path.
//!
//! [`MemoryStore`] stands in for tests.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::secret::SecretBytes;

/// Why the keyring could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeystoreError {
    #[error("the OS keyring is not supported on this platform yet")]
    Unsupported,
    #[error("the OS keyring refused access: {detail}")]
    AccessDenied { detail: String },
    #[error("the OS keyring failed: {detail}")]
    Failed { detail: String },
}

/// A place to keep small secrets under names.
pub trait SecretStore {
    /// The secret stored as `name`, if any.
    fn get(&self, name: &str) -> Result<Option<SecretBytes>, KeystoreError>;
    /// Stores `secret` as `name`, replacing what was there.
    fn set(&self, name: &str, secret: &[u8]) -> Result<(), KeystoreError>;
    /// Deletes `name`; whether there was one.
    fn delete(&self, name: &str) -> Result<bool, KeystoreError>;
    /// Names stored that start with `prefix`, sorted.
    fn list(&self, prefix: &str) -> Result<Vec<String>, KeystoreError>;
}

/// The keyring of the operating system.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsKeyring;

const PREFIX: &str = "mfa:";

#[cfg(target_os = "linux")]
mod linux {
    use linux_keyutils::{KeyError, KeyRing, KeyRingIdentifier};

    use super::{KeystoreError, OsKeyring, PREFIX, SecretStore};
    use crate::secret::SecretBytes;

    fn user_keyring() -> Result<KeyRing, KeystoreError> {
        KeyRing::from_special_id(KeyRingIdentifier::User, false).map_err(map)
    }

    fn map(e: KeyError) -> KeystoreError {
        match e {
            KeyError::AccessDenied => KeystoreError::AccessDenied {
                detail: "keyutils denied access to the user keyring".into(),
            },
            other => KeystoreError::Failed {
                detail: format!("keyutils: {other:?}"),
            },
        }
    }

    fn missing(e: &KeyError) -> bool {
        matches!(
            e,
            KeyError::KeyDoesNotExist
                | KeyError::KeyExpired
                | KeyError::KeyRevoked
                | KeyError::KeyRejected
        )
    }

    impl SecretStore for OsKeyring {
        fn get(&self, name: &str) -> Result<Option<SecretBytes>, KeystoreError> {
            match user_keyring()?.search(&format!("{PREFIX}{name}")) {
                Ok(key) => key
                    .read_to_vec()
                    .map(|v| Some(SecretBytes::new(v)))
                    .map_err(map),
                Err(e) if missing(&e) => Ok(None),
                Err(e) => Err(map(e)),
            }
        }

        fn set(&self, name: &str, secret: &[u8]) -> Result<(), KeystoreError> {
            // add_key replaces the payload of an existing key with the same description.
            user_keyring()?
                .add_key(&format!("{PREFIX}{name}"), secret)
                .map(|_| ())
                .map_err(map)
        }

        fn delete(&self, name: &str) -> Result<bool, KeystoreError> {
            let ring = user_keyring()?;
            match ring.search(&format!("{PREFIX}{name}")) {
                Ok(key) => key.invalidate().map(|()| true).map_err(map),
                Err(e) if missing(&e) => Ok(false),
                Err(e) => Err(map(e)),
            }
        }

        fn list(&self, prefix: &str) -> Result<Vec<String>, KeystoreError> {
            let wanted = format!("{PREFIX}{prefix}");
            let links = user_keyring()?.get_links(4096).map_err(map)?;
            let mut names: Vec<String> = links
                .iter()
                .filter_map(|node| node.as_key())
                .filter_map(|key| key.metadata().ok())
                .map(|meta| meta.get_description().to_owned())
                .filter(|d| d.starts_with(&wanted))
                .filter_map(|d| d.strip_prefix(PREFIX).map(str::to_owned))
                .collect();
            names.sort();
            Ok(names)
        }
    }
}

#[cfg(not(target_os = "linux"))]
impl SecretStore for OsKeyring {
    fn get(&self, _: &str) -> Result<Option<SecretBytes>, KeystoreError> {
        Err(KeystoreError::Unsupported)
    }
    fn set(&self, _: &str, _: &[u8]) -> Result<(), KeystoreError> {
        Err(KeystoreError::Unsupported)
    }
    fn delete(&self, _: &str) -> Result<bool, KeystoreError> {
        Err(KeystoreError::Unsupported)
    }
    fn list(&self, _: &str) -> Result<Vec<String>, KeystoreError> {
        Err(KeystoreError::Unsupported)
    }
}

/// An in-memory store for tests.
#[derive(Debug, Default)]
pub struct MemoryStore {
    entries: Mutex<BTreeMap<String, SecretBytes>>,
}

impl MemoryStore {
    fn entries(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, SecretBytes>> {
        // A panic while holding the lock leaves plain data behind; keep using it.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, name: &str) -> Result<Option<SecretBytes>, KeystoreError> {
        Ok(self.entries().get(name).cloned())
    }
    fn set(&self, name: &str, secret: &[u8]) -> Result<(), KeystoreError> {
        self.entries()
            .insert(name.to_owned(), SecretBytes::new(secret.to_vec()));
        Ok(())
    }
    fn delete(&self, name: &str) -> Result<bool, KeystoreError> {
        Ok(self.entries().remove(name).is_some())
    }
    fn list(&self, prefix: &str) -> Result<Vec<String>, KeystoreError> {
        Ok(self
            .entries()
            .keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exercise(store: &dyn SecretStore, name: &str) {
        assert!(store.get(name).unwrap().is_none());
        store.set(name, b"first").unwrap();
        store.set(name, b"second").unwrap();
        assert_eq!(store.get(name).unwrap().unwrap().expose(), b"second");
        assert!(store.list("test:").unwrap().contains(&name.to_owned()));
        assert!(store.delete(name).unwrap());
        assert!(!store.delete(name).unwrap());
        assert!(store.get(name).unwrap().is_none());
    }

    #[test]
    fn memory_store_round_trip() {
        exercise(&MemoryStore::default(), "test:memory");
    }

    /// The real kernel keyring of the user running the tests.
    #[cfg(target_os = "linux")]
    #[test]
    fn os_keyring_round_trip() {
        let name = format!("test:os-{}", std::process::id());
        exercise(&OsKeyring, &name);
    }
}
