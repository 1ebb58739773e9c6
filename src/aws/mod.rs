//! The AWS layer: shared config/credentials profiles, STS sessions, IAM registration and the
//! session cache (docs/configuration.md, docs/sessions.md).
//!
//! - [`ini`]: the shared files' INI dialect, read and edited without losing comments.
//! - [`profile`]: profiles with the AWS CLI's rules (config vs credentials file, precedence).
//! - [`chain`]: `role_arn`/`source_profile` chains resolved down to long-term credentials.
//! - [`credentials`]: long-term and temporary credentials, loaded from a profile, a
//!   `credential_process` or the environment.
//! - [`duration`]: the `--duration` syntax.
//! - [`proxy`]: which forward proxy (from `HTTPS_PROXY`, `NO_PROXY`, …) carries a call.
//! - [`sts`]: `GetSessionToken`, `AssumeRole` and `GetCallerIdentity` through aws-sdk-sts.
//! - [`iam`]: virtual MFA devices for `mfa register`/`mfa deregister` through aws-sdk-iam.
//! - [`eks`]: EKS bearer tokens, a presigned `GetCallerIdentity` URL (no request is sent).
//! - [`cache`]: cached sessions, the fetch lock and spent-code records (no SDK, no runtime).
//! - [`write_profile`]: a session stored as a credentials-file profile (`mfa login
//!   --write-profile`).

pub mod cache;
pub mod chain;
pub mod credentials;
pub mod duration;
#[cfg(feature = "sts")]
pub mod eks;
#[cfg(feature = "sts")]
pub mod flow;
#[cfg(feature = "sts")]
pub mod https;
#[cfg(feature = "iam")]
pub mod iam;
pub mod ini;
pub mod profile;
#[cfg(feature = "sts")]
pub mod proxy;
#[cfg(feature = "sts")]
pub mod sts;
pub mod write_profile;
