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

    /// Refuses a region or an endpoint override the SDK could not use, before anything is
    /// asked of the user: the SDK would fail only while sending — after a code was taken — and
    /// its error quotes the whole request, code included.
    pub fn check(&self) -> Result<(), SettingsError> {
        // With an endpoint given, the region only names the signing scope (a header value):
        // visible ASCII is enough. Without one it becomes part of the host name.
        let usable = match &self.endpoint_url {
            Some(_) => !self.region.is_empty() && self.region.bytes().all(|b| b.is_ascii_graphic()),
            None => is_region(&self.region),
        };
        if !usable {
            return Err(SettingsError::BadRegion {
                region: self.region.clone(),
            });
        }
        if let Some(url) = &self.endpoint_url
            && let Err(problem) = check_endpoint(url)
        {
            return Err(SettingsError::BadEndpoint {
                url: url.clone(),
                problem,
            });
        }
        Ok(())
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

/// A region or endpoint the SDK cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    #[error("region {region:?} is not a region name")]
    BadRegion { region: String },
    #[error("the STS endpoint {url:?} is not a URL: {problem}")]
    BadEndpoint { url: String, problem: &'static str },
}

/// A region name as the AWS endpoints use it: letters, digits and `-` (`eu-west-1`,
/// `us-gov-west-1`), at most 63 characters, neither starting nor ending with `-`.
fn is_region(region: &str) -> bool {
    !region.is_empty()
        && region.len() <= 63
        && region
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !region.starts_with('-')
        && !region.ends_with('-')
}

/// What is wrong with an endpoint URL, if anything: `http://` or `https://`, a host, and
/// nothing but visible ASCII.
fn check_endpoint(url: &str) -> Result<(), &'static str> {
    if !url.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("it holds a space, a control character or a character outside ASCII");
    }
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or("it must start with https:// or http://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    let (host, port) = match host.strip_prefix('[') {
        // An IPv6 literal: `[::1]` or `[::1]:4566`.
        Some(v6) => match v6.split_once(']') {
            Some((addr, after)) => (addr, after.strip_prefix(':')),
            None => return Err("its IPv6 address lacks a `]`"),
        },
        None => match host.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host, None),
        },
    };
    if port.is_some_and(|p| p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit())) {
        return Err("its port is not a number");
    }
    if host.is_empty() {
        return Err("it names no host");
    }
    Ok(())
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

impl StsSettings {
    /// The timeouts, for an SDK client of any service (STS, IAM).
    pub(crate) fn timeout_config(&self) -> aws_sdk_sts::config::timeout::TimeoutConfig {
        aws_sdk_sts::config::timeout::TimeoutConfig::builder()
            .connect_timeout(self.connect_timeout)
            .read_timeout(self.read_timeout)
            .operation_attempt_timeout(self.attempt_timeout)
            .operation_timeout(self.operation_timeout)
            .build()
    }

    /// The retries (at least one attempt), for an SDK client of any service (STS, IAM).
    pub(crate) fn retry_config(&self) -> aws_sdk_sts::config::retry::RetryConfig {
        aws_sdk_sts::config::retry::RetryConfig::standard()
            .with_max_attempts(self.max_attempts.max(1))
            .with_initial_backoff(self.initial_backoff)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn with(region: &str, url: Option<&str>) -> Result<(), SettingsError> {
        StsSettings {
            endpoint_url: url.map(str::to_owned),
            ..StsSettings::new(region)
        }
        .check()
    }

    #[test]
    fn an_invalid_endpoint_or_region_failed_only_after_the_code_was_taken() {
        for url in [
            "https://sts.eu-west-1.amazonaws.com",
            "http://127.0.0.1:4566",
            "http://localhost:4566/",
            "http://[::1]:4566",
            "http://[::1]",
            "HTTPS://user@host/path?x#y",
        ] {
            assert_eq!(with("eu-west-1", Some(url)), Ok(()), "{url}");
        }
        for url in [
            "ht tp://x",
            "localhost:4566",
            "ftp://x",
            "http://",
            "http://:80",
            "http://host:port",
            "http://[::1",
            "http://h\u{1b}[31m",
            "http://hé",
        ] {
            assert!(
                matches!(
                    with("eu-west-1", Some(url)),
                    Err(SettingsError::BadEndpoint { .. })
                ),
                "{url}"
            );
        }
        for region in ["us-gov-west-1", "eu-west-1", "cn-north-1", "local"] {
            assert_eq!(with(region, None), Ok(()), "{region}");
        }
        for region in [
            "eu west 1",
            "eu-west-1/",
            "-x",
            "x-",
            "é",
            "a.b",
            &"a".repeat(64),
        ] {
            assert!(
                matches!(with(region, None), Err(SettingsError::BadRegion { .. })),
                "{region}"
            );
        }
        // With an endpoint, the region is only the signing scope: any visible ASCII goes.
        let local = Some("http://127.0.0.1:4566");
        assert_eq!(with("eu'west\"$(false)`x`\\", local), Ok(()));
        for region in ["eu west 1", "é", "a\u{1b}"] {
            assert!(
                matches!(with(region, local), Err(SettingsError::BadRegion { .. })),
                "{region}"
            );
        }
    }
}
