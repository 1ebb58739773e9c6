//! Against the in-process STS double, which checks codes like AWS (±1 step, single use).
#![allow(clippy::unwrap_used)]

use std::ffi::OsString;
use std::time::Duration;

use mfa_sts::{Config, Fault, Mfa, Role, StsDouble, User};

use super::*;
use crate::sources::{MfaCode, SourceKind};

const SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";
const ADMIN: &str = "arn:aws:iam::123456789012:role/Admin";
const LONG: &str = "arn:aws:iam::123456789012:role/Long";
const PARTNER: &str = "arn:aws:iam::210987654321:role/Partner";

fn double() -> StsDouble {
    StsDouble::start(Config {
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
            Role {
                arn: ADMIN.into(),
                require_mfa: true,
                external_id: None,
                max_duration: 3600,
            },
            Role {
                arn: LONG.into(),
                require_mfa: true,
                external_id: None,
                max_duration: 43_200,
            },
            Role {
                arn: PARTNER.into(),
                require_mfa: false,
                external_id: Some("partner-ext".into()),
                max_duration: 3600,
            },
        ],
        ..Config::default()
    })
    .unwrap()
}

fn client(double: &StsDouble) -> StsClient {
    StsClient::new(StsSettings {
        endpoint_url: Some(double.url()),
        initial_backoff: Duration::from_millis(10),
        ..StsSettings::new("eu-west-1")
    })
}

fn alice() -> LongTermCredentials {
    LongTermCredentials {
        access_key_id: "AKIAALICE".into(),
        secret_access_key: SecretString::new("alice-secret".into()),
        session_token: None,
        expiration: None,
    }
}

/// The code of the double's current step, and the step.
fn code_now(double: &StsDouble) -> MfaCode {
    code_at(double, 0)
}

fn code_at(double: &StsDouble, steps_ahead: i64) -> MfaCode {
    let at = u64::try_from(double.now() + steps_ahead * 30).unwrap();
    let digits = StsDouble::totp(SEED, at);
    MfaCode::new(digits.into(), Some(at / 30), SourceKind::Totp).unwrap()
}

fn role(arn: &str) -> RoleStep {
    RoleStep {
        profile: "admin".into(),
        role_arn: arn.into(),
        external_id: None,
        role_session_name: None,
        duration_seconds: None,
    }
}

#[test]
fn session_token_with_a_right_code() {
    let double = double();
    let sts = client(&double);
    let session = sts
        .get_session_token(&alice(), SERIAL, &code_now(&double), Some(3600))
        .unwrap();
    assert!(session.access_key_id.starts_with("ASIA"));
    assert!(!session.session_token.is_empty() && !session.secret_access_key.is_empty());
    let now = u64::try_from(double.now()).unwrap();
    assert!(session.expiration.abs_diff(now + 3600) < 60);
    assert_eq!(double.mfa_calls(), 1);
    let call = &double.calls()[0];
    assert_eq!(call.action, "GetSessionToken");
    assert_eq!(call.serial.as_deref(), Some(SERIAL));
    assert_eq!(call.duration, Some(3600));
    assert!(sts.server_date().unwrap().abs_diff(now) < 60);
}

#[test]
fn a_reused_code_is_rejected() {
    let double = double();
    let sts = client(&double);
    let code = code_now(&double);
    sts.get_session_token(&alice(), SERIAL, &code, None)
        .unwrap();
    let err = sts
        .get_session_token(&alice(), SERIAL, &code, None)
        .unwrap_err();
    assert!(
        matches!(err, StsError::MfaCodeRejected { ref message } if message.contains("invalid MFA one time pass code")),
        "{err:?}"
    );
    // Not resent: exactly one attempt per call.
    assert_eq!(double.mfa_calls(), 2);
    // The next step's code is accepted.
    sts.get_session_token(&alice(), SERIAL, &code_at(&double, 1), None)
        .unwrap();
}

#[test]
fn a_wrong_serial_is_named() {
    let double = double();
    let err = client(&double)
        .get_session_token(
            &alice(),
            "arn:aws:iam::123456789012:mfa/bob",
            &code_now(&double),
            None,
        )
        .unwrap_err();
    assert!(
        matches!(err, StsError::MfaSerialInvalid { ref message } if message.contains("serial number is valid")),
        "{err:?}"
    );
}

#[test]
fn roles_from_the_session_need_no_code() {
    let double = double();
    let sts = client(&double);
    let session = sts
        .get_session_token(&alice(), SERIAL, &code_now(&double), None)
        .unwrap();
    let name = default_session_name("alice", 1_800_000_000);
    let assumed = sts
        .assume_role(&session, &role(ADMIN), None, None, &name)
        .unwrap();
    assert_eq!(
        assumed.assumed_role_arn.as_deref(),
        Some("arn:aws:sts::123456789012:assumed-role/Admin/mfa-alice-1800000000")
    );
    assert_ne!(assumed.credentials.access_key_id, session.access_key_id);
    assert_eq!(double.mfa_calls(), 1, "AssumeRole carried no code");
    let identity = sts.get_caller_identity(&assumed.credentials).unwrap();
    assert_eq!(identity.account, "123456789012");
    assert!(identity.arn.contains("assumed-role/Admin"), "{identity:?}");
}

#[test]
fn a_long_role_is_assumed_directly_with_a_code() {
    let double = double();
    let sts = client(&double);
    let mut long = role(LONG);
    long.duration_seconds = Some(7200);
    let code = code_now(&double);
    let assumed = sts
        .assume_role(&alice(), &long, Some((SERIAL, &code)), None, "direct")
        .unwrap();
    let now = u64::try_from(double.now()).unwrap();
    assert!(assumed.credentials.expiration.abs_diff(now + 7200) < 60);
    let call = double.calls().pop().unwrap();
    assert_eq!(call.action, "AssumeRole");
    assert_eq!(call.duration, Some(7200));
    assert!(call.token_code.is_some());
}

#[test]
fn role_chaining_is_limited_to_an_hour() {
    let double = double();
    let sts = client(&double);
    let session = sts
        .get_session_token(&alice(), SERIAL, &code_now(&double), None)
        .unwrap();
    let err = sts
        .assume_role(&session, &role(LONG), None, Some(7200), "chained")
        .unwrap_err();
    assert!(
        matches!(err, StsError::Validation { ref message } if message.contains("1 hour session limit")),
        "{err:?}"
    );
}

#[test]
fn trust_policy_conditions() {
    let double = double();
    let sts = client(&double);
    // Long-term keys without MFA: the role requires it.
    let err = sts
        .assume_role(&alice(), &role(ADMIN), None, None, "nomfa")
        .unwrap_err();
    assert!(
        matches!(err, StsError::AccessDenied { ref message } if message.contains("not authorized to perform: sts:AssumeRole")),
        "{err:?}"
    );
    let mut partner = role(PARTNER);
    assert!(matches!(
        sts.assume_role(&alice(), &partner, None, None, "ext"),
        Err(StsError::AccessDenied { .. })
    ));
    partner.external_id = Some("partner-ext".into());
    sts.assume_role(&alice(), &partner, None, None, "ext")
        .unwrap();
}

#[test]
fn access_denied_and_bad_keys() {
    let double = double();
    let sts = client(&double);
    let mut stranger = alice();
    stranger.access_key_id = "AKIANOBODY".into();
    assert!(matches!(
        sts.get_caller_identity(&stranger),
        Err(StsError::InvalidClientTokenId { .. })
    ));
    double.fail_always(Fault::AccessDenied);
    let err = sts.get_caller_identity(&alice()).unwrap_err();
    assert!(
        matches!(err, StsError::AccessDenied { ref message } if message.contains("not authorized")),
        "{err:?}"
    );
}

#[test]
fn throttling_is_retried_and_reported() {
    let double = double();
    let sts = client(&double);
    // A throttled request never reached the MFA check: the same code is resent.
    double.fail_next(Fault::Throttling, 1);
    sts.get_session_token(&alice(), SERIAL, &code_now(&double), None)
        .unwrap();
    assert_eq!(double.calls().len(), 2);
    double.fail_always(Fault::Throttling);
    let err = sts
        .get_session_token(&alice(), SERIAL, &code_at(&double, 1), None)
        .unwrap_err();
    assert!(
        matches!(err, StsError::Throttled { ref message } if message == "Rate exceeded"),
        "{err:?}"
    );
    assert_eq!(
        double.calls().len(),
        2 + 3,
        "three attempts, then the error"
    );
    let err = sts.get_caller_identity(&alice()).unwrap_err();
    assert!(matches!(err, StsError::Throttled { .. }), "{err:?}");
}

#[test]
fn server_errors() {
    let double = double();
    let sts = client(&double);
    // Without a code the SDK retries.
    double.fail_next(Fault::ServerError, 1);
    sts.get_caller_identity(&alice()).unwrap();
    assert_eq!(double.calls().len(), 2);
    // With a code it does not: the code may have been consumed.
    double.fail_next(Fault::ServerError, 1);
    let err = sts
        .get_session_token(&alice(), SERIAL, &code_now(&double), None)
        .unwrap_err();
    assert!(
        matches!(err, StsError::ServerError { status: 500, .. }),
        "{err:?}"
    );
    assert_eq!(double.calls().len(), 3);
    double.fail_always(Fault::ServerError);
    let err = sts.get_caller_identity(&alice()).unwrap_err();
    assert!(
        matches!(err, StsError::ServerError { status: 500, ref message } if message.contains("internal error")),
        "{err:?}"
    );
}

#[test]
fn a_dropped_connection() {
    let double = double();
    let sts = client(&double);
    double.fail_always(Fault::Drop);
    let err = sts
        .get_session_token(&alice(), SERIAL, &code_now(&double), None)
        .unwrap_err();
    assert!(
        matches!(err, StsError::ConnectionLost { ref endpoint, ref detail } if *endpoint == double.url()
            && detail.contains("connection closed")),
        "{err:?}"
    );
    assert_eq!(
        double.calls().len(),
        1,
        "a code that may be spent is not resent"
    );
    let err = sts.get_caller_identity(&alice()).unwrap_err();
    assert!(matches!(err, StsError::ConnectionLost { .. }), "{err:?}");
}

#[test]
fn an_unreachable_endpoint() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let sts = StsClient::new(StsSettings {
        endpoint_url: Some(url.clone()),
        initial_backoff: Duration::from_millis(10),
        ..StsSettings::new("us-east-1")
    });
    let err = sts.get_caller_identity(&alice()).unwrap_err();
    assert!(
        matches!(err, StsError::Unreachable { ref endpoint, ref detail } if *endpoint == url
            && detail.contains("Connection refused") && !detail.contains("dispatch failure")),
        "{err:?}"
    );
    let code = MfaCode::new("123456".to_owned().into(), None, SourceKind::Prompt).unwrap();
    let err = sts
        .get_session_token(&alice(), SERIAL, &code, None)
        .unwrap_err();
    assert!(matches!(err, StsError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains(&url), "{err}");
}

#[test]
fn a_slow_endpoint_times_out() {
    let double = double();
    let sts = StsClient::new(StsSettings {
        endpoint_url: Some(double.url()),
        read_timeout: Duration::from_millis(200),
        attempt_timeout: Duration::from_millis(200),
        operation_timeout: Duration::from_millis(500),
        initial_backoff: Duration::from_millis(10),
        ..StsSettings::new("us-east-1")
    });
    double.fail_always(Fault::Slow(Duration::from_secs(1)));
    let err = sts.get_caller_identity(&alice()).unwrap_err();
    assert!(matches!(err, StsError::TimedOut { .. }), "{err:?}");
}

#[test]
fn the_server_clock_is_visible() {
    let double = double();
    double.set_clock_offset(600);
    let sts = client(&double);
    assert_eq!(sts.server_date(), None);
    sts.get_caller_identity(&alice()).unwrap();
    let local = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let skew = sts.server_date().unwrap().abs_diff(local);
    assert!((590..=610).contains(&skew), "{skew}");
}

fn vars(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| OsString::from(v))
    }
}

#[test]
fn region_and_endpoint_from_profile_and_environment() {
    let s = StsSettings::from_env(None, &vars(&[]));
    assert_eq!(s.region, "us-east-1");
    assert_eq!(s.endpoint_url, None);
    assert_eq!(s.endpoint(), "https://sts.us-east-1.amazonaws.com");
    let env = vars(&[
        ("AWS_REGION", "eu-central-1"),
        ("AWS_DEFAULT_REGION", "ap-south-1"),
        ("AWS_ENDPOINT_URL", "http://all:1"),
        ("AWS_ENDPOINT_URL_STS", "http://sts:2"),
    ]);
    let s = StsSettings::from_env(None, &env);
    assert_eq!(s.region, "eu-central-1");
    assert_eq!(s.endpoint(), "http://sts:2");
    assert_eq!(
        StsSettings::from_env(Some("eu-west-3"), &env).region,
        "eu-west-3"
    );
    let s = StsSettings::from_env(
        None,
        &vars(&[
            ("AWS_DEFAULT_REGION", "ap-south-1"),
            ("AWS_ENDPOINT_URL", "http://all:1"),
            ("AWS_ENDPOINT_URL_STS", ""),
        ]),
    );
    assert_eq!(s.region, "ap-south-1");
    assert_eq!(s.endpoint(), "http://all:1");
}

#[test]
fn the_sts_endpoint_override_wins() {
    let double = double();
    let closed = vars(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:1")]);
    let sts = StsClient::new(StsSettings::from_env(None, &|name: &str| {
        if name == "AWS_ENDPOINT_URL_STS" {
            Some(OsString::from(double.url()))
        } else {
            closed(name)
        }
    }));
    let identity = sts.get_caller_identity(&alice()).unwrap();
    assert_eq!(identity.arn, "arn:aws:iam::123456789012:user/alice");
    assert_eq!(double.calls().len(), 1);
}

#[test]
fn session_names() {
    assert_eq!(
        default_session_name("alice", 1_800_000_000),
        "mfa-alice-1800000000"
    );
    assert_eq!(
        default_session_name("Jörg Müller/ops", 7),
        "mfa-J-rg-M-ller-ops-7"
    );
    assert_eq!(default_session_name("", 7), "mfa-user-7");
    let long = default_session_name(&"x".repeat(100), 1_800_000_000);
    assert_eq!(long.len(), 64);
    assert!(long.ends_with("-1800000000"));
    let mut step = role(ADMIN);
    assert_eq!(role_session_name(&step, "bob", 5), "mfa-bob-5");
    step.role_session_name = Some("mine".into());
    assert_eq!(role_session_name(&step, "bob", 5), "mine");
}

#[test]
fn error_responses_are_sorted() {
    let sorted = |code: &str, message: &str, status| {
        StsError::from_response(Some(code), Some(message), status)
    };
    assert!(matches!(
        sorted(
            "AccessDenied",
            "MultiFactorAuthentication failed with invalid MFA one time pass code. ",
            403
        ),
        StsError::MfaCodeRejected { ref message } if message.ends_with("pass code.")
    ));
    assert!(matches!(
        sorted(
            "ExpiredToken",
            "The security token included in the request is expired",
            400
        ),
        StsError::ExpiredToken { .. }
    ));
    assert!(matches!(
        sorted("ServiceUnavailable", "try later", 503),
        StsError::ServerError { status: 503, .. }
    ));
    assert_eq!(
        sorted("RegionDisabledException", "STS is not activated", 403),
        StsError::Other {
            code: Some("RegionDisabledException".into()),
            message: "STS is not activated".into()
        }
    );
    assert_eq!(
        StsError::from_response(Some("Weird"), None, 400).to_string(),
        "STS call failed: Weird"
    );
}

#[test]
fn an_invalid_endpoint_printed_the_request_with_the_code() {
    // What `StsSettings::check` refuses up front, sent anyway: the SDK's error quotes the
    // request (its body holds `TokenCode=…`); ours must not.
    let client = StsClient::new(StsSettings {
        endpoint_url: Some("ht tp://x".into()),
        ..StsSettings::new("eu-west-1")
    });
    let code = MfaCode::new(String::from("123456").into(), None, SourceKind::Prompt).unwrap();
    let err = client
        .get_session_token(&alice(), SERIAL, &code, None)
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains("123456"), "{text}");
    assert!(!text.contains("TokenCode"), "{text}");
}
