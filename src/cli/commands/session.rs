//! Getting the profile's temporary credentials from the process's environment: what `mfa exec`,
//! `mfa yubi` (and the other credential commands) share.
//!
//! It builds, in this order and only as far as needed: the shared files, the resolved profile,
//! the cache, then — cheap objects that do nothing until used — the STS client and the code
//! sources; then [`flow::obtain`] looks in the cache before anything touches a card or the
//! network.

use super::yubikey::{self as shared, ProfileDevice, home, var};
use crate::aws::cache::{CacheDir, CacheKind, SessionCache, default_location};
use crate::aws::chain::{self, ResolvedProfile};
use crate::aws::flow::{self, FlowContext, Obtained};
use crate::aws::sts::{StsClient, StsSettings};
use crate::cli::args::{GlobalArgs, SourceKind as SourceArg};
use crate::cli::{Failure, advice, advice_aws, interrupt};
use crate::keystore::OsKeyring;
use crate::sources::CodeSource;
use crate::sources::auto::{self, AutoSource, SourceSetting};
use crate::sources::process::{ProcessSource, ProcessStdin};
use crate::sources::prompt::{PromptInputs, PromptSource};
use crate::sources::totp::{FileStore, TotpSource, TotpStore};
use crate::sources::yubikey::{PcscConnector, YubikeySource};
use crate::terminal::Terminal;

/// The OS keyring, for sources that keep a `&'static` reference.
static KEYRING: OsKeyring = OsKeyring;

/// Resolves the profile named by `-p`/`AWS_PROFILE`.
pub fn resolve_profile(
    global: &GlobalArgs,
    terminal: &mut dyn Terminal,
) -> Result<(crate::aws::profile::SharedFiles, ResolvedProfile), Failure> {
    let files = shared::load_shared_files(terminal);
    let env_has_keys = var("AWS_ACCESS_KEY_ID").is_some() && var("AWS_SECRET_ACCESS_KEY").is_some();
    let resolved =
        chain::resolve(&files, &global.profile, env_has_keys).map_err(|e| advice::chain(&e))?;
    terminal.explain(
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
    Ok((files, resolved))
}

/// The cache the profile asks for (`mfa_cache`), or none with `--no-cache`. The cache
/// directory is still used for locks and spent-code records when it can be.
pub fn open_cache(
    global: &GlobalArgs,
    profile: &ResolvedProfile,
    terminal: &mut dyn Terminal,
) -> Result<SessionCache, Failure> {
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
    let location = default_location(&var, home().as_deref());
    let dir = match location.as_deref().map(CacheDir::open) {
        Some(Ok(dir)) => Some(dir),
        Some(Err(e)) if kind == CacheKind::File && !global.no_cache => {
            return Err(advice_aws::cache(&e));
        }
        Some(Err(e)) => {
            terminal.explain(1, &format!("no cache directory: {e}"));
            None
        }
        None => None,
    };
    if let Some(from) = dir.as_ref().and_then(CacheDir::repaired_from) {
        terminal.explain(
            1,
            &format!("cache directory was mode {from:o}: set to 0700"),
        );
    }
    Ok(match (kind, dir, global.no_cache) {
        (_, dir, true) | (CacheKind::None, dir, _) => SessionCache::disabled(dir),
        (CacheKind::Keyring, dir, false) => SessionCache::keyring(Box::new(OsKeyring), dir),
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

/// The code source the flags and the profile choose: one source, or the `auto` chain.
pub fn code_source(
    global: &GlobalArgs,
    forced: Option<SourceSetting>,
    profile: &ResolvedProfile,
) -> Result<Box<dyn CodeSource>, Failure> {
    let flag = forced.or(global.source.map(setting));
    let plan = auto::plan(
        flag,
        profile.mfa_source.as_deref(),
        profile.mfa_process.is_some(),
    )
    .map_err(|e| advice_aws::plan(&e))?;
    let mut sources: Vec<Box<dyn CodeSource>> = Vec::new();
    for kind in plan.kinds {
        sources.push(match kind {
            crate::sources::SourceKind::Yubikey => {
                let device = ProfileDevice {
                    mfa_serial: profile.mfa_serial.clone(),
                    oath_account: profile.mfa_oath_account.clone(),
                    yubikey_serial: profile.mfa_yubikey_serial.clone(),
                };
                let options = shared::options(global, &profile.name, &device)?;
                Box::new(YubikeySource::new(PcscConnector::new(), &KEYRING, options))
            }
            crate::sources::SourceKind::Totp => {
                let dir = FileStore::default_dir(
                    var("XDG_DATA_HOME").as_deref(),
                    &home().unwrap_or_default(),
                );
                let store = TotpStore::new(FileStore::new(dir), Box::new(OsKeyring));
                Box::new(TotpSource::new(store))
            }
            crate::sources::SourceKind::Process => {
                let command = profile.mfa_process.clone().unwrap_or_default();
                Box::new(ProcessSource::new(command, ProcessStdin::terminal()))
            }
            crate::sources::SourceKind::Prompt => {
                Box::new(PromptSource::new(PromptInputs::from_process()))
            }
        });
    }
    Ok(match sources.len() {
        1 => sources.remove(0),
        _ => Box::new(AutoSource::new(sources)),
    })
}

/// `--source` as the sources layer names it.
fn setting(arg: SourceArg) -> SourceSetting {
    match arg {
        SourceArg::Auto => SourceSetting::Auto,
        SourceArg::Yubikey => SourceSetting::Yubikey,
        SourceArg::Totp => SourceSetting::Totp,
        SourceArg::Process => SourceSetting::Process,
        SourceArg::Prompt => SourceSetting::Prompt,
    }
}

/// A source that installs the Ctrl-C handler (exit 130, terminal echo restored) when a code is
/// first asked for: a cached run never needs it, so it spawns no handler thread and opens no
/// terminal. After `exec` the command gets the default signal dispositions back.
struct Interruptible {
    inner: Box<dyn CodeSource>,
    installed: bool,
}

impl CodeSource for Interruptible {
    fn kind(&self) -> crate::sources::SourceKind {
        self.inner.kind()
    }

    fn code(
        &mut self,
        request: &crate::sources::CodeRequest<'_>,
        terminal: &mut dyn Terminal,
    ) -> Result<crate::sources::MfaCode, crate::sources::SourceError> {
        if !self.installed {
            interrupt::install();
            self.installed = true;
        }
        self.inner.code(request, terminal)
    }
}

/// The profile's temporary credentials: cached, or fetched with a code.
pub fn obtain(
    global: &GlobalArgs,
    forced: Option<SourceSetting>,
    duration: Option<u32>,
    terminal: &mut dyn Terminal,
) -> Result<(ResolvedProfile, Obtained), Failure> {
    let (files, profile) = resolve_profile(global, terminal)?;
    let cache = open_cache(global, &profile, terminal)?;
    let sts = StsClient::new(StsSettings::from_env(profile.region.as_deref(), &var));
    let mut source = Interruptible {
        inner: code_source(global, forced, &profile)?,
        installed: false,
    };
    let clock = || shared::unix_now().unwrap_or_default();
    let ctx = FlowContext {
        files: &files,
        profile: &profile,
        cache: &cache,
        sts: &sts,
        var: &var,
        clock: &clock,
        sleep: &std::thread::sleep,
        duration,
    };
    let obtained = flow::obtain(&ctx, &mut source, terminal).map_err(|e| advice_aws::flow(&e))?;
    Ok((profile, obtained))
}
