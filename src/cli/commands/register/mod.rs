//! `mfa register`: a YubiKey (or a software secret, or a hardware token) registered as the IAM
//! user's MFA device, with everything undone when a step fails (docs/registering.md).
//!
//! 1. Checks first, so a refusal creates nothing: the user's devices (another only with
//!    `--add`), the OATH account or software secret (replaced only with `--force`).
//! 2. `CreateVirtualMFADevice` (not for `--hardware`): the serial and the seed.
//! 3. The seed stored ([`target`]), then zeroized.
//! 4. The codes of the previous and the current step, and `EnableMFADevice`.
//! 5. Both steps recorded as spent for the serial; `--write-config` sets `mfa_serial` (and
//!    `mfa_oath_account`).
//!
//! A failure, or Ctrl-C, after step 2 rolls back (`rollback`): unless IAM shows the device
//! enabled, the stored seed is removed and the virtual device deleted. When `EnableMFADevice`
//! was sent and IAM cannot be asked, the seed stays where it is (the device may be enabled). What cannot be undone
//! now is recorded ([`pending`]) and finished by the next `mfa register` or `mfa doctor`
//! ([`finish_recorded`]).

pub mod pending;
pub mod qr;
pub mod target;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use super::super::credentials;
use crate::aws::cache::{CacheDir, STEP_SECS, SessionCache, default_location};
use crate::aws::credentials::{LongTermCredentials, load_long_term};
use crate::aws::iam::{Iam, IamClient, IamError};
use crate::aws::sts::{StsClient, StsSettings};
use crate::aws::write_profile::{config_section, set_config_keys};
use crate::cli::args::RegisterArgs;
use crate::cli::context::unix_now;
use crate::cli::interrupt::{self, Critical};
use crate::cli::output::write_out;
use crate::cli::{Context, Exit, Failure, advice, sources};
use crate::sources::totp::{FileStore, TotpSecret, TotpStore};
use crate::terminal::Terminal;
use pending::{IamOutcome, Pending};
use target::{HardwareTarget, SoftwareTarget, Target, YubikeyTarget, oath_id};

/// Who is registering: the account, the user and the keys IAM is called with.
pub struct Caller {
    pub account: String,
    pub user: String,
    pub keys: LongTermCredentials,
    pub region: Option<String>,
}

/// The caller from the profile's long-term keys (`--user` overrides the user name).
pub fn caller(ctx: &mut Context, user: Option<&str>) -> Result<Caller, Failure> {
    let profile = credentials::resolve_profile(ctx)?;
    let now = unix_now()?;
    let unsealer = crate::cli::commands::keys::CardUnsealer::new(ctx);
    let var = ctx.env.lookup();
    let files = ctx.files.or_empty(&mut ctx.terminal);
    let keys = load_long_term(&profile.source, files, var, now, &unsealer)
        .map_err(|e| advice::aws::credentials(&e))?;
    let sts = StsClient::new(StsSettings::from_env(profile.region.as_deref(), var));
    let identity = sts
        .get_caller_identity(&keys)
        .map_err(|e| advice::aws::caller_identity(&e))?;
    let user = match user {
        Some(user) => user.to_owned(),
        None => user_of(&identity.arn).ok_or_else(|| {
            Failure::usage(
                format!("the caller {} is not an IAM user", identity.arn),
                "name the IAM user with --user",
            )
        })?,
    };
    Ok(Caller {
        account: identity.account,
        user,
        keys,
        region: profile.region,
    })
}

/// The user name of an IAM user ARN (`arn:aws:iam::ACCOUNT:user/PATH/NAME`).
pub fn user_of(arn: &str) -> Option<String> {
    let resource = arn.split(':').nth(5)?;
    let rest = resource.strip_prefix("user/")?;
    rest.rsplit('/').next().map(str::to_owned)
}

/// The IAM client for `caller`.
pub fn iam_client(ctx: &Context, caller: &Caller) -> IamClient {
    IamClient::new(
        StsSettings::for_service("IAM", caller.region.as_deref(), ctx.env.lookup()),
        &caller.keys,
    )
}

/// The cache directory, for spent-code and pending records (none: nowhere to keep them).
pub fn cache_dir(ctx: &Context) -> Option<PathBuf> {
    default_location(ctx.env.lookup(), ctx.env.home())
}

/// `mfa register`.
pub fn run(ctx: &mut Context, args: &RegisterArgs) -> Result<Exit, Failure> {
    interrupt::install();
    let caller = caller(ctx, args.user.as_deref())?;
    let iam = iam_client(ctx, &caller);
    let cache = cache_dir(ctx);
    if let Some(dir) = &cache {
        finish_pending(ctx, &iam, dir);
    }
    let device_name = args
        .device_name
        .clone()
        .unwrap_or_else(|| caller.user.clone());
    let home = ctx.env.require_home()?.to_owned();
    let data_home = ctx.env.var("XDG_DATA_HOME");
    let totp_store = TotpStore::new(
        FileStore::new(FileStore::default_dir(data_home.as_deref(), &home)),
        Box::new(ctx.keyring()),
    );
    let serial = match &args.hardware {
        Some(serial) => serial.clone(),
        None => format!("arn:aws:iam::{}:mfa/{device_name}", caller.account),
    };
    let plan = Plan {
        user: &caller.user,
        device_name: &device_name,
        serial: &serial,
        add: args.add,
        force: args.force,
        hardware_seed: args.hardware.is_some(),
    };
    let registered = if args.software {
        let mut target = SoftwareTarget {
            store: &totp_store,
            name: serial.clone(),
            secret: None,
            stored: false,
        };
        let registered = register(
            &mut ctx.terminal,
            &iam,
            cache.as_deref(),
            &plan,
            &mut target,
        )?;
        if args.qr {
            // Asked for: the seed, as a QR code, on stdout before the serial.
            let labelled = target
                .secret
                .as_ref()
                .and_then(|s| qr::labelled(s, &device_name, &caller.account));
            if let Some(secret) = labelled {
                qr::show(&secret, &mut std::io::stdout().lock())?;
            }
        }
        registered
    } else if args.hardware.is_some() {
        let stdin = std::io::stdin();
        let piped = !stdin.is_terminal();
        let mut target = HardwareTarget {
            stdin: piped.then(|| Box::new(stdin.lock()) as Box<dyn std::io::BufRead>),
        };
        register(
            &mut ctx.terminal,
            &iam,
            cache.as_deref(),
            &plan,
            &mut target,
        )?
    } else {
        let device = sources::context_device(ctx, sources::ProfileUse::KeyOnly)?;
        let options = sources::yubikey_options(ctx, &device)?;
        let mut source = sources::yubikey_source(ctx, options);
        let mut target = YubikeyTarget {
            source: &mut source,
            id: oath_id(&device_name, &caller.account)?,
            touch: args.touch,
            device: None,
            stored: false,
        };
        register(
            &mut ctx.terminal,
            &iam,
            cache.as_deref(),
            &plan,
            &mut target,
        )?
    };
    if let Some(dir) = &cache {
        record_spent(dir, &registered.serial, registered.step);
    }
    if args.write_config {
        let path = ctx.files.locations().config.clone();
        write_config(ctx, &path, &registered)?;
    }
    ctx.terminal.explain(
        0,
        &format!(
            "registered {} for the IAM user {}",
            registered.serial, caller.user
        ),
    );
    write_out(
        &mut std::io::stdout().lock(),
        format!("{}\n", registered.serial).as_bytes(),
    )?;
    Ok(Exit::Success)
}

/// What the registration is about.
pub struct Plan<'a> {
    pub user: &'a str,
    pub device_name: &'a str,
    pub serial: &'a str,
    pub add: bool,
    pub force: bool,
    /// A hardware token: nothing is created in IAM.
    pub hardware_seed: bool,
}

/// A device enabled.
#[derive(Debug)]
pub struct Registered {
    pub serial: String,
    pub oath_account: Option<String>,
    /// The last step whose code was sent.
    pub step: u64,
}

/// Where the procedure stands, for the rollback.
struct Progress {
    created: bool,
    /// The step of the second code, once the codes were computed.
    step: Option<u64>,
    /// `EnableMFADevice` was sent: until IAM says otherwise, the device may be enabled.
    enable_sent: bool,
}

/// The procedure, with its dependencies as arguments.
pub fn register(
    terminal: &mut dyn Terminal,
    iam: &dyn Iam,
    cache: Option<&Path>,
    plan: &Plan<'_>,
    target: &mut dyn Target,
) -> Result<Registered, Failure> {
    let existing = iam
        .list_mfa_devices(plan.user)
        .map_err(|e| advice::aws::iam(&e))?;
    if !existing.is_empty() && !plan.add {
        return Err(Failure::usage(
            format!(
                "the IAM user {} already has an MFA device: {}",
                plan.user,
                existing.join(", ")
            ),
            "run again with --add to register another one (IAM allows several), or remove it \
             with `mfa deregister`",
        ));
    }
    target.check(plan.force, terminal)?;
    let critical = Critical::enter();
    let mut progress = Progress {
        created: false,
        step: None,
        enable_sent: false,
    };
    let result = steps(iam, plan, target, terminal, &mut progress);
    let result = match result {
        Ok(registered) => Ok(registered),
        Err(failure) => {
            let failure = if interrupt::requested() {
                Failure::interrupted()
            } else {
                failure
            };
            match rollback(iam, cache, plan, target, terminal, &progress) {
                // IAM has it enabled: the registration is complete after all.
                Rolled::Completed => Ok(Registered {
                    serial: plan.serial.to_owned(),
                    oath_account: target.oath_account(),
                    step: match progress.step {
                        Some(step) => step,
                        None => unix_now()? / STEP_SECS,
                    },
                }),
                Rolled::Undone | Rolled::Left => Err(failure),
            }
        }
    };
    drop(critical);
    result
}

/// The steps after the checks; stops at the first failure or Ctrl-C.
fn steps(
    iam: &dyn Iam,
    plan: &Plan<'_>,
    target: &mut dyn Target,
    terminal: &mut dyn Terminal,
    progress: &mut Progress,
) -> Result<Registered, Failure> {
    let stop = || {
        if interrupt::requested() {
            Err(Failure::interrupted())
        } else {
            Ok(())
        }
    };
    if target.is_virtual() {
        let created = create(iam, plan, terminal)?;
        progress.created = true;
        terminal.explain(
            1,
            &format!("created the virtual MFA device {}", created.serial),
        );
        stop()?;
        let seed = TotpSecret::parse(created.seed_base32.expose())
            .map_err(|e| advice::sources::secret(&e))?;
        drop(created);
        target.store(&seed, terminal)?;
        // The seed is on the key (or in the store) now: wipe ours.
        drop(seed);
        terminal.explain(1, &format!("stored the seed on {}", target.label()));
        stop()?;
    }
    let now = unix_now()?;
    let step = now / STEP_SECS;
    let times = [(step - 1) * STEP_SECS, step * STEP_SECS];
    let codes = target.codes(times, terminal)?;
    progress.step = Some(step);
    stop()?;
    progress.enable_sent = true;
    match iam.enable_mfa_device(plan.user, plan.serial, &codes[0], &codes[1]) {
        Ok(()) => {}
        // A lost answer: IAM may have enabled it. Never sent twice (its codes are spent).
        Err(e) if e.is_network() && enabled(iam, plan) => {
            terminal.notice(&format!(
                "mfa: the answer to EnableMFADevice was lost, but IAM lists {} as the MFA device \
                 of {}: the registration is complete (check with `aws iam list-mfa-devices \
                 --user-name {}`)",
                plan.serial, plan.user, plan.user
            ));
        }
        Err(e) => {
            // No connection was made: the request never reached IAM.
            if matches!(e, IamError::Unreachable { .. }) {
                progress.enable_sent = false;
            }
            return Err(advice::aws::iam(&e));
        }
    }
    Ok(Registered {
        serial: plan.serial.to_owned(),
        oath_account: target.oath_account(),
        step,
    })
}

/// Whether IAM shows the device enabled for the user (false when it cannot be asked).
fn enabled(iam: &dyn Iam, plan: &Plan<'_>) -> bool {
    iam.list_mfa_devices(plan.user)
        .is_ok_and(|serials| serials.iter().any(|s| s == plan.serial))
}

/// `CreateVirtualMFADevice`, with a leftover of an earlier attempt (a device of that name
/// assigned to nobody) deleted first when the user agrees or gave `--force`.
fn create(
    iam: &dyn Iam,
    plan: &Plan<'_>,
    terminal: &mut dyn Terminal,
) -> Result<crate::aws::iam::CreatedDevice, Failure> {
    match iam.create_virtual_mfa_device(plan.device_name) {
        Err(IamError::AlreadyExists { .. }) => {}
        other => return other.map_err(|e| advice::aws::iam(&e)),
    }
    let devices = iam
        .list_virtual_mfa_devices()
        .map_err(|e| advice::aws::iam(&e))?;
    let leftover = devices.iter().find(|d| d.serial == plan.serial);
    match leftover {
        Some(device) if device.user.is_none() => {}
        Some(device) => {
            return Err(Failure::usage(
                format!(
                    "the virtual MFA device {} is in use by the IAM user {}",
                    device.serial,
                    device.user.as_deref().unwrap_or("?")
                ),
                "choose another name with --device-name",
            ));
        }
        None => {
            return Err(Failure::usage(
                format!(
                    "a virtual MFA device named {} exists already",
                    plan.device_name
                ),
                "choose another name with --device-name",
            ));
        }
    }
    let agreed = plan.force
        || (terminal.is_interactive()
            && terminal
                .ask(&format!(
                    "{} is left from an earlier attempt and assigned to nobody. Delete it? [y/N] ",
                    plan.serial
                ))
                .ok()
                .flatten()
                .is_some_and(|a| a.trim().eq_ignore_ascii_case("y")));
    if !agreed {
        return Err(Failure::usage(
            format!(
                "the virtual MFA device {} is left from an earlier attempt (assigned to nobody)",
                plan.serial
            ),
            "run again with --force to delete it and register anew",
        ));
    }
    iam.delete_virtual_mfa_device(plan.serial)
        .map_err(|e| advice::aws::iam(&e))?;
    terminal.notice(&format!("deleted the leftover device {}", plan.serial));
    iam.create_virtual_mfa_device(plan.device_name)
        .map_err(|e| advice::aws::iam(&e))
}

/// How a rollback ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rolled {
    /// IAM shows the device enabled: the registration completed, nothing was undone.
    Completed,
    /// Everything undone.
    Undone,
    /// Something is left: recorded for the next `mfa register` or `mfa doctor`.
    Left,
}

/// Undoes what was done, unless IAM shows the device enabled; records what cannot be undone.
fn rollback(
    iam: &dyn Iam,
    cache: Option<&Path>,
    plan: &Plan<'_>,
    target: &mut dyn Target,
    terminal: &mut dyn Terminal,
    progress: &Progress,
) -> Rolled {
    if !progress.created {
        // Nothing was created, so nothing was stored either (the seed comes from IAM).
        return Rolled::Undone;
    }
    let mut entry = Pending {
        user: plan.user.to_owned(),
        serial: plan.serial.to_owned(),
        virtual_device: progress.created,
        oath_account: None,
        yubikey_serial: target.yubikey_serial(),
        software_name: None,
    };
    let mut reasons = Vec::new();
    // Whether the device may be enabled, as far as we know: then its seed must stay where it
    // is, or the user would be locked out.
    let mut maybe_enabled = false;
    match pending::finish_iam(iam, &entry) {
        Ok(IamOutcome::Enabled) => {
            terminal.notice(&format!(
                "mfa: IAM shows {} enabled: the registration completed, nothing is undone",
                plan.serial
            ));
            return Rolled::Completed;
        }
        Ok(IamOutcome::Deleted) => entry.virtual_device = false,
        Err(e) => {
            reasons.push(e.to_string());
            maybe_enabled = progress.enable_sent;
        }
    }
    if maybe_enabled {
        // EnableMFADevice was sent and IAM cannot say what became of it: keep the seed.
        entry.oath_account = target.oath_account();
        entry.software_name = target.software_name();
        reasons.push(format!(
            "the seed stays on {} until IAM says whether EnableMFADevice took effect",
            target.label()
        ));
    } else if let Err(left) = target.undo(terminal) {
        entry.oath_account = target.oath_account();
        entry.software_name = target.software_name();
        reasons.push(left.reason);
    }
    if entry.is_done() {
        terminal.notice("mfa: undone: nothing is left on the key or in IAM");
        return Rolled::Undone;
    }
    let recorded = cache.map(|dir| pending::add(dir, entry));
    let how = match recorded {
        Some(Ok(())) => {
            "recorded: the next `mfa register` or `mfa doctor` finishes it (plug the key back \
             in first)"
        }
        _ => "and it could not be recorded: see docs/registering.md to remove it by hand",
    };
    terminal.notice(&format!(
        "mfa: could not undo everything ({}); {how}",
        reasons.join("; ")
    ));
    Rolled::Left
}

/// What finishing the recorded rollbacks gave.
#[derive(Debug, Default)]
pub struct Finished {
    /// One line per thing done or still left, for the user.
    pub lines: Vec<String>,
    /// Entries still left in the record.
    pub left: usize,
}

/// For `mfa doctor`: finishes the recorded rollbacks (nothing when there is no record: no
/// network, no card), with the profile's long-term keys. `None` when nothing was recorded.
pub fn finish_recorded(ctx: &mut Context) -> Option<Result<Finished, Failure>> {
    let dir = cache_dir(ctx)?;
    let entries = pending::load(&dir);
    let user = entries.first()?.user.clone();
    let finished = caller(ctx, Some(&user)).map(|caller| {
        let iam = iam_client(ctx, &caller);
        finish_pending(ctx, &iam, &dir)
    });
    Some(finished)
}

/// Finishes the recorded rollbacks it can; explains what is still left.
pub fn finish_pending(ctx: &mut Context, iam: &dyn Iam, dir: &Path) -> Finished {
    let entries = pending::load(dir);
    if entries.is_empty() {
        return Finished::default();
    }
    let mut report = Vec::new();
    let mut kept = Vec::new();
    for mut entry in entries {
        match pending::finish_iam(iam, &entry) {
            Ok(IamOutcome::Enabled) => {
                report.push(format!(
                    "{} is enabled: that registration did complete, nothing to undo",
                    entry.serial
                ));
                continue;
            }
            Ok(IamOutcome::Deleted) => entry.virtual_device = false,
            Err(e) => {
                report.push(format!("{}: {e}", entry.serial));
                kept.push(entry);
                continue;
            }
        }
        if let Some(account) = entry.oath_account.clone() {
            match remove_oath_account(ctx, entry.yubikey_serial, &account) {
                Ok(()) => entry.oath_account = None,
                Err(e) => report.push(format!("the OATH account `{account}`: {}", e.what())),
            }
        }
        if let Some(name) = entry.software_name.clone() {
            let home = ctx.env.home().map(Path::to_path_buf).unwrap_or_default();
            let data_home = ctx.env.var("XDG_DATA_HOME");
            let store = TotpStore::new(
                FileStore::new(FileStore::default_dir(data_home.as_deref(), &home)),
                Box::new(ctx.keyring()),
            );
            if store.remove(&name).is_ok() {
                entry.software_name = None;
            }
        }
        if entry.is_done() {
            report.push(format!(
                "finished undoing the registration of {}",
                entry.serial
            ));
        }
        kept.push(entry);
    }
    for line in &report {
        ctx.terminal
            .notice(&format!("mfa: earlier registration: {line}"));
    }
    if let Err(e) = pending::save(dir, &kept) {
        ctx.terminal
            .explain(1, &format!("cannot update {}: {e}", pending::FILE));
    }
    Finished {
        left: kept.iter().filter(|e| !e.is_done()).count(),
        lines: report,
    }
}

/// Removes the OATH account `account` from the key (by serial when known).
fn remove_oath_account(
    ctx: &mut Context,
    serial: Option<u32>,
    account: &str,
) -> Result<(), Failure> {
    let mut options = sources::yubikey_options(ctx, &sources::ProfileDevice::default())?;
    if options.device.serial.is_none() {
        options.device.serial = serial;
    }
    let mut source = sources::yubikey_source(ctx, options);
    let terminal = &mut ctx.terminal;
    let device = source
        .device(terminal)
        .map_err(|e| advice::sources::yubikey(&e))?;
    let id = crate::oath::CredentialId::from_raw(account.as_bytes(), crate::oath::OathType::Totp);
    source
        .delete_account(&device, &id, terminal)
        .map_err(|e| advice::sources::yubikey(&e))?;
    Ok(())
}

/// Records the registration's steps as spent, so the first session waits for a fresh one.
fn record_spent(dir: &Path, serial: &str, step: u64) {
    if let Ok(dir) = CacheDir::open(dir) {
        let cache = SessionCache::disabled(Some(dir));
        if let Some(spent) = cache.spent_codes() {
            let _ = spent.record(serial, step);
        }
    }
}

/// `--write-config`: `mfa_serial` (and `mfa_oath_account`) on the profile.
fn write_config(ctx: &mut Context, path: &Path, registered: &Registered) -> Result<(), Failure> {
    let section = config_section(&ctx.global.profile);
    let mut pairs = vec![("mfa_serial", registered.serial.as_str())];
    if let Some(account) = &registered.oath_account {
        pairs.push(("mfa_oath_account", account.as_str()));
    }
    let written =
        set_config_keys(path, &section, &pairs).map_err(|e| advice::aws::write_profile(&e))?;
    ctx.terminal.explain(
        0,
        &format!("set mfa_serial on [{section}] in {}", written.display()),
    );
    Ok(())
}

#[cfg(test)]
mod tests;
