//! Storing temporary credentials as a profile of the shared credentials file, for tools that read
//! only that file (`mfa login --write-profile NAME`, docs/get-session-token.md).
//!
//! The section gets `aws_access_key_id`, `aws_secret_access_key`, `aws_session_token` and
//! [`EXPIRATION_KEY`], a key the AWS CLI and the SDKs ignore; its other keys stay. Every other
//! byte of the file is kept ([`IniDocument`] edits only the lines it must). A section that holds
//! long-term keys — `[default]`, or keys this tool did not write — is not replaced unless forced.
//!
//! The file is replaced atomically: a 0600 temporary file in the same directory, written and
//! synced, renamed over the old one, then the directory synced. A failure at any step leaves the
//! old file as it was.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::credentials::SessionCredentials;
use super::ini::IniDocument;
use super::profile::MAX_FILE_BYTES;
use crate::secret::{Bounded, SecretBytes, SecretString};

/// The key recording when a written session expires (RFC 3339); it also marks the section as
/// written by this tool, so a later run may replace it.
pub const EXPIRATION_KEY: &str = "mfa_expiration";

/// Why a section is not replaced without `--force`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protected {
    /// `[default]`: what every tool uses when no profile is named.
    Default,
    /// Credentials this tool did not write (no [`EXPIRATION_KEY`]): long-term keys, a source
    /// profile, or a session another tool keeps.
    ForeignKeys,
}

/// Why the profile was not written. The file is unchanged in every case.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteProfileError {
    #[error("[{section}] in {path} holds credentials this tool did not write")]
    Protected {
        path: PathBuf,
        section: String,
        why: Protected,
    },
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
}

/// Whether `section` of `doc` may be replaced without `--force`.
pub fn protection(doc: &IniDocument, section: &str) -> Option<Protected> {
    if section == "default" {
        return Some(Protected::Default);
    }
    let holds_keys = [
        "aws_access_key_id",
        "aws_secret_access_key",
        "credential_process",
    ]
    .iter()
    .any(|key| doc.get(section, key).is_some());
    (holds_keys && doc.get(section, EXPIRATION_KEY).is_none()).then_some(Protected::ForeignKeys)
}

/// Sets the session's keys in `section` (created at the end of the file when missing).
pub fn set_session(doc: &mut IniDocument, section: &str, credentials: &SessionCredentials) {
    doc.set(section, "aws_access_key_id", &credentials.access_key_id);
    doc.set(
        section,
        "aws_secret_access_key",
        credentials.secret_access_key.expose(),
    );
    doc.set(
        section,
        "aws_session_token",
        credentials.session_token.expose(),
    );
    doc.set(section, EXPIRATION_KEY, &credentials.expiration_rfc3339());
}

/// Reads the credentials file at `path` (missing: empty) and refuses as
/// [`write_session_profile`] would, so a refusal comes before a code is spent.
pub fn check(path: &Path, section: &str, force: bool) -> Result<(), WriteProfileError> {
    let (path, doc) = read(path)?;
    match protection(&doc, section).filter(|_| !force) {
        Some(why) => Err(WriteProfileError::Protected {
            path,
            section: section.to_owned(),
            why,
        }),
        None => Ok(()),
    }
}

/// The file's real path (a symlink's target: a symlinked credentials file stays a symlink) and
/// its parsed text.
/// Reads the shared file at `path` (a symlink's target; a missing file is empty) for editing.
pub fn read(path: &Path) -> Result<(PathBuf, IniDocument), WriteProfileError> {
    let path = match fs::canonicalize(path) {
        Ok(target) => target,
        Err(_) => path.to_owned(),
    };
    let read_error = |source| WriteProfileError::Read {
        path: path.clone(),
        source,
    };
    // Read into wiped storage sized from the file (it holds long-term keys), at most as much
    // as the shared files are ever read.
    let text = match fs::File::open(&path) {
        Ok(mut file) => {
            let expected = file
                .metadata()
                .map_or(0, |m| m.len())
                .try_into()
                .unwrap_or(0);
            let max = MAX_FILE_BYTES as usize;
            match SecretBytes::read_bounded(&mut file, expected, max).map_err(read_error)? {
                Bounded::Complete(bytes) => bytes
                    .into_text()
                    .ok_or_else(|| read_error(io::Error::from(io::ErrorKind::InvalidData)))?,
                Bounded::TooBig => {
                    return Err(read_error(io::Error::from(io::ErrorKind::FileTooLarge)));
                }
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => SecretString::default(),
        Err(e) => return Err(read_error(e)),
    };
    let doc = IniDocument::parse(text.expose());
    Ok((path, doc))
}

/// Writes `credentials` as `[section]` of the credentials file at `path` (created, with its
/// directory, when missing). Returns the path written (a symlink's target).
pub fn write_session_profile(
    path: &Path,
    section: &str,
    credentials: &SessionCredentials,
    force: bool,
) -> Result<PathBuf, WriteProfileError> {
    let (path, mut doc) = read(path)?;
    if let Some(why) = protection(&doc, section).filter(|_| !force) {
        return Err(WriteProfileError::Protected {
            path,
            section: section.to_owned(),
            why,
        });
    }
    set_session(&mut doc, section, credentials);
    let rendered = doc.render();
    write_atomic(&path, rendered.as_bytes()).map_err(|source| WriteProfileError::Write {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

/// The config file's section of profile `name`: `[default]`, else `[profile NAME]`.
pub fn config_section(name: &str) -> String {
    if name == "default" {
        name.to_owned()
    } else {
        format!("profile {name}")
    }
}

/// Sets `pairs` (key, value) in `section` of the shared config file at `path` (created, with its
/// directory, when missing), every other line kept as it was (`mfa register --write-config`).
/// Returns the path written (a symlink's target).
pub fn set_config_keys(
    path: &Path,
    section: &str,
    pairs: &[(&str, &str)],
) -> Result<PathBuf, WriteProfileError> {
    let (path, mut doc) = read(path)?;
    for (key, value) in pairs {
        doc.set(section, key, value);
    }
    write_atomic(&path, doc.render().as_bytes()).map_err(|source| WriteProfileError::Write {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

/// Replaces `path` with `bytes`: a 0600 temporary file beside it, written and synced, renamed
/// over it, the directory synced. On failure the temporary file is removed and `path` is as it
/// was.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if !dir.exists() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.{}.tmp", std::process::id(), nonce()?));
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp, path)?;
        File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written
}

fn nonce() -> io::Result<String> {
    let mut bytes = [0u8; 6];
    getrandom::getrandom(&mut bytes).map_err(|e| io::Error::other(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::secret::SecretString;
    use std::os::unix::fs::PermissionsExt;

    fn session() -> SessionCredentials {
        SessionCredentials {
            access_key_id: "ASIANEW".into(),
            secret_access_key: SecretString::new("newsecret".into()),
            session_token: SecretString::new("newtoken".into()),
            // 2026-05-01T12:00:00Z
            expiration: 1_777_636_800,
        }
    }

    const WRITTEN: &str = "aws_access_key_id = ASIANEW\naws_secret_access_key = newsecret\n\
                           aws_session_token = newtoken\nmfa_expiration = 2026-05-01T12:00:00Z\n";

    fn write(text: Option<&[u8]>, section: &str, force: bool) -> (Vec<u8>, Result<(), String>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        if let Some(text) = text {
            fs::write(&path, text).unwrap();
        }
        let result = write_session_profile(&path, section, &session(), force)
            .map(|_| ())
            .map_err(|e| e.to_string());
        let after = fs::read(&path).unwrap_or_default();
        if result.is_ok() {
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
            assert_eq!(names.len(), 1, "a temporary file was left behind");
        }
        (after, result)
    }

    #[test]
    fn config_keys_are_set_keeping_every_other_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        let before = "# mine\r\n[default]\r\nregion = x\r\n\r\n[profile work]\r\n; keep\r\n\
                      mfa_serial = old\r\noutput=json\r\n";
        fs::write(&path, before).unwrap();
        set_config_keys(
            &path,
            &config_section("work"),
            &[("mfa_serial", "arn:new"), ("mfa_oath_account", "A:b@c")],
        )
        .unwrap();
        let after = fs::read_to_string(&path).unwrap();
        assert_eq!(
            after,
            before
                .replace("mfa_serial = old", "mfa_serial = arn:new")
                .replace(
                    "output=json\r\n",
                    "output=json\r\nmfa_oath_account = A:b@c\r\n"
                )
        );
        set_config_keys(&path, &config_section("default"), &[("mfa_serial", "s")]).unwrap();
        assert!(
            fs::read_to_string(&path)
                .unwrap()
                .contains("region = x\r\nmfa_serial = s\r\n")
        );
    }

    #[test]
    fn a_new_file_gets_the_section() {
        let (after, result) = write(None, "temp", false);
        result.unwrap();
        assert_eq!(
            String::from_utf8(after).unwrap(),
            format!("[temp]\n{WRITTEN}")
        );
    }

    #[test]
    fn other_sections_comments_and_spacing_are_kept() {
        let before = "# my keys\n[default]\naws_access_key_id=AKIAOLD\n  aws_secret_access_key   =  \
                      x  \n\n; other\n[other]\nregion: eu-west-1\n";
        let (after, result) = write(Some(before.as_bytes()), "temp", false);
        result.unwrap();
        assert_eq!(
            String::from_utf8(after).unwrap(),
            format!("{before}\n[temp]\n{WRITTEN}")
        );
    }

    #[test]
    fn crlf_files_stay_crlf() {
        let before = "[default]\r\naws_access_key_id = AKIAOLD\r\n\r\n[x]\r\nk = v";
        let (after, result) = write(Some(before.as_bytes()), "temp", false);
        result.unwrap();
        let after = String::from_utf8(after).unwrap();
        assert_eq!(
            after,
            format!(
                "{before}\r\n\r\n[temp]\r\n{}",
                WRITTEN.replace('\n', "\r\n")
            )
        );
    }

    #[test]
    fn a_section_we_wrote_is_replaced_in_place() {
        let before = "[a]\nk = 1\n\n[temp]\n# mine\naws_access_key_id = ASIAOLD\n\
                      aws_secret_access_key = old\naws_session_token = old\n\
                      mfa_expiration = 2020-01-01T00:00:00Z\nregion = us-west-2\n\n[b]\nk = 2\n";
        let (after, result) = write(Some(before.as_bytes()), "temp", false);
        result.unwrap();
        let expected = before
            .replace("ASIAOLD", "ASIANEW")
            .replace("secret_access_key = old", "secret_access_key = newsecret")
            .replace("session_token = old", "session_token = newtoken")
            .replace("2020-01-01T00:00:00Z", "2026-05-01T12:00:00Z");
        assert_eq!(String::from_utf8(after).unwrap(), expected);
    }

    #[test]
    fn long_term_keys_are_not_replaced_unless_forced() {
        for (before, section, why) in [
            ("[default]\nregion = x\n", "default", "default"),
            (
                "[work]\naws_access_key_id = AKIA\naws_secret_access_key = s\n",
                "work",
                "source",
            ),
            (
                "[temp]\naws_access_key_id = ASIA\naws_secret_access_key = s\n\
                 aws_session_token = t\n",
                "temp",
                "another tool's session",
            ),
        ] {
            let (after, result) = write(Some(before.as_bytes()), section, false);
            assert!(result.unwrap_err().contains("did not write"), "{why}");
            assert_eq!(after, before.as_bytes(), "{why}: the file changed");
            let (after, result) = write(Some(before.as_bytes()), section, true);
            result.unwrap();
            assert!(String::from_utf8(after).unwrap().contains("newtoken"));
        }
    }

    /// Makes a directory unwritable, even for root (which ignores modes): `chattr +i` as root,
    /// mode 0500 otherwise; undone on drop.
    struct ReadOnlyDir<'a>(&'a Path);

    impl<'a> ReadOnlyDir<'a> {
        fn new(dir: &'a Path) -> Self {
            if rustix::process::geteuid().is_root() {
                let status = std::process::Command::new("chattr")
                    .arg("+i")
                    .arg(dir)
                    .status()
                    .unwrap();
                assert!(status.success(), "chattr +i failed on {dir:?}");
            } else {
                fs::set_permissions(dir, fs::Permissions::from_mode(0o500)).unwrap();
            }
            ReadOnlyDir(dir)
        }
    }

    impl Drop for ReadOnlyDir<'_> {
        fn drop(&mut self) {
            if rustix::process::geteuid().is_root() {
                let _ = std::process::Command::new("chattr")
                    .arg("-i")
                    .arg(self.0)
                    .status();
            } else {
                let _ = fs::set_permissions(self.0, fs::Permissions::from_mode(0o700));
            }
        }
    }

    #[test]
    fn a_failed_write_leaves_the_file_intact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        let before = "[default]\naws_access_key_id = AKIA\n";
        fs::write(&path, before).unwrap();
        let result = {
            let _read_only = ReadOnlyDir::new(dir.path());
            write_session_profile(&path, "temp", &session(), false)
        };
        assert!(
            matches!(result, Err(WriteProfileError::Write { .. })),
            "{result:?}"
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), before);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_failed_rename_removes_the_temporary_file() {
        // A non-empty directory where the file should be: the temporary file is written, the
        // rename fails, and nothing is left behind.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        fs::create_dir(&path).unwrap();
        fs::write(path.join("inside"), "x").unwrap();
        assert!(write_atomic(&path, b"[temp]\n").is_err());
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["credentials"]);
        assert_eq!(fs::read_to_string(path.join("inside")).unwrap(), "x");
    }

    #[test]
    fn a_symlinked_file_stays_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        fs::write(&real, "[a]\nk = v\n").unwrap();
        let link = dir.path().join("credentials");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let written = write_session_profile(&link, "temp", &session(), false).unwrap();
        assert_eq!(written, fs::canonicalize(&real).unwrap());
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(fs::read_to_string(&real).unwrap().contains("[temp]"));
    }
}
