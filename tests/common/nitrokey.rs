//! The virtual Nitrokey 3 (tests/nkcard: Nitrokey's own secrets app on trussed's virtual
//! platform), inserted into the bench reader under the same machine-wide card lock as the
//! virtual YubiKey. See docs/test-bench.md and docs/nitrokey.md.

use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use super::bench::{Bench, bench, card_lock, wait_for_card};
use super::ykman;

/// A virtual Nitrokey 3 in the bench reader, held exclusively by one test; removed (its process
/// stopped by PID) on drop. Every insertion is a blank token (RAM storage).
pub struct NitrokeySlot {
    child: Option<Child>,
    bench: Bench,
    _lock: File,
}

/// The `vnitrokey` binary: `$MFA_BENCH_NKCARD` (set by the bench, which builds it once), else
/// built here into `.bench/nkcard-target` (a no-op once built).
fn binary() -> PathBuf {
    if let Ok(path) = std::env::var("MFA_BENCH_NKCARD") {
        let path = PathBuf::from(path);
        if path.is_file() {
            return path;
        }
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let target = root.join(".bench/nkcard-target");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args([
            "build",
            "--quiet",
            "--release",
            "--locked",
            "--manifest-path",
        ])
        .arg(root.join("tests/nkcard/Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .env_remove("CARGO_TARGET_DIR")
        .status()
        .expect("cannot run cargo to build tests/nkcard");
    assert!(
        status.success(),
        "building the virtual Nitrokey (tests/nkcard) failed: is libclang-dev installed? \
         (scripts/test installs it; see docs/test-bench.md)"
    );
    target.join("release/vnitrokey")
}

/// Inserts a fresh virtual Nitrokey 3 into the bench reader and waits until pcscd sees it.
/// Blocks while another test (in any process) holds the card readers.
pub fn insert_nitrokey() -> NitrokeySlot {
    let binary = binary();
    let bench = bench();
    let lock = card_lock();
    wait_for_card(&bench.reader, false);
    let child = Command::new(&binary)
        .arg("--port")
        .arg(bench.vpcd_port.to_string())
        .stdin(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
    wait_for_card(&bench.reader, true);
    let slot = NitrokeySlot {
        child: Some(child),
        bench,
        _lock: lock,
    };
    // pcscd may report the card before a client can use it: wait until the app answers.
    for _ in 0..50 {
        if ykman::output(slot.reader(), &["oath", "info"])
            .status
            .success()
        {
            return slot;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!(
        "the virtual Nitrokey in {:?} does not answer",
        slot.reader()
    );
}

impl NitrokeySlot {
    /// The name of the reader holding the token.
    pub fn reader(&self) -> &str {
        &self.bench.reader
    }

    /// `ykman oath accounts add -f [OPTIONS] NAME SECRET` on the token.
    pub fn add(&self, options: &[&str], name: &str, secret: &str) {
        ykman::add_in(self.reader(), options, name, secret);
    }

    /// Runs Yubico's `ykman -r READER ARGS…` against the token (see [`ykman::output`]).
    pub fn ykman_output(&self, args: &[&str]) -> std::process::Output {
        ykman::output(self.reader(), args)
    }
}

impl Drop for NitrokeySlot {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            wait_for_card(&self.bench.reader, false);
        }
    }
}
