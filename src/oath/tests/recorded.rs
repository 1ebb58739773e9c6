//! Reading codes and accounts against recorded exchanges.

use super::{AWS, T, trace, trace_file};
use crate::oath::{CredentialId, HashAlgorithm, OathSession, OathType};
use crate::transport::Version;

#[test]
fn a_code_for_a_known_account_costs_select_and_one_calculate() {
    let mut card = trace(trace_file!("code_known_account"));
    let mut session = OathSession::select(&mut card).unwrap();
    assert_eq!(session.version(), Version::new(5, 4, 3));
    assert!(!session.has_password() && !session.is_locked());
    let id: CredentialId = AWS.parse().unwrap();
    let code = session.calculate(&id, T).unwrap();
    assert_eq!(code.value().expose(), "921300");
    assert_eq!(code.valid(), Some(&(1_699_999_980..1_700_000_010)));
    drop(session);
    assert_eq!(card.exchanged(), 2, "SELECT + CALCULATE");
    card.assert_finished();
}

#[test]
fn calculate_all_then_accounts_with_another_period() {
    let mut card = trace(trace_file!("calculate_all"));
    let mut session = OathSession::select(&mut card).unwrap();
    let all = session.calculate_all(T).unwrap();
    let names: Vec<String> = all
        .iter()
        .map(|entry| entry.credential.id.to_string())
        .collect();
    assert_eq!(
        names,
        [
            AWS,
            "60/Example:bob",
            "Touchy:carol",
            "Counter:dave",
            "GitHub:erin"
        ]
    );
    let code = |index: usize| {
        all[index]
            .code
            .as_ref()
            .map(|code| code.value().expose().to_owned())
    };
    assert_eq!(code(0).as_deref(), Some("921300"));
    assert_eq!(
        code(1).as_deref(),
        Some("77076628"),
        "recalculated with the 60 s step"
    );
    assert_eq!(
        all[1].code.as_ref().unwrap().valid(),
        Some(&(1_699_999_980..1_700_000_040))
    );
    assert_eq!(code(2), None, "touch accounts are not calculated");
    assert_eq!(all[2].credential.touch, Some(true));
    assert_eq!(code(3), None, "HOTP accounts are not calculated");
    assert_eq!(all[3].credential.oath_type, OathType::Hotp);
    assert_eq!(code(4).as_deref(), Some("24826435"));
    assert_eq!(all[4].credential.digits, Some(8));
    drop(session);
    card.assert_finished();
}

#[test]
fn accounts_combine_list_and_calculate_all() {
    let mut card = trace(trace_file!("list_accounts"));
    let mut session = OathSession::select(&mut card).unwrap();
    let accounts = session.accounts(T).unwrap().credentials;
    assert_eq!(accounts.len(), 5);
    let bob = &accounts[1];
    assert_eq!(bob.id.issuer(), Some("Example"));
    assert_eq!(bob.id.name(), "bob");
    assert_eq!(bob.period(), Some(60));
    assert_eq!(bob.algorithm, Some(HashAlgorithm::Sha256));
    assert_eq!((bob.digits, bob.touch), (Some(8), Some(false)));
    let carol = &accounts[2];
    assert_eq!((carol.digits, carol.touch), (Some(6), Some(true)));
    let dave = &accounts[3];
    assert_eq!((dave.oath_type, dave.period()), (OathType::Hotp, None));
    assert_eq!(accounts[4].algorithm, Some(HashAlgorithm::Sha512));
    drop(session);
    card.assert_finished();
}

#[test]
fn long_listings_are_read_with_send_remaining() {
    let mut card = trace(trace_file!("chaining_list"));
    let mut session = OathSession::select(&mut card).unwrap();
    let list = session.list().unwrap();
    assert_eq!(list.len(), 32);
    assert!(
        list.iter()
            .all(|credential| credential.id.as_bytes().len() == 60)
    );
    assert_eq!(list[31].id.issuer(), Some("Issuer31"));
    drop(session);
    assert_eq!(card.exchanged(), 1 + 8, "SELECT + LIST in 8 parts");
    card.assert_finished();
}

#[test]
fn firmware_4_2_gets_a_dummy_apdu_after_a_long_answer() {
    let mut card = trace(trace_file!("firmware_4_2_workaround"));
    let mut session = OathSession::select(&mut card).unwrap();
    assert_eq!(session.list().unwrap().len(), 2);
    let code = session.calculate(&AWS.parse().unwrap(), T).unwrap();
    assert_eq!(code.value().expose(), "921300");
    drop(session);
    card.assert_finished();
}
