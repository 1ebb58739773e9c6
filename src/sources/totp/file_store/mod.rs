//! The file backend of the software TOTP store: one file per name, `NAME.totp` (the name
//! percent-encoded), holding the secret's canonical `otpauth://` URI on one line.
//!
//! - Directory: `$XDG_DATA_HOME/mfa/totp` (an absolute `XDG_DATA_HOME` only, as the XDG spec
//!   says), else `~/.local/share/mfa/totp`; created 0700, tightened to 0700 when it is looser.
//! - Files: 0600, written atomically (a new file beside the old one, synced, renamed over it, the
//!   directory synced), so a crash leaves the old secret or the new one, never half of one.
//! - A file that is group- or world-accessible, belongs to another user, or is not a regular
//!   file is refused, never read: its seed may have leaked, and the user must decide.

use std::ffi::OsStr;
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::secret::TotpSecret;
use super::store::{StoreError, check_name};

/// What a stored file is called after its encoded name.
const EXTENSION: &str = ".totp";
/// A stored file is one URI; anything bigger is not ours.
const MAX_FILE_SIZE: u64 = 4096;

/// Secrets kept as 0600 files in one 0700 directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    /// A store in `dir`, which is created when the first secret is stored.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        FileStore { dir: dir.into() }
    }

    /// `$XDG_DATA_HOME/mfa/totp` when `xdg_data_home` is an absolute path, else
    /// `HOME/.local/share/mfa/totp`.
    pub fn default_dir(xdg_data_home: Option<&OsStr>, home: &Path) -> PathBuf {
        let base = match xdg_data_home.map(Path::new) {
            Some(path) if path.is_absolute() => path.to_owned(),
            _ => home.join(".local").join("share"),
        };
        base.join("mfa").join("totp")
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file that holds (or would hold) `name`.
    pub fn path_of(&self, name: &str) -> PathBuf {
        self.dir.join(file_name(name))
    }

    /// The secret stored as `name`, if any.
    pub fn get(&self, name: &str) -> Result<Option<TotpSecret>, StoreError> {
        check_name(name)?;
        let path = self.path_of(name);
        match fs::symlink_metadata(&path) {
            Ok(meta) if !meta.file_type().is_file() => {
                return Err(StoreError::NotAFile { path });
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(io_error("read", &path, source)),
        }
        let mut file = File::open(&path).map_err(|e| io_error("open", &path, e))?;
        let meta = file.metadata().map_err(|e| io_error("read", &path, e))?;
        check_private(&path, &meta)?;
        if meta.len() > MAX_FILE_SIZE {
            return Err(StoreError::Corrupt {
                location: path.display().to_string(),
                detail: format!("it is {} bytes, not one otpauth:// URI", meta.len()),
            });
        }
        let mut bytes = Zeroizing::new(Vec::with_capacity(MAX_FILE_SIZE as usize + 1));
        (&mut file)
            .take(MAX_FILE_SIZE + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| io_error("read", &path, e))?;
        super::store::parse_stored(&bytes, || path.display().to_string()).map(Some)
    }

    /// Stores `secret` as `name`, atomically replacing what was there.
    pub fn put(&self, name: &str, secret: &TotpSecret) -> Result<(), StoreError> {
        check_name(name)?;
        self.prepare_dir()?;
        let path = self.path_of(name);
        let temp = self.dir.join(format!(
            ".{}.{}.tmp",
            file_name(name),
            random_suffix().map_err(|e| io_error("create a file in", &self.dir, e))?
        ));
        let uri = secret.to_uri();
        let written = write_new(&temp, uri.expose().as_bytes())
            .map_err(|e| io_error("write", &temp, e))
            .and_then(|()| fs::rename(&temp, &path).map_err(|e| io_error("replace", &path, e)));
        if let Err(e) = written {
            let _ = fs::remove_file(&temp);
            return Err(e);
        }
        sync_dir(&self.dir).map_err(|e| io_error("sync", &self.dir, e))
    }

    /// Deletes `name`; whether there was one.
    pub fn remove(&self, name: &str) -> Result<bool, StoreError> {
        check_name(name)?;
        let path = self.path_of(name);
        match fs::remove_file(&path) {
            Ok(()) => {
                sync_dir(&self.dir).map_err(|e| io_error("sync", &self.dir, e))?;
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io_error("remove", &path, e)),
        }
    }

    /// The names stored, sorted. Files that are not ours (other names, temporary files) are
    /// skipped.
    pub fn names(&self) -> Result<Vec<String>, StoreError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error("list", &self.dir, e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io_error("list", &self.dir, e))?;
            if let Some(name) = entry.file_name().to_str().and_then(name_of) {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    /// Creates the directory 0700 (parents too), or tightens an existing one of ours to 0700.
    fn prepare_dir(&self) -> Result<(), StoreError> {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .map_err(|e| io_error("create", &self.dir, e))?;
        let meta = fs::metadata(&self.dir).map_err(|e| io_error("read", &self.dir, e))?;
        if meta.uid() != current_uid() {
            return Err(StoreError::ForeignOwner {
                path: self.dir.clone(),
                uid: meta.uid(),
            });
        }
        if meta.mode() & 0o077 != 0 {
            fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700))
                .map_err(|e| io_error("restrict", &self.dir, e))?;
        }
        Ok(())
    }
}

/// Refuses a file others can reach or that is not ours.
fn check_private(path: &Path, meta: &fs::Metadata) -> Result<(), StoreError> {
    if !meta.file_type().is_file() {
        return Err(StoreError::NotAFile {
            path: path.to_owned(),
        });
    }
    if meta.uid() != current_uid() {
        return Err(StoreError::ForeignOwner {
            path: path.to_owned(),
            uid: meta.uid(),
        });
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(StoreError::Exposed {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

fn current_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Creates `path` (it must not exist) with mode 0600 and writes `bytes` and a newline, synced.
fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.write_all(b"\n")?;
    file.sync_all()
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

fn random_suffix() -> io::Result<String> {
    let mut bytes = [0u8; 8];
    getrandom::getrandom(&mut bytes).map_err(|e| io::Error::other(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn io_error(action: &'static str, path: &Path, source: io::Error) -> StoreError {
    StoreError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

/// Bytes kept as they are in a file name; everything else is `%XX`.
fn plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_@+=,".contains(&b)
}

/// `arn:aws:iam::123456789012:mfa/alice` → `arn%3Aaws%3Aiam%3A%3A123456789012%3Amfa%2Falice.totp`.
/// No encoded name starts with a dot or contains a slash.
pub(crate) fn file_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + EXTENSION.len());
    for b in name.bytes() {
        if plain(b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out.push_str(EXTENSION);
    out
}

/// The name a file of ours was stored under; `None` for any other file.
pub(crate) fn name_of(file_name_text: &str) -> Option<String> {
    let encoded = file_name_text.strip_suffix(EXTENSION)?;
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let name = String::from_utf8(out).ok()?;
    // Only the one spelling `file_name` produces counts: no temporary files, no look-alikes.
    (file_name(&name) == file_name_text && check_name(&name).is_ok()).then_some(name)
}

#[cfg(test)]
mod tests;
