//! Calculating with a touch notice.
//!
//! A code for a known account costs SELECT + one CALCULATE, so nothing says beforehand whether
//! the account needs a touch. The CALCULATE runs on a worker thread; when it has not answered
//! within a short delay (150 ms by default — a code without touch takes about a millisecond),
//! the key is waiting for a finger and the user is told so, on the terminal (never stdout). An
//! account already known to need a touch gets the notice at once.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use crate::oath::{Code, Credential, OathError, OathSession};
use crate::terminal::Terminal;
use crate::transport::{Transport, TransportError};

/// After this long without an answer, CALCULATE is taken to be waiting for a touch.
pub const DEFAULT_NOTICE_AFTER: Duration = Duration::from_millis(150);

/// How long a YubiKey waits for a touch before CALCULATE fails with `6982`.
pub const TOUCH_TIMEOUT: Duration = Duration::from_secs(15);

/// The notice shown while the key waits for a touch.
pub fn touch_notice() -> String {
    format!(
        "Touch your YubiKey… (it waits about {} s)",
        TOUCH_TIMEOUT.as_secs()
    )
}

/// The code of `credential` for `unix_time` (TOTP) or its next HOTP code, telling the user to
/// touch the key when the answer takes longer than `notice_after`.
pub(super) fn calculate<T: Transport + Send>(
    session: &mut OathSession<T>,
    credential: &Credential,
    unix_time: u64,
    notice_after: Duration,
    terminal: &mut dyn Terminal,
) -> Result<Code, OathError> {
    if credential.touch == Some(true) {
        terminal.alert(&touch_notice(), TOUCH_TIMEOUT);
        return session.calculate_credential(credential, unix_time);
    }
    std::thread::scope(|scope| {
        let (sender, receiver) = mpsc::channel();
        scope.spawn(move || {
            // The receiver outlives the scope's threads; a failed send cannot happen.
            let _ = sender.send(session.calculate_credential(credential, unix_time));
        });
        let stopped = || {
            OathError::Transport(TransportError::MalformedResponse {
                reason: "the card operation stopped without an answer",
            })
        };
        match receiver.recv_timeout(notice_after) {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout) => {
                terminal.alert(&touch_notice(), TOUCH_TIMEOUT);
                receiver.recv().unwrap_or_else(|_| Err(stopped()))
            }
            Err(RecvTimeoutError::Disconnected) => Err(stopped()),
        }
    })
}

/// Runs `work` (one CALCULATE) on a worker thread, telling the user to touch the key when it
/// has not answered within `notice_after` — [`calculate`] for any instruction that may wait for
/// a touch (the full HMAC that unseals long-term keys).
pub(super) fn waiting<R: Send>(
    notice_after: Duration,
    terminal: &mut dyn Terminal,
    work: impl FnOnce() -> Result<R, OathError> + Send,
) -> Result<R, OathError> {
    std::thread::scope(|scope| {
        let (sender, receiver) = mpsc::channel();
        scope.spawn(move || {
            let _ = sender.send(work());
        });
        let stopped = || {
            OathError::Transport(TransportError::MalformedResponse {
                reason: "the card operation stopped without an answer",
            })
        };
        match receiver.recv_timeout(notice_after) {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout) => {
                terminal.notice(&touch_notice());
                receiver.recv().unwrap_or_else(|_| Err(stopped()))
            }
            Err(RecvTimeoutError::Disconnected) => Err(stopped()),
        }
    })
}
