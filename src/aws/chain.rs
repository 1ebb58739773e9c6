//! Resolving a profile to "long-term credentials, then roles to assume" (docs/sessions.md).
//!
//! `role_arn` + `source_profile` are followed recursively down to a profile with long-term
//! credentials: static keys, a `credential_process`, or `credential_source = Environment`. A cycle
//! is an error that names it. A role profile whose `source_profile` is itself uses its own static
//! keys (the AWS CLI allows that).
//!
//! Settings that describe the MFA device and how to reach it — `mfa_serial` and this tool's
//! `mfa_*` keys — and `region` are taken from the requested profile, else from the nearest
//! profile down the chain that sets them, so a role profile inherits them from its source.

use std::fmt;

use super::profile::{Profile, SharedFiles};

/// Where the long-term credentials come from.
#[derive(Clone, PartialEq, Eq)]
pub enum LongTermSource {
    /// `aws_access_key_id` / `aws_secret_access_key` of `profile`.
    Static { profile: String },
    /// The `credential_process` command of `profile`.
    Process { profile: String, command: String },
    /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` from the environment.
    Environment,
}

impl fmt::Debug for LongTermSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Static { profile } => write!(f, "static keys of [{profile}]"),
            Self::Process { profile, .. } => write!(f, "credential_process of [{profile}]"),
            Self::Environment => f.write_str("environment variables"),
        }
    }
}

/// One role to assume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleStep {
    /// The profile that names the role.
    pub profile: String,
    pub role_arn: String,
    pub external_id: Option<String>,
    pub role_session_name: Option<String>,
    pub duration_seconds: Option<u32>,
}

/// A profile resolved down to its long-term credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedProfile {
    /// The profile asked for.
    pub name: String,
    /// Where the long-term credentials come from.
    pub source: LongTermSource,
    /// Roles in the order they are assumed: the first with the long-term (MFA) session, each
    /// next one with the previous role's credentials.
    pub roles: Vec<RoleStep>,
    /// The profiles walked, from `name` down to the source.
    pub path: Vec<String>,
    /// `mfa_serial`, from the nearest profile that sets it.
    pub mfa_serial: Option<String>,
    /// `region`, from the nearest profile that sets it.
    pub region: Option<String>,
    /// This tool's keys (docs/configuration.md), each from the nearest profile that sets it.
    pub mfa_source: Option<String>,
    pub mfa_oath_account: Option<String>,
    pub mfa_yubikey_serial: Option<String>,
    pub mfa_process: Option<String>,
    pub mfa_session_duration: Option<u32>,
    pub mfa_cache: Option<String>,
}

impl ResolvedProfile {
    /// This profile with one more role at the end of its chain, assumed with the profile's
    /// final credentials (the MFA session, or its last role) like any chained role, and cached
    /// under this profile's name and `role_arn` (`mfa eks-token --role`).
    pub fn then_assume(&self, role_arn: &str) -> ResolvedProfile {
        let mut profile = self.clone();
        profile.roles.push(RoleStep {
            profile: self.name.clone(),
            role_arn: role_arn.to_owned(),
            external_id: None,
            role_session_name: None,
            duration_seconds: None,
        });
        profile
    }
}

/// Why a profile cannot be resolved. Each variant carries what a message needs to say what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    #[error("profile `{name}` is not in {config} or {credentials}")]
    UnknownProfile {
        name: String,
        known: Vec<String>,
        config: String,
        credentials: String,
    },
    #[error("profile `{profile}` names source_profile `{source_profile}`, which does not exist")]
    MissingSourceProfile {
        profile: String,
        source_profile: String,
        known: Vec<String>,
    },
    #[error("the source_profile chain loops: {}", cycle.join(" → "))]
    Cycle { cycle: Vec<String> },
    #[error("profile `{profile}` has role_arn but neither source_profile nor credential_source")]
    RoleWithoutSource { profile: String },
    #[error(
        "profile `{profile}` has credential_source = {value}, which this tool does not support"
    )]
    UnsupportedCredentialSource { profile: String, value: String },
    #[error("no long-term credentials for profile `{profile}`")]
    NoLongTermCredentials {
        profile: String,
        searched: Vec<String>,
    },
    #[error("profile `{profile}`: {key} = {value:?} is not a whole number of seconds")]
    BadNumber {
        profile: String,
        key: &'static str,
        value: String,
    },
}

/// Resolves `name`. `environment_has_keys` says whether `AWS_ACCESS_KEY_ID` and
/// `AWS_SECRET_ACCESS_KEY` are set, the last place long-term keys are looked for.
pub fn resolve(
    files: &SharedFiles,
    name: &str,
    environment_has_keys: bool,
) -> Result<ResolvedProfile, ChainError> {
    let known = files.profile_names();
    let first = files
        .profile(name)
        .ok_or_else(|| ChainError::UnknownProfile {
            name: name.to_owned(),
            known: known.clone(),
            config: files.locations.config.display().to_string(),
            credentials: files.locations.credentials.display().to_string(),
        })?;

    let mut walked: Vec<Profile> = Vec::new();
    let mut roles = Vec::new();
    let mut current = first;
    let source = loop {
        if walked.iter().any(|p| p.name == current.name) {
            let mut cycle: Vec<String> = walked.iter().map(|p| p.name.clone()).collect();
            cycle.push(current.name.clone());
            let start = cycle.iter().position(|n| *n == current.name).unwrap_or(0);
            return Err(ChainError::Cycle {
                cycle: cycle[start..].to_vec(),
            });
        }
        let Some(role_arn) = current.get("role_arn") else {
            let source = long_term(&current, environment_has_keys, files)?;
            walked.push(current);
            break source;
        };
        roles.push(role_step(&current, role_arn)?);
        match (
            current.get("source_profile"),
            current.get("credential_source"),
        ) {
            (Some(next), _) if next == current.name && has_static_keys(&current) => {
                let source = LongTermSource::Static {
                    profile: current.name.clone(),
                };
                walked.push(current);
                break source;
            }
            (Some(next), _) => {
                let next_profile =
                    files
                        .profile(next)
                        .ok_or_else(|| ChainError::MissingSourceProfile {
                            profile: current.name.clone(),
                            source_profile: next.to_owned(),
                            known: known.clone(),
                        })?;
                walked.push(current);
                current = next_profile;
            }
            (None, Some(value)) if value.eq_ignore_ascii_case("Environment") => {
                walked.push(current);
                break LongTermSource::Environment;
            }
            (None, Some(value)) => {
                return Err(ChainError::UnsupportedCredentialSource {
                    profile: current.name.clone(),
                    value: value.to_owned(),
                });
            }
            (None, None) => {
                return Err(ChainError::RoleWithoutSource {
                    profile: current.name.clone(),
                });
            }
        }
    };
    roles.reverse();

    let nearest = |key: &str| walked.iter().find_map(|p| p.get(key)).map(str::to_owned);
    let number = |key: &'static str| -> Result<Option<u32>, ChainError> {
        walked
            .iter()
            .find_map(|p| p.get(key).map(|v| (p, v)))
            .map(|(p, v)| parse_seconds(p, key, v))
            .transpose()
    };
    Ok(ResolvedProfile {
        name: name.to_owned(),
        source,
        roles,
        path: walked.iter().map(|p| p.name.clone()).collect(),
        mfa_serial: nearest("mfa_serial"),
        region: nearest("region"),
        mfa_source: nearest("mfa_source"),
        mfa_oath_account: nearest("mfa_oath_account"),
        mfa_yubikey_serial: nearest("mfa_yubikey_serial"),
        mfa_process: nearest("mfa_process"),
        mfa_session_duration: number("mfa_session_duration")?,
        mfa_cache: nearest("mfa_cache"),
    })
}

fn has_static_keys(profile: &Profile) -> bool {
    profile.get("aws_access_key_id").is_some() && profile.get("aws_secret_access_key").is_some()
}

fn long_term(
    profile: &Profile,
    environment_has_keys: bool,
    files: &SharedFiles,
) -> Result<LongTermSource, ChainError> {
    if has_static_keys(profile) {
        return Ok(LongTermSource::Static {
            profile: profile.name.clone(),
        });
    }
    if let Some(command) = profile.get("credential_process") {
        return Ok(LongTermSource::Process {
            profile: profile.name.clone(),
            command: command.to_owned(),
        });
    }
    if environment_has_keys {
        return Ok(LongTermSource::Environment);
    }
    Err(ChainError::NoLongTermCredentials {
        profile: profile.name.clone(),
        searched: vec![
            format!(
                "aws_access_key_id/aws_secret_access_key in [{}] of {}",
                profile.name,
                files.locations.credentials.display()
            ),
            format!("credential_process in {}", files.locations.config.display()),
            "the AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY variables".to_owned(),
        ],
    })
}

fn role_step(profile: &Profile, role_arn: &str) -> Result<RoleStep, ChainError> {
    Ok(RoleStep {
        profile: profile.name.clone(),
        role_arn: role_arn.to_owned(),
        external_id: profile.get("external_id").map(str::to_owned),
        role_session_name: profile.get("role_session_name").map(str::to_owned),
        duration_seconds: profile
            .get("duration_seconds")
            .map(|v| parse_seconds(profile, "duration_seconds", v))
            .transpose()?,
    })
}

fn parse_seconds(profile: &Profile, key: &'static str, value: &str) -> Result<u32, ChainError> {
    value.parse().map_err(|_| ChainError::BadNumber {
        profile: profile.name.clone(),
        key,
        value: value.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const CREDENTIALS: &str = "\
[default]
aws_access_key_id = AKIAALICE
aws_secret_access_key = s
[selfish]
aws_access_key_id = AKIASELF
aws_secret_access_key = s
";
    const CONFIG: &str = "\
[default]
region = eu-west-1
mfa_serial = arn:aws:iam::1:mfa/alice
mfa_source = yubikey
[profile admin]
role_arn = arn:aws:iam::2:role/Admin
source_profile = default
external_id = ext
duration_seconds = 7200
[profile deep]
role_arn = arn:aws:iam::3:role/Deep
source_profile = admin
region = us-east-1
mfa_serial = arn:aws:iam::1:mfa/other
[profile a]
role_arn = arn:aws:iam::1:role/A
source_profile = b
[profile b]
role_arn = arn:aws:iam::1:role/B
source_profile = a
[profile env]
role_arn = arn:aws:iam::1:role/Env
credential_source = Environment
[profile ec2]
role_arn = arn:aws:iam::1:role/E
credential_source = Ec2InstanceMetadata
[profile orphan]
role_arn = arn:aws:iam::1:role/O
[profile dangling]
role_arn = arn:aws:iam::1:role/D
source_profile = nobody
[profile selfish]
role_arn = arn:aws:iam::1:role/S
source_profile = selfish
[profile proc]
credential_process = /usr/bin/get-keys --json
mfa_serial = arn:aws:iam::1:mfa/proc
[profile bare]
region = x
[profile badnum]
role_arn = arn:aws:iam::1:role/N
source_profile = default
duration_seconds = 1h
";

    fn files() -> SharedFiles {
        SharedFiles::from_text(CONFIG, CREDENTIALS)
    }

    #[test]
    fn long_term_profile() {
        let r = resolve(&files(), "default", false).unwrap();
        assert_eq!(
            r.source,
            LongTermSource::Static {
                profile: "default".into()
            }
        );
        assert!(r.roles.is_empty());
        assert_eq!(r.mfa_serial.as_deref(), Some("arn:aws:iam::1:mfa/alice"));
        assert_eq!(r.mfa_source.as_deref(), Some("yubikey"));
    }

    #[test]
    fn role_inherits_mfa_serial_and_region_from_its_source() {
        let r = resolve(&files(), "admin", false).unwrap();
        assert_eq!(
            r.source,
            LongTermSource::Static {
                profile: "default".into()
            }
        );
        assert_eq!(r.path, ["admin", "default"]);
        assert_eq!(r.roles.len(), 1);
        assert_eq!(r.roles[0].external_id.as_deref(), Some("ext"));
        assert_eq!(r.roles[0].duration_seconds, Some(7200));
        assert_eq!(r.mfa_serial.as_deref(), Some("arn:aws:iam::1:mfa/alice"));
        assert_eq!(r.region.as_deref(), Some("eu-west-1"));
    }

    #[test]
    fn nested_roles_are_assumed_innermost_first_and_nearest_setting_wins() {
        let r = resolve(&files(), "deep", false).unwrap();
        let arns: Vec<&str> = r.roles.iter().map(|s| s.role_arn.as_str()).collect();
        assert_eq!(
            arns,
            ["arn:aws:iam::2:role/Admin", "arn:aws:iam::3:role/Deep"]
        );
        assert_eq!(r.mfa_serial.as_deref(), Some("arn:aws:iam::1:mfa/other"));
        assert_eq!(r.region.as_deref(), Some("us-east-1"));
    }

    #[test]
    fn cycles_are_named() {
        let err = resolve(&files(), "a", false).unwrap_err();
        assert_eq!(
            err,
            ChainError::Cycle {
                cycle: vec!["a".into(), "b".into(), "a".into()]
            }
        );
        assert_eq!(err.to_string(), "the source_profile chain loops: a → b → a");
    }

    #[test]
    fn self_sourced_role_uses_its_own_keys() {
        let r = resolve(&files(), "selfish", false).unwrap();
        assert_eq!(
            r.source,
            LongTermSource::Static {
                profile: "selfish".into()
            }
        );
        assert_eq!(r.roles.len(), 1);
    }

    #[test]
    fn other_long_term_sources() {
        let r = resolve(&files(), "env", false).unwrap();
        assert_eq!(r.source, LongTermSource::Environment);
        let r = resolve(&files(), "proc", false).unwrap();
        assert!(
            matches!(r.source, LongTermSource::Process { ref command, .. } if command == "/usr/bin/get-keys --json")
        );
        let r = resolve(&files(), "bare", true).unwrap();
        assert_eq!(r.source, LongTermSource::Environment);
    }

    #[test]
    fn errors_say_what_is_missing() {
        let f = files();
        let unknown = resolve(&f, "nope", false).unwrap_err();
        assert!(
            matches!(unknown, ChainError::UnknownProfile { ref known, .. } if known.contains(&"admin".to_owned()))
        );
        assert!(matches!(
            resolve(&f, "orphan", false),
            Err(ChainError::RoleWithoutSource { .. })
        ));
        assert!(matches!(
            resolve(&f, "dangling", false),
            Err(ChainError::MissingSourceProfile { ref source_profile, .. }) if source_profile == "nobody"
        ));
        assert!(matches!(
            resolve(&f, "ec2", false),
            Err(ChainError::UnsupportedCredentialSource { .. })
        ));
        let none = resolve(&f, "bare", false).unwrap_err();
        let ChainError::NoLongTermCredentials { searched, .. } = none else {
            panic!()
        };
        assert!(searched.iter().any(|s| s.contains("AWS_ACCESS_KEY_ID")));
        assert!(searched.iter().any(|s| s.contains("credentials")));
        assert!(matches!(
            resolve(&f, "badnum", false),
            Err(ChainError::BadNumber {
                key: "duration_seconds",
                ..
            })
        ));
    }
}
