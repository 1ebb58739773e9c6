//! What the double knows: IAM users (long-term keys, optional virtual MFA device), roles, and
//! its clock offset. Read from JSON by `fake-sts --config`, built in code by tests.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::io;

/// An IAM user with long-term keys (`AKIA…`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub name: String,
    /// Twelve digits, e.g. `"123456789012"`.
    pub account: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    #[serde(default)]
    pub mfa: Option<Mfa>,
}

/// A virtual MFA device associated with a user.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mfa {
    /// The device's serial: its ARN, `arn:aws:iam::123456789012:mfa/alice`.
    pub serial: String,
    /// The seed as `CreateVirtualMFADevice` returns it (`Base32StringSeed`).
    pub seed_base32: String,
}

/// A role that users may assume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// `arn:aws:iam::123456789012:role/NAME` (a path before the name is allowed).
    pub arn: String,
    /// The trust policy requires `aws:MultiFactorAuthPresent`.
    #[serde(default)]
    pub require_mfa: bool,
    /// The trust policy requires `sts:ExternalId` to equal this.
    #[serde(default)]
    pub external_id: Option<String>,
    /// MaxSessionDuration in seconds (3600..=43200 on AWS); 0 means the default, 3600.
    #[serde(default = "default_max_duration")]
    pub max_duration: u32,
}

fn default_max_duration() -> u32 {
    3600
}

/// Everything the double serves.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub users: Vec<User>,
    #[serde(default)]
    pub roles: Vec<Role>,
    /// Added to the system clock for TOTP checks, expirations and the `Date` header.
    #[serde(default)]
    pub clock_offset_secs: i64,
    /// Test-only: `GetSessionToken` credentials expire this many seconds after issue, whatever
    /// `DurationSeconds` asked (AWS's minimum is 900 s), for tests of a session that expires
    /// during a run. The request is still validated as AWS would.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_lifetime_override_secs: Option<u32>,
    /// Test-only: the same for `AssumeRole` credentials (a role that expires during a run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_lifetime_override_secs: Option<u32>,
    /// Benchmark-only: a valid code at or before the last step accepted for its serial is
    /// accepted again (AWS refuses it as reused). `scripts/bench` times many fresh sessions
    /// within one 30 s step; no test sets it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub accept_replayed_codes: bool,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("name", &self.name)
            .field("account", &self.account)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("mfa", &self.mfa)
            .finish()
    }
}

impl fmt::Debug for Mfa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mfa")
            .field("serial", &self.serial)
            .field("seed_base32", &"<redacted>")
            .finish()
    }
}

impl User {
    /// `arn:aws:iam::ACCOUNT:user/NAME`.
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::{}:user/{}", self.account, self.name)
    }
}

impl Role {
    /// The account in the ARN (fifth field).
    pub fn account(&self) -> &str {
        self.arn.split(':').nth(4).unwrap_or("")
    }

    /// The role's name: the ARN's last path segment.
    pub fn name(&self) -> &str {
        self.arn.rsplit('/').next().unwrap_or("")
    }

    /// The effective MaxSessionDuration.
    pub fn max_session(&self) -> u32 {
        if self.max_duration == 0 {
            3600
        } else {
            self.max_duration
        }
    }
}

impl Config {
    /// Parses the JSON form used by `fake-sts --config`.
    pub fn from_json(text: &str) -> io::Result<Config> {
        serde_json::from_str(text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }

    /// Rejects what would make the double misbehave silently: bad seeds, duplicate keys.
    pub fn validate(&self) -> io::Result<()> {
        let invalid = |msg: String| Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
        for (i, user) in self.users.iter().enumerate() {
            if user.access_key_id.is_empty() {
                return invalid(format!("user {:?} has an empty access_key_id", user.name));
            }
            if self.users[..i]
                .iter()
                .any(|u| u.access_key_id == user.access_key_id)
            {
                return invalid(format!("access key id of user {:?} is repeated", user.name));
            }
            if let Some(mfa) = &user.mfa
                && crate::totp::decode_base32(&mfa.seed_base32).is_none()
            {
                return invalid(format!("MFA seed of user {:?} is not Base32", user.name));
            }
        }
        for role in &self.roles {
            if !role.arn.starts_with("arn:") || !role.arn.contains(":role/") {
                return invalid(format!("role ARN {:?} is not arn:…:role/NAME", role.arn));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn json_with_defaults() {
        let config = Config::from_json(
            r#"{"users":[{"name":"alice","account":"123456789012","access_key_id":"AKIAALICE",
                "secret_access_key":"s","mfa":{"serial":"arn:aws:iam::123456789012:mfa/alice",
                "seed_base32":"GEZDGNBV"}}],
                "roles":[{"arn":"arn:aws:iam::123456789012:role/ops/admin"}]}"#,
        )
        .unwrap();
        config.validate().unwrap();
        assert_eq!(config.roles[0].max_session(), 3600);
        assert!(!config.roles[0].require_mfa);
        assert_eq!(config.roles[0].name(), "admin");
        assert_eq!(config.roles[0].account(), "123456789012");
        assert_eq!(config.clock_offset_secs, 0);
        assert_eq!(config.session_lifetime_override_secs, None);
        assert_eq!(config.role_lifetime_override_secs, None);
    }

    #[test]
    fn unknown_fields_and_bad_seeds_are_rejected() {
        assert!(Config::from_json(r#"{"user":[]}"#).is_err());
        let mut config = Config::default();
        config.users.push(User {
            name: "bob".into(),
            account: "1".into(),
            access_key_id: "AKIABOB".into(),
            secret_access_key: "s".into(),
            mfa: Some(Mfa {
                serial: "x".into(),
                seed_base32: "not base32!".into(),
            }),
        });
        assert!(config.validate().is_err());
    }

    #[test]
    fn debug_redacts_secrets() {
        let user = User {
            name: "bob".into(),
            account: "1".into(),
            access_key_id: "AKIABOB".into(),
            secret_access_key: "topsecret".into(),
            mfa: Some(Mfa {
                serial: "x".into(),
                seed_base32: "SEEDSEED".into(),
            }),
        };
        let text = format!("{user:?}");
        assert!(!text.contains("topsecret") && !text.contains("SEEDSEED"));
    }
}
