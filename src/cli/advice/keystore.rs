//! The OS keyring's errors.

use crate::cli::Failure;
use crate::keystore::KeystoreError;

/// The OS keyring failed while remembering or forgetting a password.
pub fn keystore(error: &KeystoreError) -> Failure {
    match error {
        KeystoreError::Unsupported => Failure::runtime(
            "the OS keyring is not supported on this platform yet",
            "set MFA_OATH_PASSWORD for automation, or type the password when asked",
        ),
        KeystoreError::AccessDenied { .. } | KeystoreError::Failed { .. } => Failure::runtime(
            error.to_string(),
            "check that the keyring works (`mfa doctor`), or set MFA_OATH_PASSWORD instead",
        ),
        KeystoreError::OutOfReach { .. } => Failure::runtime(
            error.to_string(),
            out_of_reach_hint("set MFA_OATH_PASSWORD instead"),
        ),
        KeystoreError::Index { .. } => Failure::runtime(error.to_string(), index_hint()),
    }
}

/// What to do about an item kept in a keyring this process cannot reach (the desktop keyring
/// from SSH or cron); `otherwise` is the way around it for the item at hand.
pub fn out_of_reach_hint(otherwise: &str) -> String {
    format!(
        "run mfa inside the desktop session (DBUS_SESSION_BUS_ADDRESS set, keyring unlocked), \
         or {otherwise}"
    )
}

/// What to do about a keyring index that cannot be read or written.
pub fn index_hint() -> &'static str {
    "make it yours and writable, or remove it: mfa then looks for each item in every keyring"
}
