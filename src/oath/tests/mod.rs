//! Session tests against the scripted transport: recorded exchanges from `tests/traces/`, RFC
//! 6238 / RFC 4226 vectors answered by a software HMAC, passwords, writes, and failures.

#![allow(clippy::unwrap_used)]

mod failures;
mod password;
mod recorded;
mod rfc;
mod writes;

use crate::transport::ScriptedTransport;

/// Loads a trace file's exchanges, failing the test on a malformed trace.
fn trace(text: &str) -> ScriptedTransport {
    ScriptedTransport::from_trace(text).unwrap()
}

/// The trace files, by name.
macro_rules! trace_file {
    ($name:literal) => {
        include_str!(concat!("../../../tests/traces/", $name, ".trace"))
    };
}
pub(crate) use trace_file;

/// The Unix time the traces were made for.
const T: u64 = 1_700_000_000;
/// The account most traces calculate.
const AWS: &str = "Amazon Web Services:alice@123456789012";
