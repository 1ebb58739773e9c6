//! Temporary credentials for a resolved profile (docs/sessions.md): from the cache when it has them, else
//! one code, one `GetSessionToken`, then the roles.
//!
//! - The cache is consulted first, for the final credentials, before anything else is done: a
//!   cached `mfa exec` reads one file. The STS client builds its SDK client and runtime only on
//!   its first call, so the cached path never creates either.
//! - One `GetSessionToken` per (long-term key, `mfa_serial`), cached; roles are assumed with that
//!   session's credentials and no MFA parameters, each cached per role profile. A first role whose
//!   duration is over 3600 s cannot be chained, so it is assumed directly from the long-term keys
//!   with an MFA code instead.
//! - Every fetch happens under the cache's lock for its key, so parallel invocations for one
//!   session cost one code and one touch.
//! - A code is never spent twice: when the last step spent for the serial is the current one, the
//!   flow waits for the next step (with a countdown) before asking for a code. STS refusing a
//!   YubiKey code as invalid is retried once with the next step's code.

use std::cell::RefCell;
use std::ffi::OsString;
use std::time::Duration;

use super::cache::{
    CacheEvent, CachedSession, Origin, STEP_SECS, SessionCache, SessionKey, SessionKind, next_step,
};
use super::chain::{LongTermSource, ResolvedProfile, RoleStep};
use super::credentials::{self, CredentialsError, LongTermCredentials, SessionCredentials};
use super::profile::SharedFiles;
use super::sts::{StsClient, StsError, role_session_name};
use crate::sources::{CodeRequest, CodeSource, MfaCode, SourceError, SourceKind};
use crate::terminal::Terminal;

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

/// Why no credentials could be obtained.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FlowError {
    #[error("profile `{profile}` has no mfa_serial")]
    NoMfaSerial { profile: String },
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("{call:?} failed: {error}")]
    Sts {
        call: Call,
        error: StsError,
        mfa_serial: Option<String>,
        role_arn: Option<String>,
        /// Where the code came from, when the call carried one.
        code_source: Option<SourceKind>,
    },
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
        .clone()
        .ok_or_else(|| FlowError::NoMfaSerial {
            profile: ctx.profile.name.clone(),
        })?;
    let flow = Flow {
        ctx,
        serial,
        long_term: RefCell::new(None),
        source: RefCell::new(source),
        terminal: RefCell::new(terminal),
    };
    let session_key = SessionKey::session_token(&flow.long_term_identity(), &flow.serial);
    let keys = role_keys(&ctx.profile.roles, &session_key);
    match keys.last() {
        None => flow.session(&session_key, ctx.duration),
        Some(_) => flow.role(ctx.profile.roles.len() - 1, &keys, &session_key),
    }
}

/// The cache key of every role, each chained from the one before (the first from the session).
fn role_keys(roles: &[RoleStep], session: &SessionKey) -> Vec<SessionKey> {
    let mut keys: Vec<SessionKey> = Vec::with_capacity(roles.len());
    for role in roles {
        let parent = keys.last().unwrap_or(session);
        let key = SessionKey::role(&role.profile, &role.role_arn, parent);
        keys.push(key);
    }
    keys
}

struct Flow<'c, 'a, 's, 't> {
    ctx: &'c FlowContext<'a>,
    serial: String,
    long_term: RefCell<Option<LongTermCredentials>>,
    source: RefCell<&'s mut dyn CodeSource>,
    terminal: RefCell<&'t mut dyn Terminal>,
}

impl Flow<'_, '_, '_, '_> {
    fn explain(&self, text: &str) {
        self.terminal.borrow_mut().explain(1, text);
    }

    /// What identifies the long-term credentials in a cache key, without running anything:
    /// the access key id when it is written down, else the process or environment it comes from.
    fn long_term_identity(&self) -> String {
        match &self.ctx.profile.source {
            LongTermSource::Static { profile } => self
                .ctx
                .files
                .profile(profile)
                .and_then(|p| p.get("aws_access_key_id").map(str::to_owned))
                .unwrap_or_else(|| format!("profile:{profile}")),
            LongTermSource::Process { profile, command } => format!("process:{profile}:{command}"),
            LongTermSource::Environment => (self.ctx.var)("AWS_ACCESS_KEY_ID")
                .map(|v| v.to_string_lossy().into_owned())
                .unwrap_or_else(|| "environment".into()),
        }
    }

    fn long_term(&self) -> Result<LongTermCredentials, FlowError> {
        if let Some(keys) = self.long_term.borrow().as_ref() {
            return Ok(keys.clone());
        }
        let keys = credentials::load_long_term(
            &self.ctx.profile.source,
            self.ctx.files,
            self.ctx.var,
            (self.ctx.clock)(),
        )?;
        *self.long_term.borrow_mut() = Some(keys.clone());
        Ok(keys)
    }

    /// Looks `key` up in the cache, fetching with `fetch` under its lock when needed.
    fn cached(
        &self,
        key: &SessionKey,
        what: &str,
        fetch: impl FnOnce() -> Result<CachedSession, FlowError>,
    ) -> Result<Obtained, FlowError> {
        let now = (self.ctx.clock)();
        let mut events = |event: CacheEvent| self.explain(&describe(event, what));
        let (session, origin) = self.ctx.cache.get_or_fetch(key, now, &mut events, fetch)?;
        self.explain(&match origin {
            Origin::Cache => format!("{what}: from the cache"),
            Origin::CacheAfterWait => format!("{what}: from the cache, fetched by the other one"),
            Origin::Fetched => format!("{what}: fetched"),
        });
        Ok(Obtained {
            credentials: session.credentials,
            kind: session.kind,
            origin,
        })
    }

    /// The MFA session (`GetSessionToken`).
    fn session(&self, key: &SessionKey, duration: Option<u32>) -> Result<Obtained, FlowError> {
        let duration = duration.or(self.ctx.profile.mfa_session_duration);
        self.cached(key, "the MFA session", || {
            let keys = self.long_term()?;
            let credentials = self.spend(|code| {
                self.ctx
                    .sts
                    .get_session_token(&keys, &self.serial, code, duration)
                    .map_err(|error| (Call::GetSessionToken, error))
            })?;
            Ok(CachedSession {
                kind: SessionKind::SessionToken,
                profile: self.ctx.profile.name.clone(),
                mfa_serial: Some(self.serial.clone()),
                role_arn: None,
                credentials,
            })
        })
    }

    /// Role `index` of the chain.
    fn role(
        &self,
        index: usize,
        keys: &[SessionKey],
        session_key: &SessionKey,
    ) -> Result<Obtained, FlowError> {
        let role = &self.ctx.profile.roles[index];
        let last = index + 1 == keys.len();
        let duration = if last { self.ctx.duration } else { None }.or(role.duration_seconds);
        let direct = index == 0 && duration.is_some_and(|d| d > CHAINED_ROLE_MAX_SECS);
        let what = format!("role {}", role.role_arn);
        self.cached(&keys[index], &what, || {
            let session_name = role_session_name(role, &self.user(), (self.ctx.clock)());
            let assumed = if direct {
                self.explain(&format!(
                    "{what}: {}s is over the 1 h role-chaining limit: assuming it directly with MFA",
                    duration.unwrap_or_default()
                ));
                let keys = self.long_term()?;
                self.spend(|code| {
                    self.ctx
                        .sts
                        .assume_role(&keys, role, Some((&self.serial, code)), duration, &session_name)
                        .map_err(|error| (Call::AssumeRole, error))
                })?
            } else {
                let parent = if index == 0 {
                    self.session(session_key, None)?
                } else {
                    self.role(index - 1, keys, session_key)?
                };
                self.ctx
                    .sts
                    .assume_role(&parent.credentials, role, None, duration, &session_name)
                    .map_err(|error| FlowError::Sts {
                        call: Call::AssumeRole,
                        error,
                        mfa_serial: None,
                        role_arn: Some(role.role_arn.clone()),
                        code_source: None,
                    })?
            };
            Ok(CachedSession {
                kind: SessionKind::Role,
                profile: role.profile.clone(),
                mfa_serial: Some(self.serial.clone()),
                role_arn: Some(role.role_arn.clone()),
                credentials: assumed.credentials,
            })
        })
    }

    /// The IAM user name for session names: the `mfa/NAME` of the serial, else `$USER`.
    fn user(&self) -> String {
        self.serial
            .rsplit_once(":mfa/")
            .map(|(_, name)| name.rsplit('/').next().unwrap_or(name).to_owned())
            .or_else(|| (self.ctx.var)("USER").map(|u| u.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "mfa".into())
    }

    /// Gets a fresh code and spends it with `call`; records the step as spent whenever STS may
    /// have checked the code (not when it was unreachable or throttled). A YubiKey code refused as invalid is retried once with the
    /// next step's code.
    fn spend<T>(
        &self,
        call: impl Fn(&MfaCode) -> Result<T, (Call, StsError)>,
    ) -> Result<T, FlowError> {
        let (code, step) = self.fresh_code(None)?;
        let first = call(&code);
        self.record(&first, step);
        match first {
            Ok(value) => Ok(value),
            Err((_, StsError::MfaCodeRejected { .. })) if code.source == SourceKind::Yubikey => {
                self.explain("STS refused the code: retrying once with the next step's code");
                let (next, next_step) = self.fresh_code(Some(step + 1))?;
                let second = call(&next);
                self.record(&second, next_step);
                second.map_err(|e| self.sts_error(e, next.source))
            }
            Err(e) => Err(self.sts_error(e, code.source)),
        }
    }

    fn sts_error(&self, (call, error): (Call, StsError), source: SourceKind) -> FlowError {
        FlowError::Sts {
            call,
            error,
            mfa_serial: Some(self.serial.clone()),
            role_arn: None,
            code_source: Some(source),
        }
    }

    fn record<T>(&self, outcome: &Result<T, (Call, StsError)>, step: u64) {
        // Refused before STS looked at the code: nothing was spent.
        let unchecked = matches!(
            outcome,
            Err((_, StsError::Unreachable { .. } | StsError::Throttled { .. }))
        );
        if unchecked {
            return;
        }
        if let Some(spent) = self.ctx.cache.spent_codes()
            && let Err(e) = spent.record(&self.serial, step)
        {
            self.explain(&format!("could not record the spent code: {e}"));
        }
    }

    /// A code whose 30 s step has not been spent (at least `min_step`), waiting for the next
    /// step when the current one is spent. Returns the code and its step.
    fn fresh_code(&self, min_step: Option<u64>) -> Result<(MfaCode, u64), FlowError> {
        let last = self
            .ctx
            .cache
            .spent_codes()
            .and_then(|s| s.last(&self.serial));
        let last = match (last, min_step) {
            (Some(l), Some(m)) => Some(l.max(m - 1)),
            (l, m) => l.or(m.map(|m| m - 1)),
        };
        let now = (self.ctx.clock)();
        let next = next_step(last, now);
        let computing = matches!(
            self.source.borrow().kind(),
            SourceKind::Yubikey | SourceKind::Totp
        );
        // A source that computes codes can give the next step's code at once (the host supplies
        // the time); a typed or relayed code is the current one, so wait for that step to come.
        if next.wait_secs > 0 && !(computing && min_step.is_some()) {
            self.countdown(next.wait_secs);
        }
        let unix_time = (next.step * STEP_SECS).max((self.ctx.clock)());
        let request = CodeRequest {
            mfa_serial: &self.serial,
            oath_account: self.ctx.profile.mfa_oath_account.as_deref(),
            unix_time,
        };
        let mut terminal = self.terminal.borrow_mut();
        let code = self.source.borrow_mut().code(&request, &mut **terminal)?;
        let step = if computing {
            unix_time / STEP_SECS
        } else {
            (self.ctx.clock)() / STEP_SECS
        };
        Ok((code, step.max(next.step)))
    }

    fn countdown(&self, seconds: u64) {
        let mut terminal = self.terminal.borrow_mut();
        terminal.notice(&format!(
            "The code of this 30 s step was already spent for {}: waiting {seconds} s for the next one…",
            self.serial
        ));
        let mut left = seconds;
        while left > 0 {
            let tick = left.min(5);
            (self.ctx.sleep)(Duration::from_secs(tick));
            left -= tick;
            if left > 0 {
                terminal.notice(&format!("  {left} s…"));
            }
        }
    }
}

fn describe(event: CacheEvent, what: &str) -> String {
    match event {
        CacheEvent::Ignored(ignored) => format!("{what}: cache entry ignored: {ignored}"),
        CacheEvent::Stale { .. } => format!("{what}: the cached one expires within 5 minutes"),
        CacheEvent::Waiting { holder: Some(pid) } => {
            format!("{what}: another mfa (pid {pid}) is fetching it: waiting")
        }
        CacheEvent::Waiting { holder: None } => {
            format!("{what}: another mfa is fetching it: waiting")
        }
        CacheEvent::LockFailed(e) => format!("{what}: fetching without the cache lock: {e}"),
        CacheEvent::StoreFailed(e) => format!("{what}: could not be cached: {e}"),
    }
}
