//! `mfa doctor [--json]`: checks every part a session depends on and says, for anything that is
//! not right, what to do (docs/commands.md; what each check means: `docs/doctor.md`).
//!
//! | check | looks at |
//! |---|---|
//! | `pcscd` | the PC/SC service answers |
//! | `readers` | the smart card readers it sees |
//! | `yubikey` | each key: serial, firmware, OATH version, whether an OATH password is set |
//! | `aws-files` | which shared config/credentials files exist |
//! | `profile` | the chosen profile's chain (`a → b`) and the kind of its long-term source |
//! | `mfa_serial` | the profile (or its source profiles) names an MFA device |
//! | `mfa_yubikey_serial` | only when set and not a number |
//! | `oath-account` | that device's OATH account is on the key (LIST only: no touch, no code) |
//! | `cache` | the cache directory (path, owner, mode) and what it holds |
//! | `keyring` | where new keyring items go, what the index records, items out of reach |
//! | `sts` | STS accepts the long-term keys (`GetCallerIdentity`: no MFA code is spent) |
//! | `clock` | the local clock against the `Date` header of STS's answer (±30 s) |
//! | `registration` | only when an interrupted `mfa register` left a rollback recorded: finishes it |
//!
//! Each check ends `ok`, `warn` or `fail`. A YubiKey problem is a `fail` when the code must come
//! from the key (`--source yubikey`, `MFA_SOURCE` or `mfa_source = yubikey`), and a `warn`
//! otherwise: `auto` falls back to the other sources. Checks that depend on a failed one are
//! left out (no `readers` without pcscd, no `oath-account` without a key). Exit 0 when no check
//! failed, 1 otherwise. Nothing is asked: a password-protected key is listed only with
//! `MFA_OATH_PASSWORD` or a remembered password, and no secret is ever shown. Nothing is
//! changed either (the cache directory is neither created nor repaired), except that a
//! remembered OATH password the key no longer accepts is forgotten, as every command does, and
//! that a rollback an interrupted `mfa register` recorded is finished (docs/registering.md).

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;

use crate::aws::cache::default_location;
use crate::aws::profile::{FileLocations, LoadError, SharedFiles};
use crate::cli::context::checked_clock;
use crate::cli::output::{json_text, write_out};
use crate::cli::sources::{self, ProfileDevice, ProfileUse, profile_device};
use crate::cli::{Context, Exit, Failure, interrupt};
use crate::keystore::OsKeyring;
use crate::secret::SecretString;
use crate::sources::auto::SourceSetting;
use crate::sources::yubikey::{Connector, YubikeySource};
use crate::terminal::Terminal;

mod aws;
mod card;
mod keyring;
mod sts;

pub use sts::{MAX_SKEW_SECS, Probe, SdkProbe, StsProbe};

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Which check (`pcscd`, `readers`, …; see the module documentation).
    pub check: &'static str,
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// What to do, for anything not `ok`.
    pub fix: Option<String>,
}

impl Check {
    pub fn ok(check: &'static str, detail: impl Into<String>) -> Check {
        Check {
            check,
            status: Status::Ok,
            detail: detail.into(),
            fix: None,
        }
    }

    pub fn problem(
        check: &'static str,
        status: Status,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check {
            check,
            status,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
}

/// The whole report, as `--json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The worst status of all checks.
    pub status: Status,
    pub checks: Vec<Check>,
}

/// What the doctor examines besides the card and STS.
pub struct DoctorSetup<'a> {
    /// The profile (`-p`, `AWS_PROFILE`, `default`).
    pub profile: &'a str,
    /// `--source` / `MFA_SOURCE`.
    pub source: Option<SourceSetting>,
    /// Where the shared files are, and what reading them gave.
    pub locations: FileLocations,
    pub files: Result<SharedFiles, LoadError>,
    /// The cache directory (`MFA_CACHE_DIR`, …); `None` when there is no place for one.
    pub cache_dir: Option<PathBuf>,
    /// The environment, for `AWS_*` keys, the region and the STS endpoint.
    pub var: &'a dyn Fn(&str) -> Option<OsString>,
    /// What finishing a recorded registration rollback gave (none recorded: `None`).
    pub registration: Option<Check>,
    /// The OS keyring to examine (`None`: no `keyring` check).
    pub keyring: Option<&'a OsKeyring>,
}

/// The `registration` check from finishing the recorded rollbacks.
fn registration_check(finished: Result<super::register::Finished, Failure>) -> Check {
    const NAME: &str = "registration";
    const FIX: &str = "plug in the key and make sure IAM is reachable, then run `mfa doctor` or \
                       `mfa register` again (docs/registering.md)";
    match finished {
        Ok(finished) if finished.left == 0 => Check::ok(NAME, finished.lines.join("; ")),
        Ok(finished) => Check::problem(
            NAME,
            Status::Warn,
            format!(
                "an interrupted registration is not fully undone: {}",
                finished.lines.join("; ")
            ),
            FIX,
        ),
        Err(failure) => Check::problem(
            NAME,
            Status::Warn,
            format!(
                "an interrupted registration is recorded, and IAM cannot be called: {}",
                failure.what()
            ),
            FIX,
        ),
    }
}

/// `mfa doctor`, with the process's environment, PC/SC service, network, clock and stdout.
pub fn run(ctx: &mut Context, json: bool) -> Result<Exit, Failure> {
    interrupt::install();
    // First, while nothing else holds the key: the rollback of an interrupted registration.
    let registration = super::register::finish_recorded(ctx).map(registration_check);
    let locations = ctx.files.locations().clone();
    let files = SharedFiles::load(locations.clone());
    // The key is chosen as `mfa code` would: --serial, else the profile's mfa_yubikey_serial.
    let device = match &files {
        Ok(files) => profile_device(
            files,
            &ctx.global.profile,
            ProfileUse::KeyOnly,
            &mut ctx.terminal,
        )?,
        Err(_) => ProfileDevice::default(),
    };
    let options = match sources::yubikey_options(ctx, &device) {
        Ok(options) => options,
        // A bad mfa_yubikey_serial has a check of its own; choose the key without it.
        Err(_) => sources::yubikey_options(ctx, &ProfileDevice::default())?,
    };
    let mut source = sources::yubikey_source(ctx, options);
    let keyring = ctx.keyring();
    let var = ctx.env.lookup();
    let setup = DoctorSetup {
        profile: &ctx.global.profile,
        source: ctx.global.source,
        locations,
        files,
        cache_dir: default_location(var, ctx.env.home()),
        var,
        registration,
        keyring: Some(&keyring),
    };
    let mut sts = SdkProbe::new(var);
    let clock = checked_clock()?;
    diagnose(
        json,
        &setup,
        &mut source,
        &mut sts,
        &clock,
        &mut ctx.terminal,
        Output {
            out: &mut std::io::stdout().lock(),
            err: &mut std::io::stderr().lock(),
            quiet: ctx.global.quiet,
        },
    )
}

/// Where the report goes.
pub struct Output<'a> {
    /// The report (the command's result).
    pub out: &'a mut dyn Write,
    /// The one-line summary, unless `quiet`.
    pub err: &'a mut dyn Write,
    pub quiet: bool,
}

/// Runs every check and prints the report; exit 1 when a check failed.
pub fn diagnose<C: Connector>(
    json: bool,
    setup: &DoctorSetup<'_>,
    yubikey: &mut YubikeySource<'_, C>,
    sts: &mut dyn StsProbe,
    clock: &dyn Fn() -> u64,
    terminal: &mut dyn Terminal,
    output: Output<'_>,
) -> Result<Exit, Failure> {
    let report = examine(setup, yubikey, sts, clock, terminal);
    print(&report, json, output.out)?;
    if !output.quiet {
        summary(&report, output.err);
    }
    Ok(exit(&report))
}

/// Every check, in the order of the module documentation.
pub fn examine<C: Connector>(
    setup: &DoctorSetup<'_>,
    yubikey: &mut YubikeySource<'_, C>,
    sts: &mut dyn StsProbe,
    clock: &dyn Fn() -> u64,
    terminal: &mut dyn Terminal,
) -> Report {
    let profile = aws::ProfileFacts::read(setup);
    let key_severity = if setup.source == Some(SourceSetting::Yubikey)
        || profile
            .mfa_source()
            .is_some_and(|s| s.eq_ignore_ascii_case("yubikey"))
    {
        Status::Fail
    } else {
        Status::Warn
    };
    let mut terminal = NoQuestions(terminal);
    let mut checks = Vec::new();
    let keys = card::hardware(
        yubikey.connector(),
        key_severity,
        &mut terminal,
        &mut checks,
    );
    checks.push(aws::files(setup));
    checks.extend(aws::profile(setup, &profile));
    if !keys.is_empty() {
        checks.extend(card::oath_account(
            yubikey,
            &keys,
            &profile.device(),
            key_severity,
            &mut terminal,
        ));
    }
    checks.push(aws::cache(setup, &profile, clock()));
    if let Some(os_keyring) = setup.keyring {
        let session_bus = (setup.var)("DBUS_SESSION_BUS_ADDRESS").is_some();
        checks.push(keyring::keyring(os_keyring, session_bus));
    }
    checks.extend(sts::sts_and_clock(setup, &profile, sts, clock));
    checks.extend(setup.registration.clone());
    Report {
        status: checks.iter().map(|c| c.status).max().unwrap_or(Status::Ok),
        checks,
    }
}

fn exit(report: &Report) -> Exit {
    if report.status == Status::Fail {
        Exit::Runtime
    } else {
        Exit::Success
    }
}

/// The report as a table of `STATUS  CHECK  DETAIL`, each problem followed by its fix, or JSON.
pub fn print(report: &Report, json: bool, out: &mut dyn Write) -> Result<(), Failure> {
    let text = if json {
        json_text(report, "report")?
    } else {
        human(report)
    };
    write_out(out, text.as_bytes())
}

fn human(report: &Report) -> String {
    let width = report
        .checks
        .iter()
        .map(|c| c.check.len())
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    for check in &report.checks {
        text.push_str(&format!(
            "{:<4}  {:<width$}  {}\n",
            check.status.label(),
            check.check,
            check.detail
        ));
        if let Some(fix) = &check.fix {
            text.push_str(&format!("{:<4}  {:<width$}  fix: {fix}\n", "", ""));
        }
    }
    text
}

/// "2 checks failed, 1 warning" for the terminal.
fn summary(report: &Report, err: &mut dyn Write) {
    let count = |status| report.checks.iter().filter(|c| c.status == status).count();
    let (failed, warned) = (count(Status::Fail), count(Status::Warn));
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let line = match (failed, warned) {
        (0, 0) => "mfa doctor: everything looks right.".to_owned(),
        (0, w) => format!(
            "mfa doctor: {}, nothing failed.",
            plural(w, "warning", "warnings")
        ),
        (f, w) => format!(
            "mfa doctor: {}, {}.",
            plural(f, "check failed", "checks failed"),
            plural(w, "warning", "warnings")
        ),
    };
    // A closed stderr leaves nothing better to do.
    let _ = writeln!(err, "{line}");
}

/// The terminal with nobody to ask: the doctor never waits for an answer (a password-protected
/// key without `MFA_OATH_PASSWORD` or a remembered password is reported, not unlocked).
struct NoQuestions<'t>(&'t mut dyn Terminal);

impl Terminal for NoQuestions<'_> {
    fn notice(&mut self, text: &str) {
        self.0.notice(text);
    }

    fn explain(&mut self, level: u8, text: &str) {
        self.0.explain(level, text);
    }

    fn ask(&mut self, _prompt: &str) -> std::io::Result<Option<String>> {
        Ok(None)
    }

    fn ask_secret(&mut self, _prompt: &str) -> std::io::Result<Option<SecretString>> {
        Ok(None)
    }

    fn is_interactive(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests;
