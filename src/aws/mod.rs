//! The AWS layer: shared config/credentials profiles, STS sessions, IAM registration and the
//! session cache (SPEC §3, §5, §7).
//!
//! - [`ini`]: the shared files' INI dialect, read and edited without losing comments.
//! - [`profile`]: profiles with the AWS CLI's rules (config vs credentials file, precedence).
//! - [`chain`]: `role_arn`/`source_profile` chains resolved down to long-term credentials.

pub mod chain;
pub mod ini;
pub mod profile;
