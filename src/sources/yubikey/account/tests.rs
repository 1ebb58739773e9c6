#![allow(clippy::unwrap_used)]

use super::*;
use crate::oath::HashAlgorithm;

fn account(id: &str, oath_type: OathType) -> Credential {
    Credential {
        id: CredentialId::from_raw(id.as_bytes(), oath_type),
        oath_type,
        algorithm: Some(HashAlgorithm::Sha1),
        digits: None,
        touch: None,
    }
}

fn key() -> Vec<Credential> {
    vec![
        account("Amazon Web Services:alice@123456789012", OathType::Totp),
        account("60/GitHub:alice", OathType::Totp),
        account("GitLab:bob", OathType::Totp),
        account("Counter:hotp", OathType::Hotp),
        account("bob", OathType::Totp),
    ]
}

fn chosen(choice: Result<Choice, AccountError>) -> String {
    match choice.unwrap() {
        Choice::Chosen(c) => c.id.to_string(),
        Choice::Ask(list) => panic!("asked among {list:?}"),
    }
}

fn query(q: &str) -> Result<Choice, AccountError> {
    choose(&AccountSelector::Query(q), &key())
}

#[test]
fn a_query_matches_the_exact_id_then_the_name_then_a_unique_part() {
    assert_eq!(chosen(query("60/GitHub:alice")), "60/GitHub:alice");
    assert_eq!(chosen(query("GitHub:alice")), "60/GitHub:alice");
    // `bob` is an id, and the name of GitLab:bob: the id wins.
    assert_eq!(chosen(query("bob")), "bob");
    assert_eq!(chosen(query("gitlab")), "GitLab:bob");
    assert_eq!(
        chosen(query("AMAZON")),
        "Amazon Web Services:alice@123456789012"
    );
    assert_eq!(
        chosen(query("hotp")),
        "Counter:hotp",
        "a query may name HOTP"
    );
}

#[test]
fn an_ambiguous_query_lists_the_matches() {
    // `alice` is the exact name of 60/GitHub:alice; `ali` is only a part of two ids.
    assert_eq!(chosen(query("alice")), "60/GitHub:alice");
    let error = query("ali").unwrap_err();
    assert_eq!(
        error,
        AccountError::Ambiguous {
            query: "ali".into(),
            matches: vec![
                "Amazon Web Services:alice@123456789012".into(),
                "60/GitHub:alice".into()
            ],
        }
    );
    // Two accounts with the same name under different issuers.
    let accounts = vec![
        account("A:same", OathType::Totp),
        account("B:same", OathType::Totp),
    ];
    assert!(matches!(
        choose(&AccountSelector::Query("same"), &accounts),
        Err(AccountError::Ambiguous { matches, .. }) if matches.len() == 2
    ));
}

#[test]
fn a_query_matching_nothing_lists_every_account() {
    let AccountError::NotFound { query: q, accounts } = query("carol").unwrap_err() else {
        panic!()
    };
    assert_eq!(q, "carol");
    assert_eq!(accounts.len(), 5);
}

fn profile<'a>(
    oath_account: Option<&'a str>,
    mfa_serial: Option<&'a str>,
    ask: bool,
) -> AccountSelector<'a> {
    AccountSelector::Profile {
        oath_account,
        mfa_serial,
        ask,
    }
}

#[test]
fn a_profile_uses_its_account_then_the_serial_then_the_only_totp_account() {
    let p = profile(Some("GitLab:bob"), None, false);
    assert_eq!(chosen(choose(&p, &key())), "GitLab:bob");
    let p = profile(Some("GitHub:alice"), None, false);
    assert_eq!(chosen(choose(&p, &key())), "60/GitHub:alice");
    let p = profile(
        Some("nope"),
        Some("arn:aws:iam::123456789012:mfa/alice"),
        false,
    );
    assert!(matches!(
        choose(&p, &key()),
        Err(AccountError::ConfiguredNotFound { account, .. }) if account == "nope"
    ));

    let p = profile(None, Some("arn:aws:iam::123456789012:mfa/alice"), false);
    assert_eq!(
        chosen(choose(&p, &key())),
        "Amazon Web Services:alice@123456789012"
    );
    // No account ends with the serial's user@account, several TOTP accounts: no choice.
    let p = profile(None, Some("arn:aws:iam::999999999999:mfa/zed"), false);
    assert!(matches!(
        choose(&p, &key()),
        Err(AccountError::Unchosen { accounts }) if accounts.len() == 4
    ));
    let p = profile(None, None, true);
    assert!(matches!(choose(&p, &key()), Ok(Choice::Ask(list)) if list.len() == 4));

    let single = vec![
        account("Counter:hotp", OathType::Hotp),
        account("Only:one", OathType::Totp),
    ];
    let p = profile(None, Some("GAKT000123"), false);
    assert_eq!(chosen(choose(&p, &single)), "Only:one");
    let hotp_only = vec![account("Counter:hotp", OathType::Hotp)];
    assert!(matches!(
        choose(&p, &hotp_only),
        Err(AccountError::NoTotpAccount { accounts }) if accounts == ["Counter:hotp"]
    ));
}

#[test]
fn several_accounts_for_one_user_prefer_the_aws_issuer() {
    let accounts = vec![
        account("Other:alice@123456789012", OathType::Totp),
        account("Amazon Web Services:alice@123456789012", OathType::Totp),
    ];
    let p = profile(None, Some("arn:aws:iam::123456789012:mfa/alice"), false);
    assert_eq!(
        chosen(choose(&p, &accounts)),
        "Amazon Web Services:alice@123456789012"
    );
    let accounts = vec![
        account("One:alice@123456789012", OathType::Totp),
        account("Two:alice@123456789012", OathType::Totp),
    ];
    assert!(matches!(
        choose(&p, &accounts),
        Err(AccountError::Ambiguous { query, .. }) if query == "alice@123456789012"
    ));
}

#[test]
fn reads_user_and_account_from_mfa_serial_arns() {
    assert_eq!(
        mfa_serial_suffix("arn:aws:iam::123456789012:mfa/alice").as_deref(),
        Some("alice@123456789012")
    );
    assert_eq!(
        mfa_serial_suffix("arn:aws-us-gov:iam::123456789012:mfa/team/bob").as_deref(),
        Some("bob@123456789012")
    );
    for other in [
        "GAKT000123",
        "arn:aws:iam::123456789012:user/alice",
        "arn:aws:iam::abc:mfa/alice",
        "arn:aws:iam::123456789012:mfa/",
        "",
    ] {
        assert_eq!(mfa_serial_suffix(other), None, "{other}");
    }
}

#[test]
fn guesses_the_id_to_calculate_first() {
    let guess = |s: AccountSelector<'_>| s.direct_guess().map(|id| id.to_string());
    assert_eq!(guess(AccountSelector::Query("x")).as_deref(), Some("x"));
    assert_eq!(guess(AccountSelector::Query("")), None);
    assert_eq!(guess(AccountSelector::Query(&"n".repeat(65))), None);
    assert_eq!(
        guess(profile(
            None,
            Some("arn:aws:iam::123456789012:mfa/alice"),
            false
        ))
        .as_deref(),
        Some("Amazon Web Services:alice@123456789012")
    );
    assert_eq!(
        guess(profile(Some("I:n"), Some("arn:aws:iam::1:mfa/a"), false)).as_deref(),
        Some("I:n")
    );
    assert_eq!(guess(profile(None, Some("GAKT000123"), true)), None);
    assert_eq!(guess(profile(None, None, true)), None);
}
