//! The test bench's PC/SC side: pcscd with the vpcd readers, the virtual YubiKey inserted per
//! test under a machine-wide lock, and moto. See docs/test-bench.md.

use std::ffi::{CStr, CString};
use std::fs::File;
use std::path::Path;
use std::time::{Duration, Instant};

use mfa_vcard::{CardConfig, RunningCard};

use super::ykman;

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
    let lock = card_lock();
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

    /// Pulls the card out (if a [`mfa_vcard::Fault::Pull`] has not already), waits until pcscd
    /// has seen it gone, and puts the same card, with what it holds, back in.
    pub fn replug(&mut self) {
        let card = self.card.take().unwrap();
        card.pull();
        wait_for_card(&self.bench.reader, false);
        let card = card.reinsert().unwrap();
        // After a card pulled in the middle of a command (`Fault::Pull`), pcscd's vpcd driver
        // does not always take the first new connection (seen reproducibly since 096534e, cause
        // not found); a second insertion is always seen. What a user does, too.
        if !card_state_within(&self.bench.reader, true, Duration::from_secs(5)) {
            eprintln!("replug: not seen after 5 s, pulling and inserting again");
            card.pull();
            wait_for_card(&self.bench.reader, false);
            self.card = Some(card.reinsert().unwrap());
            wait_for_card(&self.bench.reader, true);
            return;
        }
        self.card = Some(card);
    }

    /// Runs Yubico's `ykman -r READER ARGS…` against the card and returns what it did (see
    /// [`ykman::output`]).
    pub fn ykman_output(&self, args: &[&str]) -> std::process::Output {
        ykman::output(self.reader(), args)
    }

    /// Runs Yubico's `ykman -r READER ARGS…` against the card; panics with its output on failure.
    pub fn ykman(&self, args: &[&str]) -> String {
        ykman::run(self.reader(), args)
    }

    /// Runs Yubico's `ykman -r READER ARGS…` against the card in `reader` (e.g. the second
    /// card); panics with its output on failure.
    pub fn ykman_in(&self, reader: &str, args: &[&str]) -> String {
        ykman::run(reader, args)
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
    assert!(
        card_state_within(reader, present, Duration::from_secs(10)),
        "pcscd did not see the card {} {reader:?} within 10 s",
        if present { "arrive in" } else { "leave" }
    );
}

/// Whether pcscd reports a card present in (or absent from) `reader` within `limit`.
fn card_state_within(reader: &str, present: bool, limit: Duration) -> bool {
    use pcsc::{Context, ReaderState, Scope, State};
    let ctx = Context::establish(Scope::User).expect("cannot reach pcscd");
    let name = reader_name(&ctx, reader);
    let mut states = [ReaderState::new(name, State::UNAWARE)];
    let deadline = Instant::now() + limit;
    loop {
        match ctx.get_status_change(Duration::from_millis(250), &mut states) {
            Ok(()) | Err(pcsc::Error::Timeout) => {}
            Err(e) => panic!("pcscd status of {reader:?}: {e}"),
        }
        let state = states[0].event_state();
        let is_present = state.contains(State::PRESENT) && !state.contains(State::MUTE);
        if is_present == present {
            return true;
        }
        states[0].sync_current_state();
        if Instant::now() >= deadline {
            return false;
        }
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

/// The machine-wide lock on the bench readers (`$TMPDIR/mfa-bench-card.lock`, see
/// docs/test-bench.md), held until the file is dropped.
pub fn card_lock() -> File {
    let lock = File::create(std::env::temp_dir().join("mfa-bench-card.lock")).unwrap();
    lock.lock().unwrap();
    lock
}

/// Both bench readers, empty and kept empty: the card lock is held and no card inserted, so no
/// other test's card shows up until this is dropped.
pub struct EmptyReaders {
    pub bench: Bench,
    _lock: File,
}

/// Takes the bench's card lock without inserting a card and waits until pcscd sees both readers
/// empty.
pub fn hold_empty_readers() -> EmptyReaders {
    let bench = bench();
    let lock = card_lock();
    wait_for_card(&bench.reader, false);
    wait_for_card(&bench.empty_reader, false);
    EmptyReaders { bench, _lock: lock }
}
