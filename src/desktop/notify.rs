//! Desktop notifications (`org.freedesktop.Notifications.Notify`, the freedesktop Desktop
//! Notifications Specification) for a process with no terminal: a GUI program or an IDE running
//! `mfa credential-process` or kubectl's `mfa eks-token`. The touch request and a question that
//! cannot be asked would otherwise go to a stderr nobody reads.
//!
//! Sending is best effort and bounded ([`super::bus::TIMEOUT`]): with no session bus, no
//! notification server (the call fails at once with `ServiceUnknown`) or a server that hangs,
//! the command goes on as if nothing had been sent.

use std::time::Duration;

/// Sends notifications naming one profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notifier {
    profile: String,
}

impl Notifier {
    /// A notifier for `profile`. Build one only when `DBUS_SESSION_BUS_ADDRESS` is set.
    pub fn new(profile: impl Into<String>) -> Self {
        Notifier {
            profile: profile.into(),
        }
    }

    /// Whether a notification server answers on the session bus now (bounded, like sending).
    pub fn server_answers(&self) -> bool {
        super::bus::notifications_answer()
    }

    /// The profile named in the notifications.
    pub fn profile(&self) -> &str {
        &self.profile
    }

    /// Shows `summary` with `body` for `shown_for` (the notification server may keep it
    /// longer). Whether a server accepted it; never blocks longer than the bus timeout.
    pub fn send(&self, summary: &str, body: &str, shown_for: Duration) -> bool {
        send(
            summary.to_owned(),
            format!("Profile {}: {body}", self.profile),
            i32::try_from(shown_for.as_millis()).unwrap_or(i32::MAX),
        )
    }
}

#[cfg(target_os = "linux")]
fn send(summary: String, body: String, expire_ms: i32) -> bool {
    use std::collections::HashMap;

    use dbus::arg::{RefArg, Variant};

    use super::bus::{TIMEOUT, bounded};

    bounded(TIMEOUT, move || {
        let connection = dbus::blocking::Connection::new_session().ok()?;
        let proxy = connection.with_proxy(
            super::bus::NOTIFICATIONS,
            "/org/freedesktop/Notifications",
            TIMEOUT,
        );
        // Urgency 2 (critical): the server keeps it on screen until it expires or is closed.
        let mut hints: HashMap<&str, Variant<Box<dyn RefArg>>> = HashMap::new();
        hints.insert("urgency", Variant(Box::new(2u8)));
        let (id,): (u32,) = proxy
            .method_call(
                "org.freedesktop.Notifications",
                "Notify",
                (
                    "mfa",
                    0u32,
                    "security-high",
                    summary.as_str(),
                    body.as_str(),
                    Vec::<&str>::new(),
                    hints,
                    expire_ms,
                ),
            )
            .ok()?;
        Some(id)
    })
    .flatten()
    .is_some()
}

#[cfg(not(target_os = "linux"))]
fn send(_: String, _: String, _: i32) -> bool {
    false
}
