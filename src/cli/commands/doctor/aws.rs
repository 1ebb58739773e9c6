//! The doctor's checks of the AWS configuration: the shared files, the profile's chain and
//! `mfa_serial`, and the cache directory.

use std::os::unix::fs::MetadataExt;

use super::{Check, DoctorSetup, Status};
use crate::aws::cache::{CacheDir, CacheKind, SessionCache};
use crate::aws::chain::{
    self, CHAIN_VARIABLE, ChainError, LongTermSource, Nesting, ResolvedProfile,
};
use crate::cli::advice;
use crate::cli::sources::ProfileDevice;

/// The profile, resolved twice: for its MFA settings (whatever the long-term keys), and as a
/// session would resolve it (down to the long-term keys). `None` when the files were unreadable.
pub(super) struct ProfileFacts {
    settings: Option<Result<ResolvedProfile, ChainError>>,
    chain: Option<Result<ResolvedProfile, ChainError>>,
}

impl ProfileFacts {
    pub(super) fn read(setup: &DoctorSetup<'_>) -> ProfileFacts {
        let Ok(files) = &setup.files else {
            return ProfileFacts {
                settings: None,
                chain: None,
            };
        };
        let env_has_keys = (setup.var)("AWS_ACCESS_KEY_ID").is_some()
            && (setup.var)("AWS_SECRET_ACCESS_KEY").is_some();
        let text = |name: &str| (setup.var)(name).map(|v| v.to_string_lossy().into_owned());
        let nesting = Nesting::from_variables(
            text(CHAIN_VARIABLE).as_deref(),
            text("AWS_PROFILE").as_deref(),
        );
        ProfileFacts {
            settings: Some(chain::resolve(files, setup.profile, true)),
            chain: Some(chain::resolve_nested(
                files,
                setup.profile,
                env_has_keys,
                &nesting,
            )),
        }
    }

    /// The profile resolved down to its long-term credentials (`None`: unreadable files).
    pub(super) fn chain(&self) -> Option<&Result<ResolvedProfile, ChainError>> {
        self.chain.as_ref()
    }

    fn settings(&self) -> Option<&ResolvedProfile> {
        self.settings.as_ref().and_then(|r| r.as_ref().ok())
    }

    pub(super) fn mfa_source(&self) -> Option<&str> {
        self.settings().and_then(|r| r.mfa_source.as_deref())
    }

    /// What the profile says about the MFA device.
    pub(super) fn device(&self) -> ProfileDevice {
        self.settings().map(ProfileDevice::of).unwrap_or_default()
    }
}

/// `aws-files`: which of the shared files exist.
pub(super) fn files(setup: &DoctorSetup<'_>) -> Check {
    if let Err(error) = &setup.files {
        return Check::problem(
            "aws-files",
            Status::Fail,
            error.to_string(),
            "make it readable by you, or point AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE at \
             another file",
        );
    }
    let config = &setup.locations.config;
    let credentials = &setup.locations.credentials;
    let found = |path: &std::path::Path| {
        if path.is_file() {
            format!("{}", path.display())
        } else {
            format!("{} (not found)", path.display())
        }
    };
    let detail = format!(
        "config {}, credentials {}",
        found(config),
        found(credentials)
    );
    if config.is_file() || credentials.is_file() {
        Check::ok("aws-files", detail)
    } else {
        Check::problem(
            "aws-files",
            Status::Warn,
            detail,
            "create a profile with `aws configure` (or set AWS_CONFIG_FILE and \
             AWS_SHARED_CREDENTIALS_FILE), then set mfa_serial on it",
        )
    }
}

/// `profile` and `mfa_serial`.
pub(super) fn profile(setup: &DoctorSetup<'_>, facts: &ProfileFacts) -> Vec<Check> {
    let mut checks = Vec::new();
    match &facts.chain {
        None => return checks,
        Some(Ok(resolved)) => checks.push(Check::ok("profile", describe(resolved))),
        Some(Err(error)) => {
            let failure = advice::aws::chain(error);
            checks.push(Check::problem(
                "profile",
                Status::Fail,
                failure.what(),
                failure.fix(),
            ));
        }
    }
    let Some(Ok(settings)) = &facts.settings else {
        return checks;
    };
    let name = setup.profile;
    checks.push(match &settings.mfa_serial {
        Some(serial) if serial.starts_with("arn:") && !serial.contains(":mfa/") => Check::problem(
            "mfa_serial",
            Status::Fail,
            format!("`{serial}` is not the ARN of an MFA device"),
            "set mfa_serial to the device's ARN, arn:aws:iam::ACCOUNT:mfa/NAME (`aws iam \
                 list-mfa-devices` shows it)",
        ),
        Some(serial) => Check::ok("mfa_serial", serial.clone()),
        None => Check::problem(
            "mfa_serial",
            Status::Fail,
            format!("profile `{name}` (and its source profiles) has no mfa_serial"),
            format!(
                "set mfa_serial = arn:aws:iam::ACCOUNT:mfa/NAME in [profile {name}], or register \
                 a key with `mfa register --write-config`"
            ),
        ),
    });
    if let Some(text) = &settings.mfa_yubikey_serial
        && text.trim().parse::<u32>().is_err()
    {
        checks.push(Check::problem(
            "mfa_yubikey_serial",
            Status::Fail,
            format!("mfa_yubikey_serial = {text:?} is not a serial number"),
            "set it to the serial printed on the key (see `mfa devices`), or remove it",
        ));
    }
    checks
}

/// `` `admin` → `base`: long-term credentials from static keys in [base]; assumes ARN``.
fn describe(resolved: &ResolvedProfile) -> String {
    let path: Vec<String> = resolved.path.iter().map(|p| format!("`{p}`")).collect();
    let source = match &resolved.source {
        LongTermSource::Static { profile } => format!("static keys in [{profile}]"),
        LongTermSource::Process { profile, .. } => {
            format!("the credential_process of [{profile}]")
        }
        LongTermSource::Environment => "AWS_ACCESS_KEY_ID in the environment".to_owned(),
        LongTermSource::Sealed { profile } => {
            format!("keys of [{profile}] sealed by a YubiKey (mfa keys)")
        }
    };
    let mut text = format!("{}: long-term credentials from {source}", path.join(" → "));
    if !resolved.roles.is_empty() {
        let roles: Vec<&str> = resolved.roles.iter().map(|r| r.role_arn.as_str()).collect();
        text.push_str(&format!("; assumes {}", roles.join(" → ")));
    }
    text
}

/// `cache`: the directory's place, owner and mode, and the sessions in it. Reads only: the
/// directory is neither created nor repaired here.
pub(super) fn cache(setup: &DoctorSetup<'_>, facts: &ProfileFacts, now: u64) -> Check {
    let mfa_cache = facts
        .settings()
        .and_then(|r| r.mfa_cache.clone())
        .unwrap_or_else(|| "file".to_owned());
    let Some(kind) = CacheKind::parse(&mfa_cache) else {
        return Check::problem(
            "cache",
            Status::Fail,
            format!("mfa_cache = {mfa_cache:?} is not file, keyring or none"),
            "set mfa_cache to file (the default), keyring or none",
        );
    };
    let Some(path) = &setup.cache_dir else {
        return Check::problem(
            "cache",
            Status::Fail,
            "no place for the session cache: MFA_CACHE_DIR, XDG_CACHE_HOME and HOME are unset",
            "set MFA_CACHE_DIR to a directory of your own",
        );
    };
    let backend = match kind {
        CacheKind::File => "",
        CacheKind::Keyring => "; sessions go to the OS keyring (mfa_cache = keyring)",
        CacheKind::None => "; sessions are not cached (mfa_cache = none)",
    };
    let shown = path.display();
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Check::ok(
                "cache",
                format!(
                    "{shown} does not exist yet (made with mode 0700 when first needed){backend}"
                ),
            );
        }
        Err(e) => {
            return Check::problem(
                "cache",
                Status::Fail,
                format!("cannot read {shown}: {e}"),
                "check the permissions of its parent directories, or set MFA_CACHE_DIR",
            );
        }
    };
    let uid = rustix::process::geteuid().as_raw();
    let mode = meta.mode() & 0o7777;
    if !meta.is_dir() {
        return Check::problem(
            "cache",
            Status::Fail,
            format!("{shown} is not a directory"),
            "remove it, or set MFA_CACHE_DIR to a directory of your own",
        );
    }
    if meta.uid() != uid {
        return Check::problem(
            "cache",
            Status::Fail,
            format!(
                "{shown} is owned by uid {}, not by you (uid {uid}): the cache is not used",
                meta.uid()
            ),
            format!("take it back (`chown -R \"$USER\" {shown}`), or set MFA_CACHE_DIR"),
        );
    }
    if mode & 0o077 != 0 {
        return Check::problem(
            "cache",
            Status::Warn,
            format!("{shown} has mode {mode:04o}: other users can look into it"),
            format!(
                "`chmod 700 {shown}` (the next session does it when the directory holds only \
                 mfa's files, and refuses the directory otherwise)"
            ),
        );
    }
    let listing = CacheDir::open(path).and_then(|dir| SessionCache::file(dir).list(now));
    let listing = match listing {
        Ok(listing) => listing,
        Err(error) => {
            let failure = advice::aws::cache(&error);
            return Check::problem("cache", Status::Fail, failure.what(), failure.fix());
        }
    };
    let fresh = listing.entries.iter().filter(|e| e.fresh).count();
    let sessions = listing.entries.len();
    let detail = format!(
        "{shown} (mode {mode:04o}): {sessions} cached session{}, {fresh} usable{backend}",
        if sessions == 1 { "" } else { "s" }
    );
    match listing.ignored.first() {
        None => Check::ok("cache", detail),
        Some(first) => Check::problem(
            "cache",
            Status::Warn,
            format!(
                "{detail}; {} entr{} ignored, e.g. {}",
                listing.ignored.len(),
                if listing.ignored.len() == 1 {
                    "y"
                } else {
                    "ies"
                },
                first.reason
            ),
            "`mfa cache clear` removes them (`mfa cache list -v` says why each is ignored)",
        ),
    }
}
