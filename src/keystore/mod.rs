//! The OS keyring, behind one small interface, for the secrets a user asks us to remember: the
//! OATH password (`mfa accounts --remember-password`), software TOTP seeds, and cached sessions
//! with `mfa_cache = keyring` (docs/desktop.md).
//!
//! Backends ([`Backend`]):
//! - **Linux, a desktop session**: the Secret Service (gnome-keyring, KWallet) on the session
//!   bus, through the `keyring` crate's synchronous libdbus client — items survive reboots and
//!   show in Seahorse; attributes `service = mfa`, `username = KIND:NAME`.
//! - **Linux, no session bus or no Secret Service** (SSH, cron, a server): the kernel's **user
//!   keyring** (keyutils, `@u`), entries `mfa:KIND:NAME` — readable by the user's processes and
//!   nobody else's, in kernel memory only, gone after a reboot. (The `keyring` crate's keyutils
//!   store uses the *session* keyring, which differs between an SSH login and cron; hence our
//!   own.)
//! - macOS Keychain and Windows Credential Manager through the `keyring` crate: written for, but
//!   never compiled on, the Linux bench.
//!
//! A new item goes to the Secret Service when one answers, else to the kernel keyring; the
//! [`index`] records which, so later lookups go to the same place whatever the bus says then —
//! and report an item out of reach ([`KeystoreError::OutOfReach`]) rather than missing. Items
//! stored before the index existed are still found in the kernel keyring.
//!
//! [`MemoryStore`] stands in for tests.

pub mod index;
#[cfg(target_os = "linux")]
mod kernel;
#[cfg(any(target_os = "linux", target_os = "macos", windows))]
mod native;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use crate::secret::SecretBytes;
use index::Index;

/// Where an item is kept.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    /// The desktop's Secret Service on the D-Bus session bus (Linux).
    SecretService,
    /// The kernel user keyring (Linux).
    KernelKeyring,
    /// The macOS Keychain.
    Keychain,
    /// The Windows Credential Manager.
    CredentialManager,
}

impl Backend {
    /// A name for people (and for `--json`).
    pub fn label(self) -> &'static str {
        match self {
            Backend::SecretService => "secret-service",
            Backend::KernelKeyring => "kernel-keyring",
            Backend::Keychain => "keychain",
            Backend::CredentialManager => "credential-manager",
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::SecretService => "the desktop keyring (Secret Service)",
            Backend::KernelKeyring => "the kernel user keyring",
            Backend::Keychain => "the macOS Keychain",
            Backend::CredentialManager => "the Windows Credential Manager",
        })
    }
}

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
    /// The index says `backend` holds `name`, and that backend cannot be reached from here
    /// (the desktop keyring from SSH or cron: no session bus, or no Secret Service on it).
    #[error("`{name}` is kept in {backend}, which cannot be reached from here")]
    OutOfReach { name: String, backend: Backend },
    /// The index of keyring items could not be read or written.
    #[error("the keyring index {} cannot be used: {detail}", path.display())]
    Index { path: PathBuf, detail: String },
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

/// The keyring of the operating system: the backends of this platform, and the index saying
/// which holds what.
#[derive(Debug, Clone, Default)]
pub struct OsKeyring {
    index: Option<Index>,
    session_bus: bool,
    /// Whether a Secret Service answers on the session bus: asked once, when first needed.
    secret_service: OnceLock<bool>,
}

impl OsKeyring {
    /// The keyring with its index in `data_dir` (`$XDG_DATA_HOME/mfa`), trying the Secret
    /// Service only when `session_bus` says there is a session bus to ask
    /// (`DBUS_SESSION_BUS_ADDRESS` is set). With neither, on Linux: the kernel keyring alone.
    pub fn new(data_dir: Option<PathBuf>, session_bus: bool) -> Self {
        OsKeyring {
            index: data_dir.map(Index::new),
            session_bus,
            secret_service: OnceLock::new(),
        }
    }

    /// The index, when there is a data directory.
    pub fn index(&self) -> Option<&Index> {
        self.index.as_ref()
    }

    /// Whether `backend` can be used from this process now.
    pub fn reachable(&self, backend: Backend) -> bool {
        match backend {
            Backend::SecretService => {
                cfg!(target_os = "linux")
                    && self.session_bus
                    && *self
                        .secret_service
                        .get_or_init(crate::desktop::bus::secret_service_answers)
            }
            Backend::KernelKeyring => cfg!(target_os = "linux"),
            Backend::Keychain => cfg!(target_os = "macos"),
            Backend::CredentialManager => cfg!(windows),
        }
    }

    /// Where a new item goes: the desktop's store when it answers, else the kernel keyring;
    /// `None` on a platform without a keyring.
    pub fn preferred(&self) -> Option<Backend> {
        [
            Backend::SecretService,
            Backend::Keychain,
            Backend::CredentialManager,
            Backend::KernelKeyring,
        ]
        .into_iter()
        .find(|b| self.reachable(*b))
    }

    /// The backend the index names for `name`.
    fn recorded(&self, name: &str) -> Result<Option<Backend>, KeystoreError> {
        match &self.index {
            Some(index) => Ok(index.find(name)?.map(|e| e.backend)),
            None => Ok(None),
        }
    }

    fn reach(&self, name: &str, backend: Backend) -> Result<Backend, KeystoreError> {
        if self.reachable(backend) {
            Ok(backend)
        } else {
            Err(KeystoreError::OutOfReach {
                name: name.to_owned(),
                backend,
            })
        }
    }

    /// The backends an unindexed item may be in (stored before the index, or the index lost):
    /// the kernel keyring first (no bus round trip), then the desktop's store.
    fn unindexed(&self) -> impl Iterator<Item = Backend> + '_ {
        [
            Backend::KernelKeyring,
            Backend::SecretService,
            Backend::Keychain,
            Backend::CredentialManager,
        ]
        .into_iter()
        .filter(|b| self.reachable(*b))
    }
}

impl SecretStore for OsKeyring {
    fn get(&self, name: &str) -> Result<Option<SecretBytes>, KeystoreError> {
        if let Some(backend) = self.recorded(name)? {
            return backend_get(self.reach(name, backend)?, name);
        }
        for backend in self.unindexed() {
            if let Some(secret) = backend_get(backend, name)? {
                return Ok(Some(secret));
            }
        }
        Ok(None)
    }

    fn set(&self, name: &str, secret: &[u8]) -> Result<(), KeystoreError> {
        let backend = match self.recorded(name)? {
            Some(backend) => self.reach(name, backend)?,
            None => self.preferred().ok_or(KeystoreError::Unsupported)?,
        };
        backend_set(backend, name, secret)?;
        match &self.index {
            Some(index) => index.record(name, backend),
            None => Ok(()),
        }
    }

    fn delete(&self, name: &str) -> Result<bool, KeystoreError> {
        let deleted = match self.recorded(name)? {
            Some(backend) => backend_delete(self.reach(name, backend)?, name)?,
            None => {
                let mut deleted = false;
                for backend in self.unindexed() {
                    deleted |= backend_delete(backend, name)?;
                }
                deleted
            }
        };
        if let Some(index) = &self.index {
            index.forget(name)?;
        }
        Ok(deleted)
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, KeystoreError> {
        let mut names: Vec<String> = match &self.index {
            Some(index) => index
                .entries()?
                .into_iter()
                .map(|e| e.name)
                .filter(|n| n.starts_with(prefix))
                .collect(),
            None => Vec::new(),
        };
        // The kernel keyring can be enumerated: items stored before the index are listed too.
        #[cfg(target_os = "linux")]
        names.extend(kernel::list(prefix)?);
        names.sort();
        names.dedup();
        Ok(names)
    }
}

fn backend_get(backend: Backend, name: &str) -> Result<Option<SecretBytes>, KeystoreError> {
    match backend {
        #[cfg(target_os = "linux")]
        Backend::KernelKeyring => kernel::get(name),
        #[cfg(not(target_os = "linux"))]
        Backend::KernelKeyring => Err(KeystoreError::Unsupported),
        #[cfg(any(target_os = "linux", target_os = "macos", windows))]
        Backend::SecretService | Backend::Keychain | Backend::CredentialManager => {
            native::get(name)
        }
        #[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
        Backend::SecretService | Backend::Keychain | Backend::CredentialManager => {
            Err(KeystoreError::Unsupported)
        }
    }
}

fn backend_set(backend: Backend, name: &str, secret: &[u8]) -> Result<(), KeystoreError> {
    match backend {
        #[cfg(target_os = "linux")]
        Backend::KernelKeyring => kernel::set(name, secret),
        #[cfg(not(target_os = "linux"))]
        Backend::KernelKeyring => Err(KeystoreError::Unsupported),
        #[cfg(any(target_os = "linux", target_os = "macos", windows))]
        Backend::SecretService | Backend::Keychain | Backend::CredentialManager => {
            native::set(name, secret)
        }
        #[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
        Backend::SecretService | Backend::Keychain | Backend::CredentialManager => {
            Err(KeystoreError::Unsupported)
        }
    }
}

fn backend_delete(backend: Backend, name: &str) -> Result<bool, KeystoreError> {
    match backend {
        #[cfg(target_os = "linux")]
        Backend::KernelKeyring => kernel::delete(name),
        #[cfg(not(target_os = "linux"))]
        Backend::KernelKeyring => Err(KeystoreError::Unsupported),
        #[cfg(any(target_os = "linux", target_os = "macos", windows))]
        Backend::SecretService | Backend::Keychain | Backend::CredentialManager => {
            native::delete(name)
        }
        #[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
        Backend::SecretService | Backend::Keychain | Backend::CredentialManager => {
            Err(KeystoreError::Unsupported)
        }
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

    /// The real kernel keyring of the user running the tests (no index, no bus: what a server
    /// without a data directory gets).
    #[cfg(target_os = "linux")]
    #[test]
    fn os_keyring_round_trip() {
        let name = format!("test:os-{}", std::process::id());
        exercise(&OsKeyring::default(), &name);
    }

    /// With an index and no session bus: items go to the kernel keyring, are recorded, listed
    /// from the index, and one recorded in the desktop keyring is out of reach, not missing.
    #[cfg(target_os = "linux")]
    #[test]
    fn without_a_bus_the_index_records_the_kernel_keyring_and_reports_the_desktop_out_of_reach() {
        let dir = tempfile::tempdir().unwrap();
        let keyring = OsKeyring::new(Some(dir.path().to_owned()), false);
        let name = format!("test:indexed-{}", std::process::id());
        exercise(&keyring, &name);
        keyring.set(&name, b"kept").unwrap();
        let index = keyring.index().unwrap();
        assert_eq!(
            index.find(&name).unwrap().unwrap().backend,
            Backend::KernelKeyring
        );
        assert!(keyring.delete(&name).unwrap());
        assert!(index.find(&name).unwrap().is_none());

        let desktop = format!("test:desktop-{}", std::process::id());
        index.record(&desktop, Backend::SecretService).unwrap();
        assert_eq!(
            keyring.list("test:desktop-").unwrap(),
            vec![desktop.clone()]
        );
        assert!(matches!(
            keyring.get(&desktop),
            Err(KeystoreError::OutOfReach {
                backend: Backend::SecretService,
                ..
            })
        ));
        assert!(matches!(
            keyring.set(&desktop, b"x"),
            Err(KeystoreError::OutOfReach { .. })
        ));
    }
}
