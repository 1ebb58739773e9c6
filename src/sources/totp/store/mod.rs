//! Where software TOTP secrets are kept: [`TotpStore`], one name → one secret, over two backends.
//!
//! - [`StoreKind::File`] (the default): a 0600 file under `~/.local/share/mfa/totp`
//!   ([`FileStore`]). It survives reboots, which a seed must: losing it means registering a new
//!   MFA device.
//! - [`StoreKind::Keyring`]: the OS keyring ([`crate::keystore`]), item `totp:NAME`. On a Linux
//!   desktop that is the Secret Service (it survives reboots, but SSH and cron without the
//!   session bus cannot reach it); elsewhere the kernel user keyring, which keeps the seed out of
//!   every file but **forgets it at reboot** — for a seed that is also kept elsewhere (a password
//!   manager), by choice.
//!
//! Both keep the same text: the secret's canonical `otpauth://` URI. A lookup tries the file,
//! then the keyring; storing a name in one backend removes it from the other, so a name never has
//! two secrets.

use std::fmt;
use std::path::PathBuf;

use super::file_store::FileStore;
use super::secret::{SecretError, TotpParams, TotpSecret};
use crate::keystore::{KeystoreError, SecretStore};

/// The keyring entries' prefix (the keystore adds its own `mfa:`).
const KEYRING_PREFIX: &str = "totp:";
/// The longest name accepted, in bytes (an IAM MFA ARN is well under 200).
pub const MAX_NAME_LENGTH: usize = 200;

/// Which backend holds a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// A 0600 file (the default).
    File,
    /// The OS keyring.
    Keyring,
}

impl fmt::Display for StoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StoreKind::File => "file",
            StoreKind::Keyring => "keyring",
        })
    }
}

/// Why the store failed. Paths and names are shown; secrets never are.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("`{name}` cannot name a software secret: {reason}")]
    BadName { name: String, reason: &'static str },
    #[error("a software TOTP secret named `{name}` is already stored ({store})")]
    AlreadyExists { name: String, store: StoreKind },
    #[error("{} can be read by other users (mode {mode:03o}): refusing to use the secret in it", path.display())]
    Exposed { path: PathBuf, mode: u32 },
    #[error("{} belongs to another user (uid {uid}): refusing to use it", path.display())]
    ForeignOwner { path: PathBuf, uid: u32 },
    #[error("{} is not a regular file: refusing to use it", path.display())]
    NotAFile { path: PathBuf },
    #[error("the software secret in {location} is unreadable: {detail}")]
    Corrupt { location: String, detail: String },
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Keyring(#[from] KeystoreError),
}

/// Checks a name: not empty, at most 200 bytes, no control characters.
pub(crate) fn check_name(name: &str) -> Result<(), StoreError> {
    let bad = |reason| {
        Err(StoreError::BadName {
            name: name.chars().take(64).filter(|c| !c.is_control()).collect(),
            reason,
        })
    };
    if name.trim().is_empty() {
        return bad("it is empty");
    }
    if name.len() > MAX_NAME_LENGTH {
        return bad("it is longer than 200 bytes");
    }
    if name.chars().any(char::is_control) {
        return bad("it contains control characters");
    }
    Ok(())
}

/// Parses a stored URI; `location` names the file or keyring entry for the message.
pub(crate) fn parse_stored(
    bytes: &[u8],
    location: impl Fn() -> String,
) -> Result<TotpSecret, StoreError> {
    let corrupt = |detail: String| StoreError::Corrupt {
        location: location(),
        detail,
    };
    let text = std::str::from_utf8(bytes).map_err(|_| corrupt("it is not UTF-8".into()))?;
    let text = text.trim();
    if !text.starts_with("otpauth://") {
        return Err(corrupt("it does not hold an otpauth:// URI".into()));
    }
    TotpSecret::parse(text).map_err(|e: SecretError| corrupt(e.to_string()))
}

/// The keyring backend: items `totp:NAME` holding the canonical URI.
pub struct KeyringStore {
    keyring: Box<dyn SecretStore>,
}

impl KeyringStore {
    /// Secrets in `keyring` (the OS keyring, or a `MemoryStore` in tests).
    pub fn new(keyring: Box<dyn SecretStore>) -> Self {
        KeyringStore { keyring }
    }

    /// The secret stored as `name`, if any.
    pub fn get(&self, name: &str) -> Result<Option<TotpSecret>, StoreError> {
        check_name(name)?;
        let Some(bytes) = self.keyring.get(&key(name))? else {
            return Ok(None);
        };
        parse_stored(bytes.expose(), || {
            format!("keyring entry mfa:{}", key(name))
        })
        .map(Some)
    }

    /// Stores `secret` as `name`, replacing what was there.
    pub fn put(&self, name: &str, secret: &TotpSecret) -> Result<(), StoreError> {
        check_name(name)?;
        let uri = secret.to_uri();
        Ok(self.keyring.set(&key(name), uri.expose().as_bytes())?)
    }

    /// Deletes `name`; whether there was one.
    pub fn remove(&self, name: &str) -> Result<bool, StoreError> {
        check_name(name)?;
        Ok(self.keyring.delete(&key(name))?)
    }

    /// The names stored, sorted.
    pub fn names(&self) -> Result<Vec<String>, StoreError> {
        let mut names: Vec<String> = self
            .keyring
            .list(KEYRING_PREFIX)?
            .into_iter()
            .filter_map(|k| k.strip_prefix(KEYRING_PREFIX).map(str::to_owned))
            .collect();
        names.sort();
        Ok(names)
    }
}

fn key(name: &str) -> String {
    format!("{KEYRING_PREFIX}{name}")
}

/// A secret found by [`TotpStore::get`].
#[derive(Debug)]
pub struct Stored {
    pub secret: TotpSecret,
    pub store: StoreKind,
}

/// One row of [`TotpStore::list`]: a name, where it is, and its parameters — or why they could
/// not be read (a 0644 file is listed, not hidden).
#[derive(Debug)]
pub struct Listed {
    pub name: String,
    pub store: StoreKind,
    pub params: Result<TotpParams, StoreError>,
}

/// Software TOTP secrets by name, in a file store and the OS keyring.
pub struct TotpStore {
    file: FileStore,
    keyring: KeyringStore,
}

impl TotpStore {
    /// A store over both backends.
    pub fn new(file: FileStore, keyring: Box<dyn SecretStore>) -> Self {
        TotpStore {
            file,
            keyring: KeyringStore::new(keyring),
        }
    }

    /// The file backend (for its paths in messages).
    pub fn file_store(&self) -> &FileStore {
        &self.file
    }

    /// Where `name` would be stored in `kind`, for messages.
    pub fn location(&self, name: &str, kind: StoreKind) -> String {
        match kind {
            StoreKind::File => self.file.path_of(name).display().to_string(),
            StoreKind::Keyring => format!("the OS keyring (item {})", key(name)),
        }
    }

    /// The secret stored as `name`: the file first, then the keyring. A file that may not be
    /// used (exposed, foreign, corrupt) is an error rather than a reason to look further. A
    /// keyring that does not exist on this platform holds nothing.
    pub fn get(&self, name: &str) -> Result<Option<Stored>, StoreError> {
        if let Some(secret) = self.file.get(name)? {
            return Ok(Some(Stored {
                secret,
                store: StoreKind::File,
            }));
        }
        match self.keyring.get(name) {
            Ok(found) => Ok(found.map(|secret| Stored {
                secret,
                store: StoreKind::Keyring,
            })),
            Err(StoreError::Keyring(KeystoreError::Unsupported)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Where `name` is stored, if anywhere, without reading the secret's parameters.
    pub fn find(&self, name: &str) -> Result<Option<StoreKind>, StoreError> {
        check_name(name)?;
        if self.file.names()?.iter().any(|n| n == name) {
            return Ok(Some(StoreKind::File));
        }
        match self.keyring.names() {
            Ok(names) if names.iter().any(|n| n == name) => Ok(Some(StoreKind::Keyring)),
            Ok(_) | Err(StoreError::Keyring(KeystoreError::Unsupported)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Stores `secret` as `name` in `kind`. Refuses to replace an existing secret unless
    /// `replace`. The new secret is written before the old one (in the other backend) is
    /// removed, so a failure never loses both.
    pub fn put(
        &self,
        name: &str,
        secret: &TotpSecret,
        kind: StoreKind,
        replace: bool,
    ) -> Result<(), StoreError> {
        if !replace && let Some(store) = self.find(name)? {
            return Err(StoreError::AlreadyExists {
                name: name.to_owned(),
                store,
            });
        }
        match kind {
            StoreKind::File => {
                self.file.put(name, secret)?;
                match self.keyring.remove(name) {
                    Ok(_) | Err(StoreError::Keyring(KeystoreError::Unsupported)) => Ok(()),
                    Err(e) => Err(e),
                }
            }
            StoreKind::Keyring => {
                self.keyring.put(name, secret)?;
                self.file.remove(name).map(|_| ())
            }
        }
    }

    /// Removes `name` from both backends; where it was.
    pub fn remove(&self, name: &str) -> Result<Vec<StoreKind>, StoreError> {
        let mut removed = Vec::new();
        if self.file.remove(name)? {
            removed.push(StoreKind::File);
        }
        match self.keyring.remove(name) {
            Ok(true) => removed.push(StoreKind::Keyring),
            Ok(false) | Err(StoreError::Keyring(KeystoreError::Unsupported)) => {}
            Err(e) => return Err(e),
        }
        Ok(removed)
    }

    /// Every stored name with its backend and parameters, sorted by name. Never a secret.
    pub fn list(&self) -> Result<Vec<Listed>, StoreError> {
        let mut rows = Vec::new();
        for name in self.file.names()? {
            let params = self.file.get(&name).and_then(|found| {
                found
                    .map(|s| s.params().clone())
                    .ok_or_else(|| StoreError::Corrupt {
                        location: self.location(&name, StoreKind::File),
                        detail: "it disappeared while listing".into(),
                    })
            });
            rows.push(Listed {
                name,
                store: StoreKind::File,
                params,
            });
        }
        let keyring_names = match self.keyring.names() {
            Ok(names) => names,
            Err(StoreError::Keyring(KeystoreError::Unsupported)) => Vec::new(),
            Err(e) => return Err(e),
        };
        for name in keyring_names {
            let params = self.keyring.get(&name).and_then(|found| {
                found
                    .map(|s| s.params().clone())
                    .ok_or_else(|| StoreError::Corrupt {
                        location: self.location(&name, StoreKind::Keyring),
                        detail: "it disappeared while listing".into(),
                    })
            });
            rows.push(Listed {
                name,
                store: StoreKind::Keyring,
                params,
            });
        }
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(rows)
    }
}

#[cfg(test)]
mod tests;
