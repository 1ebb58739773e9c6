//! What can go wrong in the cache: entries not trusted, and failures to use the directory.

use std::path::PathBuf;

use crate::keystore::KeystoreError;

/// Why an entry was not used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IgnoreReason {
    #[error("it is not a valid cache entry ({detail})")]
    Corrupt { detail: String },
    #[error("it is owned by uid {owner}, not by you (uid {expected})")]
    ForeignOwner { owner: u32, expected: u32 },
    #[error("its mode {mode:04o} gives other users access (0600 expected)")]
    OpenToOthers { mode: u32 },
    #[error("it is not a regular file")]
    NotAFile,
    #[error("it was stored under another key")]
    WrongKey,
    #[error("it could not be read ({detail})")]
    Unreadable { detail: String },
}

/// An entry that was ignored, where, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ignored the cached session {location}: {reason}")]
pub struct Ignored {
    /// The file, or `keyring:session:ID`.
    pub location: String,
    pub reason: IgnoreReason,
}

/// Why the cache could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    #[error("cannot create the cache directory {}: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the cache location {} is not a directory", path.display())]
    NotADirectory { path: PathBuf },
    #[error("the cache directory {} is owned by uid {owner}, not by you (uid {expected})", path.display())]
    DirForeignOwner {
        path: PathBuf,
        owner: u32,
        expected: u32,
    },
    #[error(
        "the cache directory {} has mode {mode:04o} and holds `{stranger}`, which is not a cache file, so its mode was left alone",
        path.display()
    )]
    DirTooOpen {
        path: PathBuf,
        mode: u32,
        stranger: String,
    },
    #[error("cannot make the cache directory {} private (mode {mode:04o}): {source}", path.display())]
    DirPermissions {
        path: PathBuf,
        mode: u32,
        #[source]
        source: std::io::Error,
    },
    #[error("no place for the cache: set MFA_CACHE_DIR, XDG_CACHE_HOME or HOME")]
    NoLocation,
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot lock {}: {source}", path.display())]
    Lock {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Keyring(#[from] KeystoreError),
}
