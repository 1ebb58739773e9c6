//! Arbitrary text as an RFC 3339 timestamp (src/aws/credentials/rfc3339.rs), the `Expiration` of
//! STS answers, cache entries and `credential_process` output. Checks: parsing never panics; a
//! moment parsed formats to a timestamp that parses to the same moment; a canonical timestamp
//! (`YYYY-MM-DDTHH:MM:SSZ`) formats back to itself; any moment up to year 9999 round-trips.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa::aws::credentials::rfc3339::{format, parse};

/// 9999-12-31T23:59:59Z
const LAST: u64 = 253_402_300_799;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Some(moment) = parse(text)
    {
        let formatted = format(moment);
        assert_eq!(parse(&formatted), Some(moment), "{text:?} -> {formatted}");
        let canonical = text.len() == 20
            && text.ends_with('Z')
            && text.as_bytes()[10] == b'T'
            && &text[17..19] != "60";
        if canonical {
            assert_eq!(formatted, text);
        }
    }
    let moment = data
        .get(..8)
        .map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
        % (LAST + 1);
    assert_eq!(parse(&format(moment)), Some(moment));
});
