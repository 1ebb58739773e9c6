//! Made-up cached sessions, written through the library's own `SessionCache` into a sandbox's
//! cache directory (see docs/sessions.md), for the tests of `mfa cache` and of `mfa exec` reading
//! the cache.

use std::path::Path;

use mfa::aws::cache::{CacheDir, CachedSession, SessionCache, SessionKind};
use mfa::aws::credentials::SessionCredentials;
use mfa::secret::SecretString;

use super::fixtures::{ADMIN_ROLE, ARN};

/// The credentials of a made-up session.
pub struct Planted<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    pub session_token: &'a str,
}

/// A cached session of `kind` for `profile`, expiring at `expiration`: a session token carries
/// alice's [`ARN`] as its `mfa_serial`, a role session the [`ADMIN_ROLE`].
pub fn cached_session(
    kind: SessionKind,
    profile: &str,
    credentials: &Planted<'_>,
    expiration: u64,
) -> CachedSession {
    CachedSession {
        kind,
        profile: profile.into(),
        mfa_serial: (kind == SessionKind::SessionToken).then(|| ARN.into()),
        role_arn: (kind == SessionKind::Role).then(|| ADMIN_ROLE.into()),
        credentials: SessionCredentials {
            access_key_id: credentials.access_key_id.into(),
            secret_access_key: SecretString::new(credentials.secret_access_key.into()),
            session_token: SecretString::new(credentials.session_token.into()),
            expiration,
        },
    }
}

/// The file store of the session cache in `dir` (created 0700 if missing).
pub fn file_cache(dir: &Path) -> SessionCache {
    SessionCache::file(CacheDir::open(dir.to_owned()).unwrap())
}
