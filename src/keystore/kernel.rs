//! The kernel's user keyring (keyutils, `@u`): entries `mfa:KIND:NAME`, listed by
//! `keyctl show @u`. Always there on Linux, no D-Bus needed; kept in kernel memory only.

use linux_keyutils::{KeyError, KeyRing, KeyRingIdentifier};

use super::KeystoreError;
use crate::secret::SecretBytes;

const PREFIX: &str = "mfa:";

fn user_keyring() -> Result<KeyRing, KeystoreError> {
    KeyRing::from_special_id(KeyRingIdentifier::User, false).map_err(map)
}

fn map(e: KeyError) -> KeystoreError {
    match e {
        KeyError::AccessDenied => KeystoreError::AccessDenied {
            detail: "keyutils denied access to the user keyring".into(),
        },
        other => KeystoreError::Failed {
            detail: format!("keyutils: {other:?}"),
        },
    }
}

fn missing(e: &KeyError) -> bool {
    matches!(
        e,
        KeyError::KeyDoesNotExist
            | KeyError::KeyExpired
            | KeyError::KeyRevoked
            | KeyError::KeyRejected
    )
}

pub fn get(name: &str) -> Result<Option<SecretBytes>, KeystoreError> {
    match user_keyring()?.search(&format!("{PREFIX}{name}")) {
        Ok(key) => key
            .read_to_vec()
            .map(|v| Some(SecretBytes::new(v)))
            .map_err(map),
        Err(e) if missing(&e) => Ok(None),
        Err(e) => Err(map(e)),
    }
}

pub fn set(name: &str, secret: &[u8]) -> Result<(), KeystoreError> {
    // add_key replaces the payload of an existing key with the same description.
    user_keyring()?
        .add_key(&format!("{PREFIX}{name}"), secret)
        .map(|_| ())
        .map_err(map)
}

pub fn delete(name: &str) -> Result<bool, KeystoreError> {
    let ring = user_keyring()?;
    match ring.search(&format!("{PREFIX}{name}")) {
        Ok(key) => key.invalidate().map(|()| true).map_err(map),
        Err(e) if missing(&e) => Ok(false),
        Err(e) => Err(map(e)),
    }
}

pub fn list(prefix: &str) -> Result<Vec<String>, KeystoreError> {
    let wanted = format!("{PREFIX}{prefix}");
    let links = user_keyring()?.get_links(4096).map_err(map)?;
    Ok(links
        .iter()
        .filter_map(|node| node.as_key())
        .filter_map(|key| key.metadata().ok())
        .map(|meta| meta.get_description().to_owned())
        .filter(|d| d.starts_with(&wanted))
        .filter_map(|d| d.strip_prefix(PREFIX).map(str::to_owned))
        .collect())
}
