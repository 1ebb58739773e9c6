//! `mfa credential-process`: the profile's temporary credentials in the JSON the AWS CLI and
//! SDKs read from a `credential_process` command (docs/credential-process.md).
//!
//! stdout carries the JSON and nothing else. Prompts and "Touch your YubiKey…" go to `/dev/tty`
//! ([`crate::terminal`]): the AWS CLI captures the child's stdout and does not show its stderr.
//! The session comes from [`credentials::obtain`], so a cached one costs one file read.

use std::io::Write;

use zeroize::Zeroizing;

use crate::aws::credentials::SessionCredentials;
use crate::cli::output::{push_json_string, write_out};
use crate::cli::{Context, Exit, Failure, credentials};

/// `mfa credential-process`, on the process's stdout.
pub fn run(ctx: &mut Context) -> Result<Exit, Failure> {
    let (_, obtained) = credentials::obtain(ctx, None, None)?;
    print(&obtained.credentials, &mut std::io::stdout().lock())?;
    Ok(Exit::Success)
}

/// Writes `credentials` as one line of `credential_process` JSON (`Version` 1) to `out`, from a
/// buffer sized up front and wiped afterwards.
pub fn print(credentials: &SessionCredentials, out: &mut dyn Write) -> Result<(), Failure> {
    let json = json(credentials);
    write_out(out, json.as_bytes())
}

/// The JSON, in a wiped buffer.
pub fn json(credentials: &SessionCredentials) -> Zeroizing<String> {
    let expiration = credentials.expiration_rfc3339();
    let fields: [(&str, &str); 4] = [
        ("AccessKeyId", &credentials.access_key_id),
        ("SecretAccessKey", credentials.secret_access_key.expose()),
        ("SessionToken", credentials.session_token.expose()),
        ("Expiration", &expiration),
    ];
    // Every value escapes to at most six bytes per byte (`\u00XX`): no reallocation can leave
    // a copy of a secret behind.
    let capacity = 16
        + fields
            .iter()
            .map(|(k, v)| k.len() + 6 * v.len() + 8)
            .sum::<usize>();
    let mut text = Zeroizing::new(String::with_capacity(capacity));
    text.push_str("{\"Version\":1");
    for (key, value) in fields {
        text.push_str(",\"");
        text.push_str(key);
        text.push_str("\":");
        push_json_string(&mut text, value);
    }
    text.push_str("}\n");
    debug_assert!(text.len() <= capacity);
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::secret::SecretString;

    #[test]
    fn the_json_is_what_credential_process_expects() {
        let credentials = SessionCredentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: SecretString::new("se/cr+et".into()),
            session_token: SecretString::new("tok\"en".into()),
            expiration: 1_777_636_800,
        };
        let mut out = Vec::new();
        print(&credentials, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.ends_with("}\n") && text.lines().count() == 1);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "Version": 1,
                "AccessKeyId": "ASIAEXAMPLE",
                "SecretAccessKey": "se/cr+et",
                "SessionToken": "tok\"en",
                "Expiration": "2026-05-01T12:00:00Z",
            })
        );
    }
}
