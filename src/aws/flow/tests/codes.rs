//! Spending codes: waiting out a spent step, the one retry, and what counts as spent.

use mfa_sts::Fault;

use super::*;

#[test]
fn a_spent_step_makes_the_flow_wait_for_the_next() {
    let bench = Bench::new();
    let step = bench.step();
    bench
        .cache
        .spent_codes()
        .unwrap()
        .record(SERIAL, step)
        .unwrap();
    let mut source = Scripted::new(SourceKind::Totp);
    let mut terminal = ScriptedTerminal::headless();
    let obtained = bench
        .obtain(&profile(Vec::new()), None, &mut source, &mut terminal)
        .unwrap();
    assert_eq!(obtained.origin, Origin::Fetched);

    // About 29 s (started one second into the step), in ticks of at most 5 s.
    let sleeps = bench.sleeps.borrow().clone();
    let waited: u64 = sleeps.iter().map(Duration::as_secs).sum();
    assert!((27..=29).contains(&waited), "{sleeps:?}");
    assert!(sleeps.iter().all(|s| s.as_secs() <= 5), "{sleeps:?}");
    assert_eq!(
        terminal.notices[0],
        format!(
            "The code of this 30 s step was already spent for {SERIAL}: waiting {waited} s for \
             the next one…"
        )
    );
    assert_eq!(terminal.notices[1], format!("  {} s…", waited - 5));

    // The code is the next step's, and that step is now the spent one.
    assert_eq!(source.asked.len(), 1);
    assert_eq!(source.asked[0] / STEP_SECS, step + 1);
    assert_eq!(bench.spent(), Some(step + 1));
}

#[test]
fn a_rejected_yubikey_code_is_retried_once_with_the_next_step() {
    let bench = Bench::new();
    let step = bench.step();
    bench.spend_elsewhere();

    let mut source = Scripted::new(SourceKind::Yubikey);
    let mut terminal = ScriptedTerminal::headless();
    let obtained = bench
        .obtain(&profile(Vec::new()), None, &mut source, &mut terminal)
        .unwrap();
    assert_eq!(obtained.origin, Origin::Fetched);
    assert_eq!(
        explained(&terminal),
        [
            "STS refused the code: retrying once with the next step's code",
            "the MFA session: fetched"
        ]
    );
    // The retry asked the key for the next step's code at once: no wait.
    assert_eq!(source.asked.len(), 2);
    assert_eq!(source.asked[0] / STEP_SECS, step);
    assert_eq!(source.asked[1], (step + 1) * STEP_SECS);
    assert!(bench.sleeps.borrow().is_empty());
    assert!(terminal.notices.is_empty(), "{:?}", terminal.notices);
    assert_eq!(bench.double.mfa_calls(), 3);
    assert_eq!(bench.spent(), Some(step + 1));
}

#[test]
fn a_rejected_typed_code_is_not_retried() {
    let bench = Bench::new();
    let step = bench.step();
    bench.spend_elsewhere();

    let mut source = Scripted::new(SourceKind::Prompt);
    let error = bench
        .obtain(
            &profile(Vec::new()),
            None,
            &mut source,
            &mut ScriptedTerminal::headless(),
        )
        .unwrap_err();
    assert_eq!(source.asked.len(), 1);
    assert!(
        matches!(
            &error,
            FlowError::Sts {
                call: Call::GetSessionToken,
                error: StsError::MfaCodeRejected { .. },
                mfa_serial: Some(serial),
                role_arn: None,
                code_source: Some(SourceKind::Prompt),
            } if serial == SERIAL
        ),
        "{error:?}"
    );
    assert!(
        error.to_string().starts_with("GetSessionToken failed: "),
        "{error}"
    );
    assert_eq!(
        bench.spent(),
        Some(step),
        "the refused code's step is spent"
    );
}

#[test]
fn a_throttled_call_spends_no_step() {
    let bench = Bench::new();
    bench.double.fail_always(Fault::Throttling);
    let mut source = Scripted::new(SourceKind::Totp);
    let error = bench
        .obtain(
            &profile(Vec::new()),
            None,
            &mut source,
            &mut ScriptedTerminal::headless(),
        )
        .unwrap_err();
    assert!(
        matches!(
            error,
            FlowError::Sts {
                error: StsError::Throttled { .. },
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(bench.spent(), None);
}
