//! Arbitrary text as `--duration` (src/aws/duration.rs). Checks: parsing never panics or
//! overflows; a duration accepted is a whole, positive number of seconds, and the same number
//! written as seconds (`N`, `Ns`) parses to the same duration.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa::aws::duration::parse_duration;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_duration(text) {
        Ok(duration) => {
            let seconds = duration.as_secs();
            assert!(seconds > 0);
            assert_eq!(duration.subsec_nanos(), 0);
            assert_eq!(parse_duration(&seconds.to_string()), Ok(duration));
            assert_eq!(parse_duration(&format!("{seconds}s")), Ok(duration));
            assert!(
                text.bytes()
                    .all(|b| b.is_ascii_digit() || b"hms".contains(&b))
            );
        }
        Err(message) => assert!(message.contains("is not a duration")),
    }
});
