//! `mfa accounts` against the virtual YubiKey: every field, in JSON (checked with serde_json)
//! and as a table; 32 accounts with 60-byte names (answers chained over `61xx`); an empty key.

#![allow(clippy::unwrap_used)]

mod common;

use serde_json::Value;

use common::yubikey::*;
use common::{CardConfig, Sandbox, insert_card};

fn accounts_json(sandbox: &Sandbox) -> Vec<Value> {
    let output = sandbox.run_without_tty(&[], &["accounts", "--json"]);
    assert!(output.status.success(), "{output:?}");
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    value.as_array().unwrap().clone()
}

#[test]
fn lists_every_field_of_every_kind() {
    let slot = insert_card(CardConfig::default());
    let sandbox = Sandbox::new();
    add_aws_account(&slot, &[]);
    ykman_add(
        &slot,
        &["-i", "Big", "-a", "SHA512", "-d", "8", "-P", "60"],
        "b",
        SEED_SHA512,
    );
    ykman_add(&slot, &["-a", "SHA256", "-t"], "touchy", SEED_SHA256);
    ykman_add(&slot, &["-o", "HOTP", "-i", "Counter"], "c", SEED_SHA1);

    let accounts = accounts_json(&sandbox);
    let find = |id: &str| {
        accounts
            .iter()
            .find(|a| a["id"] == id)
            .unwrap_or_else(|| panic!("no {id} in {accounts:?}"))
            .clone()
    };
    assert_eq!(accounts.len(), 4);
    assert_eq!(
        find(AWS_ID),
        serde_json::json!({
            "id": AWS_ID, "issuer": "Amazon Web Services", "name": "alice@123456789012",
            "type": "TOTP", "algorithm": "SHA1", "digits": 6, "period": 30, "touch": false
        })
    );
    assert_eq!(
        find("60/Big:b"),
        serde_json::json!({
            "id": "60/Big:b", "issuer": "Big", "name": "b",
            "type": "TOTP", "algorithm": "SHA512", "digits": 8, "period": 60, "touch": false
        })
    );
    assert_eq!(
        find("touchy"),
        serde_json::json!({
            "id": "touchy", "issuer": null, "name": "touchy",
            "type": "TOTP", "algorithm": "SHA256", "digits": 6, "period": 30, "touch": true
        })
    );
    assert_eq!(
        find("Counter:c"),
        serde_json::json!({
            "id": "Counter:c", "issuer": "Counter", "name": "c",
            "type": "HOTP", "algorithm": "SHA1", "digits": 6, "period": null, "touch": false
        })
    );
    assert_eq!(slot.card().touch_count(), 0, "listing needs no touch");

    let out = sandbox.mfa_without_tty().arg("accounts").assert().success();
    let table = stdout_of(out.get_output());
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 5, "{table}");
    assert!(lines[0].starts_with("ACCOUNT"), "{table}");
    let row = lines.iter().find(|l| l.starts_with("60/Big:b")).unwrap();
    assert_eq!(
        row.split_whitespace().collect::<Vec<_>>(),
        ["60/Big:b", "TOTP", "SHA512", "8", "60s", "no"]
    );
}

#[test]
fn thirty_two_accounts_with_60_byte_names() {
    let slot = insert_card(CardConfig::default());
    let sandbox = Sandbox::new();
    let names: Vec<String> = (0..32)
        .map(|i| format!("account-{i:02}-{}", "x".repeat(49)))
        .collect();
    for name in &names {
        assert_eq!(name.len(), 60);
        ykman_add(&slot, &[], name, SEED_SHA1);
    }
    let accounts = accounts_json(&sandbox);
    let listed: Vec<&str> = accounts.iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(listed, names);

    let last = &names[31];
    let (mfa, ykman) = codes_in_one_step(&slot, &sandbox, &["code", "account-31"], last, &[], 30);
    assert_eq!(mfa, ykman);
    let (mfa, ykman) = codes_in_one_step(&slot, &sandbox, &["code", last], last, &[], 30);
    assert_eq!(mfa, ykman);
}

#[test]
fn an_empty_key_lists_nothing() {
    let _slot = insert_card(CardConfig::default());
    let sandbox = Sandbox::new();
    assert!(accounts_json(&sandbox).is_empty());
    let out = sandbox
        .mfa_without_tty()
        .arg("accounts")
        .assert()
        .success()
        .stdout("");
    let stderr = stderr_of(out.get_output());
    assert!(stderr.contains("holds no OATH account"), "{stderr}");
}
