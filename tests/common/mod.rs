//! Support for the integration tests: the real `mfa` binary in a sandboxed environment, and the
//! test bench — pcscd with the vpcd driver, the virtual YubiKey, the local STS and moto.
//!
//! The bench is started by `scripts/test` (or `scripts/testbench up` while developing). A test that
//! needs it and does not find it fails and says how to start it; it never skips.
//!
//! The virtual card readers are shared by every test process, so [`insert_card`] takes a
//! machine-wide lock that it holds until the returned [`CardSlot`] is dropped.

#![allow(dead_code, unused_imports, clippy::unwrap_used)]

use std::ffi::{CStr, CString};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use mfa_vcard::{CardConfig, RunningCard, TouchMode};

pub mod aws;
pub mod yubikey;

/// What the bench provides, from the variables `scripts/test` / `scripts/testbench env` export.
pub struct Bench {
    /// Reader of the virtual YubiKey.
    pub reader: String,
    /// A second reader, empty unless a test inserts a card.
    pub empty_reader: String,
    pub vpcd_port: u16,
    pub vpcd_port2: u16,
}

const HOW_TO_START: &str = "start the test bench: run `scripts/test`, or `scripts/testbench up` and \
                            `eval \"$(scripts/testbench env)\"` before `cargo test`";

fn var_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// The PC/SC part of the bench; panics with instructions when pcscd or vpcd is missing.
pub fn bench() -> Bench {
    let bench = Bench {
        reader: var_or("MFA_BENCH_READER", "Virtual PCD 00 00"),
        empty_reader: var_or("MFA_BENCH_EMPTY_READER", "Virtual PCD 00 01"),
        vpcd_port: var_or("MFA_BENCH_VPCD_PORT", "35963").parse().unwrap(),
        vpcd_port2: var_or("MFA_BENCH_VPCD_PORT2", "35964").parse().unwrap(),
    };
    assert!(
        Path::new("/run/pcscd/pcscd.comm").exists(),
        "pcscd is not running (no /run/pcscd/pcscd.comm): {HOW_TO_START}"
    );
    assert!(
        listening(bench.vpcd_port),
        "the vpcd driver is not listening on port {}: {HOW_TO_START}",
        bench.vpcd_port
    );
    bench
}

/// moto's URL (IAM and STS on loopback); panics with instructions when it is not running.
pub fn moto_url() -> String {
    match std::env::var("MFA_BENCH_MOTO_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!("MFA_BENCH_MOTO_URL is not set, moto is not running: {HOW_TO_START}"),
    }
}

/// Whether a TCP port is in LISTEN state. Never connect to vpcd's ports to find out: vpcd takes
/// any connection for a card insertion.
fn listening(port: u16) -> bool {
    let needle = format!(":{port:04X} ");
    ["/proc/net/tcp", "/proc/net/tcp6"].iter().any(|table| {
        std::fs::read_to_string(table).is_ok_and(|text| {
            text.lines().skip(1).any(|line| {
                let cols: Vec<&str> = line.split_whitespace().collect();
                cols.len() > 3 && cols[3] == "0A" && format!("{} ", cols[1]).ends_with(&needle)
            })
        })
    })
}

/// A virtual YubiKey in the bench reader, held exclusively by one test.
pub struct CardSlot {
    card: Option<RunningCard>,
    second: Option<RunningCard>,
    bench: Bench,
    _lock: File,
}

/// Inserts a fresh virtual YubiKey with `config` into the bench reader and waits until pcscd sees
/// it. Blocks while another test (in any process) holds the card.
pub fn insert_card(config: CardConfig) -> CardSlot {
    let bench = bench();
    let lock = File::create(std::env::temp_dir().join("mfa-bench-card.lock")).unwrap();
    lock.lock().unwrap();
    // A previous test that crashed may have left a card behind; wait for the reader to be empty.
    wait_for_card(&bench.reader, false);
    let card = RunningCard::insert(bench.vpcd_port, config).unwrap();
    wait_for_card(&bench.reader, true);
    CardSlot {
        card: Some(card),
        second: None,
        bench,
        _lock: lock,
    }
}

impl CardSlot {
    /// The name of the reader holding the card.
    pub fn reader(&self) -> &str {
        &self.bench.reader
    }

    /// The name of the second, normally empty, reader.
    pub fn empty_reader(&self) -> &str {
        &self.bench.empty_reader
    }

    /// The running card: APDU and touch counters, touch mode.
    pub fn card(&self) -> &RunningCard {
        self.card.as_ref().unwrap()
    }

    /// Inserts a second virtual YubiKey in the second reader.
    pub fn insert_second(&mut self, config: CardConfig) -> &RunningCard {
        let card = RunningCard::insert(self.bench.vpcd_port2, config).unwrap();
        wait_for_card(&self.bench.empty_reader, true);
        self.second.insert(card)
    }

    /// Removes the card from the reader (as a user pulling the key) and waits until pcscd knows.
    pub fn remove(&mut self) {
        if let Some(card) = self.card.take() {
            card.remove();
            wait_for_card(&self.bench.reader, false);
        }
    }

    /// Runs Yubico's `ykman -r READER ARGS…` against the card and returns what it did. ykman runs
    /// with a private HOME (no remembered passwords) and no stdin (it would wait for a password).
    pub fn ykman_output(&self, args: &[&str]) -> std::process::Output {
        let home = tempfile::tempdir().unwrap();
        std::process::Command::new("ykman")
            .arg("-r")
            .arg(self.reader())
            .args(args)
            .env("HOME", home.path())
            .stdin(std::process::Stdio::null())
            .output()
            .expect("ykman is not installed: run scripts/test, which installs yubikey-manager")
    }

    /// Runs Yubico's `ykman -r READER ARGS…` against the card; panics with its output on failure.
    pub fn ykman(&self, args: &[&str]) -> String {
        let output = self.ykman_output(args);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "ykman {args:?} failed: {}\n{stdout}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
    }
}

impl Drop for CardSlot {
    fn drop(&mut self) {
        if let Some(card) = self.second.take() {
            card.remove();
            wait_for_card(&self.bench.empty_reader, false);
        }
        self.remove();
    }
}

/// Waits (up to 10 s) until pcscd reports a card present in (or absent from) `reader`.
pub fn wait_for_card(reader: &str, present: bool) {
    use pcsc::{Context, ReaderState, Scope, State};
    let ctx = Context::establish(Scope::User).expect("cannot reach pcscd");
    let name = reader_name(&ctx, reader);
    let mut states = [ReaderState::new(name, State::UNAWARE)];
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match ctx.get_status_change(Duration::from_millis(250), &mut states) {
            Ok(()) | Err(pcsc::Error::Timeout) => {}
            Err(e) => panic!("pcscd status of {reader:?}: {e}"),
        }
        let state = states[0].event_state();
        let is_present = state.contains(State::PRESENT) && !state.contains(State::MUTE);
        if is_present == present {
            return;
        }
        states[0].sync_current_state();
        assert!(
            Instant::now() < deadline,
            "pcscd did not see the card {} {reader:?} within 10 s (state {state:?})",
            if present { "arrive in" } else { "leave" }
        );
    }
}

fn reader_name(ctx: &pcsc::Context, substring: &str) -> CString {
    let mut buffer = vec![0u8; 4096];
    let readers: Vec<&CStr> = ctx.list_readers(&mut buffer).unwrap().collect();
    readers
        .iter()
        .find(|r| r.to_string_lossy().contains(substring))
        .map(|r| (*r).to_owned())
        .unwrap_or_else(|| panic!("no reader {substring:?} among {readers:?}: {HOW_TO_START}"))
}

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

impl CardSlot {
    /// Runs Yubico's `ykman -r READER ARGS…` against the card in `reader` (e.g. the second
    /// card); panics with its output on failure.
    pub fn ykman_in(&self, reader: &str, args: &[&str]) -> String {
        let home = tempfile::tempdir().unwrap();
        let output = std::process::Command::new("ykman")
            .arg("-r")
            .arg(reader)
            .args(args)
            .env("HOME", home.path())
            .stdin(std::process::Stdio::null())
            .output()
            .expect("ykman is not installed: run scripts/test, which installs yubikey-manager");
        assert!(
            output.status.success(),
            "ykman -r {reader:?} {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
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

    /// [`Sandbox::mfa_std_without_tty`] as an `assert_cmd` command.
    pub fn mfa_without_tty(&self) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.mfa_std_without_tty())
    }

    /// Writes `~/.aws/config`.
    pub fn write_config(&self, text: &str) {
        std::fs::write(self.path(".aws/config"), text).unwrap();
    }
}
