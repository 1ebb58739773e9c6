//! The child of `mfa exec --server`: spawned rather than `exec`ed (the endpoint has to outlive
//! its start), waited for, sent the signals `mfa` receives, and its exit status made ours.
//!
//! Which signals (docs/terraform.md, "Signals"): SIGTERM, SIGHUP, SIGUSR1 and SIGUSR2 sent to
//! `mfa` are forwarded to the child. SIGINT and SIGQUIT are not: a terminal's Ctrl-C and Ctrl-\
//! go to the whole foreground process group, so the child has them already, and forwarding
//! would deliver them twice. `mfa` ignores those two while the child runs (SIGINT through
//! `interrupt::install_until_child`, SIGQUIT here), so it stays to serve the child.

use std::io;
use std::process::ExitStatus;
use std::thread;

use rustix::process::{Pid, Signal, kill_process};
use signal_hook::consts::signal::{SIGHUP, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2};
use signal_hook::iterator::Signals;

/// Signals passed on to the child.
pub const FORWARDED: [i32; 4] = [SIGTERM, SIGHUP, SIGUSR1, SIGUSR2];

/// Signals caught, so that they do not end `mfa`, but not passed on (the terminal sent them to
/// the child too).
const SWALLOWED: [i32; 1] = [SIGQUIT];

/// The signals caught for the child.
pub struct Forwarder {
    signals: Signals,
}

impl Forwarder {
    /// Starts catching the signals, before the child exists, so that one arriving between the
    /// spawn and [`Forwarder::forward_to`] is kept and forwarded, not lost or fatal.
    pub fn catch() -> io::Result<Forwarder> {
        let signals = Signals::new(FORWARDED.iter().chain(&SWALLOWED))?;
        Ok(Forwarder { signals })
    }

    /// Forwards the caught signals to `pid` from a thread of its own, for as long as `mfa` lives.
    pub fn forward_to(mut self, pid: Pid) {
        thread::spawn(move || {
            for signal in self.signals.forever() {
                if !FORWARDED.contains(&signal) {
                    continue;
                }
                if let Some(signal) = Signal::from_named_raw(signal) {
                    // The child may have just exited: nothing to do then.
                    let _ = kill_process(pid, signal);
                }
            }
        });
    }
}

/// The status `mfa` exits with: the child's exit code, or 128 + N when signal N ended it (as a
/// shell reports it).
pub fn exit_code(status: ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => u8::try_from(code & 0xff).unwrap_or(1),
        (None, Some(signal)) => u8::try_from(128 + (signal & 0x7f)).unwrap_or(1),
        (None, None) => 1,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::process::Command;

    #[test]
    fn exit_codes_and_signal_deaths_become_our_status() {
        let status = |script: &str| Command::new("sh").args(["-c", script]).status().unwrap();
        assert_eq!(exit_code(status("exit 0")), 0);
        assert_eq!(exit_code(status("exit 42")), 42);
        assert_eq!(exit_code(status("kill -TERM $$")), 128 + 15);
        assert_eq!(exit_code(status("kill -KILL $$")), 128 + 9);
    }
}
