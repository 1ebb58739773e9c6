//! Arbitrary bytes as a stored TOTP file or keyring entry (src/sources/totp/store/,
//! file_store/), and arbitrary file names in the TOTP directory. Checks: parsing never panics;
//! a secret read back stores as a URI with the same seed and parameters; a file name maps to a name only in the one
//! spelling the store writes, and every valid name round-trips through its file name.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa::fuzzing::{is_totp_name, parse_stored_totp, totp_file_name, totp_name_of};

fuzz_target!(|data: &[u8]| {
    if let Ok(secret) = parse_stored_totp(data) {
        let uri = secret.to_uri();
        let again = parse_stored_totp(uri.expose().as_bytes()).expect("a stored URI reads back");
        assert_eq!(again.seed().expose(), secret.seed().expose());
        let (a, b) = (again.params(), secret.params());
        assert_eq!(
            (a.algorithm, a.digits, a.period),
            (b.algorithm, b.digits, b.period)
        );
        // Stored once more, it is stable (labels with a `:` change once, see otpauth_uri.rs).
        let third = parse_stored_totp(again.to_uri().expose().as_bytes()).expect("reads back");
        assert_eq!(third.seed().expose(), again.seed().expose());
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(name) = totp_name_of(text) {
        assert!(is_totp_name(&name));
        assert_eq!(totp_file_name(&name), text);
    }
    if is_totp_name(text) {
        let file = totp_file_name(text);
        assert!(!file.starts_with('.') && !file.contains('/'), "{file}");
        assert_eq!(totp_name_of(&file).as_deref(), Some(text));
    }
});
