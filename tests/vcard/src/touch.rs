//! The simulated touch sensor: a mode that can change while the card runs, and a counter.
//!
//! It is shared (`Arc`) between the card and its controller, so a test can switch the mode
//! or read the count without waiting for an APDU in progress (e.g. one held by a delay).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::TouchMode;

#[derive(Debug)]
pub(crate) struct TouchControl {
    mode: Mutex<TouchMode>,
    requested: AtomicUsize,
}

impl TouchControl {
    pub(crate) fn new(mode: TouchMode) -> Self {
        Self {
            mode: Mutex::new(mode),
            requested: AtomicUsize::new(0),
        }
    }

    pub(crate) fn set(&self, mode: TouchMode) {
        *self.mode.lock().unwrap_or_else(PoisonError::into_inner) = mode;
    }

    pub(crate) fn mode(&self) -> TouchMode {
        *self.mode.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Times a touch was asked for.
    pub(crate) fn count(&self) -> usize {
        self.requested.load(Ordering::SeqCst)
    }

    pub(crate) fn clear_count(&self) {
        self.requested.store(0, Ordering::SeqCst);
    }

    /// Asks the user for a touch: counts the request, waits as the mode says, and tells
    /// whether the touch happened.
    pub(crate) fn request(&self) -> bool {
        self.requested.fetch_add(1, Ordering::SeqCst);
        match self.mode() {
            TouchMode::Approve => true,
            TouchMode::Deny => false,
            TouchMode::Delay(delay) => {
                log::debug!("touch: waiting {delay:?}");
                std::thread::sleep(delay);
                true
            }
        }
    }
}
