//! Building the code sources from the context and the profile: the YubiKey source (`--serial`,
//! `--reader`, the profile's `mfa_yubikey_serial`, `MFA_OATH_PASSWORD`), the software secrets,
//! `mfa_process` and the prompt, chosen by [`auto::plan`] — for the credential flow and for
//! `mfa code`, `mfa accounts`, `mfa doctor` alike.

use std::io::Write;

use super::context::Context;
use super::{Failure, advice, interrupt};
use crate::aws::chain::{self, ChainError, ResolvedProfile};
use crate::aws::profile::SharedFiles;
use crate::keystore::OsKeyring;
use crate::sources::auto::{self, AutoSource, SourceSetting};
use crate::sources::process::{ProcessSource, ProcessStdin};
use crate::sources::prompt::{PromptInputs, PromptSource};
use crate::sources::totp::{FileStore, TotpSource, TotpStore};
use crate::sources::yubikey::{PcscConnector, YubikeyOptions, YubikeySource};
use crate::sources::{CodeRequest, CodeSource, MfaCode, SourceError, SourceKind};
use crate::terminal::Terminal;
use crate::transport::DeviceQuery;

/// How long `mfa_process` may take: generous, since it may wait on a password manager's prompt
/// (docs/software-totp.md); after that it is stopped rather than waited for forever.
pub const MFA_PROCESS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// The OS keyring, for sources that keep a `&'static` reference: built from the first context
/// that asks (a process has one).
static KEYRING: std::sync::OnceLock<OsKeyring> = std::sync::OnceLock::new();

/// What a profile says about the MFA device.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileDevice {
    /// `mfa_serial`.
    pub mfa_serial: Option<String>,
    /// `mfa_oath_account`.
    pub oath_account: Option<String>,
    /// `mfa_yubikey_serial`, as written.
    pub yubikey_serial: Option<String>,
}

impl ProfileDevice {
    /// The device settings of a resolved profile.
    pub fn of(profile: &ResolvedProfile) -> ProfileDevice {
        ProfileDevice {
            mfa_serial: profile.mfa_serial.clone(),
            oath_account: profile.mfa_oath_account.clone(),
            yubikey_serial: profile.mfa_yubikey_serial.clone(),
        }
    }
}

/// How strictly the profile is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileUse {
    /// The profile chooses the account (`mfa code` without QUERY): a profile named with
    /// -p/AWS_PROFILE must exist.
    Account,
    /// The profile may only choose the key (`mfa_yubikey_serial`): any problem is explained at
    /// `-v` and ignored.
    KeyOnly,
}

/// The MFA settings of profile `name`, with `mfa_*` keys inherited along `source_profile`.
///
/// Long-term credentials do not matter for a code, so a profile without them still counts; a
/// chain that does not resolve (a loop, a missing source profile) falls back to the profile's
/// own keys. The `default` profile may be missing.
pub fn profile_device(
    files: &SharedFiles,
    name: &str,
    usage: ProfileUse,
    terminal: &mut dyn Terminal,
) -> Result<ProfileDevice, Failure> {
    // `true`: resolve as if the environment held keys, so none are required.
    match chain::resolve(files, name, true) {
        Ok(resolved) => Ok(ProfileDevice::of(&resolved)),
        Err(error @ ChainError::UnknownProfile { .. })
            if usage == ProfileUse::Account && name != "default" =>
        {
            Err(advice::aws::chain(&error))
        }
        Err(error @ ChainError::UnknownProfile { .. }) => {
            terminal.explain(1, &format!("{error}: going on without a profile"));
            Ok(ProfileDevice::default())
        }
        Err(error) => {
            terminal.explain(
                1,
                &format!("{error}: using the mfa_* settings of profile `{name}` alone"),
            );
            let own = files.profile(name);
            let get = |key: &str| own.as_ref().and_then(|p| p.get(key)).map(str::to_owned);
            Ok(ProfileDevice {
                mfa_serial: get("mfa_serial"),
                oath_account: get("mfa_oath_account"),
                yubikey_serial: get("mfa_yubikey_serial"),
            })
        }
    }
}

/// The profile's device settings as `mfa code`, `mfa accounts` and `mfa doctor` read them.
pub fn context_device(ctx: &mut Context, usage: ProfileUse) -> Result<ProfileDevice, Failure> {
    let name = ctx.global.profile.clone();
    let files = ctx.files.or_empty(&mut ctx.terminal);
    profile_device(files, &name, usage, &mut ctx.terminal)
}

/// The YubiKey source's options: `--serial` (else the profile's `mfa_yubikey_serial`),
/// `--reader`, and `MFA_OATH_PASSWORD`.
pub fn yubikey_options(ctx: &Context, profile: &ProfileDevice) -> Result<YubikeyOptions, Failure> {
    let profile_serial = match &profile.yubikey_serial {
        None => None,
        Some(text) => Some(text.trim().parse::<u32>().map_err(|_| {
            Failure::usage(
                format!(
                    "mfa_yubikey_serial = {text:?} in profile `{}` is not a serial number",
                    ctx.global.profile
                ),
                "set it to the serial printed on the key (see `mfa devices`)",
            )
        })?),
    };
    Ok(YubikeyOptions {
        device: DeviceQuery {
            serial: ctx.global.serial.or(profile_serial),
            reader: ctx.global.reader.clone(),
        },
        password: ctx.env.oath_password(),
        ..YubikeyOptions::default()
    })
}

/// The PC/SC connector, tracing every APDU to stderr with `--trace-apdu` (keys, passwords,
/// codes and MACs redacted; see `docs/yubikey.md`).
pub fn connector(ctx: &Context) -> PcscConnector {
    let connector = PcscConnector::new();
    if !ctx.global.trace_apdu {
        return connector;
    }
    connector.with_trace(|line: &str| {
        // Nothing better to do when stderr is gone.
        let _ = writeln!(std::io::stderr().lock(), "mfa: apdu {line}");
    })
}

/// The YubiKey source over PC/SC with `options`.
pub fn yubikey_source(
    ctx: &Context,
    options: YubikeyOptions,
) -> YubikeySource<'static, PcscConnector> {
    YubikeySource::new(
        connector(ctx),
        KEYRING.get_or_init(|| ctx.keyring()),
        options,
    )
}

/// The code source the flags and the profile choose: one source, or the `auto` chain.
/// `forced` (`mfa yubi`) wins over `--source`/`MFA_SOURCE`, which win over `mfa_source`.
pub fn code_source(
    ctx: &Context,
    forced: Option<SourceSetting>,
    profile: &ResolvedProfile,
) -> Result<Box<dyn CodeSource>, Failure> {
    code_source_for(ctx, forced, profile, false)
}

/// [`code_source`], with `refuse_touch` for a caller nobody can touch a key for
/// ([`YubikeyOptions::refuse_touch`]).
pub fn code_source_for(
    ctx: &Context,
    forced: Option<SourceSetting>,
    profile: &ResolvedProfile,
    refuse_touch: bool,
) -> Result<Box<dyn CodeSource>, Failure> {
    let plan = auto::plan(
        forced.or(ctx.global.source),
        profile.mfa_source.as_deref(),
        profile.mfa_process.is_some(),
    )
    .map_err(|e| advice::sources::plan(&e))?;
    let mut sources: Vec<Box<dyn CodeSource>> = Vec::new();
    for kind in plan.kinds {
        sources.push(match kind {
            SourceKind::Yubikey => {
                let options = YubikeyOptions {
                    refuse_touch,
                    ..yubikey_options(ctx, &ProfileDevice::of(profile))?
                };
                Box::new(yubikey_source(ctx, options))
            }
            SourceKind::Totp => {
                let dir = FileStore::default_dir(
                    ctx.env.var("XDG_DATA_HOME").as_deref(),
                    ctx.env.home().unwrap_or(std::path::Path::new("")),
                );
                let store = TotpStore::new(FileStore::new(dir), Box::new(ctx.keyring()));
                Box::new(TotpSource::new(store))
            }
            SourceKind::Process => {
                let command = profile.mfa_process.clone().unwrap_or_default();
                Box::new(
                    ProcessSource::new(command, ProcessStdin::terminal())
                        .with_timeout(MFA_PROCESS_TIMEOUT),
                )
            }
            SourceKind::Prompt => Box::new(PromptSource::new(PromptInputs::from_process(
                ctx.env.fixed_code(),
            ))),
        });
    }
    let source: Box<dyn CodeSource> = match sources.len() {
        1 => sources.remove(0),
        _ => Box::new(AutoSource::new(sources)),
    };
    Ok(Box::new(Interruptible {
        inner: source,
        installed: false,
    }))
}

/// A source that installs the Ctrl-C handler (exit 130, terminal echo restored) when a code is
/// first asked for: a cached run never needs it, so it spawns no handler thread. After `exec`
/// the command gets the default signal dispositions back.
struct Interruptible {
    inner: Box<dyn CodeSource>,
    installed: bool,
}

impl CodeSource for Interruptible {
    fn kind(&self) -> SourceKind {
        self.inner.kind()
    }

    fn code(
        &mut self,
        request: &CodeRequest<'_>,
        terminal: &mut dyn Terminal,
    ) -> Result<MfaCode, SourceError> {
        if !self.installed {
            interrupt::install();
            self.installed = true;
        }
        self.inner.code(request, terminal)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::terminal::ScriptedTerminal;

    #[test]
    fn profiles_give_the_device_settings_with_inheritance() {
        let files = SharedFiles::from_text(
            "[profile base]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n\
             mfa_yubikey_serial = 42\n\
             [profile role]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\n\
             mfa_oath_account = I:n\n",
            "",
        );
        let mut terminal = ScriptedTerminal::headless();
        let device = profile_device(&files, "role", ProfileUse::Account, &mut terminal).unwrap();
        assert_eq!(
            device.mfa_serial.as_deref(),
            Some("arn:aws:iam::123456789012:mfa/alice")
        );
        assert_eq!(device.oath_account.as_deref(), Some("I:n"));
        assert_eq!(device.yubikey_serial.as_deref(), Some("42"));

        let missing = profile_device(&files, "default", ProfileUse::Account, &mut terminal);
        assert_eq!(missing.unwrap(), ProfileDevice::default());
        let error = profile_device(&files, "nope", ProfileUse::Account, &mut terminal).unwrap_err();
        assert_eq!(error.exit().code(), 2);
        assert!(error.fix().contains("`base`, `role`"), "{}", error.fix());
        assert!(profile_device(&files, "nope", ProfileUse::KeyOnly, &mut terminal).is_ok());
    }
}
