//! Arbitrary bytes as a spent-code record (src/aws/cache/spent.rs). The input is the serial, a
//! 0xFF byte, then the record. Checks: parsing never panics; a record is only read for its own
//! serial; records written read back.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa::fuzzing::{encode_spent_record, parse_spent_record};

fuzz_target!(|data: &[u8]| {
    let (serial, record) = match data.iter().position(|&b| b == 0xFF) {
        Some(at) => (
            std::str::from_utf8(&data[..at]).unwrap_or("x"),
            &data[at + 1..],
        ),
        None => ("arn:aws:iam::123456789012:mfa/alice", data),
    };
    if let Some(step) = parse_spent_record(record, serial) {
        let again = encode_spent_record(serial, step);
        assert_eq!(parse_spent_record(&again, serial), Some(step));
        assert_eq!(parse_spent_record(&again, &format!("{serial}x")), None);
    }
    let step = data
        .get(..8)
        .map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])));
    let written = encode_spent_record(serial, step);
    assert_eq!(parse_spent_record(&written, serial), Some(step));
});
