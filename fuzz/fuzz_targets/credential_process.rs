//! Arbitrary bytes as a `credential_process` answer (src/aws/credentials/process.rs). The first
//! 8 bytes are also the clock. Checks: parsing never panics; credentials accepted have both keys
//! and an expiry after now; no error message quotes the secret access key.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa::aws::credentials::process::parse_output;

fuzz_target!(|data: &[u8]| {
    let now = data.get(..8).map_or(0, |b| {
        u64::from_le_bytes(b.try_into().unwrap_or([0; 8])) % 300_000_000_000
    });
    for now in [now, 1_767_225_600] {
        match parse_output(data, now) {
            Ok(credentials) => {
                assert!(!credentials.access_key_id.is_empty());
                assert!(!credentials.secret_access_key.expose().is_empty());
                if let Some(expiration) = credentials.expiration {
                    assert!(expiration > now);
                }
            }
            Err(e) => {
                let message = e.to_string();
                if let Ok(serde_json::Value::Object(o)) = serde_json::from_slice(data)
                    && let Some(serde_json::Value::String(secret)) = o.get("SecretAccessKey")
                    && secret.len() >= 8
                {
                    assert!(
                        !message.contains(secret.as_str()),
                        "the error quotes the secret"
                    );
                }
            }
        }
    }
});
