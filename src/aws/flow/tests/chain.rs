//! Which providers run, in which order, with which credentials, and what the cache keeps.

use super::*;

#[test]
fn a_session_served_from_the_cache_costs_no_code() {
    let bench = Bench::new();
    let alice = profile(Vec::new());
    let mut source = Scripted::new(SourceKind::Yubikey);
    let mut terminal = ScriptedTerminal::headless();
    let fetched = bench
        .obtain(&alice, None, &mut source, &mut terminal)
        .unwrap();
    assert_eq!(fetched.origin, Origin::Fetched);
    assert_eq!(fetched.kind, SessionKind::SessionToken);
    assert_eq!(source.asked.len(), 1);
    assert_eq!(explained(&terminal), ["the MFA session: fetched"]);
    let calls = bench.double.calls();

    let mut source = Scripted::new(SourceKind::Yubikey);
    let mut terminal = ScriptedTerminal::headless();
    let cached = bench
        .obtain(&alice, None, &mut source, &mut terminal)
        .unwrap();
    assert_eq!(cached.origin, Origin::Cache);
    assert_eq!(cached.credentials, fetched.credentials);
    assert!(source.asked.is_empty(), "no code asked");
    assert_eq!(bench.double.calls(), calls, "no STS call");
    assert_eq!(explained(&terminal), ["the MFA session: from the cache"]);
}

#[test]
fn a_cached_session_loads_no_long_term_credentials() {
    let bench = Bench::new();
    // Loading these would run `false` and fail.
    let mut alice = profile(Vec::new());
    alice.source = LongTermSource::Process {
        profile: "alice".into(),
        command: "false".into(),
        resolving: vec!["alice".into()],
    };
    let key = SessionKey::session_token("process:alice:false", SERIAL);
    let stored = CachedSession {
        kind: SessionKind::SessionToken,
        profile: "alice".into(),
        mfa_serial: Some(SERIAL.into()),
        role_arn: None,
        credentials: SessionCredentials {
            access_key_id: "ASIACACHED".into(),
            secret_access_key: crate::secret::SecretString::new("s".into()),
            session_token: crate::secret::SecretString::new("t".into()),
            expiration: bench.now() + 3600,
        },
    };
    bench.cache.put(&key, &stored).unwrap();
    let mut source = Scripted::new(SourceKind::Yubikey);
    let obtained = bench
        .obtain(&alice, None, &mut source, &mut ScriptedTerminal::headless())
        .unwrap();
    assert_eq!(obtained.origin, Origin::Cache);
    assert_eq!(obtained.credentials.access_key_id, "ASIACACHED");
    assert!(source.asked.is_empty());
    assert!(bench.double.calls().is_empty());
}

#[test]
fn a_role_chain_assumes_each_role_with_the_session_and_no_mfa() {
    let bench = Bench::new();
    let chain = profile(vec![
        role("admin", ADMIN, None),
        role("partner", PARTNER, None),
    ]);
    let mut source = Scripted::new(SourceKind::Totp);
    let mut terminal = ScriptedTerminal::headless();
    let obtained = bench
        .obtain(&chain, Some(1800), &mut source, &mut terminal)
        .unwrap();
    assert_eq!(
        (obtained.kind, obtained.origin),
        (SessionKind::Role, Origin::Fetched)
    );
    assert_eq!(source.asked.len(), 1, "one code, for the session");
    assert_eq!(
        explained(&terminal),
        [
            "the MFA session: fetched",
            &format!("role {ADMIN}: fetched"),
            &format!("role {PARTNER}: fetched"),
        ]
    );

    // Each session is cached under its key: the roles under the session they came from.
    let session = bench.cached(&session_key()).unwrap();
    let admin_key = SessionKey::role("admin", ADMIN, &session_key());
    let admin = bench.cached(&admin_key).unwrap();
    let partner_key = SessionKey::role("partner", PARTNER, &admin_key);
    let partner = bench.cached(&partner_key).unwrap();
    assert_eq!(partner.credentials, obtained.credentials);

    let calls = bench.double.calls();
    let summary: Vec<_> = calls
        .iter()
        .map(|c| {
            let caller = c.access_key_id.clone().unwrap();
            (
                c.action.as_str(),
                c.role_arn.clone(),
                caller,
                c.token_code.is_some(),
                c.duration,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("GetSessionToken", None, "AKIAALICE".into(), true, None),
            (
                "AssumeRole",
                Some(ADMIN.into()),
                session.credentials.access_key_id,
                false,
                None
            ),
            (
                "AssumeRole",
                Some(PARTNER.into()),
                admin.credentials.access_key_id,
                false,
                Some(1800)
            ),
        ]
    );
    assert!(calls.iter().all(|c| c.error.is_none()), "{calls:?}");

    // The next run reads the last role only.
    let mut source = Scripted::new(SourceKind::Totp);
    let mut terminal = ScriptedTerminal::headless();
    let again = bench
        .obtain(&chain, Some(1800), &mut source, &mut terminal)
        .unwrap();
    assert_eq!(again.origin, Origin::Cache);
    assert!(source.asked.is_empty());
    assert_eq!(bench.double.calls().len(), 3);
    assert_eq!(
        explained(&terminal),
        [format!("role {PARTNER}: from the cache")]
    );
}

#[test]
fn a_first_role_over_an_hour_is_assumed_directly_with_mfa() {
    let bench = Bench::new();
    let chain = profile(vec![
        role("long", LONG, Some(7200)),
        role("partner", PARTNER, None),
    ]);
    let mut source = Scripted::new(SourceKind::Totp);
    let mut terminal = ScriptedTerminal::headless();
    let obtained = bench
        .obtain(&chain, None, &mut source, &mut terminal)
        .unwrap();
    assert_eq!(obtained.kind, SessionKind::Role);
    assert_eq!(source.asked.len(), 1);
    assert_eq!(
        explained(&terminal),
        [
            format!(
                "role {LONG}: 7200s is over the 1 h role-chaining limit: assuming it directly \
                 with MFA"
            ),
            format!("role {LONG}: fetched"),
            format!("role {PARTNER}: fetched"),
        ]
    );

    // No MFA session; the first role keeps the session's key as its parent.
    assert!(bench.cached(&session_key()).is_none());
    let long_key = SessionKey::role("long", LONG, &session_key());
    let long = bench.cached(&long_key).unwrap();
    assert!(
        bench
            .cached(&SessionKey::role("partner", PARTNER, &long_key))
            .is_some()
    );

    let calls = bench.double.calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(calls[0].action, "AssumeRole");
    assert_eq!(calls[0].role_arn.as_deref(), Some(LONG));
    assert_eq!(calls[0].access_key_id.as_deref(), Some("AKIAALICE"));
    assert_eq!(calls[0].serial.as_deref(), Some(SERIAL));
    assert!(calls[0].token_code.is_some());
    assert_eq!(calls[0].duration, Some(7200));
    assert_eq!(calls[1].role_arn.as_deref(), Some(PARTNER));
    assert_eq!(
        calls[1].access_key_id.as_deref(),
        Some(long.credentials.access_key_id.as_str())
    );
    assert!(calls[1].token_code.is_none());
    assert_eq!(bench.spent(), Some(bench.step()));
}

#[test]
fn a_duration_over_an_hour_for_a_single_role_skips_the_session() {
    let bench = Bench::new();
    let single = profile(vec![role("long", LONG, None)]);
    let mut source = Scripted::new(SourceKind::Totp);
    bench
        .obtain(
            &single,
            Some(7200),
            &mut source,
            &mut ScriptedTerminal::headless(),
        )
        .unwrap();
    let calls = bench.double.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].action, "AssumeRole");
    assert_eq!(calls[0].duration, Some(7200));
    assert!(calls[0].token_code.is_some());
}

#[test]
fn a_chained_role_refused_names_the_role() {
    let bench = Bench::new();
    // Chained roles last at most an hour: asking more of the second one is refused.
    let chain = profile(vec![
        role("admin", ADMIN, None),
        role("partner", PARTNER, Some(7200)),
    ]);
    let error = bench
        .obtain(
            &chain,
            None,
            &mut Scripted::new(SourceKind::Totp),
            &mut ScriptedTerminal::headless(),
        )
        .unwrap_err();
    assert!(
        matches!(
            &error,
            FlowError::Sts {
                call: Call::AssumeRole,
                mfa_serial: None,
                role_arn: Some(arn),
                code_source: None,
                ..
            } if arn == PARTNER
        ),
        "{error:?}"
    );
    assert!(
        error.to_string().starts_with("AssumeRole failed: "),
        "{error}"
    );
}

#[test]
fn a_direct_role_refused_names_the_role() {
    // Regression: an error of the role assumed directly with MFA (over the 1 h chaining limit)
    // carried no role ARN, so the message read "STS AssumeRole  failed".
    let bench = Bench::new();
    // 7200 s is over the chaining limit and over what the Admin role allows (3600 s), so STS
    // refuses it — a duration over any role's 12 h never gets that far (refused up front).
    let single = profile(vec![role("admin", ADMIN, Some(7200))]);
    let error = bench
        .obtain(
            &single,
            None,
            &mut Scripted::new(SourceKind::Totp),
            &mut ScriptedTerminal::headless(),
        )
        .unwrap_err();
    assert!(
        matches!(
            &error,
            FlowError::Sts {
                call: Call::AssumeRole,
                mfa_serial: Some(_),
                role_arn: Some(arn),
                code_source: Some(SourceKind::Totp),
                ..
            } if arn == ADMIN
        ),
        "{error:?}"
    );
}
