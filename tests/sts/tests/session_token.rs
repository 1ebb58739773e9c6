//! GetSessionToken over HTTP: success shape and headers, durations, MFA window, reuse, wrong
//! serial, malformed codes, unknown callers, session callers, clock skew.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use mfa_sts::{Config, StsDouble};

#[test]
fn mfa_session_has_the_real_shape_and_headers() {
    let double = start();
    let code = alice_code(&double, 0);
    let reply = session_token(
        &double,
        &long_term(ALICE_KEY),
        &[
            ("SerialNumber", ALICE_SERIAL),
            ("TokenCode", &code),
            ("DurationSeconds", "3600"),
        ],
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.starts_with(
        "<GetSessionTokenResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetSessionTokenResult><Credentials><AccessKeyId>ASIA"
    ));
    assert_eq!(reply.header("content-type"), Some("text/xml"));
    let request_id = reply.header("x-amzn-RequestId").unwrap();
    assert_eq!(reply.tag("RequestId").as_deref(), Some(request_id));
    let date = reply.header("date").unwrap();
    assert!(date.ends_with(" GMT") && date.len() == 29, "{date}");
    let key = reply.tag("AccessKeyId").unwrap();
    assert!(key.starts_with("ASIA") && key.len() == 20);
    assert_eq!(reply.tag("SecretAccessKey").unwrap().len(), 40);
    assert!(reply.tag("SessionToken").unwrap().len() > 100);
    let expiration = parse_iso8601(&reply.tag("Expiration").unwrap());
    assert!((expiration - double.now() - 3600).abs() <= 2);

    let calls = double.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].action, "GetSessionToken");
    assert_eq!(calls[0].access_key_id.as_deref(), Some(ALICE_KEY));
    assert_eq!(calls[0].serial.as_deref(), Some(ALICE_SERIAL));
    assert_eq!(calls[0].token_code.as_deref(), Some(code.as_str()));
    assert_eq!(calls[0].duration, Some(3600));
    assert_eq!(calls[0].error, None);
    assert_eq!(double.mfa_calls(), 1);
}

#[test]
fn each_session_gets_fresh_keys_and_default_duration() {
    let double = start();
    let first = session_token(&double, &long_term(CAROL_KEY), &[]);
    let second = session_token(&double, &long_term(CAROL_KEY), &[]);
    assert_ne!(first.tag("AccessKeyId"), second.tag("AccessKeyId"));
    assert_ne!(first.tag("SecretAccessKey"), second.tag("SecretAccessKey"));
    let expiration = parse_iso8601(&first.tag("Expiration").unwrap());
    assert!((expiration - double.now() - 43_200).abs() <= 2);
    assert_eq!(double.mfa_calls(), 0);
}

#[test]
fn duration_bounds() {
    let double = start();
    for (duration, ok) in [
        ("899", false),
        ("900", true),
        ("129600", true),
        ("129601", false),
    ] {
        let reply = session_token(
            &double,
            &long_term(CAROL_KEY),
            &[("DurationSeconds", duration)],
        );
        if ok {
            assert_eq!(reply.status, 200, "{duration}: {}", reply.body);
        } else {
            assert_eq!(reply.status, 400, "{duration}");
            let (code, message) = reply.error();
            assert_eq!(code, "ValidationError");
            assert!(message.contains("durationSeconds"), "{message}");
        }
    }
}

#[test]
fn a_code_is_single_use() {
    let double = start();
    let code = alice_code(&double, 0);
    let params = [("SerialNumber", ALICE_SERIAL), ("TokenCode", code.as_str())];
    assert_eq!(
        session_token(&double, &long_term(ALICE_KEY), &params).status,
        200
    );
    let reply = session_token(&double, &long_term(ALICE_KEY), &params);
    assert_eq!(reply.status, 403);
    assert_eq!(reply.error(), ("AccessDenied".into(), INVALID_CODE.into()));
    assert_eq!(double.mfa_calls(), 2);
    assert_eq!(double.calls()[1].error.as_deref(), Some("AccessDenied"));
}

#[test]
fn the_benchmark_option_accepts_a_replayed_code_and_still_checks_it() {
    let double = StsDouble::start(Config {
        accept_replayed_codes: true,
        ..config()
    })
    .unwrap();
    let code = alice_code(&double, 0);
    let params = [("SerialNumber", ALICE_SERIAL), ("TokenCode", code.as_str())];
    for _ in 0..3 {
        assert_eq!(
            session_token(&double, &long_term(ALICE_KEY), &params).status,
            200
        );
    }
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let params = [("SerialNumber", ALICE_SERIAL), ("TokenCode", wrong)];
    let reply = session_token(&double, &long_term(ALICE_KEY), &params);
    assert_eq!(reply.error(), ("AccessDenied".into(), INVALID_CODE.into()));
    assert_eq!(double.mfa_calls(), 4);
}

#[test]
fn window_is_one_step_either_side_and_older_steps_are_spent() {
    let double = start();
    early_in_step(&double);
    let try_code = |steps: i64| {
        let code = alice_code(&double, steps);
        session_token(
            &double,
            &long_term(ALICE_KEY),
            &[("SerialNumber", ALICE_SERIAL), ("TokenCode", &code)],
        )
    };
    for far in [-2, 2] {
        let reply = try_code(far);
        assert_eq!(reply.status, 403, "step {far}");
        assert_eq!(reply.error().1, INVALID_CODE);
    }
    assert_eq!(try_code(-1).status, 200);
    assert_eq!(try_code(1).status, 200);
    // The current step is older than the last accepted one (+1): spent.
    let reply = try_code(0);
    assert_eq!(reply.error(), ("AccessDenied".into(), INVALID_CODE.into()));
}

#[test]
fn codes_are_tracked_per_serial() {
    let double = start();
    early_in_step(&double);
    let alice = alice_code(&double, 0);
    let bob = mfa_sts::StsDouble::totp(BOB_SEED, double.now() as u64);
    let reply = session_token(
        &double,
        &long_term(ALICE_KEY),
        &[("SerialNumber", ALICE_SERIAL), ("TokenCode", &alice)],
    );
    assert_eq!(reply.status, 200);
    let reply = session_token(
        &double,
        &long_term(BOB_KEY),
        &[("SerialNumber", BOB_SERIAL), ("TokenCode", &bob)],
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[test]
fn a_serial_not_associated_with_the_user_is_refused() {
    let double = start();
    let code = alice_code(&double, 0);
    // Bob's serial with alice's keys, and any serial for carol, who has no device.
    for (key, serial) in [(ALICE_KEY, BOB_SERIAL), (CAROL_KEY, ALICE_SERIAL)] {
        let reply = session_token(
            &double,
            &long_term(key),
            &[("SerialNumber", serial), ("TokenCode", &code)],
        );
        assert_eq!(reply.status, 403);
        assert_eq!(reply.error(), ("AccessDenied".into(), WRONG_SERIAL.into()));
    }
    // The code was not spent.
    let reply = session_token(
        &double,
        &long_term(ALICE_KEY),
        &[("SerialNumber", ALICE_SERIAL), ("TokenCode", &code)],
    );
    assert_eq!(reply.status, 200);
}

#[test]
fn malformed_codes_are_validation_errors() {
    let double = start();
    for bad in ["12345", "1234567", "12a456", ""] {
        let reply = session_token(
            &double,
            &long_term(ALICE_KEY),
            &[("SerialNumber", ALICE_SERIAL), ("TokenCode", bad)],
        );
        assert_eq!(reply.status, 400, "{bad:?}");
        let (code, message) = reply.error();
        assert_eq!(code, "ValidationError");
        assert!(
            message.starts_with("1 validation error detected: Value '"),
            "{message}"
        );
        assert!(message.contains("at 'tokenCode'"), "{message}");
    }
}

#[test]
fn unknown_or_missing_keys_are_invalid_client_token_ids() {
    let double = start();
    let reply = session_token(&double, &long_term("AKIANOBODY0000000000"), &[]);
    assert_eq!(reply.status, 403);
    assert_eq!(
        reply.error(),
        (
            "InvalidClientTokenId".into(),
            "The security token included in the request is invalid.".into()
        )
    );
    let reply = Client::connect(&double).post(None, &[("Action", "GetSessionToken")]);
    assert_eq!(reply.status, 403);
    assert_eq!(reply.error().0, "InvalidClientTokenId");
    assert_eq!(double.calls()[1].access_key_id, None);
}

#[test]
fn session_credentials_cannot_get_session_tokens() {
    let double = start();
    let session = alice_mfa_session(&double);
    let reply = session_token(&double, &session, &[]);
    assert_eq!(reply.status, 403);
    assert_eq!(
        reply.error(),
        (
            "AccessDenied".into(),
            "Cannot call GetSessionToken with session credentials".into()
        )
    );
}

#[test]
fn clock_offset_moves_the_window() {
    let mut config = config();
    config.clock_offset_secs = 600;
    let double = mfa_sts::StsDouble::start(config).unwrap();
    let real_now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // A client whose clock is 10 minutes behind the server's is refused…
    let behind = mfa_sts::StsDouble::totp(ALICE_SEED, real_now);
    let reply = session_token(
        &double,
        &long_term(ALICE_KEY),
        &[("SerialNumber", ALICE_SERIAL), ("TokenCode", &behind)],
    );
    assert_eq!(reply.error(), ("AccessDenied".into(), INVALID_CODE.into()));
    // …and the server's own time works; its Date header shows the skew.
    let reply = session_token(
        &double,
        &long_term(ALICE_KEY),
        &[
            ("SerialNumber", ALICE_SERIAL),
            ("TokenCode", &alice_code(&double, 0)),
        ],
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    double.set_clock_offset(0);
    assert!((double.now() - real_now as i64).abs() <= 2);
}

#[test]
fn unknown_actions_and_versions() {
    let double = start();
    let creds = long_term(ALICE_KEY);
    let reply = call(
        &double,
        &creds,
        &[("Action", "GetFederationToken"), ("Version", "2011-06-15")],
    );
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.error(),
        (
            "InvalidAction".into(),
            "Could not find operation GetFederationToken for version 2011-06-15".into()
        )
    );
    let reply = call(
        &double,
        &creds,
        &[("Action", "GetSessionToken"), ("Version", "2010-01-01")],
    );
    assert_eq!(reply.error().0, "InvalidAction");
    let reply = call(&double, &creds, &[("Version", "2011-06-15")]);
    assert_eq!(reply.error().0, "MissingAction");
}

#[test]
fn the_secret_of_issued_and_configured_keys_can_be_looked_up_by_tests() {
    let double = start();
    let reply = session_token(&double, &long_term(CAROL_KEY), &[]);
    let key = reply.tag("AccessKeyId").unwrap();
    assert_eq!(double.secret_of(&key), reply.tag("SecretAccessKey"));
    assert_eq!(
        double.secret_of(CAROL_KEY).as_deref(),
        Some(config().users[2].secret_access_key.as_str())
    );
    assert_eq!(double.secret_of("ASIAUNKNOWN000000000"), None);
    // The same over HTTP, for test servers in other languages.
    let mut client = Client::connect(&double);
    client.send_raw(
        format!("GET /__mfa/secret?access_key_id={key} HTTP/1.1\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    );
    let answer = client.read_reply().unwrap();
    assert_eq!(answer.status, 200);
    let value: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(
        value["secret_access_key"].as_str(),
        reply.tag("SecretAccessKey").as_deref()
    );
    let mut client = Client::connect(&double);
    client.send_raw(b"GET /__mfa/secret?access_key_id=nope HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert_eq!(client.read_reply().unwrap().status, 404);
}
