//! The keyring index (docs/desktop.md): which backend holds each item, and what kind of item it
//! is — never a secret. The keyrings cannot all be enumerated (the Secret Service can only be
//! searched, Keychain and Credential Manager not at all through the `keyring` crate), and which
//! backend holds an item must not depend on whether a session bus happens to answer now: so
//! `mfa cache list` and `mfa totp list` read this file, and a lookup from SSH or cron knows an
//! item is in the desktop keyring (and says it is out of reach) instead of reporting it missing.
//!
//! One JSON file, `keyring-index.json` in the data directory (`$XDG_DATA_HOME/mfa`, else
//! `~/.local/share/mfa`): directory 0700, file 0600, replaced atomically under a lock
//! (`keyring-index.lock`, `flock`), so parallel invocations storing sessions lose no entry.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Backend, KeystoreError};

/// The index file's name in the data directory.
pub const INDEX_FILE: &str = "keyring-index.json";
const LOCK_FILE: &str = "keyring-index.lock";
/// The index lists names only; anything bigger than this is not ours.
const MAX_SIZE: u64 = 1 << 20;

/// One item: its name (`KIND:NAME`), the backend holding it, and its kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexEntry {
    pub name: String,
    pub backend: Backend,
    pub kind: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct IndexFile {
    version: u32,
    items: Vec<IndexEntry>,
}

/// The index in `dir`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    dir: PathBuf,
}

/// The kind of an item: the part of its name before the first `:` (`session`, `totp`,
/// `oath-password`).
pub fn kind_of(name: &str) -> &str {
    name.split_once(':').map_or(name, |(kind, _)| kind)
}

impl Index {
    /// The index kept in `dir` (created on the first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Index { dir: dir.into() }
    }

    /// The index file.
    pub fn path(&self) -> PathBuf {
        self.dir.join(INDEX_FILE)
    }

    /// Every entry (none when there is no index yet).
    pub fn entries(&self) -> Result<Vec<IndexEntry>, KeystoreError> {
        Ok(self.read()?.items)
    }

    /// The entry of `name`, if any.
    pub fn find(&self, name: &str) -> Result<Option<IndexEntry>, KeystoreError> {
        Ok(self.entries()?.into_iter().find(|e| e.name == name))
    }

    /// Records that `backend` holds `name`.
    pub fn record(&self, name: &str, backend: Backend) -> Result<(), KeystoreError> {
        self.update(|items| {
            items.retain(|e| e.name != name);
            items.push(IndexEntry {
                name: name.to_owned(),
                backend,
                kind: kind_of(name).to_owned(),
            });
            items.sort_by(|a, b| a.name.cmp(&b.name));
        })
    }

    /// Forgets `name`.
    pub fn forget(&self, name: &str) -> Result<(), KeystoreError> {
        if self.find(name)?.is_none() {
            return Ok(());
        }
        self.update(|items| items.retain(|e| e.name != name))
    }

    fn error(&self, detail: impl std::fmt::Display) -> KeystoreError {
        KeystoreError::Index {
            path: self.path(),
            detail: detail.to_string(),
        }
    }

    fn read(&self) -> Result<IndexFile, KeystoreError> {
        let path = self.path();
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(IndexFile::default()),
            Err(e) => return Err(self.error(e)),
        };
        let mut text = String::new();
        file.take(MAX_SIZE)
            .read_to_string(&mut text)
            .map_err(|e| self.error(e))?;
        serde_json::from_str(&text).map_err(|e| self.error(format_args!("not an index: {e}")))
    }

    /// Read, change, write back, under the lock.
    fn update(&self, change: impl FnOnce(&mut Vec<IndexEntry>)) -> Result<(), KeystoreError> {
        create_private_dir(&self.dir).map_err(|e| self.error(e))?;
        let lock = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(self.dir.join(LOCK_FILE))
            .map_err(|e| self.error(e))?;
        rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive)
            .map_err(|e| self.error(std::io::Error::from(e)))?;
        let mut index = self.read()?;
        index.version = 1;
        change(&mut index.items);
        let text = serde_json::to_vec_pretty(&index).map_err(|e| self.error(e))?;
        write_atomic(&self.path(), &text).map_err(|e| self.error(e))
        // The lock is released when `lock` is closed.
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temp = path.with_extension(format!("{}.tmp", std::process::id()));
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&temp)?;
        file.write_all(bytes)?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn records_and_forgets_names_with_their_backend_and_kind() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::new(dir.path().join("mfa"));
        assert!(index.entries().unwrap().is_empty());
        index.record("totp:alice", Backend::SecretService).unwrap();
        index.record("session:abc", Backend::KernelKeyring).unwrap();
        index.record("totp:alice", Backend::KernelKeyring).unwrap();
        let entries = index.entries().unwrap();
        assert_eq!(
            entries,
            vec![
                IndexEntry {
                    name: "session:abc".into(),
                    backend: Backend::KernelKeyring,
                    kind: "session".into()
                },
                IndexEntry {
                    name: "totp:alice".into(),
                    backend: Backend::KernelKeyring,
                    kind: "totp".into()
                },
            ]
        );
        index.forget("totp:alice").unwrap();
        assert_eq!(index.entries().unwrap().len(), 1);
        let mode = |p: PathBuf| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(index.path()), 0o600);
        assert_eq!(mode(dir.path().join("mfa")), 0o700);
    }

    #[test]
    fn a_damaged_index_is_an_error_not_an_empty_list() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::new(dir.path());
        fs::write(index.path(), b"{ not json").unwrap();
        assert!(matches!(index.entries(), Err(KeystoreError::Index { .. })));
    }
}
