//! Resolving a profile to "long-term credentials, then roles to assume" (docs/sessions.md).
//!
//! `role_arn` + `source_profile` are followed recursively down to a profile with long-term
//! credentials: static keys, a `credential_process`, or `credential_source = Environment`. A cycle
//! is an error that names it. A role profile whose `source_profile` is itself uses its own static
//! keys (the AWS CLI allows that).
//!
//! A profile with `source_profile` but no `role_arn` and no long-term credentials of its own
//! takes them from its source profile, as aws-vault reads it (the AWS CLI ignores
//! `source_profile` there): `[profile work-mfa] source_profile = work` + `mfa_serial` is a
//! `GetSessionToken` over `work`'s keys (docs/configuration.md). Such profiles add no role; they
//! may stack, and roles may sit on top of them.
//!
//! A `credential_process` that runs `mfa` again for a profile being resolved would start
//! processes forever: [`process_loop`] refuses it, from the command line where it names `mfa`,
//! and from the chain that every `credential_process` child is given in its environment.
//!
//! Settings that describe the MFA device and how to reach it — `mfa_serial` and this tool's
//! `mfa_*` keys — and `region` are taken from the requested profile, else from the nearest
//! profile down the chain that sets them, so a role profile inherits them from its source.

pub mod process_loop;
#[cfg(test)]
mod tests;

use std::fmt;

use super::profile::{Profile, SharedFiles};
pub use process_loop::{CHAIN_VARIABLE, Nesting};

/// Where the long-term credentials come from.
#[derive(Clone, PartialEq, Eq)]
pub enum LongTermSource {
    /// `aws_access_key_id` / `aws_secret_access_key` of `profile`.
    Static { profile: String },
    /// The `credential_process` command of `profile`.
    Process {
        profile: String,
        command: String,
        /// The profiles being resolved when it runs — those of the `mfa` processes above this
        /// one, then this resolution's path — handed to the command in [`CHAIN_VARIABLE`], so
        /// an `mfa` it starts refuses to resolve any of them again.
        resolving: Vec<String>,
    },
    /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` from the environment.
    Environment,
    /// Keys of `profile` sealed by a YubiKey (`mfa_keys = yubikey`, docs/long-term-keys.md).
    Sealed { profile: String },
}

impl fmt::Debug for LongTermSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Static { profile } => write!(f, "static keys of [{profile}]"),
            Self::Process { profile, .. } => write!(f, "credential_process of [{profile}]"),
            Self::Environment => f.write_str("environment variables"),
            Self::Sealed { profile } => write!(f, "keys of [{profile}] sealed by a YubiKey"),
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
    /// The `credential_process` of `profile` is an `mfa` command for a profile whose resolution
    /// runs that same `credential_process` again; `cycle` runs from the first repeated profile
    /// back to it.
    #[error(
        "the credential_process of profile `{profile}` runs mfa for a profile it serves: {}",
        cycle.join(" → ")
    )]
    ProcessCallsMfa { profile: String, cycle: Vec<String> },
    /// This `mfa` was started, through a `credential_process`, by an `mfa` resolving the
    /// profiles `cycle` begins with, and was asked to resolve one of them again.
    #[error(
        "a credential_process started mfa for profile `{profile}` while resolving it: {}",
        cycle.join(" → ")
    )]
    ProcessLoop { profile: String, cycle: Vec<String> },
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
///
/// A `credential_process` that runs `mfa` for a profile of its own chain is refused, reading an
/// `mfa` command without a profile as `default`; [`resolve_nested`] knows the environment.
pub fn resolve(
    files: &SharedFiles,
    name: &str,
    environment_has_keys: bool,
) -> Result<ResolvedProfile, ChainError> {
    resolve_nested(files, name, environment_has_keys, &Nesting::default())
}

/// [`resolve`], for an `mfa` that may have been started by a `credential_process`: `nesting`
/// says which profiles the `mfa` processes above this one are resolving (none of which may be
/// resolved again) and which profile an `mfa` command without `-p` would use.
pub fn resolve_nested(
    files: &SharedFiles,
    name: &str,
    environment_has_keys: bool,
    nesting: &Nesting,
) -> Result<ResolvedProfile, ChainError> {
    let mut resolved = walk(files, name, environment_has_keys)?;
    process_loop::check(files, environment_has_keys, nesting, &resolved)?;
    if let LongTermSource::Process { resolving, .. } = &mut resolved.source {
        *resolving = nesting.callers.clone();
        resolving.extend(resolved.path.iter().cloned());
    }
    Ok(resolved)
}

/// Follows `source_profile` from `name` down to the long-term credentials, with no regard for
/// what a `credential_process` does.
fn walk(
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
            // aws-vault's reading: with no long-term credentials of its own, a profile takes
            // those of its source_profile (and adds no role).
            if let Some(next) = current.get("source_profile")
                && !has_own_long_term(&current)
            {
                let next_profile = source_profile(files, &current, next, &known)?;
                walked.push(current);
                current = next_profile;
                continue;
            }
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
                let next_profile = source_profile(files, &current, next, &known)?;
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

/// Static keys or a `credential_process`: what makes a profile without `role_arn` the bottom of
/// the chain even when it names a `source_profile`.
fn has_own_long_term(profile: &Profile) -> bool {
    has_static_keys(profile) || profile.get("credential_process").is_some() || is_sealed(profile)
}

/// `mfa_keys = yubikey`: the profile's keys are sealed by a YubiKey (`mfa keys import`).
fn is_sealed(profile: &Profile) -> bool {
    profile
        .get("mfa_keys")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("yubikey"))
}

/// The profile `next` that `profile` names as its `source_profile`.
fn source_profile(
    files: &SharedFiles,
    profile: &Profile,
    next: &str,
    known: &[String],
) -> Result<Profile, ChainError> {
    files
        .profile(next)
        .ok_or_else(|| ChainError::MissingSourceProfile {
            profile: profile.name.clone(),
            source_profile: next.to_owned(),
            known: known.to_vec(),
        })
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
    if is_sealed(profile) {
        return Ok(LongTermSource::Sealed {
            profile: profile.name.clone(),
        });
    }
    if let Some(command) = profile.get("credential_process") {
        return Ok(LongTermSource::Process {
            profile: profile.name.clone(),
            command: command.to_owned(),
            resolving: Vec::new(),
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
