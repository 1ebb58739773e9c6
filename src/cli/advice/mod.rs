//! Advice: every structured error of the layers below, as the two lines of `docs/errors.md` —
//! what failed, and what to do about it — with its exit status (configuration → 2, runtime → 1).
//!
//! One module per layer, each mapping every variant of that layer's error enums with no wildcard
//! arm (`clippy::wildcard_enum_match_arm` is denied here), so a variant added below fails to
//! build until someone says what it means to a user. Library errors carry facts; the words for
//! the user live here. Free functions rather than `From` impls, so a command can choose the
//! mapping it means (`sources::source` for a code asked by the credential flow,
//! `sources::yubikey` for `mfa code`).

#![deny(clippy::wildcard_enum_match_arm)]

pub mod aws;
pub mod keys;
pub mod keystore;
pub mod oath;
pub mod sources;
pub mod transport;

use crate::transport::Device;

/// The advice for a failure nobody can fix but us.
const REPORT: &str = "run the command again with --trace-apdu (secrets are redacted) and report \
                      the output";

/// Names as a list for a message: `` `a`, `b` `` (or "none").
fn list(names: &[String]) -> String {
    if names.is_empty() {
        return "none".into();
    }
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Devices as a list for a message (or "none").
fn devices(found: &[Device]) -> String {
    if found.is_empty() {
        return "none".into();
    }
    found
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
