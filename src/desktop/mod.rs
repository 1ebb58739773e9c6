//! The user's desktop session, reached over the D-Bus session bus (docs/desktop.md): whether a
//! Secret Service answers there ([`bus`]), and desktop notifications for a process with no
//! terminal ([`notify`]). Both go through libdbus (the `dbus` crate, which the keyring's Secret
//! Service client uses too), and both are bounded: no session bus, a bus that does not answer,
//! or no notification server costs at most [`bus::TIMEOUT`] and never fails a command.
//!
//! Only Linux has a session bus here; elsewhere the probe says no and notifications are dropped.

pub mod bus;
pub mod notify;

pub use notify::Notifier;
