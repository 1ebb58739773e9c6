//! The session cache (docs/sessions.md): temporary credentials kept until 5 minutes before they
//! expire, so that one code serves many commands.
//!
//! - Entries: `GetSessionToken` sessions keyed by (source access key id, `mfa_serial`), role
//!   sessions by (role profile, role ARN, the session they came from) — [`SessionKey`]. Only
//!   temporary credentials are ever stored.
//! - Backends: `file` (one `ID.json` per entry in the [`CacheDir`], 0600, atomic replace),
//!   `keyring` (the same JSON in a [`SecretStore`] as `session:ID`), `none`.
//! - An entry that is corrupt, not ours, or open to other users is never trusted: [`Lookup`]
//!   says why it was ignored, so the caller can explain at `-v`; storing a fresh session
//!   replaces it.
//! - [`SessionCache::get_or_fetch`] is the whole protocol in one call: read, lock, read again,
//!   fetch, store.
//! - Locks ([`SessionLock`]) and spent-code records ([`SpentCodes`]) live in the cache directory
//!   whatever the backend, when there is one.
//!
//! This module uses neither the AWS SDK nor an async runtime: the cached path of `mfa exec`
//! reads one file and runs the command.

mod dir;
pub(crate) mod entry;
mod error;
mod fetch;
mod lock;
pub(crate) mod spent;
#[cfg(test)]
mod tests;

pub use dir::{CacheDir, default_location};
pub use entry::{CachedSession, EXPIRY_MARGIN_SECS, SessionKey, SessionKind, is_fresh};
pub use error::{CacheError, IgnoreReason, Ignored};
pub use fetch::{CacheEvent, Origin};
pub use lock::SessionLock;
pub use spent::{NextStep, STEP_SECS, SpentCodes, is_from_the_future, next_step};

use crate::keystore::SecretStore;
use dir::ReadOutcome;

/// Which backend the profile's `mfa_cache` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheKind {
    File,
    Keyring,
    None,
}

impl CacheKind {
    /// `file`, `keyring` or `none` (case-insensitive).
    pub fn parse(text: &str) -> Option<CacheKind> {
        match text.to_ascii_lowercase().as_str() {
            "file" => Some(CacheKind::File),
            "keyring" => Some(CacheKind::Keyring),
            "none" => Some(CacheKind::None),
            _ => None,
        }
    }
}

/// What the cache holds for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// A session usable now.
    Fresh(CachedSession),
    /// Nothing stored (or the cache is off).
    Missing,
    /// A session that expires within [`EXPIRY_MARGIN_SECS`] or has expired.
    Stale { expiration: u64 },
    /// Something stored but not trusted.
    Ignored(Ignored),
}

/// What `mfa cache list` shows of an entry: never a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub id: String,
    pub kind: SessionKind,
    pub profile: String,
    pub mfa_serial: Option<String>,
    pub role_arn: Option<String>,
    /// Unix seconds.
    pub expiration: u64,
    /// Usable at the `now` given to [`SessionCache::list`].
    pub fresh: bool,
}

/// Every entry of the cache.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    pub entries: Vec<Summary>,
    pub ignored: Vec<Ignored>,
}

enum Backend {
    File,
    Keyring(Box<dyn SecretStore + Send + Sync>),
    None,
}

/// The session cache: a backend for entries, plus the directory for locks and spent codes.
pub struct SessionCache {
    backend: Backend,
    dir: Option<CacheDir>,
}

impl std::fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCache")
            .field("kind", &self.kind())
            .field("dir", &self.dir.as_ref().map(CacheDir::path))
            .finish()
    }
}

const KEYRING_PREFIX: &str = "session:";

/// An entry's bytes (wiped on drop) and where they were read from.
type Stored = (crate::secret::SecretBytes, String);

impl SessionCache {
    /// Entries as files in `dir`.
    pub fn file(dir: CacheDir) -> SessionCache {
        SessionCache {
            backend: Backend::File,
            dir: Some(dir),
        }
    }

    /// Entries in `store`; locks and spent codes in `dir` when given.
    pub fn keyring(
        store: Box<dyn SecretStore + Send + Sync>,
        dir: Option<CacheDir>,
    ) -> SessionCache {
        SessionCache {
            backend: Backend::Keyring(store),
            dir,
        }
    }

    /// No entries are kept (`mfa_cache = none`, `--no-cache`); locks and spent codes still use
    /// `dir` when given.
    pub fn disabled(dir: Option<CacheDir>) -> SessionCache {
        SessionCache {
            backend: Backend::None,
            dir,
        }
    }

    pub fn kind(&self) -> CacheKind {
        match self.backend {
            Backend::File => CacheKind::File,
            Backend::Keyring(_) => CacheKind::Keyring,
            Backend::None => CacheKind::None,
        }
    }

    /// The directory for locks and spent codes (and entries, for `file`).
    pub fn dir(&self) -> Option<&CacheDir> {
        self.dir.as_ref()
    }

    /// The session stored for `key`, judged at `now` (Unix seconds).
    pub fn get(&self, key: &SessionKey, now: u64) -> Lookup {
        let id = key.id();
        let (bytes, location) = match self.read(&id) {
            Ok(Some(found)) => found,
            Ok(None) => return Lookup::Missing,
            Err(ignored) => return Lookup::Ignored(ignored),
        };
        match entry::decode(&id, bytes.expose()) {
            Ok(session) if session.is_fresh(now) => Lookup::Fresh(session),
            Ok(session) => Lookup::Stale {
                expiration: session.credentials.expiration,
            },
            Err(reason) => Lookup::Ignored(Ignored { location, reason }),
        }
    }

    /// Stores `session` as `key`, replacing what was there. A no-op for `none`.
    pub fn put(&self, key: &SessionKey, session: &CachedSession) -> Result<(), CacheError> {
        let id = key.id();
        let bytes = entry::encode(&id, session);
        match (&self.backend, &self.dir) {
            (Backend::File, Some(dir)) => dir.write_atomic(&entry::file_name(&id), &bytes),
            (Backend::Keyring(store), _) => Ok(store.set(&keyring_name(&id), &bytes)?),
            _ => Ok(()),
        }
    }

    /// Forgets `key` (say, after STS refused its credentials); whether there was an entry.
    pub fn remove(&self, key: &SessionKey) -> Result<bool, CacheError> {
        self.remove_id(&key.id())
    }

    /// Every entry, judged at `now`: what `mfa cache list` shows.
    pub fn list(&self, now: u64) -> Result<Listing, CacheError> {
        let mut listing = Listing::default();
        for id in self.ids()? {
            let (bytes, location) = match self.read(&id) {
                Ok(Some(found)) => found,
                Ok(None) => continue,
                Err(ignored) => {
                    listing.ignored.push(ignored);
                    continue;
                }
            };
            match entry::decode(&id, bytes.expose()) {
                Ok(s) => listing.entries.push(Summary {
                    fresh: s.is_fresh(now),
                    id,
                    kind: s.kind,
                    profile: s.profile,
                    mfa_serial: s.mfa_serial,
                    role_arn: s.role_arn,
                    expiration: s.credentials.expiration,
                }),
                Err(reason) => listing.ignored.push(Ignored { location, reason }),
            }
        }
        Ok(listing)
    }

    /// Removes every entry (and leftover temporary files); the number of entries removed.
    /// Spent-code records and lock files stay: they are not sessions.
    pub fn clear(&self) -> Result<usize, CacheError> {
        let (removed, failures) = self.clear_all()?;
        match failures.into_iter().next() {
            Some(error) => Err(error),
            None => Ok(removed),
        }
    }

    /// [`SessionCache::clear`] that goes on past an entry it cannot remove (a directory where a
    /// file should be, a file it may not delete): how many were removed, and what failed.
    /// Only a cache that cannot be listed at all is an error.
    pub fn clear_all(&self) -> Result<(usize, Vec<CacheError>), CacheError> {
        let mut removed = 0;
        let mut failures = Vec::new();
        for id in self.ids()? {
            match self.remove_id(&id) {
                Ok(true) => removed += 1,
                Ok(false) => {}
                Err(error) => failures.push(error),
            }
        }
        if let (Backend::File, Some(dir)) = (&self.backend, &self.dir) {
            for name in dir.names()? {
                if name.starts_with('.')
                    && name.ends_with(".tmp")
                    && let Err(error) = dir.remove(&name)
                {
                    failures.push(error);
                }
            }
        }
        Ok((removed, failures))
    }

    /// Takes the fetch lock of `key` (see [`SessionLock`]); `on_wait` is told the holder's pid
    /// when another invocation holds it. Without a cache directory nothing is locked.
    pub fn lock(
        &self,
        key: &SessionKey,
        on_wait: &mut dyn FnMut(Option<u32>),
    ) -> Result<SessionLock, CacheError> {
        match &self.dir {
            Some(dir) => SessionLock::acquire(dir, &format!("{}.lock", key.id()), on_wait),
            None => Ok(SessionLock::none()),
        }
    }

    /// The spent-code records, when there is a cache directory.
    pub fn spent_codes(&self) -> Option<SpentCodes<'_>> {
        self.dir.as_ref().map(SpentCodes::new)
    }

    /// The stored bytes of `id` and where they were, or why they are not trusted.
    fn read(&self, id: &str) -> Result<Option<Stored>, Ignored> {
        match (&self.backend, &self.dir) {
            (Backend::File, Some(dir)) => {
                let name = entry::file_name(id);
                let location = dir.file(&name).display().to_string();
                match dir.read(&name) {
                    ReadOutcome::Bytes(bytes) => Ok(Some((bytes, location))),
                    ReadOutcome::Missing => Ok(None),
                    ReadOutcome::Ignored(reason) => Err(Ignored { location, reason }),
                }
            }
            (Backend::Keyring(store), _) => {
                let name = keyring_name(id);
                let location = format!("keyring:{name}");
                match store.get(&name) {
                    Ok(Some(secret)) => Ok(Some((secret, location))),
                    Ok(None) => Ok(None),
                    Err(e) => Err(Ignored {
                        location,
                        reason: IgnoreReason::Unreadable {
                            detail: e.to_string(),
                        },
                    }),
                }
            }
            _ => Ok(None),
        }
    }

    fn ids(&self) -> Result<Vec<String>, CacheError> {
        Ok(match (&self.backend, &self.dir) {
            (Backend::File, Some(dir)) => dir
                .names()?
                .into_iter()
                .filter_map(|n| n.strip_suffix(".json").map(str::to_owned))
                .filter(|id| entry::is_id(id))
                .collect(),
            (Backend::Keyring(store), _) => store
                .list(KEYRING_PREFIX)?
                .into_iter()
                .filter_map(|n| n.strip_prefix(KEYRING_PREFIX).map(str::to_owned))
                .filter(|id| entry::is_id(id))
                .collect(),
            _ => Vec::new(),
        })
    }

    fn remove_id(&self, id: &str) -> Result<bool, CacheError> {
        match (&self.backend, &self.dir) {
            (Backend::File, Some(dir)) => dir.remove(&entry::file_name(id)),
            (Backend::Keyring(store), _) => Ok(store.delete(&keyring_name(id))?),
            _ => Ok(false),
        }
    }
}

fn keyring_name(id: &str) -> String {
    format!("{KEYRING_PREFIX}{id}")
}
