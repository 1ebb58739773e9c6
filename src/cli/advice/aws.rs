//! The aws layer's errors: the credential flow, STS, long-term credentials, the cache and the
//! profile chain. STS's own message is kept in the first line; the second says what usually
//! causes it.

use super::list;
use super::sources::source;
use crate::aws::cache::CacheError;
use crate::aws::chain::ChainError;
use crate::aws::credentials::{CredentialsError, KeysOrigin};
use crate::aws::eks::EksError;
use crate::aws::flow::{Call, FlowError};
use crate::aws::iam::IamError;
use crate::aws::profile::LoadError;
use crate::aws::sts::{SettingsError, StsError};
use crate::aws::write_profile::{Protected, WriteProfileError};
use crate::cli::Failure;
use crate::keystore::KeystoreError;
use crate::sources::SourceKind;

/// Any failure of [`crate::aws::flow::obtain`].
pub fn flow(error: &FlowError) -> Failure {
    match error {
        FlowError::NoMfaSerial { profile } => Failure::usage(
            format!("profile `{profile}` has no mfa_serial"),
            "set mfa_serial = arn:aws:iam::ACCOUNT:mfa/NAME on it (or its source_profile), or \
             register a key with `mfa register --write-config`",
        ),
        FlowError::ImpossibleDuration { call, .. } => Failure::usage(
            error.to_string(),
            match call {
                Call::GetSessionToken => {
                    "give --duration (or mfa_session_duration) between 15m and 36h"
                }
                Call::AssumeRole => {
                    "give --duration (or the role's duration_seconds) between 15m and 12h"
                }
            },
        ),
        FlowError::FidoSerial { serial, .. } => Failure::usage(
            error.to_string(),
            format!(
                "STS cannot use a FIDO key from a command line (only the AWS console can): set \
                 mfa_serial to a virtual or hardware TOTP device (`mfa register` makes one on a \
                 YubiKey's OATH application) instead of {serial}"
            ),
        ),
        FlowError::ClockOff {
            call,
            error,
            skew_seconds,
        } => Failure::runtime(
            format!(
                "STS {call} failed: {error} — and STS's clock is {} {} ours",
                human_seconds(skew_seconds.unsigned_abs()),
                if *skew_seconds > 0 {
                    "ahead of"
                } else {
                    "behind"
                }
            ),
            "codes and signatures depend on the time: set this machine's clock right (e.g. \
             `timedatectl set-ntp true`), then run again",
        ),
        FlowError::Credentials(error) => credentials(error),
        FlowError::Source(error) => source(error),
        FlowError::Sts {
            call,
            error,
            mfa_serial,
            role_arn,
            code_source,
        } => sts(
            *call,
            error,
            mfa_serial.as_deref(),
            role_arn.as_deref(),
            *code_source,
        ),
    }
}

/// A refused or failed STS call.
pub fn sts(
    call: Call,
    error: &StsError,
    mfa_serial: Option<&str>,
    role_arn: Option<&str>,
    code_source: Option<SourceKind>,
) -> Failure {
    let call_name = match role_arn {
        Some(arn) if call == Call::AssumeRole => format!("{call} {arn}"),
        Some(_) | None => call.to_string(),
    };
    let what = format!("STS {call_name} failed: {error}");
    let serial = mfa_serial.unwrap_or("the profile's mfa_serial");
    match error {
        StsError::MfaCodeRejected { .. } => {
            let cause = match code_source {
                Some(SourceKind::Yubikey | SourceKind::Totp) => {
                    "the OATH account may not belong to this MFA device, or the clock is off \
                     (check with `mfa doctor`)"
                }
                Some(SourceKind::Process | SourceKind::Prompt) | None => {
                    "the code may have been used already (wait for the next one), mistyped, or \
                      the clock is off"
                }
            };
            Failure::runtime(
                what,
                format!("AWS accepts each code once: {cause}; also check that {serial} is yours"),
            )
        }
        StsError::MfaSerialInvalid { .. } => Failure::usage(
            what,
            format!(
                "{serial} is not an MFA device of these credentials: fix mfa_serial (see `aws iam \
                 list-mfa-devices`)"
            ),
        ),
        StsError::AccessDenied { .. } => Failure::runtime(
            what,
            match call {
                Call::AssumeRole => {
                    "check the role's trust policy (and external_id) allows your user with MFA"
                }
                Call::GetSessionToken => "check the long-term keys' IAM permissions",
            },
        ),
        StsError::InvalidClientTokenId { .. } | StsError::ExpiredToken { .. } => Failure::runtime(
            what,
            "the long-term keys are wrong, deleted or expired: check aws_access_key_id in \
             ~/.aws/credentials, or clear the cache with `mfa cache clear`",
        ),
        StsError::Throttled { .. } => Failure::runtime(what, "wait a moment and try again"),
        StsError::ServerError { .. } | StsError::ConnectionLost { .. } => Failure::runtime(
            what,
            "try again; if STS may have seen the code, the next run waits for a fresh one",
        ),
        StsError::Unreachable { endpoint, .. } | StsError::TimedOut { endpoint } => {
            Failure::runtime(what, reach_hint(endpoint, "AWS_ENDPOINT_URL_STS, region"))
        }
        StsError::Validation { .. } => Failure::usage(
            what,
            "check duration_seconds (roles chained from a session last at most 3600 s) and the \
             role ARN",
        ),
        StsError::Other { .. } => Failure::runtime(
            what,
            "STS's message says what it refused; `mfa doctor` checks the keys, the clock and the \
             profile chain",
        ),
        StsError::Malformed { .. } | StsError::Incomplete { .. } => Failure::runtime(
            what,
            "something between you and STS answered instead (a proxy, a captive portal, a wrong \
             AWS_ENDPOINT_URL_STS): check the endpoint and the network, then run again",
        ),
    }
}

/// A shared AWS file that cannot be read (configuration: exit 2).
pub fn shared_files(error: &LoadError) -> Failure {
    let what = error.to_string();
    match error {
        LoadError::Unreadable { source, .. }
            if source.kind() == std::io::ErrorKind::InvalidData =>
        {
            Failure::usage(
                what,
                "save it as UTF-8 text (the AWS CLI cannot read it either), or point \
                 AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE elsewhere",
            )
        }
        LoadError::Unreadable { .. } => Failure::usage(
            what,
            "make the file readable by you (`chmod 600`), or point AWS_CONFIG_FILE / \
             AWS_SHARED_CREDENTIALS_FILE elsewhere",
        ),
        LoadError::UnclosedSection { .. } => Failure::usage(
            what,
            "close it (`[profile NAME]`) or remove the line; the AWS CLI refuses the file too",
        ),
        LoadError::NotAFile { .. } | LoadError::TooBig { .. } => Failure::usage(
            what,
            "point AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE at the AWS config and \
             credentials files (plain text files)",
        ),
    }
}

/// A region or STS endpoint that cannot be used (configuration: exit 2).
pub fn sts_settings(error: &SettingsError) -> Failure {
    let what = error.to_string();
    match error {
        SettingsError::BadRegion { .. } => Failure::usage(
            what,
            "fix region in the profile (or AWS_REGION / AWS_DEFAULT_REGION), e.g. eu-west-1",
        ),
        SettingsError::BadEndpoint { .. } => Failure::usage(
            what,
            "fix AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL (e.g. https://sts.eu-west-1.amazonaws.com), \
             or unset it",
        ),
    }
}

/// Long-term credentials that could not be loaded: missing keys are configuration errors
/// (exit 2); a `credential_process` that could not run, failed or timed out is a runtime
/// failure (exit 1), as is one that printed no usable credentials.
pub fn credentials(error: &CredentialsError) -> Failure {
    let what = error.to_string();
    let run_it = "check the profile's credential_process: run it by hand and look at its JSON";
    match error {
        CredentialsError::Sealed { source, .. } => super::keys::sealed(source),
        CredentialsError::MissingStaticKey { .. } => Failure::usage(
            what,
            "add aws_access_key_id and aws_secret_access_key to the profile in ~/.aws/credentials",
        ),
        CredentialsError::MissingEnvironment { .. } => Failure::usage(
            what,
            "export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (credential_source = Environment)",
        ),
        CredentialsError::ProcessSpawn { .. }
        | CredentialsError::ProcessFailed { .. }
        | CredentialsError::ProcessTimedOut { .. }
        | CredentialsError::ProcessOutput { .. } => Failure::runtime(what, run_it),
        CredentialsError::NotHeaderSafe { origin, .. } => Failure::usage(
            what,
            match origin {
                KeysOrigin::Profile(_) => {
                    "retype the value in ~/.aws/credentials (a pasted key may carry an invisible \
                     character), or set it again with `aws configure`"
                }
                KeysOrigin::Process(_) => run_it,
                KeysOrigin::Environment => "export the variable again without invisible characters",
            },
        ),
    }
}

/// A cache that cannot be used: what is wrong with the directory or keyring, and the way out.
pub fn cache(error: &CacheError) -> Failure {
    let elsewhere = "or point MFA_CACHE_DIR at a directory of your own";
    match error {
        // The directory's owner, mode or kind are the user's configuration: exit 2.
        CacheError::DirForeignOwner { path, .. } => Failure::usage(
            error.to_string(),
            format!(
                "take it back (`chown -R \"$USER\" {}`), {elsewhere}",
                path.display()
            ),
        ),
        CacheError::DirTooOpen { path, stranger, .. } => Failure::usage(
            error.to_string(),
            format!(
                "move `{stranger}` out of {} and run `chmod 700` on it, {elsewhere}",
                path.display()
            ),
        ),
        CacheError::NoLocation => Failure::usage(
            error.to_string(),
            "set MFA_CACHE_DIR to a directory for the session cache",
        ),
        CacheError::Keyring(KeystoreError::Unsupported) => Failure::runtime(
            error.to_string(),
            "use the file cache: set mfa_cache = file in the profile",
        ),
        CacheError::Keyring(KeystoreError::AccessDenied { .. } | KeystoreError::Failed { .. }) => {
            Failure::runtime(
                error.to_string(),
                "check that the OS keyring works (`mfa doctor`), or set mfa_cache = file in the \
                 profile",
            )
        }
        CacheError::Keyring(KeystoreError::OutOfReach { .. }) => Failure::runtime(
            error.to_string(),
            super::keystore::out_of_reach_hint("set mfa_cache = file in the profile"),
        ),
        CacheError::Keyring(KeystoreError::Index { .. }) => {
            Failure::runtime(error.to_string(), super::keystore::index_hint())
        }
        CacheError::NotADirectory { path } => Failure::usage(
            error.to_string(),
            format!(
                "point MFA_CACHE_DIR at a directory (or remove {} so that mfa creates it)",
                path.display()
            ),
        ),
        CacheError::CreateDir { .. }
        | CacheError::DirPermissions { .. }
        | CacheError::Read { .. }
        | CacheError::Write { .. }
        | CacheError::Lock { .. } => Failure::runtime(
            error.to_string(),
            format!("check the directory's owner and permissions, {elsewhere}"),
        ),
    }
}

/// `mfa login --write-profile`: a section that is not ours to replace (exit 2), or a file that
/// cannot be read or written (exit 1). The file is unchanged in every case.
pub fn write_profile(error: &WriteProfileError) -> Failure {
    let what = error.to_string();
    match error {
        WriteProfileError::Protected {
            section,
            why: Protected::Default,
            ..
        } => Failure::usage(
            what,
            format!(
                "[{section}] is what AWS tools use when no profile is named: write the session \
                 under another name (--write-profile temp), or pass --force to replace it"
            ),
        ),
        WriteProfileError::Protected {
            section,
            why: Protected::ForeignKeys,
            ..
        } => Failure::usage(
            what,
            format!(
                "[{section}] has keys without mfa_expiration (long-term keys, or another tool's \
                 session): choose another name, or pass --force to replace them"
            ),
        ),
        WriteProfileError::Read { .. } => Failure::runtime(
            what,
            "check the file's owner and permissions (or AWS_SHARED_CREDENTIALS_FILE)",
        ),
        WriteProfileError::Write { .. } => Failure::runtime(
            format!("{what} (the file is unchanged)"),
            "check that its directory is writable and the disk is not full",
        ),
    }
}

/// Resolving a profile (configuration errors: exit 2).
pub fn chain(error: &ChainError) -> Failure {
    let profiles = |known: &[String]| {
        if known.is_empty() {
            "the shared files define no profile".to_owned()
        } else {
            format!("profiles: {}", list(known))
        }
    };
    let what = error.to_string();
    match error {
        ChainError::UnknownProfile { name, known, .. } => Failure::usage(
            what,
            format!(
                "choose one with -p/AWS_PROFILE ({}), or create it with `aws configure --profile \
                 {name}`",
                profiles(known)
            ),
        ),
        ChainError::MissingSourceProfile { known, .. } => Failure::usage(
            what,
            format!(
                "set source_profile to an existing profile ({})",
                profiles(known)
            ),
        ),
        ChainError::Cycle { .. } => Failure::usage(
            what,
            "make one profile of the loop hold long-term keys instead of a source_profile",
        ),
        ChainError::ProcessCallsMfa { profile, .. } => Failure::usage(
            what,
            format!(
                "give profile `{profile}` long-term keys of its own (aws_access_key_id and \
                 aws_secret_access_key, or a credential_process that does not run mfa for this \
                 chain)"
            ),
        ),
        ChainError::ProcessLoop { .. } => Failure::usage(
            what,
            "the credential_process of a profile in the loop runs mfa back (perhaps through a \
             script): give that profile long-term keys of its own",
        ),
        ChainError::NoLongTermCredentials { searched, .. } => {
            Failure::usage(what, format!("set one of: {}", searched.join("; ")))
        }
        ChainError::RoleWithoutSource { .. }
        | ChainError::UnsupportedCredentialSource { .. }
        | ChainError::BadNumber { .. } => Failure::usage(what, "fix the profile in ~/.aws/config"),
    }
}

/// `seconds` as the user reads it: `95 s`, `12 min`, `3 h`, `2 days`.
fn human_seconds(seconds: u64) -> String {
    match seconds {
        0..120 => format!("{seconds} s"),
        120..7200 => format!("{} min", seconds / 60),
        7200..172_800 => format!("{} h", seconds / 3600),
        _ => format!("{} days", seconds / 86_400),
    }
}

/// A failure of [`crate::aws::eks::token`].
pub fn eks(error: &EksError) -> Failure {
    match error {
        EksError::Endpoint { endpoint, reason } => Failure::usage(
            format!("cannot sign an EKS token for the STS endpoint {endpoint}: {reason}"),
            "check AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL (a URL such as https://sts.eu-west-1.amazonaws.com) and the region",
        ),
        EksError::Expired { expiration } => Failure::runtime(
            format!(
                "the session expired at {}",
                crate::aws::credentials::rfc3339::format(*expiration)
            ),
            "run again: a new session is fetched (`mfa cache clear` if it keeps happening, and check the clock)",
        ),
    }
}

/// `GetCallerIdentity` for `mfa register`/`mfa deregister` (who is calling).
pub fn caller_identity(error: &StsError) -> Failure {
    let what = format!("STS GetCallerIdentity failed: {error}");
    match error {
        StsError::Unreachable { .. }
        | StsError::ConnectionLost { .. }
        | StsError::TimedOut { .. }
        | StsError::Throttled { .. }
        | StsError::ServerError { .. } => Failure::runtime(
            what,
            "check the network (and AWS_ENDPOINT_URL_STS), then run the command again",
        ),
        StsError::ExpiredToken { .. }
        | StsError::InvalidClientTokenId { .. }
        | StsError::AccessDenied { .. }
        | StsError::MfaCodeRejected { .. }
        | StsError::MfaSerialInvalid { .. }
        | StsError::Validation { .. }
        | StsError::Other { .. } => Failure::runtime(
            what,
            "check the profile's long-term keys (`mfa doctor` shows which are used)",
        ),
        StsError::Malformed { .. } | StsError::Incomplete { .. } => Failure::runtime(
            what,
            "something between you and STS answered instead (a proxy, a wrong \
             AWS_ENDPOINT_URL_STS): check the endpoint and the network",
        ),
    }
}

/// The IAM permissions each action of `mfa register`/`mfa deregister` needs.
fn iam_permission(action: &str) -> &'static str {
    match action {
        "CreateVirtualMFADevice" => "iam:CreateVirtualMFADevice",
        "EnableMFADevice" => "iam:EnableMFADevice",
        "ListMFADevices" => "iam:ListMFADevices",
        "ListVirtualMFADevices" => "iam:ListVirtualMFADevices",
        "DeactivateMFADevice" => "iam:DeactivateMFADevice",
        "DeleteVirtualMFADevice" => "iam:DeleteVirtualMFADevice",
        _ => "the IAM actions of docs/registering.md",
    }
}

/// A failed IAM call of `mfa register` or `mfa deregister`.
pub fn iam(error: &IamError) -> Failure {
    let what = error.to_string();
    match error {
        IamError::AccessDenied { action, .. } => Failure::runtime(
            what,
            format!(
                "the caller needs {} (docs/registering.md has a policy that lets users manage \
                 their own MFA device; deregistering usually needs an MFA session too)",
                iam_permission(action)
            ),
        ),
        IamError::AlreadyExists { .. } => Failure::usage(
            what,
            "choose another name with --device-name, or run with --force to delete a leftover",
        ),
        IamError::NoSuchEntity { .. } => Failure::usage(
            what,
            "check the user name (--user) and the device (`aws iam list-mfa-devices`)",
        ),
        IamError::InvalidCodes { .. } => Failure::runtime(
            what,
            "check the clock (`timedatectl`), then run `mfa register` again",
        ),
        IamError::Refused { .. } | IamError::Other { .. } => {
            Failure::runtime(what, "run `mfa doctor`, then the command again")
        }
        IamError::ServerError { .. } => {
            Failure::runtime(what, "AWS failed on its side: run the command again later")
        }
        IamError::Unreachable { endpoint, .. } | IamError::ConnectionLost { endpoint, .. } => {
            Failure::runtime(what, reach_hint(endpoint, "AWS_ENDPOINT_URL_IAM"))
        }
    }
}

/// What to check when an endpoint cannot be reached: the proxy that carried the call when one
/// did (docs/proxies.md), else the network; then the endpoint and where it came from.
fn reach_hint(endpoint: &str, set_by: &str) -> String {
    match crate::aws::proxy::proxy_for(endpoint) {
        Some(proxy) => format!(
            "check the proxy {proxy} (HTTPS_PROXY/HTTP_PROXY; NO_PROXY lists hosts reached \
             directly) and the endpoint {endpoint} ({set_by})"
        ),
        None => format!(
            "check the network and the endpoint {endpoint} ({set_by}); behind a proxy, set \
             HTTPS_PROXY"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_code_names_the_likely_causes() {
        let error = StsError::MfaCodeRejected {
            message: "MultiFactorAuthentication failed with invalid MFA one time pass code. "
                .into(),
        };
        let failure = sts(
            Call::GetSessionToken,
            &error,
            Some("arn:aws:iam::1:mfa/a"),
            None,
            Some(SourceKind::Prompt),
        );
        assert!(failure.what().contains("invalid MFA one time pass code"));
        assert!(failure.fix().contains("used already"));
        assert!(failure.fix().contains("arn:aws:iam::1:mfa/a"));
        assert_eq!(failure.exit().code(), 1);
    }

    #[test]
    fn a_wrong_serial_is_a_configuration_error() {
        let error = StsError::MfaSerialInvalid {
            message: "unable to validate MFA code".into(),
        };
        let failure = sts(Call::GetSessionToken, &error, Some("S"), None, None);
        assert_eq!(failure.exit().code(), 2);
        assert!(failure.fix().contains("mfa_serial"));
    }

    #[test]
    fn a_credential_process_that_fails_is_a_runtime_failure() {
        let timed_out = CredentialsError::ProcessTimedOut {
            profile: "p".into(),
            seconds: 60,
        };
        assert_eq!(credentials(&timed_out).exit().code(), 1);
        let spawn = CredentialsError::ProcessSpawn {
            profile: "p".into(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        };
        assert_eq!(credentials(&spawn).exit().code(), 1);
        let missing = CredentialsError::MissingStaticKey {
            profile: "p".into(),
            missing: "aws_secret_access_key",
        };
        assert_eq!(credentials(&missing).exit().code(), 2);
    }
}
