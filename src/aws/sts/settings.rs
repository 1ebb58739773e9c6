//! Where and how patiently to call STS, and role session names.

use std::ffi::OsString;
use std::time::Duration;

use crate::aws::chain::RoleStep;

/// The region used when neither the profile nor the environment names one.
pub const DEFAULT_REGION: &str = "us-east-1";

/// Where and how patiently to call STS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsSettings {
    pub region: String,
    /// An endpoint override (`AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`).
    pub endpoint_url: Option<String>,
    /// The service's host prefix, for messages: `sts` (or `iam`, see
    /// [`StsSettings::for_service`]).
    pub host: String,
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Time to wait for an answer once the request is sent.
    pub read_timeout: Duration,
    /// Time for one attempt.
    pub attempt_timeout: Duration,
    /// Time for the whole call, retries included.
    pub operation_timeout: Duration,
    /// Attempts per call, the first included.
    pub max_attempts: u32,
    /// Pause before the first retry; doubled for each next one.
    pub initial_backoff: Duration,
}

impl StsSettings {
    /// Default timeouts for `region`: connect 3 s, read and attempt 5 s, whole call 10 s,
    /// 3 attempts.
    pub fn new(region: impl Into<String>) -> StsSettings {
        StsSettings {
            region: region.into(),
            endpoint_url: None,
            host: "sts".to_owned(),
            connect_timeout: Duration::from_secs(3),
            read_timeout: Duration::from_secs(5),
            attempt_timeout: Duration::from_secs(5),
            operation_timeout: Duration::from_secs(10),
            max_attempts: 3,
            initial_backoff: Duration::from_millis(300),
        }
    }

    /// Region from the profile, else `AWS_REGION`, else `AWS_DEFAULT_REGION`, else
    /// [`DEFAULT_REGION`]; endpoint from `AWS_ENDPOINT_URL_STS`, else `AWS_ENDPOINT_URL`.
    pub fn from_env(
        profile_region: Option<&str>,
        var: &dyn Fn(&str) -> Option<OsString>,
    ) -> StsSettings {
        let get = |name: &str| {
            var(name)
                .and_then(|v| v.into_string().ok())
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let region = profile_region
            .map(str::to_owned)
            .or_else(|| get("AWS_REGION"))
            .or_else(|| get("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| DEFAULT_REGION.to_owned());
        StsSettings {
            endpoint_url: get("AWS_ENDPOINT_URL_STS").or_else(|| get("AWS_ENDPOINT_URL")),
            ..StsSettings::new(region)
        }
    }

    /// [`StsSettings::from_env`] for another service: the endpoint from
    /// `AWS_ENDPOINT_URL_<SERVICE>` (`IAM` for IAM), else `AWS_ENDPOINT_URL`.
    pub fn for_service(
        service: &str,
        profile_region: Option<&str>,
        var: &dyn Fn(&str) -> Option<OsString>,
    ) -> StsSettings {
        let specific = format!("AWS_ENDPOINT_URL_{service}");
        let sts = StsSettings::from_env(profile_region, &|name: &str| {
            if name == "AWS_ENDPOINT_URL_STS" {
                var(&specific)
            } else {
                var(name)
            }
        });
        StsSettings {
            host: service.to_ascii_lowercase(),
            ..sts
        }
    }

    /// The endpoint calls go to, for messages.
    pub fn endpoint(&self) -> String {
        match &self.endpoint_url {
            Some(url) => url.clone(),
            None if self.host == "iam" => "https://iam.amazonaws.com".to_owned(),
            None => format!("https://{}.{}.amazonaws.com", self.host, self.region),
        }
    }
}

/// A role session name for `user` at `unix` seconds: `mfa-USER-UNIX`, with characters STS does
/// not accept (`[\w+=,.@-]` only) replaced by `-`, and at most 64 characters.
pub fn default_session_name(user: &str, unix: u64) -> String {
    let suffix = format!("-{unix}");
    let clean: String = user
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(64 - "mfa-".len() - suffix.len())
        .collect();
    let user = if clean.is_empty() { "user" } else { &clean };
    format!("mfa-{user}{suffix}")
}

/// The profile's `role_session_name`, else [`default_session_name`].
pub fn role_session_name(role: &RoleStep, user: &str, unix: u64) -> String {
    role.role_session_name
        .clone()
        .unwrap_or_else(|| default_session_name(user, unix))
}
