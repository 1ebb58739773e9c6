//! The last TOTP step spent per `mfa_serial`, so that a code is never spent twice
//! (docs/software-totp.md).
//!
//! AWS accepts a code once: a second request with a code of the same (or an older) step is
//! refused with "invalid MFA one time pass code". Each serial has a small file
//! `spent-HASH` holding `{"mfa_serial": …, "step": N}` — not a secret. Records only move
//! forward; updates happen under the file's own lock, so concurrent invocations keep the highest.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::CacheError;
use super::dir::{CacheDir, ReadOutcome};
use super::lock::SessionLock;

/// Length of a TOTP step, seconds.
pub const STEP_SECS: u64 = 30;

/// The spent-step records in a cache directory.
#[derive(Debug, Clone, Copy)]
pub struct SpentCodes<'a> {
    dir: &'a CacheDir,
}

#[derive(Serialize, Deserialize)]
struct Record {
    mfa_serial: String,
    step: u64,
}

/// The first step whose code is unspent, and how long until it is the current step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextStep {
    pub step: u64,
    /// Seconds until `step` begins; 0 when it is the current step already.
    pub wait_secs: u64,
}

/// The step to use at `now` (Unix seconds) when `last_spent` was the last step spent: the
/// current one if it is newer, else the one after `last_spent`, with the time to wait for it.
pub fn next_step(last_spent: Option<u64>, now: u64) -> NextStep {
    let current = now / STEP_SECS;
    match last_spent {
        // A record more than one step ahead of the clock comes from a clock that was ahead and
        // has been corrected since: waiting for it could take years, so it is ignored (a code
        // computed for the next step may be recorded legitimately, hence the one step).
        Some(last) if last >= current && !is_from_the_future(last, now) => {
            let step = last + 1;
            NextStep {
                step,
                wait_secs: step * STEP_SECS - now,
            }
        }
        _ => NextStep {
            step: current,
            wait_secs: 0,
        },
    }
}

/// Whether a spent step recorded as `last` is more than one step ahead of `now`: a record
/// written while the clock was ahead, which [`next_step`] ignores.
pub fn is_from_the_future(last: u64, now: u64) -> bool {
    last > now / STEP_SECS + 1
}

/// The step in a record's bytes, if they are a record for `mfa_serial`.
pub(crate) fn parse_record(bytes: &[u8], mfa_serial: &str) -> Option<u64> {
    serde_json::from_slice::<Record>(bytes)
        .ok()
        .filter(|r| r.mfa_serial == mfa_serial)
        .map(|r| r.step)
}

/// A record's bytes, as [`SpentCodes::record`] writes them.
pub(crate) fn encode_record(mfa_serial: &str, step: u64) -> Vec<u8> {
    let record = Record {
        mfa_serial: mfa_serial.to_owned(),
        step,
    };
    let mut bytes = serde_json::to_vec(&record).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

impl<'a> SpentCodes<'a> {
    pub(crate) fn new(dir: &'a CacheDir) -> Self {
        SpentCodes { dir }
    }

    fn name(mfa_serial: &str) -> String {
        let digest = Sha256::digest(mfa_serial.as_bytes());
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        format!("spent-{hex}")
    }

    /// The last step spent for `mfa_serial`, if recorded (an unreadable record counts as none).
    pub fn last(&self, mfa_serial: &str) -> Option<u64> {
        match self.dir.read(&Self::name(mfa_serial)) {
            ReadOutcome::Bytes(bytes) => parse_record(bytes.expose(), mfa_serial),
            ReadOutcome::Missing | ReadOutcome::Ignored(_) => None,
        }
    }

    /// Undoes [`SpentCodes::record`] of `step` for a code that turned out not to be checked:
    /// the record goes back to `previous` (removed when there was none), unless another run
    /// has recorded something else since.
    pub fn unrecord(
        &self,
        mfa_serial: &str,
        step: u64,
        previous: Option<u64>,
    ) -> Result<(), CacheError> {
        let name = Self::name(mfa_serial);
        let _guard = SessionLock::acquire(self.dir, &format!("{name}.lock"), &mut |_| {})?;
        if self.last(mfa_serial) != Some(step) {
            return Ok(());
        }
        match previous {
            Some(previous) => self.write(mfa_serial, previous),
            None => self.dir.remove(&name).map(|_| ()),
        }
    }

    fn write(&self, mfa_serial: &str, step: u64) -> Result<(), CacheError> {
        self.dir
            .write_atomic(&Self::name(mfa_serial), &encode_record(mfa_serial, step))
    }

    /// Records that the code of `step` was spent (or sent: a code that reached AWS may have
    /// been consumed even if the answer was lost). Keeps the highest step recorded.
    pub fn record(&self, mfa_serial: &str, step: u64) -> Result<(), CacheError> {
        let name = Self::name(mfa_serial);
        let _guard = SessionLock::acquire(self.dir, &format!("{name}.lock"), &mut |_| {})?;
        // A record from the future (see `next_step`) is replaced, not kept.
        if self
            .last(mfa_serial)
            .is_some_and(|last| last >= step && last <= step + 1)
        {
            return Ok(());
        }
        self.write(mfa_serial, step)
    }
}
