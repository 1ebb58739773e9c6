//! The flow against the in-process STS double (which checks codes like AWS: ±1 step, single
//! use), a file cache in a temporary directory, and a scripted code source. Time is the system
//! clock shifted by an offset shared with the double; the injected `sleep` moves both forward.
#![allow(clippy::unwrap_used)]

use std::cell::{Cell, RefCell};
use std::ffi::OsString;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mfa_sts::{Config, Mfa, Role, StsDouble, User};

use super::*;
use crate::aws::cache::{CacheDir, CachedSession, Lookup, STEP_SECS};
use crate::aws::chain::LongTermSource;
use crate::aws::sts::StsSettings;
use crate::sources::{CodeRequest, MfaCode};
use crate::terminal::ScriptedTerminal;

mod chain;
mod codes;

const SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";
const ADMIN: &str = "arn:aws:iam::123456789012:role/Admin";
const LONG: &str = "arn:aws:iam::123456789012:role/Long";
const PARTNER: &str = "arn:aws:iam::210987654321:role/Partner";
const CREDENTIALS: &str =
    "[alice]\naws_access_key_id = AKIAALICE\naws_secret_access_key = alice-secret\n";

/// The double, a cache, and a clock both agree on.
struct Bench {
    double: StsDouble,
    _dir: tempfile::TempDir,
    cache: SessionCache,
    sts: StsClient,
    files: SharedFiles,
    /// Seconds added to the system clock, here and in the double.
    offset: Cell<i64>,
    /// Every wait the flow asked for.
    sleeps: RefCell<Vec<Duration>>,
}

impl Bench {
    fn new() -> Bench {
        let double = StsDouble::start(Config {
            users: vec![User {
                name: "alice".into(),
                account: "123456789012".into(),
                access_key_id: "AKIAALICE".into(),
                secret_access_key: "alice-secret".into(),
                mfa: Some(Mfa {
                    serial: SERIAL.into(),
                    seed_base32: SEED.into(),
                }),
            }],
            roles: vec![
                role_config(ADMIN, None, 3600),
                role_config(LONG, None, 43_200),
                role_config(PARTNER, Some("partner-ext"), 3600),
            ],
            ..Config::default()
        })
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let cache = SessionCache::file(CacheDir::open(dir.path().join("mfa")).unwrap());
        let sts = StsClient::new(StsSettings {
            endpoint_url: Some(double.url()),
            initial_backoff: Duration::from_millis(10),
            ..StsSettings::new("eu-west-1")
        });
        let bench = Bench {
            double,
            _dir: dir,
            cache,
            sts,
            files: SharedFiles::from_text("", CREDENTIALS),
            offset: Cell::new(0),
            sleeps: RefCell::default(),
        };
        // Start one second into a step, so that no test crosses into the next step unawares.
        let system = i64::try_from(system_now()).unwrap();
        bench.shift(31 - system % 30);
        bench
    }

    fn shift(&self, secs: i64) {
        self.offset.set(self.offset.get() + secs);
        self.double.set_clock_offset(self.offset.get());
    }

    fn now(&self) -> u64 {
        system_now().saturating_add_signed(self.offset.get())
    }

    fn step(&self) -> u64 {
        self.now() / STEP_SECS
    }

    fn obtain(
        &self,
        profile: &ResolvedProfile,
        duration: Option<u32>,
        source: &mut Scripted,
        terminal: &mut ScriptedTerminal,
    ) -> Result<Obtained, FlowError> {
        let var = |_: &str| -> Option<OsString> { None };
        let clock = || self.now();
        let sleep = |wait: Duration| {
            self.sleeps.borrow_mut().push(wait);
            self.shift(i64::try_from(wait.as_secs()).unwrap());
        };
        let ctx = FlowContext {
            files: &self.files,
            profile,
            cache: &self.cache,
            sts: &self.sts,
            var: &var,
            clock: &clock,
            sleep: &sleep,
            duration,
            unsealer: &crate::aws::credentials::NoUnsealer,
        };
        obtain(&ctx, source, terminal)
    }

    /// Spends the current step's code at STS, as another tool would: nothing records it here.
    fn spend_elsewhere(&self) {
        let now = self.now();
        let digits = StsDouble::totp(SEED, now);
        let code = MfaCode::new(digits.into(), Some(now / STEP_SECS), SourceKind::Totp).unwrap();
        let keys = crate::aws::credentials::from_profile(&self.files, "alice").unwrap();
        self.sts
            .get_session_token(&keys, SERIAL, &code, None)
            .unwrap();
    }

    fn spent(&self) -> Option<u64> {
        self.cache.spent_codes().unwrap().last(SERIAL)
    }

    fn cached(&self, key: &SessionKey) -> Option<CachedSession> {
        match self.cache.get(key, self.now()) {
            Lookup::Fresh(session) => Some(session),
            _ => None,
        }
    }
}

fn system_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn role_config(arn: &str, external_id: Option<&str>, max_duration: u32) -> Role {
    Role {
        arn: arn.into(),
        require_mfa: external_id.is_none(),
        external_id: external_id.map(Into::into),
        max_duration,
    }
}

fn role(profile: &str, arn: &str, duration_seconds: Option<u32>) -> RoleStep {
    RoleStep {
        profile: profile.into(),
        role_arn: arn.into(),
        external_id: (arn == PARTNER).then(|| "partner-ext".into()),
        role_session_name: None,
        duration_seconds,
    }
}

/// Alice's profile: static keys, her MFA device, then `roles`.
fn profile(roles: Vec<RoleStep>) -> ResolvedProfile {
    ResolvedProfile {
        name: "alice".into(),
        source: LongTermSource::Static {
            profile: "alice".into(),
        },
        roles,
        path: vec!["alice".into()],
        mfa_serial: Some(SERIAL.into()),
        region: None,
        mfa_source: None,
        mfa_oath_account: None,
        mfa_yubikey_serial: None,
        mfa_process: None,
        mfa_session_duration: None,
        mfa_cache: None,
    }
}

fn session_key() -> SessionKey {
    SessionKey::session_token("AKIAALICE", SERIAL)
}

/// A code source that answers with the right code for the moment asked, and remembers each
/// moment.
struct Scripted {
    kind: SourceKind,
    /// `CodeRequest::unix_time` of every code given.
    asked: Vec<u64>,
}

impl Scripted {
    fn new(kind: SourceKind) -> Scripted {
        Scripted {
            kind,
            asked: Vec::new(),
        }
    }
}

impl CodeSource for Scripted {
    fn kind(&self) -> SourceKind {
        self.kind
    }

    fn code(
        &mut self,
        request: &CodeRequest<'_>,
        _: &mut dyn Terminal,
    ) -> Result<MfaCode, SourceError> {
        assert_eq!(request.mfa_serial, SERIAL);
        self.asked.push(request.unix_time);
        let digits = StsDouble::totp(SEED, request.unix_time);
        let computing = matches!(self.kind, SourceKind::Yubikey | SourceKind::Totp);
        let step = computing.then_some(request.unix_time / STEP_SECS);
        MfaCode::new(digits.into(), step, self.kind)
    }
}

/// The `-v` lines, in order.
fn explained(terminal: &ScriptedTerminal) -> Vec<&str> {
    terminal
        .explanations
        .iter()
        .map(|(level, text)| {
            assert_eq!(*level, 1);
            text.as_str()
        })
        .collect()
}

#[test]
fn calls_display_as_sts_actions() {
    assert_eq!(Call::GetSessionToken.to_string(), "GetSessionToken");
    assert_eq!(Call::AssumeRole.to_string(), "AssumeRole");
}

#[test]
fn a_profile_without_mfa_serial_is_refused_before_anything() {
    let bench = Bench::new();
    let mut alice = profile(Vec::new());
    alice.mfa_serial = None;
    let error = bench
        .obtain(
            &alice,
            None,
            &mut Scripted::new(SourceKind::Yubikey),
            &mut ScriptedTerminal::headless(),
        )
        .unwrap_err();
    assert!(matches!(error, FlowError::NoMfaSerial { ref profile } if profile == "alice"));
    assert!(bench.double.calls().is_empty());
}

#[test]
fn a_fido_mfa_serial_was_sent_to_sts() {
    assert!(is_fido_serial(
        "arn:aws:iam::123456789012:u2f/user/alice/MyKey-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    ));
    assert!(!is_fido_serial("arn:aws:iam::123456789012:mfa/alice"));
    assert!(!is_fido_serial("GAHT12345678"));
}
