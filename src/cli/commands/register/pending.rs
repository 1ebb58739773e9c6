//! Rollbacks that could not finish (the card pulled, the network down), recorded so that the
//! next `mfa register` finishes them (docs/registering.md).
//!
//! The record, `register-pending.json` in the cache directory, lists what is left of each
//! attempt: the IAM user and the device's serial, whether the virtual device may still exist,
//! the OATH account (and the key's serial) or software secret that may still hold its seed. It
//! holds no secret. Finishing an entry looks at IAM first: a device enabled for the user is a
//! registration that did complete (a lost answer), so nothing of it is deleted.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::aws::iam::{Iam, IamError};
use crate::aws::write_profile::write_atomic;

/// The file's name in the cache directory.
pub const FILE: &str = "register-pending.json";

/// What is left of one registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub user: String,
    pub serial: String,
    /// The virtual device may still exist in IAM.
    pub virtual_device: bool,
    /// The OATH account that may still be on a key.
    pub oath_account: Option<String>,
    /// That key's serial, when known.
    pub yubikey_serial: Option<u32>,
    /// The software secret that may still be stored.
    pub software_name: Option<String>,
}

impl Pending {
    /// Nothing left.
    pub fn is_done(&self) -> bool {
        !self.virtual_device && self.oath_account.is_none() && self.software_name.is_none()
    }
}

/// The record's path under `cache_dir`.
pub fn path(cache_dir: &Path) -> PathBuf {
    cache_dir.join(FILE)
}

/// The entries recorded (none when there is no record or it cannot be read).
pub fn load(cache_dir: &Path) -> Vec<Pending> {
    std::fs::read(path(cache_dir))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Replaces the record with `entries` (removed when empty).
pub fn save(cache_dir: &Path, entries: &[Pending]) -> std::io::Result<()> {
    let path = path(cache_dir);
    let entries: Vec<&Pending> = entries.iter().filter(|e| !e.is_done()).collect();
    if entries.is_empty() {
        return match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
    }
    let mut bytes = serde_json::to_vec_pretty(&entries).map_err(std::io::Error::other)?;
    bytes.push(b'\n');
    write_atomic(&path, &bytes)
}

/// Adds `entry` to the record.
pub fn add(cache_dir: &Path, entry: Pending) -> std::io::Result<()> {
    let mut entries = load(cache_dir);
    entries.retain(|e| e.serial != entry.serial);
    entries.push(entry);
    save(cache_dir, &entries)
}

/// What finishing an entry's IAM part gave.
#[derive(Debug, PartialEq, Eq)]
pub enum IamOutcome {
    /// The device is enabled for the user: the registration completed; keep everything.
    Enabled,
    /// The virtual device is gone (deleted now, or already).
    Deleted,
}

/// Finishes the IAM part of `entry`: nothing when the device is enabled for the user, else the
/// virtual device deleted. An error leaves the entry as it is.
pub fn finish_iam(iam: &dyn Iam, entry: &Pending) -> Result<IamOutcome, IamError> {
    if iam.list_mfa_devices(&entry.user)?.contains(&entry.serial) {
        return Ok(IamOutcome::Enabled);
    }
    if entry.virtual_device {
        match iam.delete_virtual_mfa_device(&entry.serial) {
            Ok(()) | Err(IamError::NoSuchEntity { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(IamOutcome::Deleted)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn entry(serial: &str) -> Pending {
        Pending {
            user: "alice".into(),
            serial: serial.into(),
            virtual_device: true,
            oath_account: Some("Amazon Web Services:alice@1".into()),
            yubikey_serial: Some(7),
            software_name: None,
        }
    }

    #[test]
    fn entries_are_added_replaced_and_removed_when_done() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load(dir.path()).is_empty());
        add(dir.path(), entry("a")).unwrap();
        add(dir.path(), entry("b")).unwrap();
        add(dir.path(), entry("a")).unwrap();
        let loaded = load(dir.path());
        assert_eq!(loaded.len(), 2);
        let text = std::fs::read_to_string(path(dir.path())).unwrap();
        assert!(!text.to_lowercase().contains("seed"), "{text}");
        let done: Vec<Pending> = loaded
            .into_iter()
            .map(|mut e| {
                e.virtual_device = false;
                e.oath_account = None;
                e
            })
            .collect();
        save(dir.path(), &done).unwrap();
        assert!(!path(dir.path()).exists());
    }
}
