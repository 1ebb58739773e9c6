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
            "check that the user keyring works (`keyctl show @u`), or set MFA_OATH_PASSWORD \
             instead",
        ),
    }
}
