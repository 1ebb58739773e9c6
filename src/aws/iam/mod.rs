//! IAM calls for `mfa register` and `mfa deregister` (docs/registering.md), through aws-sdk-iam:
//! virtual MFA devices created, enabled, listed, deactivated and deleted.
//!
//! Like [`crate::aws::sts::StsClient`], the client is configured from the credentials each call is
//! given (no aws-config, no default chain), with the endpoint from `AWS_ENDPOINT_URL_IAM`, else
//! `AWS_ENDPOINT_URL` ([`StsSettings::for_service`]), bounded timeouts, and a current-thread
//! runtime made at the first call. Nothing on the cached path of the credential commands creates
//! one. The operations are behind the [`Iam`] trait, so the registration procedure runs in unit
//! tests against a scripted IAM.

mod error;

pub use error::IamError;

use std::future::Future;
use std::sync::OnceLock;

use aws_sdk_iam::config::retry::RetryConfig;
use aws_sdk_iam::config::{BehaviorVersion, Credentials, IdentityCache, Region};

use super::credentials::SigningKeys;
use super::sts::StsSettings;
use crate::secret::SecretString;

/// A virtual MFA device just created: its serial and its Base32 seed.
#[derive(Debug)]
pub struct CreatedDevice {
    /// `arn:aws:iam::ACCOUNT:mfa/NAME`.
    pub serial: String,
    /// The Base32 seed, shown once by IAM.
    pub seed_base32: SecretString,
}

/// A virtual MFA device and the user it is assigned to (none: unassigned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualDevice {
    pub serial: String,
    pub user: Option<String>,
}

/// The IAM operations registration needs.
pub trait Iam {
    /// `CreateVirtualMFADevice` named `name`.
    fn create_virtual_mfa_device(&self, name: &str) -> Result<CreatedDevice, IamError>;
    /// `EnableMFADevice` with two consecutive codes.
    fn enable_mfa_device(
        &self,
        user: &str,
        serial: &str,
        code1: &SecretString,
        code2: &SecretString,
    ) -> Result<(), IamError>;
    /// `ListMFADevices` of `user`: the serials of the devices enabled for them.
    fn list_mfa_devices(&self, user: &str) -> Result<Vec<String>, IamError>;
    /// `ListVirtualMFADevices` (every one, assigned or not).
    fn list_virtual_mfa_devices(&self) -> Result<Vec<VirtualDevice>, IamError>;
    /// `DeactivateMFADevice`.
    fn deactivate_mfa_device(&self, user: &str, serial: &str) -> Result<(), IamError>;
    /// `DeleteVirtualMFADevice`.
    fn delete_virtual_mfa_device(&self, serial: &str) -> Result<(), IamError>;
}

struct Inner {
    runtime: tokio::runtime::Runtime,
    client: aws_sdk_iam::Client,
}

/// An IAM client signing with one set of credentials. Cheap to create: the SDK client and the
/// runtime are made at the first call.
pub struct IamClient {
    settings: StsSettings,
    credentials: Credentials,
    inner: OnceLock<Inner>,
}

impl std::fmt::Debug for IamClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IamClient")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl IamClient {
    /// A client calling IAM as `keys` (long-term keys, or an MFA session's credentials).
    pub fn new(settings: StsSettings, keys: &dyn SigningKeys) -> IamClient {
        IamClient {
            settings,
            credentials: Credentials::new(
                keys.access_key_id(),
                keys.secret_access_key().expose(),
                keys.session_token().map(|t| t.expose().to_owned()),
                None,
                "mfa",
            ),
            inner: OnceLock::new(),
        }
    }

    /// Where calls go, for messages.
    pub fn endpoint(&self) -> String {
        self.settings.endpoint()
    }

    fn run<'a, T, F, Fut>(&'a self, action: &'static str, call: F) -> Result<T, IamError>
    where
        F: FnOnce(&'a aws_sdk_iam::Client) -> Fut,
        Fut: Future<Output = Result<T, IamError>> + 'a,
    {
        let inner = self.inner(action)?;
        inner.runtime.block_on(call(&inner.client))
    }

    fn inner(&self, action: &'static str) -> Result<&Inner, IamError> {
        if let Some(inner) = self.inner.get() {
            return Ok(inner);
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| IamError::Other {
                action,
                code: None,
                message: format!("cannot start the async runtime: {e}"),
            })?;
        let client = {
            let _entered = runtime.enter();
            aws_sdk_iam::Client::from_conf(self.config())
        };
        let _ = self.inner.set(Inner { runtime, client });
        self.inner.get().ok_or_else(|| IamError::Other {
            action,
            code: None,
            message: "the IAM client could not be created".into(),
        })
    }

    fn config(&self) -> aws_sdk_iam::Config {
        let s = &self.settings;
        let mut builder = aws_sdk_iam::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .http_client(super::https::client())
            .region(Region::new(s.region.clone()))
            .credentials_provider(self.credentials.clone())
            .identity_cache(IdentityCache::no_cache())
            .timeout_config(s.timeout_config())
            .retry_config(s.retry_config());
        if let Some(url) = &s.endpoint_url {
            builder = builder.endpoint_url(url);
        }
        builder.build()
    }
}

impl Iam for IamClient {
    fn create_virtual_mfa_device(&self, name: &str) -> Result<CreatedDevice, IamError> {
        const ACTION: &str = "CreateVirtualMFADevice";
        let endpoint = self.endpoint();
        self.run(ACTION, |client| async move {
            let output = client
                .create_virtual_mfa_device()
                .virtual_mfa_device_name(name)
                .send()
                .await
                .map_err(|e| error::from_sdk(e, ACTION, &endpoint))?;
            let Some(device) = output.virtual_mfa_device else {
                return Err(IamError::Other {
                    action: ACTION,
                    code: None,
                    message: "the answer holds no device".into(),
                });
            };
            let seed = device
                .base32_string_seed
                .map(|blob| blob.into_inner())
                .map(zeroize::Zeroizing::new)
                .and_then(|bytes| String::from_utf8(bytes.to_vec()).ok())
                .map(SecretString::new);
            match seed {
                Some(seed_base32) if !seed_base32.is_empty() => Ok(CreatedDevice {
                    serial: device.serial_number,
                    seed_base32,
                }),
                _ => Err(IamError::Other {
                    action: ACTION,
                    code: None,
                    message: "the answer holds no seed".into(),
                }),
            }
        })
    }

    fn enable_mfa_device(
        &self,
        user: &str,
        serial: &str,
        code1: &SecretString,
        code2: &SecretString,
    ) -> Result<(), IamError> {
        const ACTION: &str = "EnableMFADevice";
        let endpoint = self.endpoint();
        self.run(ACTION, |client| async move {
            // Sent once: the codes may be spent even when the answer is lost, and the caller
            // looks at ListMFADevices before deciding what happened.
            client
                .enable_mfa_device()
                .user_name(user)
                .serial_number(serial)
                .authentication_code1(code1.expose())
                .authentication_code2(code2.expose())
                .customize()
                .config_override(
                    aws_sdk_iam::Config::builder().retry_config(RetryConfig::disabled()),
                )
                .send()
                .await
                .map_err(|e| error::from_sdk(e, ACTION, &endpoint))?;
            Ok(())
        })
    }

    fn list_mfa_devices(&self, user: &str) -> Result<Vec<String>, IamError> {
        const ACTION: &str = "ListMFADevices";
        let endpoint = self.endpoint();
        self.run(ACTION, |client| async move {
            let mut serials = Vec::new();
            let mut marker = None;
            loop {
                let output = client
                    .list_mfa_devices()
                    .user_name(user)
                    .set_marker(marker)
                    .send()
                    .await
                    .map_err(|e| error::from_sdk(e, ACTION, &endpoint))?;
                serials.extend(output.mfa_devices.into_iter().map(|d| d.serial_number));
                match output.marker {
                    Some(next) if output.is_truncated => marker = Some(next),
                    _ => return Ok(serials),
                }
            }
        })
    }

    fn list_virtual_mfa_devices(&self) -> Result<Vec<VirtualDevice>, IamError> {
        const ACTION: &str = "ListVirtualMFADevices";
        let endpoint = self.endpoint();
        self.run(ACTION, |client| async move {
            let mut devices = Vec::new();
            let mut marker = None;
            loop {
                let output = client
                    .list_virtual_mfa_devices()
                    .set_marker(marker)
                    .send()
                    .await
                    .map_err(|e| error::from_sdk(e, ACTION, &endpoint))?;
                devices.extend(
                    output
                        .virtual_mfa_devices
                        .into_iter()
                        .map(|d| VirtualDevice {
                            serial: d.serial_number,
                            user: d.user.map(|u| u.user_name),
                        }),
                );
                match output.marker {
                    Some(next) if output.is_truncated => marker = Some(next),
                    _ => return Ok(devices),
                }
            }
        })
    }

    fn deactivate_mfa_device(&self, user: &str, serial: &str) -> Result<(), IamError> {
        const ACTION: &str = "DeactivateMFADevice";
        let endpoint = self.endpoint();
        self.run(ACTION, |client| async move {
            client
                .deactivate_mfa_device()
                .user_name(user)
                .serial_number(serial)
                .send()
                .await
                .map_err(|e| error::from_sdk(e, ACTION, &endpoint))?;
            Ok(())
        })
    }

    fn delete_virtual_mfa_device(&self, serial: &str) -> Result<(), IamError> {
        const ACTION: &str = "DeleteVirtualMFADevice";
        let endpoint = self.endpoint();
        self.run(ACTION, |client| async move {
            client
                .delete_virtual_mfa_device()
                .serial_number(serial)
                .send()
                .await
                .map_err(|e| error::from_sdk(e, ACTION, &endpoint))?;
            Ok(())
        })
    }
}
