//! Profiles from the AWS shared files, with the AWS CLI's rules (docs/configuration.md).
//!
//! - `~/.aws/config` (`AWS_CONFIG_FILE`) holds `[default]` and `[profile NAME]` sections; a
//!   section without the `profile ` prefix is ignored there, as the AWS CLI does.
//! - `~/.aws/credentials` (`AWS_SHARED_CREDENTIALS_FILE`) holds `[NAME]` sections.
//! - A profile is the union of both; a key set in the credentials file wins.
//! - A missing file is an empty file; an unreadable one is an error.
//!
//! The paths and the home directory are inputs ([`FileLocations`]), so tests never read the
//! developer's real files.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::ini::IniDocument;
use crate::secret::{Bounded, SecretBytes, SecretString};

/// Where the shared files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLocations {
    pub config: PathBuf,
    pub credentials: PathBuf,
}

impl FileLocations {
    /// The AWS CLI's choice: `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE` (a leading `~/`
    /// means the home directory), else `~/.aws/config` / `~/.aws/credentials`.
    pub fn from_env(var: impl Fn(&str) -> Option<OsString>, home: &Path) -> Self {
        let pick = |name: &str, default: &str| match var(name) {
            Some(value) if !value.is_empty() => expand_home(PathBuf::from(value), home),
            _ => home.join(".aws").join(default),
        };
        FileLocations {
            config: pick("AWS_CONFIG_FILE", "config"),
            credentials: pick("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
        }
    }
}

fn expand_home(path: PathBuf, home: &Path) -> PathBuf {
    match path.strip_prefix("~") {
        Ok(rest) => home.join(rest),
        Err(_) => path,
    }
}

/// Which file a value came from, for messages that point into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Config,
    Credentials,
}

/// A value and where it was written. Any value may be a secret (`aws_secret_access_key`,
/// `aws_session_token`, a seed inside an `mfa_process` command line): it is wiped on drop and
/// `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Setting {
    pub value: SecretString,
    pub file: FileKind,
    pub line: usize,
}

impl std::fmt::Debug for Setting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Setting")
            .field("value", &"[redacted]")
            .field("file", &self.file)
            .field("line", &self.line)
            .finish()
    }
}

/// One profile: its settings merged from both files. `Debug` shows the keys, not the values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    settings: BTreeMap<String, Setting>,
}

impl Profile {
    /// The value of `key` (lower-case), if set and not empty.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.setting(key).map(|s| s.value.expose())
    }

    /// The value of `key` with where it was written, if set and not empty.
    pub fn setting(&self, key: &str) -> Option<&Setting> {
        self.settings.get(key).filter(|s| !s.value.is_empty())
    }

    /// Keys set on this profile, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.settings.keys().map(String::as_str)
    }
}

/// Why the shared files could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    #[error("cannot read {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A FIFO, a device, a directory: reading it could block forever or never end.
    #[error("{} is not a regular file", path.display())]
    NotAFile { path: PathBuf },
    #[error("{} is larger than {max} bytes", path.display())]
    TooBig { path: PathBuf, max: u64 },
    /// A line opens a section without closing it: the AWS CLI refuses the file.
    #[error("{}, line {line}: a section header without its closing `]`", path.display())]
    UnclosedSection { path: PathBuf, line: usize },
}

/// The largest shared file read (far above any real one): a file that grows without end is
/// refused rather than read into memory.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// The text of a shared file: `None` when it does not exist. Only a regular file is read
/// (checked before opening — opening a FIFO would wait for a writer — and again on the open
/// file), and at most [`MAX_FILE_BYTES`], into storage sized from the file's size and wiped
/// when dropped: the credentials file holds long-term keys.
pub fn read_shared(path: &Path) -> Result<Option<SecretString>, LoadError> {
    let unreadable = |source| LoadError::Unreadable {
        path: path.to_owned(),
        source,
    };
    let not_a_file = || LoadError::NotAFile {
        path: path.to_owned(),
    };
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(unreadable(e)),
        // `/dev/null` is the usual way to say "no file" (`mfa exec --server` gives it to its
        // child): empty, like a missing file.
        Ok(_) if path == Path::new("/dev/null") => return Ok(None),
        Ok(meta) if !meta.is_file() => return Err(not_a_file()),
        Ok(_) => {}
    }
    let mut file = std::fs::File::open(path).map_err(unreadable)?;
    let meta = file.metadata().map_err(unreadable)?;
    if !meta.is_file() {
        return Err(not_a_file());
    }
    let max = MAX_FILE_BYTES as usize;
    let expected = usize::try_from(meta.len()).unwrap_or(max);
    let bytes = match SecretBytes::read_bounded(&mut file, expected, max).map_err(unreadable)? {
        Bounded::Complete(bytes) => bytes,
        Bounded::TooBig => {
            return Err(LoadError::TooBig {
                path: path.to_owned(),
                max: MAX_FILE_BYTES,
            });
        }
    };
    bytes.into_text().map(Some).ok_or_else(|| {
        unreadable(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "it is not UTF-8 text",
        ))
    })
}

/// Both shared files, parsed.
#[derive(Debug, Clone)]
pub struct SharedFiles {
    pub locations: FileLocations,
    pub config: IniDocument,
    pub credentials: IniDocument,
}

impl SharedFiles {
    /// Reads both files; a missing file counts as empty. The text is wiped once parsed (the
    /// documents are wiped when dropped).
    pub fn load(locations: FileLocations) -> Result<Self, LoadError> {
        let read = |path: &Path| {
            let document = read_shared(path)?
                .map(|t| IniDocument::parse(t.expose()))
                .unwrap_or_default();
            match document.unclosed_section() {
                Some(line) => Err(LoadError::UnclosedSection {
                    path: path.to_owned(),
                    line,
                }),
                None => Ok(document),
            }
        };
        Ok(SharedFiles {
            config: read(&locations.config)?,
            credentials: read(&locations.credentials)?,
            locations,
        })
    }

    /// From text, for tests and for files already read.
    pub fn from_text(config: &str, credentials: &str) -> Self {
        SharedFiles {
            locations: FileLocations {
                config: PathBuf::from("config"),
                credentials: PathBuf::from("credentials"),
            },
            config: IniDocument::parse(config),
            credentials: IniDocument::parse(credentials),
        }
    }

    /// Names of every profile in either file, sorted.
    pub fn profile_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .config
            .sections()
            .into_iter()
            .filter_map(config_profile_name)
            .chain(self.credentials.sections())
            .map(str::to_owned)
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The profile `name`, merged from both files; `None` when neither file has it.
    pub fn profile(&self, name: &str) -> Option<Profile> {
        let mut settings = BTreeMap::new();
        let mut found = false;
        for section in self.config.sections() {
            if config_profile_name(section) == Some(name) {
                found = true;
                for p in self.config.properties(section) {
                    settings.insert(p.key.to_owned(), setting(p, FileKind::Config));
                }
            }
        }
        if self.credentials.sections().contains(&name) {
            found = true;
            for p in self.credentials.properties(name) {
                settings.insert(p.key.to_owned(), setting(p, FileKind::Credentials));
            }
        }
        found.then(|| Profile {
            name: name.to_owned(),
            settings,
        })
    }
}

fn setting(p: super::ini::Property<'_>, file: FileKind) -> Setting {
    Setting {
        value: SecretString::copy_from(p.value),
        file,
        line: p.line,
    }
}

/// The profile a config-file section defines: `default`, `profile default` and `profile NAME`;
/// other sections (`sso-session …`, `services …`, bare names) are not profiles.
fn config_profile_name(section: &str) -> Option<&str> {
    if section == "default" {
        return Some("default");
    }
    let rest = section.strip_prefix("profile")?;
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    let name = rest.trim();
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const CONFIG: &str = "\
[default]
region = eu-west-1
[profile prod]
role_arn = arn:aws:iam::1:role/Admin
source_profile = default
region = us-east-1
[staging]
region = ignored-without-prefix
[sso-session corp]
sso_region = x
[profile  spaced ]
region = ap-south-1
";
    const CREDENTIALS: &str = "\
[default]
aws_access_key_id = AKIAEXAMPLE
aws_secret_access_key = secret
region = from-credentials
[ci]
aws_access_key_id = AKIACI
";

    #[test]
    fn names_follow_the_cli_rules() {
        let files = SharedFiles::from_text(CONFIG, CREDENTIALS);
        assert_eq!(files.profile_names(), ["ci", "default", "prod", "spaced"]);
        assert!(files.profile("staging").is_none());
        assert!(files.profile("corp").is_none());
    }

    #[test]
    fn credentials_file_wins() {
        let files = SharedFiles::from_text(CONFIG, CREDENTIALS);
        let default = files.profile("default").unwrap();
        assert_eq!(default.get("region"), Some("from-credentials"));
        assert_eq!(default.get("aws_access_key_id"), Some("AKIAEXAMPLE"));
        let region = default.setting("region").unwrap();
        assert_eq!((region.file, region.line), (FileKind::Credentials, 4));
        let prod = files.profile("prod").unwrap();
        assert_eq!(prod.get("region"), Some("us-east-1"));
        assert_eq!(prod.get("source_profile"), Some("default"));
    }

    #[test]
    fn empty_values_count_as_unset() {
        let files = SharedFiles::from_text("[default]\nmfa_serial =\n", "");
        assert_eq!(files.profile("default").unwrap().get("mfa_serial"), None);
    }

    #[test]
    fn locations_from_env_and_home() {
        let home = Path::new("/home/alice");
        let none = FileLocations::from_env(|_| None, home);
        assert_eq!(none.config, Path::new("/home/alice/.aws/config"));
        assert_eq!(none.credentials, Path::new("/home/alice/.aws/credentials"));
        let set = FileLocations::from_env(
            |name| match name {
                "AWS_CONFIG_FILE" => Some("~/cfg".into()),
                "AWS_SHARED_CREDENTIALS_FILE" => Some("/etc/creds".into()),
                _ => None,
            },
            home,
        );
        assert_eq!(set.config, Path::new("/home/alice/cfg"));
        assert_eq!(set.credentials, Path::new("/etc/creds"));
    }

    #[test]
    fn missing_files_are_empty_and_unreadable_ones_fail() {
        let dir = tempfile::tempdir().unwrap();
        let files = SharedFiles::load(FileLocations {
            config: dir.path().join("nope"),
            credentials: dir.path().join("nope2"),
        })
        .unwrap();
        assert!(files.profile_names().is_empty());
        let err = SharedFiles::load(FileLocations {
            config: dir.path().to_owned(), // a directory cannot be read as a file
            credentials: dir.path().join("nope2"),
        })
        .unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }

    #[test]
    fn a_shared_file_that_never_ends_hung_or_grew_without_bound() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big");
        std::fs::write(
            &big,
            vec![b'#'; usize::try_from(MAX_FILE_BYTES).unwrap() + 1],
        )
        .unwrap();
        for (path, expected) in [
            (Path::new("/dev/zero"), "not a regular file"),
            (big.as_path(), "larger than 1048576 bytes"),
        ] {
            let err = read_shared(path).unwrap_err();
            assert!(err.to_string().contains(expected), "{err}");
        }
        assert!(read_shared(Path::new("/dev/null")).unwrap().is_none());
        let latin1 = dir.path().join("latin1");
        std::fs::write(&latin1, b"[default]\nregion = caf\xe9\n").unwrap();
        let err = read_shared(&latin1).unwrap_err();
        assert!(err.to_string().contains("not UTF-8"), "{err}");
    }
}
