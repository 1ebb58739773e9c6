//! The platform's own store through the `keyring` crate: on Linux the Secret Service
//! (gnome-keyring, KWallet) over the session bus, on macOS the Keychain, on Windows the
//! Credential Manager. Items: service `mfa`, user `KIND:NAME` (in the Secret Service, the
//! attributes `service` and `username`, in the default collection — `secret-tool search service
//! mfa` lists them).
//!
//! The secret crosses the session bus unencrypted (the "plain" Secret Service session): the bus
//! is private to the user's login session, and the lean build has no Diffie-Hellman code.
//! A locked collection is unlocked through the desktop's own prompt, which `mfa` waits for.

use keyring::{Entry, Error};

use super::KeystoreError;
use crate::secret::SecretBytes;

const SERVICE: &str = "mfa";

fn entry(name: &str) -> Result<Entry, KeystoreError> {
    #[cfg(target_os = "linux")]
    {
        // Explicitly the Secret Service, whatever keyring's default store would be.
        let credential =
            keyring::secret_service::SsCredential::new_with_target(None, SERVICE, name)
                .map_err(map)?;
        Ok(Entry::new_with_credential(Box::new(credential)))
    }
    #[cfg(not(target_os = "linux"))]
    {
        Entry::new(SERVICE, name).map_err(map)
    }
}

fn map(e: Error) -> KeystoreError {
    match e {
        Error::NoStorageAccess(inner) => KeystoreError::AccessDenied {
            detail: inner.to_string(),
        },
        other => KeystoreError::Failed {
            detail: other.to_string(),
        },
    }
}

pub fn get(name: &str) -> Result<Option<SecretBytes>, KeystoreError> {
    match entry(name)?.get_secret() {
        Ok(bytes) => Ok(Some(SecretBytes::new(bytes))),
        Err(Error::NoEntry) => Ok(None),
        Err(e) => Err(map(e)),
    }
}

pub fn set(name: &str, secret: &[u8]) -> Result<(), KeystoreError> {
    entry(name)?.set_secret(secret).map_err(map)
}

pub fn delete(name: &str) -> Result<bool, KeystoreError> {
    match entry(name)?.delete_credential() {
        Ok(()) => Ok(true),
        Err(Error::NoEntry) => Ok(false),
        Err(e) => Err(map(e)),
    }
}
