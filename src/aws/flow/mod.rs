//! Temporary credentials for a resolved profile (docs/sessions.md): from the cache when it has
//! them, else one code, one `GetSessionToken`, then the roles.
//!
//! The flow is a chain of providers, each wrapping the one it gets its credentials from:
//!
//! ```text
//! cached(role N) → cached(role N-1) → … → cached(role 1) → cached(MFA session)
//!                                          └─ or, over 1 h: long-term keys + code
//! ```
//!
//! - `cached`: every provider is wrapped by the cache, which is consulted first, before
//!   anything else is done: a cached `mfa exec` reads one file. The fetch happens under the
//!   cache's lock for its key, so parallel invocations for one session cost one code and one
//!   touch. The STS client builds its SDK client and runtime only on its first call, so the
//!   cached path never creates either.
//! - `session`: one `GetSessionToken` per (long-term key, `mfa_serial`).
//! - `role`: each role assumed with its parent's credentials (the session, or the previous
//!   role) and no MFA parameters; a first role whose duration is over 3600 s cannot be chained,
//!   so it is assumed directly from the long-term keys with an MFA code instead.
//! - `spend`: a code is never spent twice: when the last step spent for the serial is the
//!   current one, the flow waits for the next step (with a countdown) before asking for a code.
//!   STS refusing a YubiKey code as invalid is retried once with the next step's code.
//! - `long_term`: the long-term credentials, named in cache keys without being loaded, and
//!   loaded only when a code is about to be spent.
//!
//! This module decides which providers to chain and for how long each session should last
//! ([`obtain`]); the providers do the rest.

mod cached;
mod long_term;
mod role;
mod session;
mod spend;
#[cfg(test)]
mod tests;

use std::ffi::OsString;
use std::fmt;
use std::time::Duration;

use super::cache::{Origin, SessionCache, SessionKey, SessionKind};
use super::chain::{ResolvedProfile, RoleStep};
use super::credentials::{CredentialsError, SessionCredentials};
use super::profile::SharedFiles;
use super::sts::{StsClient, StsError};
use crate::sources::{CodeSource, SourceError, SourceKind};
use crate::terminal::Terminal;
use cached::{Cached, Provider};
use role::{AssumeRole, Via};
use session::SessionToken;
use spend::CodeSpender;

/// Roles assumed with session credentials last at most this long (role chaining).
pub const CHAINED_ROLE_MAX_SECS: u32 = 3600;

/// What the flow needs, all passed in.
pub struct FlowContext<'a> {
    pub files: &'a SharedFiles,
    pub profile: &'a ResolvedProfile,
    pub cache: &'a SessionCache,
    pub sts: &'a StsClient,
    /// The environment (for `credential_source = Environment` and credential_process).
    pub var: &'a dyn Fn(&str) -> Option<OsString>,
    /// Unix seconds now.
    pub clock: &'a dyn Fn() -> u64,
    /// Waits (for the next TOTP step).
    pub sleep: &'a dyn Fn(Duration),
    /// Lifetime asked for the final credentials (`--duration`), seconds.
    pub duration: Option<u32>,
    /// Opens sealed long-term keys, only when a session must be fetched.
    pub unsealer: &'a dyn crate::aws::credentials::Unsealer,
}

/// The credentials, and whether they cost a code.
#[derive(Debug)]
pub struct Obtained {
    pub credentials: SessionCredentials,
    pub kind: SessionKind,
    pub origin: Origin,
}

/// Which STS call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    GetSessionToken,
    AssumeRole,
}

impl fmt::Display for Call {
    /// The STS action's name: `GetSessionToken`, `AssumeRole`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Call::GetSessionToken => "GetSessionToken",
            Call::AssumeRole => "AssumeRole",
        })
    }
}

/// Why no credentials could be obtained.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FlowError {
    #[error("profile `{profile}` has no mfa_serial")]
    NoMfaSerial { profile: String },
    /// A lifetime STS cannot grant, found before a code is asked for.
    #[error("{call} cannot last {seconds} s (STS allows {min}–{max} s)")]
    ImpossibleDuration {
        call: Call,
        seconds: u32,
        min: u32,
        max: u32,
    },
    /// `mfa_serial` names a FIDO security key (`arn:aws:iam::…:u2f/…`): STS takes only the
    /// codes of virtual or hardware TOTP devices, so no command-line tool can use it.
    #[error("mfa_serial of profile `{profile}` is a FIDO security key ({serial})")]
    FidoSerial { profile: String, serial: String },
    /// STS refused the call and its `Date` header is far from our clock: the likely cause.
    /// `skew_seconds` is the server's time minus ours.
    #[error("{call} failed: {error}")]
    ClockOff {
        call: Call,
        error: StsError,
        skew_seconds: i64,
    },
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("{call} failed: {error}")]
    Sts {
        call: Call,
        error: StsError,
        mfa_serial: Option<String>,
        role_arn: Option<String>,
        /// Where the code came from, when the call carried one.
        code_source: Option<SourceKind>,
    },
}

impl FlowError {
    /// The error of an STS call made for role `role_arn`, naming it.
    fn for_role(self, role_arn: &str) -> FlowError {
        match self {
            FlowError::Sts {
                call,
                error,
                mfa_serial,
                code_source,
                role_arn: _,
            } => FlowError::Sts {
                call,
                error,
                mfa_serial,
                role_arn: Some(role_arn.to_owned()),
                code_source,
            },
            other @ (FlowError::NoMfaSerial { .. }
            | FlowError::FidoSerial { .. }
            | FlowError::ClockOff { .. }
            | FlowError::ImpossibleDuration { .. }
            | FlowError::Credentials(_)
            | FlowError::Source(_)) => other,
        }
    }
}

/// Obtains the final credentials of `ctx.profile`, taking codes from `source`.
pub fn obtain(
    ctx: &FlowContext<'_>,
    source: &mut dyn CodeSource,
    terminal: &mut dyn Terminal,
) -> Result<Obtained, FlowError> {
    let serial = ctx
        .profile
        .mfa_serial
        .as_deref()
        .ok_or_else(|| FlowError::NoMfaSerial {
            profile: ctx.profile.name.clone(),
        })?;
    if is_fido_serial(serial) {
        return Err(FlowError::FidoSerial {
            profile: ctx.profile.name.clone(),
            serial: serial.to_owned(),
        });
    }
    check_durations(ctx)?;
    providers(ctx, serial, source).retrieve(terminal)
}

/// Whether `serial` is the ARN of a FIDO security key (`arn:aws:iam::ACCOUNT:u2f/…`), which
/// STS cannot take a code from.
fn is_fido_serial(serial: &str) -> bool {
    serial.starts_with("arn:") && serial.contains(":u2f/")
}

/// STS's bounds: `GetSessionToken` 15 min to 36 h, `AssumeRole` 15 min to 12 h (the role's own
/// maximum may be lower; STS says so).
const SESSION_SECS: (u32, u32) = (900, 129_600);
const ROLE_SECS: (u32, u32) = (900, 43_200);

/// Refuses a lifetime STS cannot grant before anything is asked: sent, it would be refused
/// after the code was taken (and the code recorded as spent).
fn check_durations(ctx: &FlowContext<'_>) -> Result<(), FlowError> {
    let check = |call: Call, seconds: Option<u32>, (min, max): (u32, u32)| match seconds {
        Some(seconds) if !(min..=max).contains(&seconds) => Err(FlowError::ImpossibleDuration {
            call,
            seconds,
            min,
            max,
        }),
        _ => Ok(()),
    };
    let roles = ctx.profile.roles.len();
    let session_duration = if roles == 0 {
        ctx.duration.or(ctx.profile.mfa_session_duration)
    } else {
        ctx.profile.mfa_session_duration
    };
    check(Call::GetSessionToken, session_duration, SESSION_SECS)?;
    for index in 0..roles {
        check(Call::AssumeRole, role_duration(ctx, index), ROLE_SECS)?;
    }
    Ok(())
}

/// The provider of the final credentials: the cached MFA session when the profile has no role,
/// else the cached last role, wrapping the one before it, down to the first role, which wraps
/// the cached session or, over the chaining limit, spends a code itself.
///
/// Only building happens here: nothing is read, loaded or asked until `retrieve`. The cache
/// keys are those of docs/sessions.md: the session by (long-term identity, `mfa_serial`), each
/// role by (its profile, its ARN, the key of the role before it, else the session's key, also
/// for a first role assumed directly).
fn providers<'a>(
    ctx: &'a FlowContext<'a>,
    serial: &'a str,
    source: &'a mut dyn CodeSource,
) -> Box<dyn Provider + 'a> {
    let codes = CodeSpender::new(ctx, serial, source);
    let session_key = SessionKey::session_token(&long_term::identity(ctx), serial);
    let session = |codes, duration| {
        let fetch = SessionToken::new(ctx, serial, duration, codes);
        Box::new(Cached::new(
            ctx,
            session_key.clone(),
            "the MFA session".into(),
            fetch,
        ))
    };
    let Some((first, others)) = ctx.profile.roles.split_first() else {
        // The session is the final credentials: `--duration` is its lifetime.
        return session(codes, ctx.duration.or(ctx.profile.mfa_session_duration));
    };
    let role = |index, role: &'a RoleStep, key: SessionKey, via| {
        let fetch = AssumeRole::new(ctx, role, serial, role_duration(ctx, index), via);
        Box::new(Cached::new(ctx, key, fetch.what(), fetch))
    };
    let via = if role_duration(ctx, 0).is_some_and(|d| d > CHAINED_ROLE_MAX_SECS) {
        // AWS limits chained roles to 1 h: this one is assumed from the long-term keys.
        Via::LongTermKeys(codes)
    } else {
        // The session is only a parent here: it lasts `mfa_session_duration`, not `--duration`.
        Via::Parent(session(codes, ctx.profile.mfa_session_duration))
    };
    let mut key = SessionKey::role(&first.profile, &first.role_arn, &session_key);
    let mut provider: Box<dyn Provider + 'a> = role(0, first, key.clone(), via);
    for (index, step) in others.iter().enumerate() {
        key = SessionKey::role(&step.profile, &step.role_arn, &key);
        provider = role(index + 1, step, key.clone(), Via::Parent(provider));
    }
    provider
}

/// The lifetime asked for role `index`: `--duration` for the last one (the final credentials,
/// when given), else the role's `duration_seconds`.
fn role_duration(ctx: &FlowContext<'_>, index: usize) -> Option<u32> {
    let roles = &ctx.profile.roles;
    let last = index + 1 == roles.len();
    let asked = if last { ctx.duration } else { None };
    asked.or(roles.get(index).and_then(|r| r.duration_seconds))
}
