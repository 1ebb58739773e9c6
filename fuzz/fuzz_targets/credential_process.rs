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
                if let Ok(serde_json::Value::Object(mut o)) = serde_json::from_slice(data)
                    && let Some(serde_json::Value::String(secret)) = o.get("SecretAccessKey")
                    && secret.len() >= 8
                    && message.contains(secret.as_str())
                {
                    // The message contains the secret's text: fine only if that text is the
                    // message's own wording (a "secret" such as " missing, not "), which shows
                    // when the same answer with another secret of that length gives it too.
                    let secret = secret.clone();
                    let other = if secret.starts_with('Z') { "Y" } else { "Z" };
                    o.insert(
                        "SecretAccessKey".into(),
                        serde_json::Value::String(other.repeat(secret.chars().count())),
                    );
                    let again = serde_json::to_vec(&o).unwrap_or_default();
                    let wording = parse_output(&again, now)
                        .err()
                        .is_some_and(|e| e.to_string().contains(secret.as_str()));
                    assert!(wording, "the error quotes the secret");
                }
            }
        }
    }
});
