//! `credential_process`: run the profile's command and read the credentials it prints.
//!
//! The command runs through `sh -c`, as the AWS SDKs for Go and Rust run it, with our stdin and
//! stderr (so a tool that prompts can) and its stdout captured. Its environment is ours plus
//! [`CHAIN_VARIABLE`]: the profiles being resolved, so that an `mfa` it starts for one of them
//! refuses instead of starting this command again (docs/configuration.md). The output is the AWS JSON:
//! `{"Version": 1, "AccessKeyId": …, "SecretAccessKey": …, "SessionToken"?: …,
//! "Expiration"?: RFC 3339}`; other fields are ignored. Errors never quote the output or the
//! command line, either of which may hold a secret.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use zeroize::Zeroize;

use super::{CredentialsError, LongTermCredentials, rfc3339};
use crate::aws::chain::{CHAIN_VARIABLE, process_loop};
use crate::secret::{Bounded, SecretBytes, SecretString};

/// What is wrong with a `credential_process`'s output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    #[error("its output is not a JSON object ({detail})")]
    NotJson { detail: String },
    #[error("\"Version\" is {found}, not 1")]
    WrongVersion { found: String },
    #[error("\"{field}\" is missing or not a non-empty string")]
    Missing { field: &'static str },
    #[error("\"Expiration\" is not an RFC 3339 timestamp")]
    BadExpiration,
    #[error("the credentials expired at {expiration}")]
    Expired { expiration: String },
}

/// Parses the JSON a `credential_process` printed. Credentials whose `Expiration` is not after
/// `now` (Unix seconds) are refused.
pub fn parse_output(stdout: &[u8], now: u64) -> Result<LongTermCredentials, OutputError> {
    // Every string left in the parsed value (a refused answer, the fields not used) is wiped
    // when it goes: the secrets are taken out of it without a copy.
    let mut value =
        WipedJson(
            serde_json::from_slice(stdout).map_err(|e| OutputError::NotJson {
                detail: format!(
                    "{} at line {} column {}",
                    category(&e),
                    e.line(),
                    e.column()
                ),
            })?,
        );
    let serde_json::Value::Object(object) = &mut value.0 else {
        return Err(OutputError::NotJson {
            detail: "not an object".into(),
        });
    };
    match object.get("Version") {
        Some(v) if v.as_u64() == Some(1) => {}
        Some(v) => {
            return Err(OutputError::WrongVersion {
                found: match v {
                    serde_json::Value::Number(n) => n.to_string(),
                    serde_json::Value::String(_) => "a string".into(),
                    _ => "not a number".into(),
                },
            });
        }
        None => {
            return Err(OutputError::WrongVersion {
                found: "missing".into(),
            });
        }
    }
    let mut take = |field: &'static str, required: bool| match object.remove(field) {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Ok(Some(s)),
        None | Some(serde_json::Value::Null) if !required => Ok(None),
        _ => Err(OutputError::Missing { field }),
    };
    let access_key_id = take("AccessKeyId", true)?.unwrap_or_default();
    let secret_access_key = SecretString::new(take("SecretAccessKey", true)?.unwrap_or_default());
    let session_token = take("SessionToken", false)?.map(SecretString::new);
    let expiration = match take("Expiration", false)? {
        Some(text) => {
            let at = rfc3339::parse(&text).ok_or(OutputError::BadExpiration)?;
            if at <= now {
                return Err(OutputError::Expired { expiration: text });
            }
            Some(at)
        }
        None => None,
    };
    Ok(LongTermCredentials {
        access_key_id,
        secret_access_key,
        session_token,
        expiration,
    })
}

/// A parsed JSON value whose strings are wiped when it is dropped.
struct WipedJson(serde_json::Value);

impl Drop for WipedJson {
    fn drop(&mut self) {
        fn wipe(value: &mut serde_json::Value) {
            match value {
                serde_json::Value::String(text) => text.zeroize(),
                serde_json::Value::Array(items) => items.iter_mut().for_each(wipe),
                serde_json::Value::Object(fields) => fields.values_mut().for_each(wipe),
                _ => {}
            }
        }
        wipe(&mut self.0);
    }
}

/// serde_json's error category, without its message (which may quote the input).
fn category(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected data",
        serde_json::error::Category::Eof => "unexpected end",
    }
}

/// Runs `command` for `profile` and parses what it prints; kills it after `timeout`.
/// `resolving` — the profiles being resolved, outermost first — is given to the command in
/// [`CHAIN_VARIABLE`].
pub fn run(
    profile: &str,
    command: &str,
    resolving: &[String],
    timeout: Duration,
    now: u64,
) -> Result<LongTermCredentials, CredentialsError> {
    // Stopped, with all it started, if we are interrupted or it runs out of time.
    let (mut child, tracked) = crate::children::spawn(
        Command::new("sh")
            .arg("-c")
            .arg(command)
            .env(CHAIN_VARIABLE, process_loop::encode(resolving))
            .stdin(Stdio::inherit())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit()),
    )
    .map_err(|source| CredentialsError::ProcessSpawn {
        profile: profile.to_owned(),
        source,
    })?;
    // Read stdout on a thread so that a chatty process cannot block on a full pipe while we wait.
    let reader = child.stdout.take().map(|mut stdout| {
        std::thread::spawn(move || {
            // At most 1 MiB (credentials are a few hundred bytes), into wiped storage that
            // wipes what it leaves when it grows. More than that, or a read error, is no
            // output: the JSON parse then says so.
            match SecretBytes::read_bounded(&mut stdout, 4096, 1 << 20) {
                Ok(Bounded::Complete(bytes)) => bytes,
                Ok(Bounded::TooBig) | Err(_) => SecretBytes::default(),
            }
        })
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                // The child we started and all it started; kill them and reap it.
                tracked.kill();
                let _ = child.kill();
                let _ = child.wait();
                return Err(CredentialsError::ProcessTimedOut {
                    profile: profile.to_owned(),
                    seconds: timeout.as_secs(),
                });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(source) => {
                return Err(CredentialsError::ProcessSpawn {
                    profile: profile.to_owned(),
                    source,
                });
            }
        }
    };
    let stdout = reader.and_then(|r| r.join().ok()).unwrap_or_default();
    if !status.success() {
        return Err(CredentialsError::ProcessFailed {
            profile: profile.to_owned(),
            status: status.to_string(),
        });
    }
    parse_output(stdout.expose(), now).map_err(|problem| CredentialsError::ProcessOutput {
        profile: profile.to_owned(),
        problem,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const NOW: u64 = 1_800_000_000;

    #[test]
    fn full_output() {
        let out = br#"{"Version": 1, "AccessKeyId": "ASIAPROC", "SecretAccessKey": "sec",
            "SessionToken": "tok", "Expiration": "2027-01-15T09:00:00Z", "AccountId": "1"}"#;
        let creds = parse_output(out, NOW).unwrap();
        assert_eq!(creds.access_key_id, "ASIAPROC");
        assert_eq!(creds.secret_access_key.expose(), "sec");
        assert_eq!(creds.session_token.unwrap().expose(), "tok");
        assert_eq!(creds.expiration, Some(NOW + 3600));
    }

    #[test]
    fn long_term_keys_need_no_token_or_expiration() {
        let out = br#"{"Version":1,"AccessKeyId":"AKIAPROC","SecretAccessKey":"sec","SessionToken":null}"#;
        let creds = parse_output(out, NOW).unwrap();
        assert!(creds.session_token.is_none() && creds.expiration.is_none());
    }

    #[test]
    fn bad_outputs_say_what_is_wrong_without_quoting_secrets() {
        let cases: [(&[u8], OutputError); 7] = [
            (
                br#"{"Version":2,"AccessKeyId":"A","SecretAccessKey":"s"}"#,
                OutputError::WrongVersion { found: "2".into() },
            ),
            (
                br#"{"AccessKeyId":"A","SecretAccessKey":"s"}"#,
                OutputError::WrongVersion {
                    found: "missing".into(),
                },
            ),
            (
                br#"{"Version":1,"SecretAccessKey":"s"}"#,
                OutputError::Missing {
                    field: "AccessKeyId",
                },
            ),
            (
                br#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":12345}"#,
                OutputError::Missing {
                    field: "SecretAccessKey",
                },
            ),
            (
                br#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"s","Expiration":"soon"}"#,
                OutputError::BadExpiration,
            ),
            (
                br#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"s","Expiration":"2027-01-15T08:00:00Z"}"#,
                OutputError::Expired {
                    expiration: "2027-01-15T08:00:00Z".into(),
                },
            ),
            (
                br#"["Version"]"#,
                OutputError::NotJson {
                    detail: "not an object".into(),
                },
            ),
        ];
        for (out, expected) in cases {
            assert_eq!(parse_output(out, NOW).unwrap_err(), expected);
        }
        let err = parse_output(br#"{"SecretAccessKey": "hunter2" oops"#, NOW).unwrap_err();
        assert!(matches!(err, OutputError::NotJson { .. }));
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn runs_the_command_through_sh() {
        let command =
            r#"printf '{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"s"}' "AKIA$((40+2))""#;
        let creds = run("p", command, &[], Duration::from_secs(10), NOW).unwrap();
        assert_eq!(creds.access_key_id, "AKIA42");
    }

    #[test]
    fn the_command_is_told_which_profiles_are_being_resolved() {
        let command = r#"printf '{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"s"}' "$MFA_CREDENTIAL_PROCESS_CHAIN""#;
        let resolving = ["role".to_owned(), "odd,name".to_owned(), "keys".to_owned()];
        let creds = run("keys", command, &resolving, Duration::from_secs(10), NOW).unwrap();
        assert_eq!(creds.access_key_id, "role,odd%2Cname,keys");
    }

    #[test]
    fn failures_are_named() {
        let err = run("p", "exit 3", &[], Duration::from_secs(10), NOW).unwrap_err();
        assert!(
            matches!(err, CredentialsError::ProcessFailed { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("exit status: 3"), "{err}");
        let err = run("p", "echo not json", &[], Duration::from_secs(10), NOW).unwrap_err();
        assert!(
            matches!(
                err,
                CredentialsError::ProcessOutput {
                    problem: OutputError::NotJson { .. },
                    ..
                }
            ),
            "{err}"
        );
        let err = run("p", "exec sleep 30", &[], Duration::from_millis(200), NOW).unwrap_err();
        assert!(
            matches!(err, CredentialsError::ProcessTimedOut { .. }),
            "{err}"
        );
    }
}
