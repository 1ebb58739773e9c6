//! The real `mfa` binary in a sandbox: a private HOME and cache, none of the caller's AWS_* or
//! MFA_* variables, and, on request, no controlling terminal.

use std::path::PathBuf;
use std::process::Output;

/// A sandbox for running the `mfa` binary: an empty HOME with `~/.aws`, a private cache dir, and
/// none of the caller's AWS_* or MFA_* variables.
pub struct Sandbox {
    pub home: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join(".aws")).unwrap();
        Sandbox { home }
    }

    /// `mfa` with this sandbox's environment.
    pub fn mfa(&self) -> assert_cmd::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mfa"));
        self.apply_env(&mut cmd);
        assert_cmd::Command::from_std(cmd)
    }

    /// Path of a file in the sandbox's home.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.home.path().join(relative)
    }
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Sandbox {
    /// Gives `cmd` this sandbox's environment, as [`Sandbox::mfa`] does.
    fn apply_env(&self, cmd: &mut std::process::Command) {
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if key.starts_with("AWS_") || key.starts_with("MFA_") {
                cmd.env_remove(key.as_ref());
            }
        }
        // Never the caller's desktop session: its keyring and notifications are not ours to
        // fill (tests/common/desktop.rs gives a test a session of its own).
        cmd.env_remove("DBUS_SESSION_BUS_ADDRESS");
        cmd.env("HOME", self.home.path())
            .env("XDG_CACHE_HOME", self.home.path().join(".cache"))
            .env("XDG_DATA_HOME", self.home.path().join(".local/share"))
            .env("XDG_CONFIG_HOME", self.home.path().join(".config"))
            .env("MFA_CACHE_DIR", self.home.path().join(".cache/mfa"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("NO_COLOR", "1");
    }

    /// `mfa` in a session of its own, with no controlling terminal (`setsid -w`): what it would
    /// show on `/dev/tty` goes to stderr, and it cannot ask anything — the same whether the
    /// tests run in a terminal or in CI. The process keeps the pid `spawn` returns.
    pub fn mfa_std_without_tty(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new("setsid");
        cmd.arg("-w").arg(env!("CARGO_BIN_EXE_mfa"));
        self.apply_env(&mut cmd);
        cmd
    }

    /// `program ARGS` with this sandbox's environment, in a session of its own with no
    /// controlling terminal (`setsid -w`), like [`Sandbox::mfa_std_without_tty`]: for the
    /// programs that run `mfa` themselves (the AWS CLI, botocore, shells).
    pub fn command_without_tty(
        &self,
        program: impl AsRef<std::ffi::OsStr>,
    ) -> std::process::Command {
        let mut cmd = std::process::Command::new("setsid");
        cmd.arg("-w").arg(program);
        self.apply_env(&mut cmd);
        cmd
    }

    /// [`Sandbox::mfa_std_without_tty`] as an `assert_cmd` command.
    pub fn mfa_without_tty(&self) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.mfa_std_without_tty())
    }

    /// Writes `~/.aws/config`.
    pub fn write_config(&self, text: &str) {
        std::fs::write(self.path(".aws/config"), text).unwrap();
    }

    /// Writes `~/.aws/credentials`.
    pub fn write_credentials(&self, text: &str) {
        std::fs::write(self.path(".aws/credentials"), text).unwrap();
    }

    /// [`Sandbox::mfa`] with `XDG_DATA_HOME` at `relative` inside the sandbox (away from the
    /// default `~/.local/share`, so a test sees that the variable is followed).
    pub fn mfa_with_data_home(&self, relative: &str) -> assert_cmd::Command {
        let mut cmd = self.mfa();
        cmd.env("XDG_DATA_HOME", self.path(relative));
        cmd
    }

    /// `mfa ARGS` without a terminal ([`Sandbox::mfa_without_tty`]), with `envs` set; what it
    /// did.
    pub fn run_without_tty(&self, envs: &[(&str, &str)], args: &[&str]) -> Output {
        self.mfa_without_tty()
            .envs(envs.iter().copied())
            .args(args)
            .output()
            .unwrap()
    }
}
