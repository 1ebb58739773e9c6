//! Ctrl-C for the commands that talk to a YubiKey: the two-line message, exit 130, and a
//! terminal left as it was found.
//!
//! The wait for a touch happens inside a PC/SC call that nothing can cancel, so the handler
//! (on its own thread) reports and exits the process instead of unwinding. Ending the process
//! closes its PC/SC connection: pcscd ends the transaction and the next command gets the card
//! (once a real key stops waiting for the touch). A hidden password prompt has turned echo off
//! on the terminal; the handler restores the settings saved when it was installed.
//!
//! `mfa exec` does not install it: there, signals are for the child.

use std::fs::File;

use rustix::termios::{self, OptionalActions, Termios};

use super::failure::{self, Exit, Failure};

/// Installs the handler (once per process; later calls do nothing).
pub fn install() {
    let saved = saved_terminal();
    // Fails only when a handler is already installed: keep that one.
    let _ = ctrlc::set_handler(move || {
        if let Some((tty, settings)) = &saved {
            // Nothing better to do than exit if the terminal is gone.
            let _ = termios::tcsetattr(tty, OptionalActions::Now, settings);
        }
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
