//! The one [`Context`] every command handler receives, built once in [`super::run`]: the global
//! options, the terminal (with `-v`/`--quiet` applied), the environment, the home directory, the
//! clock, and the AWS shared files — loaded on first use, with a load error kept for the command
//! to report or explain, never swallowed.
//!
//! Handlers read the process's state only through it, so "where does `mfa` look for X" has one
//! answer: here. Lower layers get what they need as arguments (`&dyn Fn(&str) -> Option<OsString>`
//! for the environment, a clock function, a `&mut dyn Terminal`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::Failure;
use super::args::GlobalArgs;
use crate::aws::profile::{FileLocations, LoadError, SharedFiles};
use crate::desktop::Notifier;
use crate::keystore::OsKeyring;
use crate::secret::SecretString;
use crate::terminal::{SystemTerminal, Terminal};

/// Everything a command handler reads from the process.
pub struct Context {
    /// The global options (`-p`, `--source`, `--reader`, `--serial`, `-v`, `-q`, …).
    pub global: GlobalArgs,
    /// `/dev/tty` (else stderr) at the verbosity of `-v`, none with `--quiet`.
    pub terminal: SystemTerminal,
    /// The environment and the home directory.
    pub env: Env,
    /// The AWS shared files, loaded on first use.
    pub files: Files,
}

impl Context {
    /// The process's own context for `global`.
    pub fn from_process(global: GlobalArgs) -> Context {
        let env = Env::from_process();
        let terminal = SystemTerminal::open(verbosity(&global));
        // With no terminal, touch requests and unaskable questions also go to the desktop
        // (docs/desktop.md); only where a session bus is advertised.
        let notifier = (!terminal.has_tty() && env.session_bus())
            .then(|| Notifier::new(global.profile.clone()));
        let terminal = terminal.with_desktop(notifier);
        let files = Files::new(env.file_locations());
        Context {
            global,
            terminal,
            env,
            files,
        }
    }

    /// The `-v` level (0 with `--quiet`).
    pub fn verbosity(&self) -> u8 {
        verbosity(&self.global)
    }

    /// The OS keyring: its index in the data directory, the desktop's Secret Service when a
    /// session bus is advertised (docs/desktop.md).
    pub fn keyring(&self) -> OsKeyring {
        OsKeyring::new(self.env.data_dir(), self.env.session_bus())
    }

    /// The shared files for commands that go on without them: a file that cannot be read is
    /// explained at `-v` and treated as empty.
    pub fn profiles(&mut self) -> &SharedFiles {
        self.files.or_empty(&mut self.terminal)
    }
}

/// `-v` level for the terminal (none with `--quiet`).
fn verbosity(global: &GlobalArgs) -> u8 {
    if global.quiet { 0 } else { global.verbose }
}

/// How a variable is looked up.
type Lookup = Box<dyn Fn(&str) -> Option<OsString>>;

/// The environment: variables (an empty one counts as unset) and the home directory.
pub struct Env {
    lookup: Lookup,
    home: Option<PathBuf>,
}

impl Env {
    /// The process's environment; home is `$HOME`, else the system's record of it.
    pub fn from_process() -> Env {
        let lookup = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        let home = lookup("HOME")
            .map(PathBuf::from)
            .or_else(std::env::home_dir);
        Env {
            lookup: Box::new(lookup),
            home,
        }
    }

    /// An environment of `vars` only (tests).
    pub fn from_pairs(vars: &[(&str, &str)], home: Option<&Path>) -> Env {
        let vars: Vec<(String, OsString)> = vars
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| ((*k).to_owned(), OsString::from(v)))
            .collect();
        Env {
            lookup: Box::new(move |name| {
                vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
            }),
            home: home.map(Path::to_path_buf),
        }
    }

    /// The variable `name`; `None` when unset or empty.
    pub fn var(&self, name: &str) -> Option<OsString> {
        (self.lookup)(name)
    }

    /// The lookup, for the layers that take one.
    pub fn lookup(&self) -> &dyn Fn(&str) -> Option<OsString> {
        &*self.lookup
    }

    /// Whether a D-Bus session bus is advertised (`DBUS_SESSION_BUS_ADDRESS`): a desktop
    /// session, or an SSH login that pam_systemd gave the user bus. Without it nothing tries
    /// D-Bus (libdbus would otherwise try to start a bus of its own).
    pub fn session_bus(&self) -> bool {
        self.var("DBUS_SESSION_BUS_ADDRESS").is_some()
    }

    /// `mfa`'s data directory: `$XDG_DATA_HOME/mfa` (an absolute one only), else
    /// `~/.local/share/mfa`; the keyring index lives there.
    pub fn data_dir(&self) -> Option<PathBuf> {
        match self.var("XDG_DATA_HOME").map(PathBuf::from) {
            Some(path) if path.is_absolute() => Some(path.join("mfa")),
            _ => self
                .home()
                .map(|h| h.join(".local").join("share").join("mfa")),
        }
    }

    /// The home directory, when known.
    pub fn home(&self) -> Option<&Path> {
        self.home.as_deref()
    }

    /// The home directory, or a usage error saying how to set it (for commands that must write
    /// under it).
    pub fn require_home(&self) -> Result<&Path, Failure> {
        self.home().ok_or_else(|| {
            Failure::usage(
                "cannot find your home directory: HOME is not set",
                "set HOME to your home directory",
            )
        })
    }

    /// Where the AWS CLI would read the shared files (`AWS_CONFIG_FILE`, …, `~/.aws`).
    pub fn file_locations(&self) -> FileLocations {
        FileLocations::from_env(self.lookup(), self.home().unwrap_or(Path::new("")))
    }

    /// `MFA_OATH_PASSWORD`, for automation.
    pub fn oath_password(&self) -> Option<SecretString> {
        self.secret("MFA_OATH_PASSWORD")
    }

    /// `MFA_CODE`, a fixed code for headless use.
    pub fn fixed_code(&self) -> Option<SecretString> {
        self.secret("MFA_CODE")
    }

    /// Whether both long-term key variables are set (`credential_source = Environment`).
    pub fn has_keys(&self) -> bool {
        self.var("AWS_ACCESS_KEY_ID").is_some() && self.var("AWS_SECRET_ACCESS_KEY").is_some()
    }

    fn secret(&self, name: &str) -> Option<SecretString> {
        let value = self.var(name)?;
        Some(SecretString::new(value.into_string().ok()?))
    }
}

/// The AWS shared files: read once, when a command first needs them; the outcome is kept.
pub struct Files {
    locations: FileLocations,
    loaded: Option<Result<SharedFiles, LoadError>>,
    empty: SharedFiles,
    explained: bool,
}

impl Files {
    /// Files at `locations`, not read yet.
    pub fn new(locations: FileLocations) -> Files {
        Files {
            locations,
            loaded: None,
            empty: SharedFiles::from_text("", ""),
            explained: false,
        }
    }

    /// Where they are.
    pub fn locations(&self) -> &FileLocations {
        &self.locations
    }

    /// What reading them gave.
    pub fn load(&mut self) -> &Result<SharedFiles, LoadError> {
        let locations = &self.locations;
        self.loaded
            .get_or_insert_with(|| SharedFiles::load(locations.clone()))
    }

    /// The files, or none when they cannot be read (said once on `terminal`).
    pub fn or_empty(&mut self, terminal: &mut dyn Terminal) -> &SharedFiles {
        let locations = &self.locations;
        let loaded = self
            .loaded
            .get_or_insert_with(|| SharedFiles::load(locations.clone()));
        match loaded {
            Ok(files) => files,
            Err(error) => {
                if !self.explained {
                    terminal.notice(&format!("mfa: {error}: going on without profiles"));
                    self.explained = true;
                }
                &self.empty
            }
        }
    }
}

/// Now, in Unix seconds; a clock set before 1970 is a runtime failure (TOTP codes depend on
/// it). The only place the system clock is read.
pub fn unix_now() -> Result<u64, Failure> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .map_err(|_| {
            Failure::runtime(
                "the system clock is set before 1970",
                "set the clock (TOTP codes depend on it), e.g. with `timedatectl set-ntp true`",
            )
        })
}

/// A clock for layers that read it repeatedly, checked once with [`unix_now`]; a later read
/// that fails (the clock set back past 1970 meanwhile) gives the checked moment.
pub fn checked_clock() -> Result<impl Fn() -> u64, Failure> {
    let checked = unix_now()?;
    Ok(move || unix_now().unwrap_or(checked))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn empty_variables_count_as_unset() {
        let env = Env::from_pairs(&[("A", "1"), ("B", "")], None);
        assert_eq!(env.var("A").unwrap(), "1");
        assert!(env.var("B").is_none());
        assert!(env.var("C").is_none());
        assert!(env.require_home().is_err());
    }

    #[test]
    fn secrets_from_the_environment() {
        let env = Env::from_pairs(
            &[("MFA_OATH_PASSWORD", "pw"), ("AWS_ACCESS_KEY_ID", "AKIA")],
            Some(Path::new("/home/u")),
        );
        assert_eq!(env.oath_password().unwrap().expose(), "pw");
        assert!(env.fixed_code().is_none());
        assert!(!env.has_keys());
        assert_eq!(
            env.file_locations().config,
            Path::new("/home/u/.aws/config")
        );
    }

    #[test]
    fn unreadable_files_are_explained_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        // A directory where a file is expected cannot be read as one.
        let locations = FileLocations {
            config: dir.path().to_path_buf(),
            credentials: dir.path().join("credentials"),
        };
        let mut files = Files::new(locations);
        let mut terminal = crate::terminal::ScriptedTerminal::headless();
        assert!(files.or_empty(&mut terminal).profile("default").is_none());
        assert!(files.or_empty(&mut terminal).profile("default").is_none());
        assert_eq!(terminal.notices.len(), 1);
        assert!(files.load().is_err());
    }
}
