//! What the fuzz targets (`fuzz/`) call that is not public otherwise: the parsers of untrusted
//! bytes that sit behind file and process I/O. Thin wrappers, no logic of their own; not a stable
//! API (hidden from the docs). docs/security.md lists the targets.

use zeroize::Zeroizing;

use crate::aws::cache::{CachedSession, IgnoreReason, entry, spent};
use crate::secret::SecretBytes;
use crate::sources::process::{Output, read_code};
use crate::sources::totp::encoding;
use crate::sources::totp::{SecretError, StoreError, TotpSecret, file_store, store};

/// A session-cache entry's bytes, which must be the entry stored under `id`.
pub fn decode_cache_entry(id: &str, bytes: &[u8]) -> Result<CachedSession, IgnoreReason> {
    entry::decode(id, bytes)
}

/// The bytes the cache stores for `session` under `id`.
pub fn encode_cache_entry(id: &str, session: &CachedSession) -> Zeroizing<Vec<u8>> {
    entry::encode(id, session)
}

/// Whether a file name in the cache directory is an entry's.
pub fn is_cache_entry_name(name: &str) -> bool {
    entry::is_entry_name(name)
}

/// The step in a spent-code record, if the bytes are a record for `mfa_serial`.
pub fn parse_spent_record(bytes: &[u8], mfa_serial: &str) -> Option<u64> {
    spent::parse_record(bytes, mfa_serial)
}

/// A spent-code record's bytes.
pub fn encode_spent_record(mfa_serial: &str, step: u64) -> Vec<u8> {
    spent::encode_record(mfa_serial, step)
}

/// RFC 4648 Base32, as a pasted seed or an otpauth `secret=` is decoded.
pub fn decode_base32(text: &str) -> Result<SecretBytes, SecretError> {
    encoding::decode_base32(text)
}

/// RFC 4648 Base32 without padding, as stored URIs spell the seed.
pub fn encode_base32(bytes: &[u8]) -> Zeroizing<String> {
    encoding::encode_base32(bytes)
}

/// Percent-decoding of otpauth labels (`plus_is_space` false) and parameters (true).
pub fn percent_decode(text: &str, plus_is_space: bool) -> Result<String, SecretError> {
    encoding::decode_text(text, plus_is_space)
}

/// Percent-encoding of otpauth labels and parameters.
pub fn percent_encode(text: &str) -> String {
    encoding::encode(text)
}

/// A stored TOTP file's bytes (or a keyring entry's).
pub fn parse_stored_totp(bytes: &[u8]) -> Result<TotpSecret, StoreError> {
    store::parse_stored(bytes, || "fuzz input".to_owned())
}

/// Whether `name` may name a stored TOTP secret.
pub fn is_totp_name(name: &str) -> bool {
    store::check_name(name).is_ok()
}

/// The file name a TOTP secret called `name` is stored in.
pub fn totp_file_name(name: &str) -> String {
    file_store::file_name(name)
}

/// The name a file in the TOTP directory was stored under; `None` for any other file.
pub fn totp_name_of(file_name: &str) -> Option<String> {
    file_store::name_of(file_name)
}

/// The code in an `mfa_process` command's stdout: `Ok(code)`, or `Err("empty")` /
/// `Err("not a code")`.
pub fn process_output_code(output: &[u8]) -> Result<&str, &'static str> {
    match read_code(output) {
        Output::Code(code) => Ok(code),
        Output::Empty => Err("empty"),
        Output::NotACode => Err("not a code"),
    }
}
