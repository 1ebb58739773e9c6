//! Ctrl-C for the commands that talk to a YubiKey: the two-line message, exit 130, and a
//! terminal left as it was found. SIGTERM and SIGHUP are handled the same (ctrlc's
//! `termination` feature), so a helper `mfa` started is stopped whichever way `mfa` is told to
//! go (docs/bad-input.md, "Helpers and their children").
//!
//! The wait for a touch happens inside a PC/SC call that nothing can cancel, so the handler
//! (on its own thread) reports and exits the process instead of unwinding. Ending the process
//! closes its PC/SC connection: pcscd ends the transaction and the next command gets the card
//! (once a real key stops waiting for the touch). A hidden password prompt has turned echo off
//! on the terminal; the handler restores the settings saved when it was installed.
//!
//! `mfa exec` does not install it: there, signals are for the child. `mfa exec --server` installs
//! it only until its child starts.
//!
//! `mfa register` has steps that must be undone when it stops half-way: while a [`Critical`]
//! guard lives, Ctrl-C does not exit but is recorded, and the command looks at [`requested`]
//! between its steps, rolls back, and exits 130 itself.

use std::fs::File;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rustix::termios::{self, OptionalActions, Termios};

use super::failure::{self, Exit, Failure};

/// How many [`Critical`] guards live.
static CRITICAL: AtomicUsize = AtomicUsize::new(0);
/// Whether Ctrl-C came while one did.
static REQUESTED: AtomicBool = AtomicBool::new(false);

/// While it lives, Ctrl-C is recorded for [`requested`] instead of ending the process.
#[derive(Debug)]
pub struct Critical(());

impl Critical {
    /// Enters a critical section (installing the handler if needed).
    pub fn enter() -> Critical {
        install();
        CRITICAL.fetch_add(1, Ordering::SeqCst);
        Critical(())
    }
}

impl Drop for Critical {
    fn drop(&mut self) {
        CRITICAL.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Whether Ctrl-C was pressed during a critical section.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// Installs the handler (once per process; later calls do nothing).
pub fn install() {
    set(None);
}

/// For `mfa exec --server`, whose child runs beside `mfa`: the handler of [`install`] until the
/// returned flag is set (when the child starts), then nothing — the terminal's Ctrl-C reaches
/// the child by itself, and `mfa` stays to serve it. Installed first, so a later [`install`]
/// (a code asked while the child runs) keeps it.
pub fn install_until_child() -> Arc<AtomicBool> {
    let child_started = Arc::new(AtomicBool::new(false));
    set(Some(Arc::clone(&child_started)));
    child_started
}

fn set(child_started: Option<Arc<AtomicBool>>) {
    let saved = saved_terminal();
    // Fails only when a handler is already installed: keep that one.
    let _ = ctrlc::set_handler(move || {
        if child_started
            .as_ref()
            .is_some_and(|started| started.load(Ordering::SeqCst))
        {
            return;
        }
        if CRITICAL.load(Ordering::SeqCst) > 0 {
            if !REQUESTED.swap(true, Ordering::SeqCst) {
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "mfa: interrupted: undoing what was done so far…"
                );
            }
            return;
        }
        if let Some((tty, settings)) = &saved {
            // Nothing better to do than exit if the terminal is gone.
            let _ = termios::tcsetattr(tty, OptionalActions::Now, settings);
        }
        // An `mfa_process` or `credential_process` still running would outlive us.
        crate::children::stop_all();
        failure::report(&mut std::io::stderr().lock(), &Failure::interrupted());
        std::process::exit(i32::from(Exit::Interrupted.code()));
    });
}

/// The controlling terminal and its settings now, if there is one.
fn saved_terminal() -> Option<(File, Termios)> {
    let tty = File::options()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .ok()?;
    let settings = termios::tcgetattr(&tty).ok()?;
    Some((tty, settings))
}
