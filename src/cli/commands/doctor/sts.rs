//! The doctor's checks against STS: `GetCallerIdentity` with the profile's long-term keys (no
//! MFA code is spent), and the local clock against the `Date` of STS's answer.

use std::ffi::OsString;

use super::aws::ProfileFacts;
use super::{Check, DoctorSetup, Status};
use crate::aws::credentials::{self, LongTermCredentials, rfc3339};
use crate::aws::sts::{CallerIdentity, StsClient, StsError, StsSettings};
use crate::cli::advice;

/// Largest clock difference with STS that is not reported: a TOTP code is valid for its 30 s
/// step, and AWS accepts little more.
pub const MAX_SKEW_SECS: u64 = 30;

/// What one `GetCallerIdentity` gave.
#[derive(Debug)]
pub struct Probe {
    /// Where it was sent.
    pub endpoint: String,
    pub identity: Result<CallerIdentity, StsError>,
    /// The `Date` header of the answer (errors included), Unix seconds.
    pub server_date: Option<u64>,
}

/// Asks STS who the long-term keys belong to.
pub trait StsProbe {
    /// `GetCallerIdentity` with `keys`, in `region` (the profile's; else the environment's).
    fn caller_identity(&mut self, region: Option<&str>, keys: &LongTermCredentials) -> Probe;
}

/// [`StsProbe`] through aws-sdk-sts, with the endpoint and region of the environment.
pub struct SdkProbe<'a> {
    var: &'a dyn Fn(&str) -> Option<OsString>,
}

impl<'a> SdkProbe<'a> {
    pub fn new(var: &'a dyn Fn(&str) -> Option<OsString>) -> SdkProbe<'a> {
        SdkProbe { var }
    }
}

impl StsProbe for SdkProbe<'_> {
    fn caller_identity(&mut self, region: Option<&str>, keys: &LongTermCredentials) -> Probe {
        let client = StsClient::new(StsSettings::from_env(region, self.var));
        let identity = client.get_caller_identity(keys);
        Probe {
            endpoint: client.settings().endpoint(),
            identity,
            server_date: client.server_date(),
        }
    }
}

/// `sts` and `clock`: `GetCallerIdentity` with the profile's long-term keys (no MFA code is
/// spent), and the local clock against the `Date` of STS's answer.
pub(super) fn sts_and_clock(
    setup: &DoctorSetup<'_>,
    facts: &ProfileFacts,
    sts: &mut dyn StsProbe,
    clock: &dyn Fn() -> u64,
) -> Vec<Check> {
    let unchecked = |why: String| {
        Check::problem(
            "clock",
            Status::Warn,
            format!("not checked: {why}"),
            "fix the problem above; the clock is compared with STS's using the profile's keys",
        )
    };
    let (Ok(files), Some(Ok(resolved))) = (&setup.files, facts.chain()) else {
        return vec![unchecked(format!(
            "profile `{}` does not lead to long-term keys",
            setup.profile
        ))];
    };
    if let crate::aws::chain::LongTermSource::Sealed { profile } = &resolved.source {
        // Unsealing needs the YubiKey (and maybe a touch): doctor changes and spends nothing.
        return vec![Check::problem(
            "sts",
            Status::Warn,
            format!(
                "not checked: the keys of [{profile}] are sealed by a YubiKey, and doctor does \
                 not unseal them"
            ),
            "run `mfa exec -- aws sts get-caller-identity` to check them with the key",
        )];
    }
    let keys = match credentials::load_long_term(
        &resolved.source,
        files,
        setup.var,
        clock(),
        &credentials::NoUnsealer,
    ) {
        Ok(keys) => keys,
        Err(error) => {
            return vec![
                Check::problem(
                    "sts",
                    Status::Fail,
                    format!("the long-term credentials cannot be loaded: {error}"),
                    advice::aws::credentials(&error).fix(),
                ),
                unchecked("no long-term credentials to call STS with".to_owned()),
            ];
        }
    };
    let temporary = keys.session_token.is_some();
    let probe = sts.caller_identity(resolved.region.as_deref(), &keys);
    drop(keys);
    let local = clock();
    let endpoint = &probe.endpoint;
    let sts_check = match &probe.identity {
        Ok(identity) if temporary => Check::problem(
            "sts",
            Status::Warn,
            format!(
                "STS at {endpoint} knows the credentials ({}), but they are temporary (they carry \
                 a session token), and GetSessionToken refuses those",
                identity.arn
            ),
            "give the profile an IAM user's long-term keys (AKIA…), or assume a role with \
             role_arn instead",
        ),
        Ok(identity) => Check::ok(
            "sts",
            format!(
                "STS at {endpoint} knows the long-term keys: {}",
                identity.arn
            ),
        ),
        Err(error) => sts_problem(error, endpoint),
    };
    let clock_check = match probe.server_date {
        Some(server) => skew(local, server, endpoint),
        None => Check::problem(
            "clock",
            Status::Warn,
            format!("not checked: no answer from STS at {endpoint}"),
            "check the network; the clock is compared with the Date of STS's answer",
        ),
    };
    vec![sts_check, clock_check]
}

/// `clock`: `local` against STS's `server` time.
pub(super) fn skew(local: u64, server: u64, endpoint: &str) -> Check {
    let difference = local.abs_diff(server);
    if difference <= MAX_SKEW_SECS {
        return Check::ok(
            "clock",
            format!("within {difference} s of STS's clock ({endpoint})"),
        );
    }
    let direction = if local > server { "ahead of" } else { "behind" };
    Check::problem(
        "clock",
        Status::Fail,
        format!(
            "the local clock is {difference} s {direction} STS's ({endpoint} says {}): codes will \
             be refused",
            rfc3339::format(server)
        ),
        "set the clock, e.g. `sudo timedatectl set-ntp true` (or `sudo chronyc makestep`): TOTP \
         codes are computed from it",
    )
}

fn sts_problem(error: &StsError, endpoint: &str) -> Check {
    let (status, fix) = match error {
        StsError::Unreachable { .. }
        | StsError::TimedOut { .. }
        | StsError::ConnectionLost { .. } => (
            Status::Warn,
            format!(
                "check the network, the region and AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL \
                 (now {endpoint})"
            ),
        ),
        StsError::Throttled { .. } | StsError::ServerError { .. } => (
            Status::Warn,
            "run `mfa doctor` again in a moment".to_owned(),
        ),
        StsError::InvalidClientTokenId { .. } => (
            Status::Fail,
            "AWS does not know this access key id: check aws_access_key_id (was the key deleted \
             or rotated?)"
                .to_owned(),
        ),
        StsError::ExpiredToken { .. } => (
            Status::Fail,
            "the credentials have expired: renew them at their source".to_owned(),
        ),
        StsError::Other {
            code: Some(code), ..
        } if code == "SignatureDoesNotMatch" => (
            Status::Fail,
            "the secret key does not match the access key id: check aws_secret_access_key"
                .to_owned(),
        ),
        StsError::MfaCodeRejected { .. }
        | StsError::MfaSerialInvalid { .. }
        | StsError::AccessDenied { .. }
        | StsError::Validation { .. }
        | StsError::Malformed { .. }
        | StsError::Incomplete { .. }
        | StsError::Other { .. } => (
            Status::Fail,
            "check the profile's long-term keys (`aws sts get-caller-identity --profile …` \
             should work without MFA)"
                .to_owned(),
        ),
    };
    Check::problem("sts", status, error.to_string(), fix)
}
