//! Asking the session bus, with a bound on how long that may take.
//!
//! libdbus blocks while it connects and authenticates, and a bus address can name a socket
//! whose server hangs: each question runs on a worker thread, and the caller waits at most
//! [`TIMEOUT`] (the thread is left to finish or die with the process).

use std::sync::mpsc;
use std::time::Duration;

/// The longest a question to the session bus may take.
pub const TIMEOUT: Duration = Duration::from_millis(1500);

/// The Secret Service's well-known name.
#[cfg(target_os = "linux")]
const SECRET_SERVICE: &str = "org.freedesktop.secrets";
/// The notification server's well-known name.
#[cfg(target_os = "linux")]
pub(crate) const NOTIFICATIONS: &str = "org.freedesktop.Notifications";

/// `work()`'s answer, or `None` when it takes longer than `timeout`.
pub fn bounded<T: Send + 'static>(
    timeout: Duration,
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (sender, receiver) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("mfa-dbus".into())
        .spawn(move || {
            // The receiver may have given up: nothing to do then.
            let _ = sender.send(work());
        });
    match spawned {
        Ok(_) => receiver.recv_timeout(timeout).ok(),
        Err(_) => None,
    }
}

/// Whether a Secret Service (gnome-keyring, KWallet) owns its name on the session bus, or can be
/// started there by D-Bus activation. Call it only when `DBUS_SESSION_BUS_ADDRESS` is set:
/// without it libdbus may try to start a bus of its own (X11 autolaunch).
#[cfg(target_os = "linux")]
pub fn secret_service_answers() -> bool {
    name_answers(SECRET_SERVICE)
}

/// Whether a notification server owns its name on the session bus, or can be started there.
/// Same condition as [`secret_service_answers`].
#[cfg(target_os = "linux")]
pub fn notifications_answer() -> bool {
    name_answers(NOTIFICATIONS)
}

#[cfg(target_os = "linux")]
fn name_answers(name: &'static str) -> bool {
    bounded(TIMEOUT, move || {
        let connection = dbus::blocking::Connection::new_session().ok()?;
        let proxy = connection.with_proxy("org.freedesktop.DBus", "/org/freedesktop/DBus", TIMEOUT);
        let (owned,): (bool,) = proxy
            .method_call("org.freedesktop.DBus", "NameHasOwner", (name,))
            .ok()?;
        if owned {
            return Some(true);
        }
        let (names,): (Vec<String>,) = proxy
            .method_call("org.freedesktop.DBus", "ListActivatableNames", ())
            .ok()?;
        Some(names.iter().any(|n| n == name))
    })
    .flatten()
    .unwrap_or(false)
}

/// No session bus on this platform.
#[cfg(not(target_os = "linux"))]
pub fn secret_service_answers() -> bool {
    false
}

/// No session bus on this platform.
#[cfg(not(target_os = "linux"))]
pub fn notifications_answer() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_gives_up_on_work_that_hangs() {
        let started = std::time::Instant::now();
        let answer = bounded(Duration::from_millis(50), || {
            std::thread::sleep(Duration::from_secs(5));
            1
        });
        assert_eq!(answer, None);
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(bounded(Duration::from_secs(5), || 2), Some(2));
    }
}
