//! Arbitrary bytes as a session-cache entry (src/aws/cache/entry.rs). Checks: decoding never
//! panics; an entry accepted is complete (non-empty keys) and survives encode → decode unchanged;
//! entry file names are recognised only in the shape the cache writes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa::fuzzing::{decode_cache_entry, encode_cache_entry, is_cache_entry_name};

const ID: &str = "st-0123456789abcdef0123456789abcdef";

fuzz_target!(|data: &[u8]| {
    if let Ok(name) = std::str::from_utf8(data)
        && is_cache_entry_name(name)
    {
        assert!(name.ends_with(".json") && (name.starts_with("st-") || name.starts_with("role-")));
    }
    let Ok(session) = decode_cache_entry(ID, data) else {
        return;
    };
    let c = &session.credentials;
    assert!(!c.access_key_id.is_empty());
    assert!(!c.secret_access_key.expose().is_empty());
    assert!(!c.session_token.expose().is_empty());

    let bytes = encode_cache_entry(ID, &session);
    let again = decode_cache_entry(ID, &bytes).expect("an encoded entry decodes");
    assert_eq!(again.kind, session.kind);
    assert_eq!(again.profile, session.profile);
    assert_eq!(again.mfa_serial, session.mfa_serial);
    assert_eq!(again.role_arn, session.role_arn);
    let d = &again.credentials;
    assert_eq!(d.access_key_id, c.access_key_id);
    assert_eq!(d.secret_access_key.expose(), c.secret_access_key.expose());
    assert_eq!(d.session_token.expose(), c.session_token.expose());
    assert_eq!(d.expiration, c.expiration);
    // Stored under another id, it is not this entry.
    assert!(decode_cache_entry("role-0123456789abcdef0123456789abcdef", &bytes).is_err());
});
