//! `keyring`: where new keyring items go (the desktop's Secret Service or the kernel user
//! keyring), what the index records, and whether any recorded item is out of reach from here
//! (docs/desktop.md).

use std::collections::BTreeMap;

use super::{Check, Status};
use crate::cli::advice::keystore::{index_hint, out_of_reach_hint};
use crate::keystore::{Backend, KeystoreError, OsKeyring, SecretStore};

/// The `keyring` check. `session_bus`: whether `DBUS_SESSION_BUS_ADDRESS` is set.
pub(super) fn keyring(keyring: &OsKeyring, session_bus: bool) -> Check {
    let Some(preferred) = keyring.preferred() else {
        return Check::ok(
            "keyring",
            "no OS keyring on this platform: the file stores are used",
        );
    };
    let entries = match keyring.index().map(|index| index.entries()) {
        Some(Ok(entries)) => entries,
        None => Vec::new(),
        Some(Err(error)) => {
            return Check::problem("keyring", Status::Warn, error.to_string(), index_hint());
        }
    };
    if preferred == Backend::KernelKeyring
        && let Err(error @ (KeystoreError::AccessDenied { .. } | KeystoreError::Failed { .. })) =
            keyring.list("")
    {
        return Check::problem(
            "keyring",
            Status::Warn,
            format!("the kernel user keyring cannot be used: {error}"),
            "use the file stores (mfa_cache = file, `mfa totp add --store file`); containers \
             often refuse keyutils",
        );
    }
    let mut held: BTreeMap<Backend, usize> = BTreeMap::new();
    for entry in &entries {
        *held.entry(entry.backend).or_default() += 1;
    }
    let unreachable: Vec<(Backend, usize)> = held
        .iter()
        .filter(|(backend, _)| !keyring.reachable(**backend))
        .map(|(b, n)| (*b, *n))
        .collect();
    let why = if preferred == Backend::KernelKeyring && !session_bus {
        " (no session bus: DBUS_SESSION_BUS_ADDRESS is not set)"
    } else {
        ""
    };
    if let Some((backend, count)) = unreachable.first() {
        return Check::problem(
            "keyring",
            Status::Warn,
            format!(
                "{count} item(s) kept in {backend} cannot be reached from here{why}; new items \
                 go to {preferred}"
            ),
            out_of_reach_hint(
                "keep what jobs need in the file stores (mfa_cache = file, `mfa totp add --store \
                 file`)",
            ),
        );
    }
    let recorded = if held.is_empty() {
        "no item recorded".to_owned()
    } else {
        let parts: Vec<String> = held.iter().map(|(b, n)| format!("{n} in {b}")).collect();
        format!("items recorded: {}", parts.join(", "))
    };
    Check::ok(
        "keyring",
        format!("new items go to {preferred}{why}; {recorded}"),
    )
}
