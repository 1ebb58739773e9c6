//! What a cache entry is: its key, its JSON form, and when it stops being usable.
//!
//! ```json
//! {"version":1,"id":"st-…","kind":"session-token","profile":"default",
//!  "mfa_serial":"arn:aws:iam::123456789012:mfa/alice","role_arn":null,
//!  "access_key_id":"ASIA…","secret_access_key":"…","session_token":"…",
//!  "expiration":"2026-05-01T12:00:00Z"}
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::IgnoreReason;
use crate::aws::credentials::{SessionCredentials, mask_key_id, rfc3339};
use crate::secret::SecretString;

/// An entry is used until this many seconds before its credentials expire.
pub const EXPIRY_MARGIN_SECS: u64 = 300;

const FORMAT_VERSION: u32 = 1;

/// Which STS call made a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SessionKind {
    /// `GetSessionToken` with MFA.
    SessionToken,
    /// `AssumeRole`.
    Role,
}

impl fmt::Display for SessionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SessionKind::SessionToken => "session-token",
            SessionKind::Role => "role",
        })
    }
}

/// What a session is cached under.
#[derive(Clone, PartialEq, Eq)]
pub enum SessionKey {
    /// One `GetSessionToken` session per (source access key id, `mfa_serial`).
    SessionToken {
        access_key_id: String,
        mfa_serial: String,
    },
    /// One role session per (role profile, role ARN, the session it was assumed with).
    Role {
        profile: String,
        role_arn: String,
        /// [`SessionKey::id`] of the session (or long-term source) the role was assumed from.
        parent: String,
    },
}

impl SessionKey {
    pub fn session_token(access_key_id: &str, mfa_serial: &str) -> SessionKey {
        SessionKey::SessionToken {
            access_key_id: access_key_id.to_owned(),
            mfa_serial: mfa_serial.to_owned(),
        }
    }

    /// A role assumed from the credentials cached as `parent`. A role assumed directly from
    /// long-term keys with MFA uses the [`SessionKey::session_token`] key of those keys and
    /// device as its parent.
    pub fn role(profile: &str, role_arn: &str, parent: &SessionKey) -> SessionKey {
        SessionKey::Role {
            profile: profile.to_owned(),
            role_arn: role_arn.to_owned(),
            parent: parent.id(),
        }
    }

    pub fn kind(&self) -> SessionKind {
        match self {
            SessionKey::SessionToken { .. } => SessionKind::SessionToken,
            SessionKey::Role { .. } => SessionKind::Role,
        }
    }

    /// A stable, opaque name: `st-` or `role-` and 32 hex digits of a SHA-256 of the parts, so
    /// that file names reveal neither key ids nor account numbers.
    pub fn id(&self) -> String {
        let mut hash = Sha256::new();
        let (prefix, parts): (&str, [&str; 3]) = match self {
            SessionKey::SessionToken {
                access_key_id,
                mfa_serial,
            } => ("st", [access_key_id, mfa_serial, ""]),
            SessionKey::Role {
                profile,
                role_arn,
                parent,
            } => ("role", [profile, role_arn, parent]),
        };
        hash.update(prefix.as_bytes());
        for part in parts {
            hash.update([0]);
            hash.update(part.as_bytes());
        }
        let digest = hash.finalize();
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        format!("{prefix}-{hex}")
    }
}

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionKey::SessionToken {
                access_key_id,
                mfa_serial,
            } => f
                .debug_struct("SessionToken")
                .field("access_key_id", &mask_key_id(access_key_id))
                .field("mfa_serial", mfa_serial)
                .finish(),
            SessionKey::Role {
                profile,
                role_arn,
                parent,
            } => f
                .debug_struct("Role")
                .field("profile", profile)
                .field("role_arn", role_arn)
                .field("parent", parent)
                .finish(),
        }
    }
}

/// A cached session. `Debug` is redacted (the credentials' is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedSession {
    pub kind: SessionKind,
    /// The profile it was made for (the role profile, or the profile that asked for the
    /// session token).
    pub profile: String,
    pub mfa_serial: Option<String>,
    pub role_arn: Option<String>,
    pub credentials: SessionCredentials,
}

impl CachedSession {
    /// Usable at `now`: more than [`EXPIRY_MARGIN_SECS`] before expiry.
    pub fn is_fresh(&self, now: u64) -> bool {
        is_fresh(self.credentials.expiration, now)
    }
}

/// Whether credentials expiring at `expiration` are still usable at `now`.
pub fn is_fresh(expiration: u64, now: u64) -> bool {
    now.saturating_add(EXPIRY_MARGIN_SECS) < expiration
}

/// The file name of an entry: `ID.json`.
pub(crate) fn file_name(id: &str) -> String {
    format!("{id}.json")
}

/// Whether `name` is an entry's file name.
pub(crate) fn is_entry_name(name: &str) -> bool {
    name.strip_suffix(".json").is_some_and(is_id)
}

/// Whether `text` has the shape of [`SessionKey::id`].
pub(crate) fn is_id(text: &str) -> bool {
    let hex = text
        .strip_prefix("st-")
        .or_else(|| text.strip_prefix("role-"));
    hex.is_some_and(|h| h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[derive(Serialize)]
struct EntryOut<'a> {
    version: u32,
    id: &'a str,
    kind: SessionKind,
    profile: &'a str,
    mfa_serial: Option<&'a str>,
    role_arn: Option<&'a str>,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    session_token: &'a str,
    expiration: String,
}

// No Debug. The secrets are read straight into `SecretString`s, so an entry that is refused
// (another id, an empty field, a bad expiry) is wiped like one that is used.
#[derive(Deserialize)]
struct EntryIn {
    version: u32,
    id: String,
    kind: SessionKind,
    profile: String,
    #[serde(default)]
    mfa_serial: Option<String>,
    #[serde(default)]
    role_arn: Option<String>,
    access_key_id: String,
    secret_access_key: SecretString,
    session_token: SecretString,
    expiration: String,
}

/// The JSON of `session` stored under `id`, in a buffer wiped on drop.
pub(crate) fn encode(id: &str, session: &CachedSession) -> Zeroizing<Vec<u8>> {
    let creds = &session.credentials;
    let out = EntryOut {
        version: FORMAT_VERSION,
        id,
        kind: session.kind,
        profile: &session.profile,
        mfa_serial: session.mfa_serial.as_deref(),
        role_arn: session.role_arn.as_deref(),
        access_key_id: &creds.access_key_id,
        secret_access_key: creds.secret_access_key.expose(),
        session_token: creds.session_token.expose(),
        expiration: rfc3339::format(creds.expiration),
    };
    // Sized for the whole entry up front — the field names, and every value at its longest
    // JSON escaping (6 bytes a byte) — so it never grows: a buffer that grows leaves unwiped
    // copies of the secrets behind.
    let values = [
        id,
        &session.profile,
        session.mfa_serial.as_deref().unwrap_or(""),
        session.role_arn.as_deref().unwrap_or(""),
        &creds.access_key_id,
        creds.secret_access_key.expose(),
        creds.session_token.expose(),
    ];
    let capacity = 512 + values.iter().map(|v| v.len() * 6).sum::<usize>();
    let mut buffer = Zeroizing::new(Vec::with_capacity(capacity));
    // Serializing plain strings into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *buffer, &out);
    buffer.push(b'\n');
    buffer
}

/// Parses an entry read from storage, which must be the one stored under `id`.
pub(crate) fn decode(id: &str, bytes: &[u8]) -> Result<CachedSession, IgnoreReason> {
    let entry: EntryIn = serde_json::from_slice(bytes).map_err(|e| IgnoreReason::Corrupt {
        detail: format!(
            "{:?} error at line {} column {}",
            e.classify(),
            e.line(),
            e.column()
        ),
    })?;
    if entry.version != FORMAT_VERSION {
        return Err(IgnoreReason::Corrupt {
            detail: format!("format version {} is not {FORMAT_VERSION}", entry.version),
        });
    }
    if entry.id != id {
        return Err(IgnoreReason::WrongKey);
    }
    let expiration = rfc3339::parse(&entry.expiration).ok_or_else(|| IgnoreReason::Corrupt {
        detail: "expiration is not an RFC 3339 timestamp".into(),
    })?;
    if entry.access_key_id.is_empty()
        || entry.secret_access_key.is_empty()
        || entry.session_token.is_empty()
    {
        return Err(IgnoreReason::Corrupt {
            detail: "empty credentials".into(),
        });
    }
    Ok(CachedSession {
        kind: entry.kind,
        profile: entry.profile,
        mfa_serial: entry.mfa_serial,
        role_arn: entry.role_arn,
        credentials: SessionCredentials {
            access_key_id: entry.access_key_id,
            secret_access_key: entry.secret_access_key,
            session_token: entry.session_token,
            expiration,
        },
    })
}
