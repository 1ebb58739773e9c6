//! STS calls: `GetSessionToken` with MFA, `AssumeRole` (from a session, or with MFA), and
//! `GetCallerIdentity`, through aws-sdk-sts.
//!
//! The client is configured directly from the credentials each call is given — no aws-config,
//! no default credential chain, no IMDS probe. Region and endpoint come from [`StsSettings`]
//! (the profile's `region`, then `AWS_REGION`/`AWS_DEFAULT_REGION`, then `us-east-1`;
//! `AWS_ENDPOINT_URL_STS`, then `AWS_ENDPOINT_URL`). Connect and operation timeouts are
//! bounded so that an unreachable endpoint fails in seconds.
//!
//! Retries: calls without a code use the SDK's standard retry (a few attempts). A call that
//! carries an MFA code is sent once by the SDK and resent by us only after errors that prove
//! STS never checked the code (throttling, connection refused): after a timeout, a 500 or a
//! dropped connection the code may have been consumed, and resending it would be a reuse.
//!
//! A small current-thread tokio runtime is created inside this module on the first call and
//! lives as long as the [`StsClient`]; nothing else in the tool starts one.

pub(crate) mod error;
mod settings;
#[cfg(test)]
mod tests;

pub use error::StsError;
pub use settings::{
    DEFAULT_REGION, SettingsError, StsSettings, default_session_name, role_session_name,
};

use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};

use aws_sdk_sts::config::interceptors::BeforeDeserializationInterceptorContextRef;
use aws_sdk_sts::config::retry::RetryConfig;
use aws_sdk_sts::config::{
    BehaviorVersion, ConfigBag, Credentials, IdentityCache, Intercept, Region, RuntimeComponents,
};
use aws_sdk_sts::error::BoxError;
use aws_sdk_sts::primitives::{DateTime, DateTimeFormat};

use super::chain::RoleStep;
use super::credentials::{LongTermCredentials, SessionCredentials, SigningKeys};
use crate::secret::SecretString;
use crate::sources::MfaCode;

/// What `AssumeRole` returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumedRole {
    pub credentials: SessionCredentials,
    /// `arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`.
    pub assumed_role_arn: Option<String>,
}

/// What `GetCallerIdentity` returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
    pub user_id: String,
}

struct Inner {
    runtime: tokio::runtime::Runtime,
    client: aws_sdk_sts::Client,
}

/// An STS client. Cheap to create: the SDK client and the runtime are made at the first call.
pub struct StsClient {
    settings: StsSettings,
    inner: OnceLock<Inner>,
    server_date: Arc<Mutex<Option<u64>>>,
}

impl std::fmt::Debug for StsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StsClient")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl StsClient {
    pub fn new(settings: StsSettings) -> StsClient {
        StsClient {
            settings,
            inner: OnceLock::new(),
            server_date: Arc::default(),
        }
    }

    pub fn settings(&self) -> &StsSettings {
        &self.settings
    }

    /// The `Date` header of the last answer STS gave (errors included), Unix seconds: the
    /// server's clock, for a clock-skew check.
    pub fn server_date(&self) -> Option<u64> {
        *self
            .server_date
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `GetSessionToken` with `SerialNumber` and `TokenCode`. `duration_secs` defaults to STS's
    /// 43200.
    pub fn get_session_token(
        &self,
        keys: &LongTermCredentials,
        mfa_serial: &str,
        code: &MfaCode,
        duration_secs: Option<u32>,
    ) -> Result<SessionCredentials, StsError> {
        let duration = to_i32(duration_secs)?;
        let endpoint = self.settings.endpoint();
        self.run(|client| async move {
            let creds = sdk_credentials(keys);
            self.send_with_code(|| {
                let request = client
                    .get_session_token()
                    .set_duration_seconds(duration)
                    .serial_number(mfa_serial)
                    .token_code(code.expose())
                    .customize()
                    .config_override(override_config(creds.clone(), true));
                let endpoint = endpoint.clone();
                async move {
                    let output = request
                        .send()
                        .await
                        .map_err(|e| error::from_sdk(e, &endpoint))?;
                    session_credentials(output.credentials)
                }
            })
            .await
        })
    }

    /// `AssumeRole` of `role` with `keys` — a session's credentials (no MFA needed: the session
    /// carries it) or long-term keys with `mfa`. `duration_secs` overrides the profile's
    /// `duration_seconds`; with neither, STS's default (1 h) applies. `session_name` is used
    /// as given (see [`role_session_name`]).
    pub fn assume_role(
        &self,
        keys: &dyn SigningKeys,
        role: &RoleStep,
        mfa: Option<(&str, &MfaCode)>,
        duration_secs: Option<u32>,
        session_name: &str,
    ) -> Result<AssumedRole, StsError> {
        let duration = to_i32(duration_secs.or(role.duration_seconds))?;
        let endpoint = self.settings.endpoint();
        self.run(|client| async move {
            let creds = sdk_credentials(keys);
            let send = || {
                let mut request = client
                    .assume_role()
                    .role_arn(&role.role_arn)
                    .role_session_name(session_name)
                    .set_external_id(role.external_id.clone())
                    .set_duration_seconds(duration);
                if let Some((serial, code)) = mfa {
                    request = request.serial_number(serial).token_code(code.expose());
                }
                let request = request
                    .customize()
                    .config_override(override_config(creds.clone(), mfa.is_some()));
                let endpoint = endpoint.clone();
                async move {
                    let output = request
                        .send()
                        .await
                        .map_err(|e| error::from_sdk(e, &endpoint))?;
                    Ok(AssumedRole {
                        assumed_role_arn: output.assumed_role_user.map(|u| u.arn),
                        credentials: session_credentials(output.credentials)?,
                    })
                }
            };
            if mfa.is_some() {
                self.send_with_code(send).await
            } else {
                send().await
            }
        })
    }

    /// `GetCallerIdentity` with `keys`.
    pub fn get_caller_identity(&self, keys: &dyn SigningKeys) -> Result<CallerIdentity, StsError> {
        let endpoint = self.settings.endpoint();
        self.run(|client| async move {
            let output = client
                .get_caller_identity()
                .customize()
                .config_override(override_config(sdk_credentials(keys), false))
                .send()
                .await
                .map_err(|e| error::from_sdk(e, &endpoint))?;
            Ok(CallerIdentity {
                account: output.account.unwrap_or_default(),
                arn: output.arn.unwrap_or_default(),
                user_id: output.user_id.unwrap_or_default(),
            })
        })
    }

    /// Sends a request carrying an MFA code, resending it only after errors that prove the
    /// code was not checked.
    async fn send_with_code<T, F, Fut>(&self, send: F) -> Result<T, StsError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, StsError>>,
    {
        let mut backoff = self.settings.initial_backoff;
        let mut attempt = 1;
        loop {
            match send().await {
                Err(e) if e.is_safe_to_resend() && attempt < self.settings.max_attempts => {
                    tokio::time::sleep(backoff).await;
                    backoff = backoff.saturating_mul(2);
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// Runs `call` on the client, creating the runtime and the client first if needed.
    fn run<'a, T, F, Fut>(&'a self, call: F) -> Result<T, StsError>
    where
        F: FnOnce(&'a aws_sdk_sts::Client) -> Fut,
        Fut: Future<Output = Result<T, StsError>> + 'a,
    {
        let inner = self.inner()?;
        inner.runtime.block_on(call(&inner.client))
    }

    fn inner(&self) -> Result<&Inner, StsError> {
        if let Some(inner) = self.inner.get() {
            return Ok(inner);
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StsError::Other {
                code: None,
                message: format!("cannot start the async runtime: {e}"),
            })?;
        let client = {
            let _entered = runtime.enter();
            aws_sdk_sts::Client::from_conf(self.base_config())
        };
        // Another thread may have won the race; either value is as good.
        let _ = self.inner.set(Inner { runtime, client });
        self.inner.get().ok_or_else(|| StsError::Other {
            code: None,
            message: "the STS client could not be created".into(),
        })
    }

    fn base_config(&self) -> aws_sdk_sts::Config {
        let s = &self.settings;
        let mut builder = aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .http_client(super::https::client())
            .region(Region::new(s.region.clone()))
            .identity_cache(IdentityCache::no_cache())
            .timeout_config(s.timeout_config())
            .retry_config(s.retry_config())
            .interceptor(DateRecorder(self.server_date.clone()));
        if let Some(url) = &s.endpoint_url {
            builder = builder.endpoint_url(url);
        }
        builder.build()
    }
}

/// Per-call configuration: the caller's credentials, and no SDK retries for a call with a code.
fn override_config(creds: Credentials, carries_code: bool) -> aws_sdk_sts::config::Builder {
    let builder = aws_sdk_sts::Config::builder().credentials_provider(creds);
    if carries_code {
        builder.retry_config(RetryConfig::disabled())
    } else {
        builder
    }
}

fn sdk_credentials(keys: &dyn SigningKeys) -> Credentials {
    Credentials::new(
        keys.access_key_id(),
        keys.secret_access_key().expose(),
        keys.session_token().map(|t| t.expose().to_owned()),
        None,
        "mfa",
    )
}

fn session_credentials(
    creds: Option<aws_sdk_sts::types::Credentials>,
) -> Result<SessionCredentials, StsError> {
    let creds = creds.ok_or_else(|| StsError::Other {
        code: None,
        message: "the answer holds no credentials".into(),
    })?;
    let expiration = u64::try_from(creds.expiration.secs()).unwrap_or(0);
    // The SDK fills a required field it did not find with a default (an empty string, the
    // epoch): a truncated answer would become credentials that cannot work.
    let missing = [
        ("AccessKeyId", creds.access_key_id.is_empty()),
        ("SecretAccessKey", creds.secret_access_key.is_empty()),
        ("SessionToken", creds.session_token.is_empty()),
        ("Expiration", expiration == 0),
    ]
    .iter()
    .filter(|(_, missing)| *missing)
    .map(|(name, _)| *name)
    .collect::<Vec<_>>();
    if !missing.is_empty() {
        return Err(StsError::Incomplete {
            missing: missing.join(", "),
        });
    }
    Ok(SessionCredentials {
        access_key_id: creds.access_key_id,
        secret_access_key: SecretString::new(creds.secret_access_key),
        session_token: SecretString::new(creds.session_token),
        expiration,
    })
}

fn to_i32(seconds: Option<u32>) -> Result<Option<i32>, StsError> {
    seconds
        .map(|s| {
            i32::try_from(s).map_err(|_| StsError::Validation {
                message: format!("a duration of {s} seconds is out of range"),
            })
        })
        .transpose()
}

/// Records the `Date` header of every answer.
#[derive(Debug)]
struct DateRecorder(Arc<Mutex<Option<u64>>>);

impl Intercept for DateRecorder {
    fn name(&self) -> &'static str {
        "mfa::DateRecorder"
    }

    fn read_after_transmit(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let date = context
            .response()
            .headers()
            .get("date")
            .and_then(|d| DateTime::from_str(d, DateTimeFormat::HttpDate).ok())
            .and_then(|d| u64::try_from(d.secs()).ok());
        if let Some(date) = date {
            *self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(date);
        }
        Ok(())
    }
}
