//! AWS credentials: the long-term keys a session starts from, and the temporary credentials STS
//! hands out (docs/sessions.md).
//!
//! Secret parts are [`SecretString`]s; `Debug` shows the access key id masked (`ASIA…XYZ1`) and
//! never the secret or the token. Long-term keys are loaded from a [`LongTermSource`]: the static
//! keys of a profile, a `credential_process` ([`process`]), or the environment (an input, like
//! every environment variable here).

pub mod process;
pub mod rfc3339;
pub mod sealed;

use std::ffi::OsString;
use std::fmt;
use std::time::Duration;

use super::chain::LongTermSource;
use super::profile::SharedFiles;
use crate::secret::SecretString;

/// The three parts every signed request needs, whatever kind of credentials hold them.
pub trait SigningKeys {
    fn access_key_id(&self) -> &str;
    fn secret_access_key(&self) -> &SecretString;
    fn session_token(&self) -> Option<&SecretString>;
}

/// Credentials a session starts from: an IAM user's keys (`AKIA…`), or whatever a
/// `credential_process` or the environment hands over (which may be temporary already).
#[derive(Clone, PartialEq, Eq)]
pub struct LongTermCredentials {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    /// Set when the source gave temporary credentials (STS refuses `GetSessionToken` for those).
    pub session_token: Option<SecretString>,
    /// When the source said they expire (Unix seconds).
    pub expiration: Option<u64>,
}

/// Temporary credentials from `GetSessionToken` or `AssumeRole`.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionCredentials {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    pub session_token: SecretString,
    /// Unix seconds.
    pub expiration: u64,
}

impl SigningKeys for LongTermCredentials {
    fn access_key_id(&self) -> &str {
        &self.access_key_id
    }
    fn secret_access_key(&self) -> &SecretString {
        &self.secret_access_key
    }
    fn session_token(&self) -> Option<&SecretString> {
        self.session_token.as_ref()
    }
}

impl SigningKeys for SessionCredentials {
    fn access_key_id(&self) -> &str {
        &self.access_key_id
    }
    fn secret_access_key(&self) -> &SecretString {
        &self.secret_access_key
    }
    fn session_token(&self) -> Option<&SecretString> {
        Some(&self.session_token)
    }
}

impl SessionCredentials {
    /// The expiration as AWS writes it: `2026-05-01T12:00:00Z`.
    pub fn expiration_rfc3339(&self) -> String {
        rfc3339::format(self.expiration)
    }
}

impl fmt::Debug for LongTermCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LongTermCredentials")
            .field("access_key_id", &mask_key_id(&self.access_key_id))
            .field("secret_access_key", &"[redacted]")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "[redacted]"),
            )
            .field("expiration", &self.expiration.map(rfc3339::format))
            .finish()
    }
}

impl fmt::Debug for SessionCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionCredentials")
            .field("access_key_id", &mask_key_id(&self.access_key_id))
            .field("secret_access_key", &"[redacted]")
            .field("session_token", &"[redacted]")
            .field("expiration", &rfc3339::format(self.expiration))
            .finish()
    }
}

/// An access key id for messages: `ASIA…XYZ1` (first and last four characters). Short ids keep
/// at most their first quarter.
pub fn mask_key_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() > 8 {
        let head: String = chars[..4].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}…{tail}")
    } else {
        let head: String = chars[..chars.len() / 4].iter().collect();
        format!("{head}…")
    }
}

/// How long a `credential_process` may run before it is killed.
pub const PROCESS_TIMEOUT: Duration = Duration::from_secs(60);

/// Why long-term credentials could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    #[error("profile `{profile}` has no {missing}")]
    MissingStaticKey {
        profile: String,
        missing: &'static str,
    },
    #[error("the environment has no {missing}")]
    MissingEnvironment { missing: &'static str },
    #[error("the credential_process of profile `{profile}` could not be started: {source}")]
    ProcessSpawn {
        profile: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the credential_process of profile `{profile}` failed ({status})")]
    ProcessFailed { profile: String, status: String },
    #[error("the credential_process of profile `{profile}` did not finish within {seconds} s")]
    ProcessTimedOut { profile: String, seconds: u64 },
    #[error(
        "the credential_process of profile `{profile}` printed no usable credentials: {problem}"
    )]
    ProcessOutput {
        profile: String,
        problem: process::OutputError,
    },
    /// A value that travels in an HTTP header (the access key id, the session token) holds a
    /// character no header may hold: refused before a code is asked for, since the SDK cannot
    /// sign the request.
    #[error("{origin} has a control character or a character outside ASCII in its {field}")]
    NotHeaderSafe {
        origin: KeysOrigin,
        field: &'static str,
    },
    /// The sealed keys of a profile could not be opened (docs/long-term-keys.md).
    #[error("the sealed keys of profile `{profile}` cannot be opened: {source}")]
    Sealed {
        profile: String,
        #[source]
        source: sealed::SealError,
    },
}

/// Opens the long-term keys a YubiKey sealed (`mfa_keys = yubikey`): the card's part, given by
/// the caller, so this layer knows no card.
pub trait Unsealer {
    /// The access key id kept in clear beside the sealed secret: one small file read, no card
    /// (what names the session in the cache).
    fn access_key_id(&self, profile: &str) -> Option<String>;
    /// The keys, unsealed with the card.
    fn unseal(&self, profile: &str) -> Result<LongTermCredentials, CredentialsError>;
}

/// For callers that never open sealed keys: every attempt is refused.
pub struct NoUnsealer;

impl Unsealer for NoUnsealer {
    fn access_key_id(&self, _: &str) -> Option<String> {
        None
    }
    fn unseal(&self, profile: &str) -> Result<LongTermCredentials, CredentialsError> {
        Err(CredentialsError::Sealed {
            profile: profile.to_owned(),
            source: sealed::SealError::Card("no YubiKey is reachable here".into()),
        })
    }
}

/// Where long-term credentials came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeysOrigin {
    Profile(String),
    Process(String),
    Environment,
}

impl fmt::Display for KeysOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeysOrigin::Profile(profile) => write!(f, "profile `{profile}`"),
            KeysOrigin::Process(profile) => {
                write!(f, "the credential_process of profile `{profile}`")
            }
            KeysOrigin::Environment => f.write_str("the environment"),
        }
    }
}

/// Whether `value` can be sent in an HTTP header as the SDK sends it: visible ASCII only (the
/// SDK panics on anything else while signing).
pub fn is_header_safe(value: &str) -> bool {
    value.bytes().all(|b| b.is_ascii_graphic())
}

/// Refuses credentials whose access key id or session token could not be put in a header.
fn check_header_safe(
    keys: LongTermCredentials,
    origin: impl Fn() -> KeysOrigin,
) -> Result<LongTermCredentials, CredentialsError> {
    let (id_field, token_field) = match origin() {
        KeysOrigin::Profile(_) => ("aws_access_key_id", "aws_session_token"),
        KeysOrigin::Process(_) => ("AccessKeyId", "SessionToken"),
        KeysOrigin::Environment => ("AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN"),
    };
    if !is_header_safe(&keys.access_key_id) {
        return Err(CredentialsError::NotHeaderSafe {
            origin: origin(),
            field: id_field,
        });
    }
    if keys
        .session_token
        .as_ref()
        .is_some_and(|t| !is_header_safe(t.expose()))
    {
        return Err(CredentialsError::NotHeaderSafe {
            origin: origin(),
            field: token_field,
        });
    }
    Ok(keys)
}

/// Loads the long-term credentials `source` names. `var` reads an environment variable (an
/// input, so tests never see the real environment); `now` is Unix seconds, to refuse expired
/// `credential_process` output.
pub fn load_long_term(
    source: &LongTermSource,
    files: &SharedFiles,
    var: &dyn Fn(&str) -> Option<OsString>,
    now: u64,
    unsealer: &dyn Unsealer,
) -> Result<LongTermCredentials, CredentialsError> {
    match source {
        LongTermSource::Sealed { profile } => check_header_safe(unsealer.unseal(profile)?, || {
            KeysOrigin::Profile(profile.clone())
        }),
        LongTermSource::Static { profile } => {
            check_header_safe(from_profile(files, profile)?, || {
                KeysOrigin::Profile(profile.clone())
            })
        }
        LongTermSource::Process {
            profile,
            command,
            resolving,
        } => check_header_safe(
            process::run(profile, command, resolving, PROCESS_TIMEOUT, now)?,
            || KeysOrigin::Process(profile.clone()),
        ),
        LongTermSource::Environment => {
            check_header_safe(from_environment(var)?, || KeysOrigin::Environment)
        }
    }
}

/// `aws_access_key_id`, `aws_secret_access_key` and `aws_session_token` of `profile`.
pub fn from_profile(
    files: &SharedFiles,
    profile: &str,
) -> Result<LongTermCredentials, CredentialsError> {
    let found = files.profile(profile);
    let get = |key: &'static str| {
        found
            .as_ref()
            .and_then(|p| p.get(key))
            .map(str::to_owned)
            .ok_or(CredentialsError::MissingStaticKey {
                profile: profile.to_owned(),
                missing: key,
            })
    };
    Ok(LongTermCredentials {
        access_key_id: get("aws_access_key_id")?,
        secret_access_key: SecretString::new(get("aws_secret_access_key")?),
        session_token: get("aws_session_token").ok().map(SecretString::new),
        expiration: None,
    })
}

/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`.
pub fn from_environment(
    var: &dyn Fn(&str) -> Option<OsString>,
) -> Result<LongTermCredentials, CredentialsError> {
    let get = |name: &'static str| {
        var(name)
            .and_then(|v| v.into_string().ok())
            .filter(|v| !v.is_empty())
            .ok_or(CredentialsError::MissingEnvironment { missing: name })
    };
    Ok(LongTermCredentials {
        access_key_id: get("AWS_ACCESS_KEY_ID")?,
        secret_access_key: SecretString::new(get("AWS_SECRET_ACCESS_KEY")?),
        session_token: get("AWS_SESSION_TOKEN").ok().map(SecretString::new),
        expiration: None,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn key_ids_are_masked() {
        assert_eq!(mask_key_id("ASIAABCDEFGHIJKXYZ1"), "ASIA…XYZ1");
        assert_eq!(mask_key_id("AKIAALICE"), "AKIA…LICE");
        assert_eq!(mask_key_id("AKIA1234"), "AK…");
        assert_eq!(mask_key_id(""), "…");
    }

    #[test]
    fn debug_shows_no_secret() {
        let long = LongTermCredentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: SecretString::new("wJalrXUtnFEMI".into()),
            session_token: Some(SecretString::new("tokentoken".into())),
            expiration: Some(0),
        };
        let session = SessionCredentials {
            access_key_id: "ASIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: SecretString::new("wJalrXUtnFEMI".into()),
            session_token: SecretString::new("tokentoken".into()),
            expiration: 1_800_000_000,
        };
        for text in [format!("{long:?}"), format!("{session:?}")] {
            assert!(
                !text.contains("wJalr") && !text.contains("tokentoken"),
                "{text}"
            );
            assert!(!text.contains("IOSFODNN7"), "{text}");
            assert!(text.contains("…MPLE"), "{text}");
        }
        assert!(format!("{session:?}").contains("2027-01-15T08:00:00Z"));
    }

    #[test]
    fn static_keys_from_the_profile() {
        let files = SharedFiles::from_text(
            "[profile tok]\naws_session_token = T\n",
            "[default]\naws_access_key_id = AKIAALICE\naws_secret_access_key = s3cr3t\n\
             [tok]\naws_access_key_id = ASIATOK\naws_secret_access_key = x\n[half]\naws_access_key_id = A\n",
        );
        let keys = from_profile(&files, "default").unwrap();
        assert_eq!(keys.access_key_id, "AKIAALICE");
        assert_eq!(keys.secret_access_key.expose(), "s3cr3t");
        assert!(keys.session_token.is_none());
        let tok = from_profile(&files, "tok").unwrap();
        assert_eq!(tok.session_token.unwrap().expose(), "T");
        assert!(matches!(
            from_profile(&files, "half"),
            Err(CredentialsError::MissingStaticKey {
                missing: "aws_secret_access_key",
                ..
            })
        ));
        let source = LongTermSource::Static {
            profile: "default".into(),
        };
        let loaded = load_long_term(&source, &files, &|_| None, 0, &NoUnsealer).unwrap();
        assert_eq!(loaded, from_profile(&files, "default").unwrap());
    }

    #[test]
    fn keys_from_the_environment() {
        let env = |name: &str| match name {
            "AWS_ACCESS_KEY_ID" => Some(OsString::from("AKIAENV")),
            "AWS_SECRET_ACCESS_KEY" => Some(OsString::from("envsecret")),
            "AWS_SESSION_TOKEN" => Some(OsString::new()),
            _ => None,
        };
        let files = SharedFiles::from_text("", "");
        let keys =
            load_long_term(&LongTermSource::Environment, &files, &env, 0, &NoUnsealer).unwrap();
        assert_eq!(keys.access_key_id, "AKIAENV");
        assert_eq!(keys.secret_access_key.expose(), "envsecret");
        assert!(keys.session_token.is_none(), "an empty token is no token");
        let missing = from_environment(&|name: &str| {
            (name == "AWS_ACCESS_KEY_ID").then(|| OsString::from("AKIAENV"))
        })
        .unwrap_err();
        assert_eq!(
            missing.to_string(),
            "the environment has no AWS_SECRET_ACCESS_KEY"
        );
    }
}
