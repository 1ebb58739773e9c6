//! AssumeRole and GetCallerIdentity over HTTP: role chaining from an MFA session, the 1 h
//! chaining limit, MFA and ExternalId trust conditions, MaxSessionDuration, session tokens,
//! and presigned GET requests.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

#[test]
fn from_an_mfa_session_no_mfa_parameters_are_needed() {
    let double = start();
    let session = alice_mfa_session(&double);
    let reply = assume_role(&double, &session, ADMIN_ROLE, &[]);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.starts_with(
        "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult><Credentials><AccessKeyId>ASIA"
    ));
    assert_eq!(
        reply.tag("Arn").as_deref(),
        Some("arn:aws:sts::123456789012:assumed-role/admin/test-session")
    );
    let role_id = reply.tag("AssumedRoleId").unwrap();
    assert!(role_id.starts_with("AROA") && role_id.ends_with(":test-session"));
    let expiration = parse_iso8601(&reply.tag("Expiration").unwrap());
    assert!((expiration - double.now() - 3600).abs() <= 2);
    assert_eq!(double.mfa_calls(), 1);
    let calls = double.calls();
    assert_eq!(calls[1].action, "AssumeRole");
    assert_eq!(calls[1].role_arn.as_deref(), Some(ADMIN_ROLE));
    assert_eq!(calls[1].access_key_id, Some(session.key));
}

#[test]
fn role_chaining_is_limited_to_one_hour() {
    let double = start();
    let session = alice_mfa_session(&double);
    let reply = assume_role(
        &double,
        &session,
        ADMIN_ROLE,
        &[("DurationSeconds", "3601")],
    );
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.error(),
        (
            "ValidationError".into(),
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.".into()
        )
    );
    let reply = assume_role(
        &double,
        &session,
        ADMIN_ROLE,
        &[("DurationSeconds", "3600")],
    );
    assert_eq!(reply.status, 200);
    // A role session can chain again, with the same limit.
    let role = reply.creds();
    assert_eq!(assume_role(&double, &role, READONLY_ROLE, &[]).status, 200);
    let reply = assume_role(&double, &role, ADMIN_ROLE, &[("DurationSeconds", "7200")]);
    assert_eq!(reply.error().0, "ValidationError");
}

#[test]
fn from_long_term_keys_an_mfa_role_needs_a_valid_code() {
    let double = start();
    let keys = long_term(ALICE_KEY);
    let reply = assume_role(&double, &keys, ADMIN_ROLE, &[]);
    assert_eq!(reply.status, 403);
    assert_eq!(
        reply.error(),
        (
            "AccessDenied".into(),
            format!(
                "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: sts:AssumeRole on resource: {ADMIN_ROLE}"
            )
        )
    );
    let code = alice_code(&double, 0);
    let mfa = [("SerialNumber", ALICE_SERIAL), ("TokenCode", code.as_str())];
    let with_duration = [mfa[0], mfa[1], ("DurationSeconds", "43200")];
    let reply = assume_role(&double, &keys, ADMIN_ROLE, &with_duration);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let expiration = parse_iso8601(&reply.tag("Expiration").unwrap());
    assert!((expiration - double.now() - 43_200).abs() <= 2);
    // Reused code.
    let reply = assume_role(&double, &keys, ADMIN_ROLE, &mfa);
    assert_eq!(reply.error(), ("AccessDenied".into(), INVALID_CODE.into()));
    // Wrong serial.
    let wrong = [("SerialNumber", BOB_SERIAL), ("TokenCode", code.as_str())];
    let reply = assume_role(&double, &keys, ADMIN_ROLE, &wrong);
    assert_eq!(reply.error(), ("AccessDenied".into(), WRONG_SERIAL.into()));
    // A session without MFA context does not satisfy the condition either.
    let plain = session_token(&double, &long_term(CAROL_KEY), &[]).creds();
    assert_eq!(
        assume_role(&double, &plain, ADMIN_ROLE, &[]).error().0,
        "AccessDenied"
    );
    assert_eq!(assume_role(&double, &plain, READONLY_ROLE, &[]).status, 200);
}

#[test]
fn max_session_duration_and_range() {
    let double = start();
    let keys = long_term(CAROL_KEY);
    let reply = assume_role(
        &double,
        &keys,
        READONLY_ROLE,
        &[("DurationSeconds", "7200")],
    );
    assert_eq!(
        reply.error(),
        (
            "ValidationError".into(),
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
                .into()
        )
    );
    for bad in ["899", "43201"] {
        let reply = assume_role(&double, &keys, READONLY_ROLE, &[("DurationSeconds", bad)]);
        let (code, message) = reply.error();
        assert_eq!(code, "ValidationError");
        assert!(message.contains("at 'durationSeconds'"), "{message}");
    }
    assert_eq!(
        assume_role(&double, &keys, READONLY_ROLE, &[("DurationSeconds", "900")]).status,
        200
    );
}

#[test]
fn external_id_is_checked() {
    let double = start();
    let keys = long_term(CAROL_KEY);
    for external_id in [None, Some("wrong-id")] {
        let extra: Vec<_> = external_id.map(|e| ("ExternalId", e)).into_iter().collect();
        let reply = assume_role(&double, &keys, PARTNER_ROLE, &extra);
        assert_eq!(reply.status, 403, "{external_id:?}");
        assert!(
            reply
                .error()
                .1
                .contains("is not authorized to perform: sts:AssumeRole")
        );
    }
    let reply = assume_role(&double, &keys, PARTNER_ROLE, &[("ExternalId", "ext-123")]);
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.tag("Arn").as_deref(),
        Some("arn:aws:sts::210987654321:assumed-role/partner/test-session")
    );
}

#[test]
fn unknown_roles_and_missing_parameters() {
    let double = start();
    let keys = long_term(CAROL_KEY);
    let reply = assume_role(&double, &keys, "arn:aws:iam::123456789012:role/nope", &[]);
    assert_eq!(reply.status, 403);
    assert_eq!(reply.error().0, "AccessDenied");
    let reply = call(
        &double,
        &keys,
        &[("Action", "AssumeRole"), ("RoleArn", READONLY_ROLE)],
    );
    assert_eq!(
        reply.error(),
        (
            "ValidationError".into(),
            "1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null".into()
        )
    );
    let reply = call(
        &double,
        &keys,
        &[
            ("Action", "AssumeRole"),
            ("RoleArn", READONLY_ROLE),
            ("RoleSessionName", "bad name"),
        ],
    );
    assert!(reply.error().1.contains("regular expression pattern"));
}

#[test]
fn caller_identity_of_keys_sessions_and_roles() {
    let double = start();
    let reply = caller_identity(&double, &long_term(ALICE_KEY));
    assert_eq!(reply.status, 200);
    assert!(reply.body.starts_with(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult>"
    ));
    assert_eq!(
        reply.tag("Arn").as_deref(),
        Some("arn:aws:iam::123456789012:user/alice")
    );
    assert_eq!(reply.tag("Account").as_deref(), Some(ACCOUNT));
    let user_id = reply.tag("UserId").unwrap();
    assert!(user_id.starts_with("AIDA"));
    let session = alice_mfa_session(&double);
    let reply = caller_identity(&double, &session);
    assert_eq!(
        reply.tag("Arn").as_deref(),
        Some("arn:aws:iam::123456789012:user/alice")
    );
    assert_eq!(reply.tag("UserId"), Some(user_id));
    let role = assume_role(&double, &session, ADMIN_ROLE, &[]).creds();
    let reply = caller_identity(&double, &role);
    assert_eq!(
        reply.tag("Arn").as_deref(),
        Some("arn:aws:sts::123456789012:assumed-role/admin/test-session")
    );
    assert!(reply.tag("UserId").unwrap().ends_with(":test-session"));
}

#[test]
fn session_keys_need_their_token() {
    let double = start();
    let session = alice_mfa_session(&double);
    for token in [None, Some("forged".to_string())] {
        let forged = Creds {
            key: session.key.clone(),
            token,
        };
        let reply = caller_identity(&double, &forged);
        assert_eq!(reply.status, 403);
        assert_eq!(reply.error().0, "InvalidClientTokenId");
    }
}

#[test]
fn expired_sessions_are_refused() {
    let double = start();
    let session = session_token(
        &double,
        &long_term(CAROL_KEY),
        &[("DurationSeconds", "900")],
    );
    let session = session.creds();
    double.set_clock_offset(901);
    let reply = caller_identity(&double, &session);
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error().0, "ExpiredToken");
}

#[test]
fn presigned_get_caller_identity() {
    let double = start();
    let session = alice_mfa_session(&double);
    let target = format!(
        "/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={}&X-Amz-Date=20260501T123456Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Security-Token={}&X-Amz-Signature=abcd",
        encode(&format!(
            "{}/20260501/us-east-1/sts/aws4_request",
            session.key
        )),
        encode(session.token.as_deref().unwrap())
    );
    let reply = Client::connect(&double).get(&target);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.tag("Arn").as_deref(),
        Some("arn:aws:iam::123456789012:user/alice")
    );
    let last = double.calls().pop().unwrap();
    assert_eq!(last.action, "GetCallerIdentity");
    assert_eq!(last.access_key_id, Some(session.key));
    // Without a credential, the request is refused.
    let reply = Client::connect(&double).get("/?Action=GetCallerIdentity&Version=2011-06-15");
    assert_eq!(reply.error().0, "InvalidClientTokenId");
}

#[test]
fn lifetime_overrides_issue_credentials_that_expire_in_seconds() {
    let mut config = config();
    config.session_lifetime_override_secs = Some(30);
    config.role_lifetime_override_secs = Some(5);
    let double = mfa_sts::StsDouble::start(config).unwrap();
    let session = alice_mfa_session(&double);
    let role = assume_role(&double, &session, ADMIN_ROLE, &[]);
    assert_eq!(role.status, 200, "{}", role.body);
    let expiration = parse_iso8601(&role.tag("Expiration").unwrap());
    assert!((expiration - double.now() - 5).abs() <= 1);
    let role = role.creds();
    assert_eq!(caller_identity(&double, &role).status, 200);
    double.set_clock_offset(6);
    assert_eq!(caller_identity(&double, &role).error().0, "ExpiredToken");
    // The session lasts its own override, not the role's.
    assert_eq!(caller_identity(&double, &session).status, 200);
    double.set_clock_offset(31);
    assert_eq!(caller_identity(&double, &session).error().0, "ExpiredToken");
}
