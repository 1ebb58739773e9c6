//! The cache directory: where it is, keeping it private (0700, ours), and reading and writing
//! files in it safely — 0600, atomic replace, nothing trusted that someone else could have
//! written or read.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::secret::{Bounded, SecretBytes};

use super::{CacheError, IgnoreReason};

/// Largest file the cache reads: entries are about 1.5 KiB.
const MAX_FILE: u64 = 64 * 1024;

/// `MFA_CACHE_DIR`, else `$XDG_CACHE_HOME/mfa` (when absolute), else `HOME/.cache/mfa`.
pub fn default_location(
    var: &dyn Fn(&str) -> Option<OsString>,
    home: Option<&Path>,
) -> Option<PathBuf> {
    let set = |name: &str| var(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = set("MFA_CACHE_DIR") {
        return Some(dir);
    }
    if let Some(xdg) = set("XDG_CACHE_HOME").filter(|p| p.is_absolute()) {
        return Some(xdg.join("mfa"));
    }
    home.map(|h| h.join(".cache").join("mfa"))
}

/// A private directory for cache entries, locks and spent-code records.
#[derive(Debug, Clone)]
pub struct CacheDir {
    path: PathBuf,
    uid: u32,
    repaired_from: Option<u32>,
}

/// What a file read found.
pub(crate) enum ReadOutcome {
    Missing,
    Ignored(IgnoreReason),
    Bytes(SecretBytes),
}

impl CacheDir {
    /// Opens `path`, creating it (and its parents) with mode 0700. An existing directory must be
    /// ours; if it is open to others it is tightened to 0700 when it holds nothing but this
    /// tool's files ([`CacheDir::repaired_from`] says so), and refused otherwise — a directory
    /// like `/tmp` or `$HOME` is not ours to chmod.
    pub fn open(path: impl Into<PathBuf>) -> Result<CacheDir, CacheError> {
        Self::open_as(path.into(), rustix::process::geteuid().as_raw())
    }

    pub(crate) fn open_as(path: PathBuf, uid: u32) -> Result<CacheDir, CacheError> {
        match fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&path)
        {
            Ok(()) => {}
            // Something that is not a directory is in the way (a file, a FIFO).
            Err(_) if fs::metadata(&path).is_ok_and(|m| !m.is_dir()) => {
                return Err(CacheError::NotADirectory { path });
            }
            Err(source) => return Err(CacheError::CreateDir { path, source }),
        }
        let meta = fs::metadata(&path).map_err(|source| CacheError::CreateDir {
            path: path.clone(),
            source,
        })?;
        if !meta.is_dir() {
            return Err(CacheError::NotADirectory { path });
        }
        if meta.uid() != uid {
            return Err(CacheError::DirForeignOwner {
                path,
                owner: meta.uid(),
                expected: uid,
            });
        }
        let mode = meta.mode() & 0o7777;
        let mut repaired_from = None;
        if mode & 0o077 != 0 {
            if let Some(stranger) = first_foreign_name(&path) {
                return Err(CacheError::DirTooOpen {
                    path,
                    mode,
                    stranger,
                });
            }
            fs::set_permissions(&path, fs::Permissions::from_mode(0o700)).map_err(|source| {
                CacheError::DirPermissions {
                    path: path.clone(),
                    mode,
                    source,
                }
            })?;
            repaired_from = Some(mode);
        }
        Ok(CacheDir {
            path,
            uid,
            repaired_from,
        })
    }

    /// A handle on `path` without checking or creating it, expecting files owned by `uid`.
    #[cfg(test)]
    pub(crate) fn assume(path: PathBuf, uid: u32) -> CacheDir {
        CacheDir {
            path,
            uid,
            repaired_from: None,
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The mode the directory had when [`CacheDir::open`] tightened it to 0700, for a notice.
    pub fn repaired_from(&self) -> Option<u32> {
        self.repaired_from
    }

    pub(crate) fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Reads `name` if it is a regular file, ours, and closed to group and others.
    pub(crate) fn read(&self, name: &str) -> ReadOutcome {
        let path = self.file(name);
        let mut file = match OpenOptions::new()
            .read(true)
            .custom_flags(no_follow_no_block())
            .open(&path)
        {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return ReadOutcome::Missing,
            Err(_) if is_symlink(&path) => return ReadOutcome::Ignored(IgnoreReason::NotAFile),
            Err(e) => {
                return ReadOutcome::Ignored(IgnoreReason::Unreadable {
                    detail: e.to_string(),
                });
            }
        };
        let meta = match file.metadata() {
            Ok(meta) => meta,
            Err(e) => {
                return ReadOutcome::Ignored(IgnoreReason::Unreadable {
                    detail: e.to_string(),
                });
            }
        };
        if !meta.is_file() {
            return ReadOutcome::Ignored(IgnoreReason::NotAFile);
        }
        if meta.uid() != self.uid {
            return ReadOutcome::Ignored(IgnoreReason::ForeignOwner {
                owner: meta.uid(),
                expected: self.uid,
            });
        }
        let mode = meta.mode() & 0o7777;
        if mode & 0o077 != 0 {
            return ReadOutcome::Ignored(IgnoreReason::OpenToOthers { mode });
        }
        // Into wiped storage of the file's size: no growing buffer leaves copies behind.
        let expected = usize::try_from(meta.len()).unwrap_or(0);
        match SecretBytes::read_bounded(&mut file, expected, MAX_FILE as usize) {
            Ok(Bounded::Complete(bytes)) => ReadOutcome::Bytes(bytes),
            Ok(Bounded::TooBig) => ReadOutcome::Ignored(IgnoreReason::Unreadable {
                detail: format!("larger than {MAX_FILE} bytes"),
            }),
            Err(e) => ReadOutcome::Ignored(IgnoreReason::Unreadable {
                detail: e.to_string(),
            }),
        }
    }

    /// Replaces `name` with `bytes` atomically: a 0600 temporary file in the same directory,
    /// written and synced, then renamed over the old one; the directory is synced after.
    pub(crate) fn write_atomic(&self, name: &str, bytes: &[u8]) -> Result<(), CacheError> {
        let target = self.file(name);
        static WRITES: AtomicU64 = AtomicU64::new(0);
        let nonce = WRITES.fetch_add(1, Ordering::Relaxed);
        let temp = self.file(&format!(".{name}.{}.{nonce}.tmp", std::process::id()));
        let written = (|| {
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .custom_flags(no_follow())
                .open(&temp)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            fs::rename(&temp, &target)?;
            File::open(&self.path)?.sync_all()
        })();
        written.map_err(|source| {
            let _ = fs::remove_file(&temp);
            CacheError::Write {
                path: target,
                source,
            }
        })
    }

    /// Removes `name`; whether it was there.
    pub(crate) fn remove(&self, name: &str) -> Result<bool, CacheError> {
        let path = self.file(name);
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(source) => Err(CacheError::Write { path, source }),
        }
    }

    /// Names of the files in the directory, sorted.
    pub(crate) fn names(&self) -> Result<Vec<String>, CacheError> {
        let entries = fs::read_dir(&self.path).map_err(|source| CacheError::Read {
            path: self.path.clone(),
            source,
        })?;
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        names.sort();
        Ok(names)
    }

    /// Opens (creating, 0600) the file `name` for locking; never truncates.
    pub(crate) fn open_lock_file(&self, name: &str) -> Result<File, CacheError> {
        let path = self.file(name);
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(no_follow_no_block())
            .open(&path)
            .map_err(|source| CacheError::Lock { path, source })
    }
}

/// Whether a file name is one this tool writes into its directory.
pub(crate) fn is_ours(name: &str) -> bool {
    super::entry::is_entry_name(name)
        || name.ends_with(".lock")
        || name.starts_with("spent-")
        || (name.starts_with('.') && name.ends_with(".tmp"))
}

fn first_foreign_name(path: &Path) -> Option<String> {
    let entries = fs::read_dir(path).ok()?;
    entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|name| !is_ours(name))
}

fn is_symlink(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// `O_NOFOLLOW`: a symlink is not followed.
fn no_follow() -> i32 {
    // The flag fits in an i32 on every Unix.
    i32::try_from(rustix::fs::OFlags::NOFOLLOW.bits()).unwrap_or(0)
}

/// `O_NOFOLLOW | O_NONBLOCK`: neither a symlink nor a FIFO planted under an entry's name can
/// redirect or block the open (regular files ignore `O_NONBLOCK`).
fn no_follow_no_block() -> i32 {
    let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
    i32::try_from(flags.bits()).unwrap_or(0)
}
