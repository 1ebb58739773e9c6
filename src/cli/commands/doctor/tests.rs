#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use mfa_vcard::{CardConfig, OathCard};

use super::sts::skew;
use super::*;
use crate::aws::cache::{CacheDir, CachedSession, SessionCache, SessionKey, SessionKind};
use crate::aws::credentials::{LongTermCredentials, SessionCredentials};
use crate::aws::sts::{CallerIdentity, StsError};
use crate::keystore::MemoryStore;
use crate::oath::{CredentialData, OathSession};
use crate::secret::{SecretBytes, SecretString};
use crate::sources::yubikey::YubikeyOptions;
use crate::terminal::ScriptedTerminal;
use crate::transport::devices::{self, Scan};
use crate::transport::{Device, DeviceQuery, Response, Transport, TransportError, Version};

const NOW: u64 = 1_800_000_000;
const ARN: &str = "arn:aws:iam::123456789012:mfa/alice";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const READER: &str = "Virtual PCD 00 00";

/// A card as a transport, logging the INS of every command.
struct CardTransport<'a> {
    card: &'a mut OathCard,
    log: &'a mut Vec<u8>,
}

impl Transport for CardTransport<'_> {
    fn transmit(&mut self, command: &[u8]) -> Result<Response, TransportError> {
        self.log.extend(command.get(1));
        Response::from_raw(&self.card.execute(command)).ok_or(TransportError::MalformedResponse {
            reason: "short answer",
        })
    }
}

/// pcscd as the doctor may find it: absent, without readers, or with readers and cards.
enum Cards {
    NoService,
    Readers {
        /// (reader, card)
        readers: Vec<(String, Option<OathCard>)>,
        /// INS of every command sent to a card.
        log: Vec<u8>,
    },
}

impl Cards {
    fn one(card: OathCard) -> Cards {
        Cards::Readers {
            readers: vec![
                (READER.to_owned(), Some(card)),
                ("Virtual PCD 00 01".to_owned(), None),
            ],
            log: Vec::new(),
        }
    }

    fn empty_readers() -> Cards {
        Cards::Readers {
            readers: vec![(READER.to_owned(), None)],
            log: Vec::new(),
        }
    }

    fn log(&self) -> &[u8] {
        match self {
            Cards::Readers { log, .. } => log,
            Cards::NoService => &[],
        }
    }

    fn device(name: &str) -> Device {
        Device {
            reader: name.to_owned(),
            serial: Some(12_345_678),
            firmware: Some(Version::new(5, 4, 3)),
        }
    }
}

fn no_service() -> TransportError {
    TransportError::ServiceUnavailable {
        detail: "Service not available.".into(),
    }
}

impl Connector for Cards {
    fn choose(&mut self, query: &DeviceQuery) -> Result<Device, TransportError> {
        let Cards::Readers { readers, .. } = self else {
            return Err(no_service());
        };
        let names: Vec<String> = readers.iter().map(|(n, _)| n.clone()).collect();
        let present: Vec<bool> = readers.iter().map(|(_, c)| c.is_some()).collect();
        devices::choose_among(&names, &present, query, |name| Ok(Cards::device(name)))
    }

    fn scan(&mut self) -> Result<Scan, TransportError> {
        let Cards::Readers { readers, .. } = self else {
            return Err(no_service());
        };
        Ok(Scan {
            readers: readers.iter().map(|(n, _)| n.clone()).collect(),
            devices: readers
                .iter()
                .filter(|(_, c)| c.is_some())
                .map(|(n, _)| Cards::device(n))
                .collect(),
        })
    }

    fn card_present(&mut self, reader: &str, _settle: Duration) -> bool {
        matches!(self, Cards::Readers { readers, .. } if readers.iter().any(|(n, c)| n == reader && c.is_some()))
    }

    fn with_transaction<R>(
        &mut self,
        reader: &str,
        operation: impl FnOnce(&mut (dyn Transport + Send)) -> R,
    ) -> Result<R, TransportError> {
        let Cards::Readers { readers, log } = self else {
            return Err(no_service());
        };
        let (_, card) = readers.iter_mut().find(|(n, _)| n == reader).unwrap();
        let card = card.as_mut().ok_or(TransportError::NoCard {
            reader: reader.into(),
        })?;
        Ok(operation(&mut CardTransport { card, log }))
    }
}

/// A virtual key holding `accounts` (issuer, name), with `password` if given.
fn key(accounts: &[(&str, &str)], password: Option<&str>) -> OathCard {
    let mut card = OathCard::new(CardConfig::default());
    let mut log = Vec::new();
    let mut session = OathSession::select(CardTransport {
        card: &mut card,
        log: &mut log,
    })
    .unwrap();
    for (issuer, name) in accounts {
        let secret = SecretBytes::new(b"12345678901234567890".to_vec());
        session
            .put(&CredentialData::totp(Some(issuer), name, secret), false)
            .unwrap();
    }
    if let Some(password) = password {
        session
            .set_password(&SecretString::new(password.into()))
            .unwrap();
    }
    drop(session);
    card
}

fn aws_key() -> OathCard {
    key(&[("Amazon Web Services", "alice@123456789012")], None)
}

/// STS as the doctor may find it; records the access key ids it was called with.
struct FakeSts {
    identity: Result<CallerIdentity, StsError>,
    server_date: Option<u64>,
    calls: Vec<(Option<String>, String)>,
}

impl FakeSts {
    fn answering(server_date: u64) -> FakeSts {
        FakeSts {
            identity: Ok(CallerIdentity {
                account: "123456789012".into(),
                arn: "arn:aws:iam::123456789012:user/alice".into(),
                user_id: "AIDAALICE".into(),
            }),
            server_date: Some(server_date),
            calls: Vec::new(),
        }
    }

    fn unreachable() -> FakeSts {
        FakeSts {
            identity: Err(StsError::Unreachable {
                endpoint: "http://127.0.0.1:9".into(),
                detail: "connection refused".into(),
            }),
            server_date: None,
            calls: Vec::new(),
        }
    }
}

impl StsProbe for FakeSts {
    fn caller_identity(&mut self, region: Option<&str>, keys: &LongTermCredentials) -> Probe {
        self.calls
            .push((region.map(str::to_owned), keys.access_key_id.clone()));
        Probe {
            endpoint: "http://127.0.0.1:9".into(),
            identity: self.identity.clone(),
            server_date: self.server_date,
        }
    }
}

/// A HOME with `.aws/config` and `.aws/credentials` when given.
struct Home {
    temp: tempfile::TempDir,
    source: Option<SourceSetting>,
    vars: Vec<(&'static str, &'static str)>,
    profile: &'static str,
}

const GOOD_CONFIG: &str = "[default]\nregion = eu-west-1\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n\
     [profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = default\n";
const GOOD_CREDENTIALS: &str = "[default]\naws_access_key_id = AKIAALICEEXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";

impl Home {
    fn new(config: Option<&str>, credentials: Option<&str>) -> Home {
        let temp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(temp.path().join(".aws")).unwrap();
        if let Some(text) = config {
            std::fs::write(temp.path().join(".aws/config"), text).unwrap();
        }
        if let Some(text) = credentials {
            std::fs::write(temp.path().join(".aws/credentials"), text).unwrap();
        }
        Home {
            temp,
            source: None,
            vars: Vec::new(),
            profile: "default",
        }
    }

    fn good() -> Home {
        Home::new(Some(GOOD_CONFIG), Some(GOOD_CREDENTIALS))
    }

    fn cache_dir(&self) -> PathBuf {
        self.temp.path().join(".cache/mfa")
    }

    fn examine(&self, cards: &mut Cards, sts: &mut FakeSts, now: u64) -> Report {
        self.examine_with(cards, sts, now, YubikeyOptions::default())
    }

    fn examine_with(
        &self,
        cards: &mut Cards,
        sts: &mut FakeSts,
        now: u64,
        options: YubikeyOptions,
    ) -> Report {
        let locations = FileLocations::from_env(|_: &str| None, self.temp.path());
        let vars = self.vars.clone();
        let var = move |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        };
        let setup = DoctorSetup {
            profile: self.profile,
            source: self.source,
            files: SharedFiles::load(locations.clone()),
            locations,
            cache_dir: Some(self.cache_dir()),
            var: &var,
            registration: None,
            keyring: None,
        };
        let store = MemoryStore::default();
        let placeholder = std::mem::replace(cards, Cards::NoService);
        let mut source = YubikeySource::new(placeholder, &store, options);
        let mut terminal = ScriptedTerminal::answering(["never asked"]);
        let report = examine(&setup, &mut source, sts, &|| now, &mut terminal);
        assert!(terminal.prompts.is_empty(), "{:?}", terminal.prompts);
        *cards = std::mem::replace(source.connector(), Cards::NoService);
        report
    }
}

fn find<'r>(report: &'r Report, name: &str) -> &'r Check {
    report
        .checks
        .iter()
        .find(|c| c.check == name)
        .unwrap_or_else(|| panic!("no `{name}` check in {report:#?}"))
}

fn names(report: &Report) -> Vec<&'static str> {
    report.checks.iter().map(|c| c.check).collect()
}

fn text(report: &Report) -> String {
    let mut out = Vec::new();
    print(report, false, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn a_good_setup_is_all_ok_and_lists_without_calculating() {
    let home = Home::good();
    let mut cards = Cards::one(aws_key());
    let mut sts = FakeSts::answering(NOW - 2);
    let report = home.examine(&mut cards, &mut sts, NOW);
    assert_eq!(report.status, Status::Ok, "{report:#?}");
    assert_eq!(
        names(&report),
        [
            "pcscd",
            "readers",
            "yubikey",
            "aws-files",
            "profile",
            "mfa_serial",
            "oath-account",
            "cache",
            "sts",
            "clock"
        ]
    );
    assert_eq!(
        find(&report, "yubikey").detail,
        "serial 12345678 in `Virtual PCD 00 00`: firmware 5.4.3, OATH 5.4.3, no OATH password"
    );
    assert_eq!(
        find(&report, "oath-account").detail,
        "`Amazon Web Services:alice@123456789012` is on the YubiKey with serial 12345678"
    );
    assert_eq!(find(&report, "mfa_serial").detail, ARN);
    assert!(find(&report, "clock").detail.starts_with("within 2 s"));
    assert!(find(&report, "sts").detail.contains("user/alice"));
    use crate::oath::Instruction::{List, Select};
    assert_eq!(
        cards.log(),
        [Select, Select, List].map(|ins| ins.code()),
        "SELECT for the key line, SELECT + LIST for the account: no CALCULATE"
    );
    assert_eq!(
        sts.calls,
        [(Some("eu-west-1".to_owned()), "AKIAALICEEXAMPLE".to_owned())]
    );
    let shown = text(&report);
    assert!(
        !shown.contains(SECRET) && !shown.contains("fix:"),
        "{shown}"
    );
    assert!(shown.lines().all(|l| l.starts_with("ok  ")), "{shown}");
    assert_eq!(exit(&report), Exit::Success);
}

#[test]
fn no_pcscd_and_no_config() {
    let home = Home::new(None, None);
    let mut sts = FakeSts::answering(NOW);
    let report = home.examine(&mut Cards::NoService, &mut sts, NOW);
    assert_eq!(
        names(&report),
        ["pcscd", "aws-files", "profile", "cache", "clock"]
    );
    let pcscd = find(&report, "pcscd");
    assert_eq!(pcscd.status, Status::Warn);
    assert!(
        pcscd.detail.starts_with("pcscd is not running"),
        "{pcscd:?}"
    );
    assert!(
        pcscd
            .fix
            .as_deref()
            .unwrap()
            .contains("systemctl start pcscd")
    );
    assert_eq!(find(&report, "aws-files").status, Status::Warn);
    let profile = find(&report, "profile");
    assert_eq!(profile.status, Status::Fail);
    assert!(
        profile.detail.contains("profile `default` is not in"),
        "{profile:?}"
    );
    assert!(find(&report, "cache").detail.contains("does not exist yet"));
    assert_eq!(find(&report, "clock").status, Status::Warn);
    assert!(sts.calls.is_empty());
    assert_eq!(report.status, Status::Fail);
    assert_eq!(exit(&report), Exit::Runtime);
    assert!(
        !home.cache_dir().exists(),
        "the doctor created the cache directory"
    );

    // The code must come from the key: its absence is a failure.
    let home = Home {
        source: Some(SourceSetting::Yubikey),
        ..Home::good()
    };
    let report = home.examine(&mut Cards::NoService, &mut sts, NOW);
    assert_eq!(find(&report, "pcscd").status, Status::Fail);
}

#[test]
fn readers_without_a_key() {
    let home = Home::good();
    let mut cards = Cards::empty_readers();
    let report = home.examine(&mut cards, &mut FakeSts::answering(NOW), NOW);
    assert_eq!(find(&report, "readers").detail, "1: `Virtual PCD 00 00`");
    let key = find(&report, "yubikey");
    assert_eq!(
        (key.status, key.detail.as_str()),
        (Status::Warn, "no YubiKey in any reader")
    );
    assert!(!names(&report).contains(&"oath-account"));
    assert_eq!(report.status, Status::Warn);
    assert_eq!(exit(&report), Exit::Success);
    let shown = text(&report);
    let lines: Vec<&str> = shown.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("warn  yubikey "))
        .unwrap();
    assert!(lines[at].ends_with("  no YubiKey in any reader"), "{shown}");
    assert!(
        lines[at + 1]
            .trim_start()
            .starts_with("fix: plug in your YubiKey"),
        "{shown}"
    );
    assert!(lines[at + 1].starts_with("      "), "{shown}");

    let mut none = Cards::Readers {
        readers: Vec::new(),
        log: Vec::new(),
    };
    let report = home.examine(&mut none, &mut FakeSts::answering(NOW), NOW);
    assert_eq!(find(&report, "readers").status, Status::Warn);
    assert!(!names(&report).contains(&"yubikey"));
}

#[test]
fn a_skewed_clock_fails() {
    let home = Home::good();
    let report = home.examine(
        &mut Cards::one(aws_key()),
        &mut FakeSts::answering(NOW + 600),
        NOW,
    );
    let clock = find(&report, "clock");
    assert_eq!(clock.status, Status::Fail);
    assert!(
        clock
            .detail
            .starts_with("the local clock is 600 s behind STS's"),
        "{clock:?}"
    );
    assert!(clock.fix.as_deref().unwrap().contains("timedatectl"));
    assert_eq!(exit(&report), Exit::Runtime);

    assert_eq!(skew(NOW, NOW - 30, "e").status, Status::Ok);
    assert_eq!(skew(NOW, NOW + 30, "e").status, Status::Ok);
    let ahead = skew(NOW, NOW - 31, "e");
    assert_eq!(ahead.status, Status::Fail);
    assert!(ahead.detail.contains("31 s ahead of"), "{ahead:?}");
}

#[test]
fn an_unreachable_sts_is_a_warning_with_the_endpoint() {
    let home = Home::good();
    let report = home.examine(&mut Cards::one(aws_key()), &mut FakeSts::unreachable(), NOW);
    let sts = find(&report, "sts");
    assert_eq!(sts.status, Status::Warn);
    assert!(sts.detail.contains("http://127.0.0.1:9"), "{sts:?}");
    assert!(sts.fix.as_deref().unwrap().contains("AWS_ENDPOINT_URL_STS"));
    let clock = find(&report, "clock");
    assert_eq!(clock.status, Status::Warn);
    assert!(clock.detail.contains("http://127.0.0.1:9"));
    assert_eq!(exit(&report), Exit::Success);
}

#[test]
fn rejected_or_temporary_keys() {
    let home = Home::good();
    let mut sts = FakeSts::answering(NOW);
    sts.identity = Err(StsError::InvalidClientTokenId {
        message: "The security token included in the request is invalid.".into(),
    });
    let report = home.examine(&mut Cards::NoService, &mut sts, NOW);
    let check = find(&report, "sts");
    assert_eq!(check.status, Status::Fail);
    assert!(check.fix.as_deref().unwrap().contains("aws_access_key_id"));
    assert_eq!(
        find(&report, "clock").status,
        Status::Ok,
        "the error had a Date"
    );

    let home = Home::new(
        Some(GOOD_CONFIG),
        Some(&format!(
            "{GOOD_CREDENTIALS}aws_session_token = FwoGZXIvYXdzEJr\n"
        )),
    );
    let report = home.examine(&mut Cards::NoService, &mut FakeSts::answering(NOW), NOW);
    let check = find(&report, "sts");
    assert_eq!(check.status, Status::Warn);
    assert!(check.detail.contains("temporary"), "{check:?}");
    assert!(!text(&report).contains("FwoGZXIvYXdzEJr"));
}

#[test]
fn the_chain_of_a_role_profile() {
    let home = Home {
        profile: "admin",
        ..Home::good()
    };
    let report = home.examine(&mut Cards::NoService, &mut FakeSts::answering(NOW), NOW);
    assert_eq!(
        find(&report, "profile").detail,
        "`admin` → `default`: long-term credentials from static keys in [default]; assumes \
         arn:aws:iam::123456789012:role/admin"
    );
    assert_eq!(find(&report, "mfa_serial").detail, ARN, "inherited");

    let home = Home {
        vars: vec![
            ("AWS_ACCESS_KEY_ID", "AKIAENVEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "envsecret"),
        ],
        ..Home::new(
            Some("[default]\nmfa_serial = arn:aws:iam::123456789012:user/alice\n"),
            None,
        )
    };
    let mut sts = FakeSts::answering(NOW);
    let report = home.examine(&mut Cards::NoService, &mut sts, NOW);
    assert!(
        find(&report, "profile")
            .detail
            .ends_with("AWS_ACCESS_KEY_ID in the environment"),
        "{report:#?}"
    );
    let serial = find(&report, "mfa_serial");
    assert_eq!(serial.status, Status::Fail);
    assert!(serial.detail.contains("not the ARN of an MFA device"));
    assert_eq!(sts.calls[0].1, "AKIAENVEXAMPLE");

    let home = Home::new(
        Some(&format!("{GOOD_CONFIG}mfa_yubikey_serial = yellow\n")),
        Some(GOOD_CREDENTIALS),
    );
    let home = Home {
        profile: "admin",
        ..home
    };
    let report = home.examine(&mut Cards::NoService, &mut FakeSts::answering(NOW), NOW);
    let serial = find(&report, "mfa_yubikey_serial");
    assert_eq!(serial.status, Status::Fail);
    assert!(serial.detail.contains("\"yellow\""), "{serial:?}");

    let home = Home::new(
        Some("[default]\nregion = us-east-1\n"),
        Some(GOOD_CREDENTIALS),
    );
    let report = home.examine(&mut Cards::NoService, &mut FakeSts::answering(NOW), NOW);
    let serial = find(&report, "mfa_serial");
    assert_eq!(serial.status, Status::Fail);
    assert!(
        serial
            .fix
            .as_deref()
            .unwrap()
            .contains("mfa register --write-config")
    );

    let home = Home::new(
        Some("[default]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n"),
        None,
    );
    let report = home.examine(&mut Cards::NoService, &mut FakeSts::answering(NOW), NOW);
    let profile = find(&report, "profile");
    assert_eq!(profile.status, Status::Fail);
    assert!(
        profile.detail.contains("no long-term credentials"),
        "{profile:?}"
    );
    assert_eq!(find(&report, "mfa_serial").status, Status::Ok);
    assert!(find(&report, "clock").detail.starts_with("not checked"));
}

#[test]
fn the_oath_account_missing_or_behind_a_password() {
    let home = Home::good();
    let two = || key(&[("GitHub", "bob"), ("GitLab", "carol")], None);
    let mut cards = Cards::one(two());
    let report = home.examine(&mut cards, &mut FakeSts::answering(NOW), NOW);
    let account = find(&report, "oath-account");
    assert_eq!(account.status, Status::Warn, "{account:?}");
    assert_eq!(
        account.detail,
        "no TOTP account on the YubiKey with serial 12345678 ends with `alice@123456789012` \
         (accounts: `GitHub:bob`, `GitLab:carol`)"
    );
    assert!(account.fix.as_deref().unwrap().contains("mfa register"));

    // The only account is used, but it does not look like the device's.
    let mut cards = Cards::one(key(&[("GitHub", "bob")], None));
    let report = home.examine(&mut cards, &mut FakeSts::answering(NOW), NOW);
    let account = find(&report, "oath-account");
    assert_eq!(account.status, Status::Warn, "{account:?}");
    assert!(account.detail.contains("alice@123456789012"), "{account:?}");

    let yubikey_only = Home {
        source: Some(SourceSetting::Yubikey),
        ..Home::good()
    };
    let mut cards = Cards::one(two());
    let report = yubikey_only.examine(&mut cards, &mut FakeSts::answering(NOW), NOW);
    assert_eq!(find(&report, "oath-account").status, Status::Fail);

    let locked = || {
        Cards::one(key(
            &[("Amazon Web Services", "alice@123456789012")],
            Some("pw"),
        ))
    };
    let mut cards = locked();
    let report = home.examine(&mut cards, &mut FakeSts::answering(NOW), NOW);
    assert!(
        find(&report, "yubikey")
            .detail
            .ends_with("OATH password set")
    );
    let account = find(&report, "oath-account");
    assert_eq!(account.status, Status::Warn);
    assert!(
        account
            .fix
            .as_deref()
            .unwrap()
            .contains("MFA_OATH_PASSWORD")
    );

    let mut cards = locked();
    let options = YubikeyOptions {
        password: Some(SecretString::new("pw".into())),
        ..YubikeyOptions::default()
    };
    let report = home.examine_with(&mut cards, &mut FakeSts::answering(NOW), NOW, options);
    assert_eq!(find(&report, "oath-account").status, Status::Ok);
}

fn session(expiration: u64) -> CachedSession {
    CachedSession {
        kind: SessionKind::SessionToken,
        profile: "default".into(),
        mfa_serial: Some(ARN.into()),
        role_arn: None,
        credentials: SessionCredentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: SecretString::new(SECRET.into()),
            session_token: SecretString::new("token".into()),
            expiration,
        },
    }
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn the_cache_directory() {
    let home = Home::good();
    let dir = home.cache_dir();
    let cache = SessionCache::file(CacheDir::open(&dir).unwrap());
    cache
        .put(
            &SessionKey::session_token("AKIAA", ARN),
            &session(NOW + 3600),
        )
        .unwrap();
    cache
        .put(&SessionKey::session_token("AKIAB", ARN), &session(NOW - 1))
        .unwrap();
    let examine = || home.examine(&mut Cards::NoService, &mut FakeSts::answering(NOW), NOW);
    let report = examine();
    let check = find(&report, "cache");
    assert_eq!(check.status, Status::Ok);
    assert_eq!(
        check.detail,
        format!("{} (mode 0700): 2 cached sessions, 1 usable", dir.display())
    );

    let corrupt = dir.join(format!(
        "{}.json",
        SessionKey::session_token("AKIAC", ARN).id()
    ));
    std::fs::write(&corrupt, "{").unwrap();
    set_mode(&corrupt, 0o600);
    let report = examine();
    let check = find(&report, "cache");
    assert_eq!(check.status, Status::Warn);
    assert!(check.detail.contains("1 entry ignored"), "{check:?}");

    set_mode(&dir, 0o755);
    let report = examine();
    let check = find(&report, "cache");
    assert_eq!(check.status, Status::Warn);
    assert!(check.detail.contains("mode 0755"), "{check:?}");
    assert_eq!(
        std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
        0o755,
        "the doctor only looks"
    );

    let home = Home::new(
        Some(&format!("{GOOD_CONFIG}mfa_cache = disk\n")),
        Some(GOOD_CREDENTIALS),
    );
    let home = Home {
        profile: "admin",
        ..home
    };
    let report = home.examine(&mut Cards::NoService, &mut FakeSts::answering(NOW), NOW);
    let check = find(&report, "cache");
    assert_eq!(check.status, Status::Fail);
    assert!(check.detail.contains("\"disk\""), "{check:?}");
}

#[test]
fn json_report() {
    let home = Home::new(None, None);
    let report = home.examine(&mut Cards::NoService, &mut FakeSts::answering(NOW), NOW);
    let mut out = Vec::new();
    print(&report, true, &mut out).unwrap();
    let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(value["status"], "fail");
    let first = &value["checks"][0];
    assert_eq!(first["check"], "pcscd");
    assert_eq!(first["status"], "warn");
    assert!(first["fix"].as_str().unwrap().contains("pcscd"));
    let cache = value["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "cache")
        .unwrap();
    assert!(cache["fix"].is_null());
}
