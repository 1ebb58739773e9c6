//! Getting the profile's temporary credentials: what `mfa exec`, `mfa yubi` (and the other
//! credential commands) share.
//!
//! It builds, in this order and only as far as needed: the shared files, the resolved profile,
//! the cache, then — cheap objects that do nothing until used — the STS client and the code
//! sources; then [`flow::obtain`] looks in the cache before anything touches a card or the
//! network. No SDK client, TLS or async runtime is created on the cached path (see
//! `docs/performance.md`).

use super::context::{Context, Env, checked_clock};
use super::{Failure, advice, sources};
use crate::aws::cache::{CacheDir, CacheKind, SessionCache, default_location};
use crate::aws::chain::{self, CHAIN_VARIABLE, LongTermSource, Nesting, ResolvedProfile};
use crate::aws::credentials::{NoUnsealer, Unsealer};
use crate::aws::flow::{self, FlowContext, Obtained};
use crate::aws::sts::{StsClient, StsSettings};
use crate::sources::auto::SourceSetting;
use crate::terminal::Terminal;

/// Resolves the profile named by `-p`/`AWS_PROFILE` down to its long-term credentials, refusing
/// a profile that a `credential_process` above this `mfa` is resolving already.
pub fn resolve_profile(ctx: &mut Context) -> Result<ResolvedProfile, Failure> {
    let env_has_keys = ctx.env.has_keys();
    let nesting = nesting(&ctx.env);
    let name = ctx.global.profile.clone();
    // A file that cannot be read is reported, not taken as empty: "profile not found" would
    // send the user looking in the wrong place.
    if let Err(error) = ctx.files.load() {
        return Err(advice::aws::shared_files(error));
    }
    let files = ctx.files.or_empty(&mut ctx.terminal);
    let resolved = chain::resolve_nested(files, &name, env_has_keys, &nesting)
        .map_err(|e| advice::aws::chain(&e))?;
    ctx.terminal.explain(
        1,
        &format!(
            "profile {}: long-term keys from {:?}{}",
            resolved.path.join(" → "),
            resolved.source,
            match resolved.roles.len() {
                0 => String::new(),
                n => format!(", then {n} role(s)"),
            }
        ),
    );
    Ok(resolved)
}

/// What the environment says about `mfa` processes above this one: the profiles they are
/// resolving (`MFA_CREDENTIAL_PROCESS_CHAIN`) and `AWS_PROFILE`.
pub fn nesting(env: &Env) -> Nesting {
    let text = |name: &str| env.var(name).map(|v| v.to_string_lossy().into_owned());
    Nesting::from_variables(
        text(CHAIN_VARIABLE).as_deref(),
        text("AWS_PROFILE").as_deref(),
    )
}

/// The cache the profile asks for (`mfa_cache`), or none with `--no-cache`. The cache
/// directory is still used for locks and spent-code records when it can be.
pub fn open_cache(ctx: &mut Context, profile: &ResolvedProfile) -> Result<SessionCache, Failure> {
    let setting = profile.mfa_cache.as_deref().unwrap_or("file");
    let kind = CacheKind::parse(setting).ok_or_else(|| {
        Failure::usage(
            format!(
                "mfa_cache = {setting:?} in profile `{}` is not a cache",
                profile.name
            ),
            "set it to file, keyring or none",
        )
    })?;
    let no_cache = ctx.global.no_cache;
    let location = default_location(ctx.env.lookup(), ctx.env.home());
    let dir = match location.as_deref().map(CacheDir::open) {
        Some(Ok(dir)) => Some(dir),
        Some(Err(e)) if kind == CacheKind::File && !no_cache => {
            return Err(advice::aws::cache(&e));
        }
        Some(Err(e)) => {
            ctx.terminal.explain(1, &format!("no cache directory: {e}"));
            None
        }
        None => None,
    };
    if let Some(from) = dir.as_ref().and_then(CacheDir::repaired_from) {
        ctx.terminal.explain(
            1,
            &format!("cache directory was mode {from:o}: set to 0700"),
        );
    }
    Ok(match (kind, dir, no_cache) {
        (_, dir, true) | (CacheKind::None, dir, _) => SessionCache::disabled(dir),
        (CacheKind::Keyring, dir, false) => SessionCache::keyring(Box::new(ctx.keyring()), dir),
        (CacheKind::File, Some(dir), false) => SessionCache::file(dir),
        (CacheKind::File, None, false) => {
            return Err(Failure::runtime(
                "no place for the session cache: neither MFA_CACHE_DIR, XDG_CACHE_HOME nor HOME \
                 is set",
                "set MFA_CACHE_DIR, or run with --no-cache",
            ));
        }
    })
}

/// The profile's temporary credentials: cached, or fetched with a code from the source the
/// options choose (`forced` for `mfa yubi`). `duration` is `--duration`, in seconds.
pub fn obtain(
    ctx: &mut Context,
    forced: Option<SourceSetting>,
    duration: Option<u32>,
) -> Result<(ResolvedProfile, Obtained), Failure> {
    obtain_for(
        ctx,
        &Request {
            forced,
            duration,
            ..Request::default()
        },
    )
}

/// What a credential command asks of [`obtain_for`].
#[derive(Debug, Default, Clone, Copy)]
pub struct Request<'a> {
    /// The code source `mfa yubi` forces.
    pub forced: Option<SourceSetting>,
    /// `--duration`, seconds.
    pub duration: Option<u32>,
    /// One more role, assumed with the profile's final credentials and cached per role
    /// (`mfa eks-token --role`).
    pub extra_role: Option<&'a str>,
    /// Nobody can touch a key: refuse a touch account at once rather than wait.
    pub refuse_touch: bool,
}

/// [`obtain`] with everything a command may ask: the final credentials of the profile, or of
/// `request.extra_role` assumed from them.
pub fn obtain_for(
    ctx: &mut Context,
    request: &Request<'_>,
) -> Result<(ResolvedProfile, Obtained), Failure> {
    let Request {
        forced,
        duration,
        extra_role,
        refuse_touch,
    } = *request;
    let mut profile = resolve_profile(ctx)?;
    if let Some(role_arn) = extra_role {
        profile = profile.then_assume(role_arn);
    }
    let cache = open_cache(ctx, &profile)?;
    let settings = StsSettings::from_env(profile.region.as_deref(), ctx.env.lookup());
    // Before any code is asked for: the SDK would fail only while sending it.
    settings
        .check()
        .map_err(|e| advice::aws::sts_settings(&e))?;
    let sts = StsClient::new(settings);
    let mut source = sources::code_source_for(ctx, forced, &profile, refuse_touch)?;
    let clock = checked_clock()?;
    // The card is prepared for unsealing only when the profile's keys are sealed: other
    // profiles, and every cached run, build nothing for it.
    let unsealer: Box<dyn Unsealer> = if matches!(profile.source, LongTermSource::Sealed { .. }) {
        Box::new(crate::cli::commands::keys::CardUnsealer::new(ctx))
    } else {
        Box::new(NoUnsealer)
    };
    let flow_ctx = FlowContext {
        files: ctx.files.or_empty(&mut ctx.terminal),
        profile: &profile,
        cache: &cache,
        sts: &sts,
        var: ctx.env.lookup(),
        clock: &clock,
        sleep: &std::thread::sleep,
        duration,
        unsealer: &*unsealer,
    };
    let obtained = flow::obtain(&flow_ctx, &mut *source, &mut ctx.terminal)
        .map_err(|e| advice::aws::flow(&e))?;
    Ok((profile, obtained))
}
