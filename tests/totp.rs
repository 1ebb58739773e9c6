//! `mfa totp add|list|remove` through the real binary: the secret piped on stdin (never argv),
//! stored as a 0600 file, listed without the secret, removed; mistakes are two-line usage errors.

#![allow(clippy::unwrap_used)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::Sandbox;
use common::fixtures::{ARN, SEED_SHA1 as SEED, in_one_step, now};
use common::output::{assert_two_line_failure, stderr_of, stdout_of};

/// `mfa` in the sandbox, with the data directory (`XDG_DATA_HOME`) at `data` inside it.
fn mfa(sandbox: &Sandbox) -> assert_cmd::Command {
    sandbox.mfa_with_data_home("data")
}

/// The rows of `mfa totp list --json` with these names (the OS keyring is shared with the rest of
/// the machine, so other rows may exist).
fn listed(sandbox: &Sandbox, names: &[&str]) -> Vec<serde_json::Value> {
    let out = mfa(sandbox)
        .args(["totp", "list", "--json"])
        .assert()
        .success();
    let all: Vec<serde_json::Value> = serde_json::from_slice(&out.get_output().stdout).unwrap();
    all.into_iter()
        .filter(|row| names.contains(&row["name"].as_str().unwrap()))
        .collect()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A usage error: exit 2 and the two-line failure.
fn assert_two_line_usage_error(output: &std::process::Output) {
    assert_two_line_failure(output, 2);
}

#[test]
fn add_list_remove_with_the_secret_on_stdin() {
    let sandbox = Sandbox::new();
    let out = mfa(&sandbox)
        .env_remove("XDG_DATA_HOME")
        .args(["totp", "add", "work"])
        .write_stdin("gezd gnbv gy3t qojq gezd gnbv gy3t qojq\n")
        .assert()
        .success()
        .stdout("");
    let stderr = stderr_of(out.get_output());
    assert!(
        stderr.contains("stored the software TOTP secret for work"),
        "{stderr}"
    );
    assert!(!stderr.to_uppercase().contains("GEZD"), "{stderr}");

    // Without XDG_DATA_HOME: ~/.local/share/mfa/totp, 0700, holding a 0600 file.
    let dir = sandbox.path(".local/share/mfa/totp");
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("work.totp")), 0o600);

    let out = sandbox
        .mfa()
        .args(["totp", "list", "--json"])
        .assert()
        .success();
    let text = stdout_of(out.get_output());
    assert!(!text.contains("GEZD"), "{text}");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let work: Vec<&serde_json::Value> = rows.iter().filter(|r| r["name"] == "work").collect();
    assert_eq!(
        *work[0],
        serde_json::json!({"name": "work", "store": "file", "issuer": null, "account": null,
                           "algorithm": "SHA1", "digits": 6, "period": 30})
    );

    let out = sandbox
        .mfa()
        .args(["totp", "remove", "work"])
        .assert()
        .success()
        .stdout("");
    assert!(stderr_of(out.get_output()).contains("removed the software TOTP secret for work"));
    assert!(!dir.join("work.totp").exists());

    let out = sandbox
        .mfa()
        .args(["totp", "remove", "work"])
        .assert()
        .code(2);
    assert_two_line_usage_error(out.get_output());
    assert!(stderr_of(out.get_output()).contains("no software TOTP secret is stored as `work`"));
}

#[test]
fn the_default_name_is_the_profiles_mfa_serial() {
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        "[profile prod]\nmfa_serial = {ARN}\nregion = eu-west-1\n"
    ));
    let uri = format!(
        "otpauth://totp/Amazon%20Web%20Services:alice@123456789012?secret={SEED}\
         &issuer=Amazon%20Web%20Services"
    );
    mfa(&sandbox)
        .args(["-p", "prod", "totp", "add"])
        .write_stdin(uri)
        .assert()
        .success()
        .stdout("");
    let file = sandbox
        .path("data/mfa/totp")
        .join("arn%3Aaws%3Aiam%3A%3A123456789012%3Amfa%2Falice.totp");
    assert_eq!(mode(&file), 0o600);
    let rows = listed(&sandbox, &[ARN]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["issuer"], "Amazon Web Services");
    assert_eq!(rows[0]["account"], "alice@123456789012");

    // The table names it too, without the seed.
    let out = mfa(&sandbox).args(["totp", "list"]).assert().success();
    let table = stdout_of(out.get_output());
    assert!(table.contains(ARN) && !table.contains(SEED), "{table}");

    // Adding again is refused, and exit 2.
    let out = mfa(&sandbox)
        .args(["-p", "prod", "totp", "add"])
        .write_stdin(SEED)
        .assert()
        .code(2);
    assert_two_line_usage_error(out.get_output());
    assert!(stderr_of(out.get_output()).contains("--force"));
    mfa(&sandbox)
        .args(["-p", "prod", "totp", "add", "--force"])
        .write_stdin(SEED)
        .assert()
        .success();
    assert_eq!(
        listed(&sandbox, &[ARN])[0]["issuer"],
        serde_json::Value::Null
    );
}

#[test]
fn bad_secrets_are_two_line_usage_errors_that_never_echo_them() {
    let sandbox = Sandbox::new();
    for (input, expected) in [
        ("hunter2-is-not-base32", "not Base32"),
        (
            "otpauth://hotp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=0",
            "HOTP",
        ),
        ("GEZDGNBVGY3TQOJ", "too short"),
        ("", "stdin is empty"),
    ] {
        let out = mfa(&sandbox)
            .args(["totp", "add", "x"])
            .write_stdin(input)
            .assert()
            .code(2);
        assert_two_line_usage_error(out.get_output());
        let stderr = stderr_of(out.get_output());
        assert!(stderr.contains(expected), "{input}: {stderr}");
        assert!(input.is_empty() || !stderr.contains(input), "{stderr}");
    }
    assert!(!sandbox.path("data/mfa/totp/x.totp").exists());
}

#[test]
fn the_secret_is_never_taken_from_the_command_line() {
    let sandbox = Sandbox::new();
    mfa(&sandbox)
        .args(["totp", "add", "x", SEED])
        .assert()
        .code(2)
        .stdout("");
    assert!(!sandbox.path("data/mfa/totp").exists());
}

#[test]
fn an_exposed_file_is_listed_as_unusable() {
    let sandbox = Sandbox::new();
    mfa(&sandbox)
        .args(["totp", "add", "loose"])
        .write_stdin(SEED)
        .assert()
        .success();
    let file = sandbox.path("data/mfa/totp/loose.totp");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let rows = listed(&sandbox, &["loose"]);
    let error = rows[0]["error"].as_str().unwrap();
    assert!(error.contains("mode 644"), "{error}");
}

/// Removes a keyring entry even when the test fails half-way.
struct KeyringEntry<'a> {
    sandbox: &'a Sandbox,
    name: String,
}

impl Drop for KeyringEntry<'_> {
    fn drop(&mut self) {
        let _ = mfa(self.sandbox)
            .args(["totp", "remove", &self.name])
            .output();
    }
}

#[test]
fn the_keyring_store_on_request() {
    let sandbox = Sandbox::new();
    let entry = KeyringEntry {
        sandbox: &sandbox,
        name: format!("test:mfa-cli-{}", std::process::id()),
    };
    mfa(&sandbox)
        .args(["totp", "add", "--store", "keyring", &entry.name])
        .write_stdin(SEED)
        .assert()
        .success()
        .stdout("");
    assert!(!sandbox.path("data/mfa/totp").exists());
    let rows = listed(&sandbox, &[&entry.name]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["store"], "keyring");
    let out = mfa(&sandbox)
        .args(["totp", "remove", &entry.name])
        .assert()
        .success();
    assert!(stderr_of(out.get_output()).contains("OS keyring"));
    assert!(listed(&sandbox, &[&entry.name]).is_empty());
}

/// `mfa code` without a query gives the profile's code from the source the profile chose.
#[test]
fn mfa_code_uses_the_profiles_software_secret() {
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        "[default]\nmfa_serial = {ARN}\nmfa_source = totp\n"
    ));
    sandbox
        .mfa()
        .args(["totp", "add"])
        .write_stdin(format!("{SEED}\n"))
        .assert()
        .success();
    // Compared within one step (a step boundary in between: compare again).
    let (stdout, expected) = in_one_step(30, || {
        let out = sandbox.mfa().arg("code").assert().success();
        let expected = mfa_sts::StsDouble::totp(SEED, now());
        (stdout_of(out.get_output()), expected)
    });
    assert_eq!(stdout, format!("{expected}\n"));
}
