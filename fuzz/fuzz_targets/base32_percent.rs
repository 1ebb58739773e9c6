//! The encodings of a TOTP secret (src/sources/totp/encoding.rs). Checks: Base32 and
//! percent-decoding never panic on any text; decode(encode(x)) == x for Base32 and percent
//! encoding; a Base32 text accepted re-encodes to the same bytes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa::fuzzing::{decode_base32, encode_base32, percent_decode, percent_encode};

fuzz_target!(|data: &[u8]| {
    let encoded = encode_base32(data);
    if !data.is_empty() {
        let decoded = decode_base32(&encoded).expect("our Base32 decodes");
        assert_eq!(decoded.expose(), data);
        let lower = encoded.to_ascii_lowercase();
        assert_eq!(decode_base32(&lower).expect("lower case").expose(), data);
    }

    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(bytes) = decode_base32(text) {
        let again = decode_base32(&encode_base32(bytes.expose())).expect("re-encoded");
        assert_eq!(again.expose(), bytes.expose());
    }
    let _ = percent_decode(text, true);
    if let Ok(decoded) = percent_decode(text, false) {
        assert_eq!(
            percent_decode(&percent_encode(&decoded), false).as_deref(),
            Ok(&*decoded)
        );
    }
    assert_eq!(
        percent_decode(&percent_encode(text), false).as_deref(),
        Ok(text)
    );
    assert_eq!(
        percent_decode(&percent_encode(text), true).as_deref(),
        Ok(text)
    );
});
