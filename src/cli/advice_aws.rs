//! What to tell the user when getting AWS credentials fails: the aws layer's errors (the flow,
//! STS, long-term credentials, the cache, the source plan) as the two lines of docs/errors.md.
//!
//! STS's own message is kept in the first line; the second says what usually causes it.

use crate::aws::cache::CacheError;
use crate::aws::credentials::CredentialsError;
use crate::aws::flow::{Call, FlowError};
use crate::aws::sts::StsError;
use crate::cli::Failure;
use crate::cli::advice;
use crate::keystore::KeystoreError;
use crate::sources::SourceKind;
use crate::sources::auto::PlanError;

/// Any failure of [`crate::aws::flow::obtain`].
pub fn flow(error: &FlowError) -> Failure {
    match error {
        FlowError::NoMfaSerial { profile } => Failure::usage(
            format!("profile `{profile}` has no mfa_serial"),
            "set mfa_serial = arn:aws:iam::ACCOUNT:mfa/NAME on it (or its source_profile), or \
             register a key with `mfa register --write-config`",
        ),
        FlowError::Credentials(error) => credentials(error),
        FlowError::Source(error) => advice::source(error),
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
        #[allow(unreachable_patterns)]
        other => Failure::runtime(other.to_string(), "run with -v for details"),
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
    let call_name = match call {
        Call::GetSessionToken => "GetSessionToken".to_owned(),
        Call::AssumeRole => format!("AssumeRole {}", role_arn.unwrap_or("")),
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
                _ => {
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
            Failure::runtime(
                what,
                format!(
                    "check the network and the endpoint {endpoint} (AWS_ENDPOINT_URL_STS, \
                     region); proxies are not supported yet"
                ),
            )
        }
        StsError::Validation { .. } => Failure::usage(
            what,
            "check duration_seconds (roles chained from a session last at most 3600 s) and the \
             role ARN",
        ),
        _ => Failure::runtime(what, "run with -v for details"),
    }
}

/// Long-term credentials that could not be loaded (configuration errors).
pub fn credentials(error: &CredentialsError) -> Failure {
    let fix = match error {
        CredentialsError::MissingStaticKey { .. } => {
            "add aws_access_key_id and aws_secret_access_key to the profile in ~/.aws/credentials"
        }
        CredentialsError::MissingEnvironment { .. } => {
            "export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (credential_source = Environment)"
        }
        _ => "check the profile's credential_process: run it by hand and look at its JSON",
    };
    Failure::usage(error.to_string(), fix)
}

/// A cache that cannot be used: what is wrong with the directory or keyring, and the way out.
pub fn cache(error: &CacheError) -> Failure {
    let elsewhere = "or point MFA_CACHE_DIR at a directory of your own";
    match error {
        CacheError::DirForeignOwner { path, .. } => Failure::runtime(
            error.to_string(),
            format!(
                "take it back (`chown -R \"$USER\" {}`), {elsewhere}",
                path.display()
            ),
        ),
        CacheError::DirTooOpen { path, stranger, .. } => Failure::runtime(
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
        CacheError::Keyring(_) => Failure::runtime(
            error.to_string(),
            "check that the user keyring works (`keyctl show @u`), or set mfa_cache = file in \
             the profile",
        ),
        _ => Failure::runtime(
            error.to_string(),
            format!("check the directory's owner and permissions, {elsewhere}"),
        ),
    }
}

/// `--source` / `mfa_source` that cannot be honoured.
pub fn plan(error: &PlanError) -> Failure {
    Failure::usage(error.to_string(), error.fix())
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
}
