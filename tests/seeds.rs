//! The configurations of the workflows `mfa` replaces, as their write-ups give them, through
//! `mfa exec` against the STS double: aws-vault's layout (a `credential_process` for the keys, an
//! MFA profile over it with no `role_arn`, a role on top), an MFA role over `[default]` keys, and
//! a plain `GetSessionToken` profile. Also: a `credential_process` that calls `mfa` back is
//! refused, quickly, naming the loop.
//!
//! Each config is copied from its write-up; the lines that differ are marked `# differs:` with
//! the reason (placeholders the write-up leaves for the reader to fill in).

#![allow(clippy::unwrap_used)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::Sandbox;
use common::aws::{ACCESS_KEY, SECRET_KEY, alice_sts, aws_vars};
use common::fixtures::{ACCOUNT, ARN, NO_PCSCD, SEED_SHA1, now};
use common::output::{assert_two_line_failure, stderr_of};
use mfa_sts::{Config, Mfa, Role, StsDouble, User};

/// The saguaro cluster's account, for the write-up's `<saugaro-cluster-account-id>`.
const SAGUARO_ACCOUNT: &str = "210987654321";
const SAGUARO_ROLE: &str = "arn:aws:iam::210987654321:role/CaktusAccountAccessRole-Admins";

/// aws-vault's layout, from its write-up: "Getting Started" (step 3's `[profile caktus]` and
/// `[profile caktus-mfa]`, and the `<role-profile>` template, kept as written), then step 5's
/// `[profile saguaro-cluster]`.
fn aws_vault_config() -> String {
    format!(
        "\
; Caktus Managed AWS
[profile caktus]
credential_process=aws-vault exec --no-session --json caktus

[profile caktus-mfa]
# differs: <caktus-account-id> and <username> are alice's ({ACCOUNT}, alice)
mfa_serial={ARN}
source_profile=caktus
region=us-east-1
output=json

; Assume Role setup

[profile <role-profile>]
role_arn=arn:aws:iam::<role-profile-account-id>:role/<assumed-role>
source_profile=caktus-mfa
region=us-east-1

[profile <role-profile>]
role_arn=arn:aws:iam::<role-profile-account-id>:role/<assumed-role>
source_profile=caktus-mfa

[profile saguaro-cluster]
# differs: <saugaro-cluster-account-id> is {SAGUARO_ACCOUNT}
role_arn={SAGUARO_ROLE}
source_profile=caktus-mfa
region=us-east-1
"
    )
}

/// A directory of programs put first on `mfa`'s PATH.
fn bin_dir(sandbox: &Sandbox) -> PathBuf {
    let dir = sandbox.path("bin");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes an executable shell script `name` into the sandbox's bin directory.
fn script(sandbox: &Sandbox, name: &str, body: &str) {
    let path = bin_dir(sandbox).join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A stand-in for aws-vault: `aws-vault exec --no-session --json caktus` prints alice's
/// long-term keys as `credential_process` JSON (what aws-vault prints for keys it holds), and
/// logs each run to `~/aws-vault.log`.
fn fake_aws_vault(sandbox: &Sandbox) {
    let log = sandbox.path("aws-vault.log");
    script(
        sandbox,
        "aws-vault",
        &format!(
            "echo \"$*\" >> '{log}'\n\
             [ \"$*\" = 'exec --no-session --json caktus' ] || {{ echo \"aws-vault: $*?\" >&2; exit 64; }}\n\
             printf '{{\"Version\":1,\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"%s\"}}\\n' \
             '{ACCESS_KEY}' '{SECRET_KEY}'\n",
            log = log.display()
        ),
    );
}

/// `mfa ARGS` with no terminal, no PC/SC, the sandbox's bin directory first on PATH, and STS at
/// `sts`.
fn mfa(sandbox: &Sandbox, sts: &StsDouble) -> assert_cmd::Command {
    let mut cmd = sandbox.mfa_std_without_tty();
    let path = format!(
        "{}:{}",
        bin_dir(sandbox).display(),
        std::env::var("PATH").unwrap()
    );
    cmd.env("PATH", path)
        .env("AWS_ENDPOINT_URL_STS", sts.url())
        .env(NO_PCSCD.0, NO_PCSCD.1);
    assert_cmd::Command::from_std(cmd)
}

/// The code alice's device shows now.
fn alice_code() -> String {
    StsDouble::totp(SEED_SHA1, now())
}

#[test]
fn aws_vaults_layout_gets_a_session_then_the_role_with_one_code() {
    let sts = alice_sts(vec![Role {
        arn: SAGUARO_ROLE.into(),
        require_mfa: true,
        external_id: None,
        max_duration: 3600,
    }]);
    let sandbox = Sandbox::new();
    sandbox.write_config(&aws_vault_config());
    fake_aws_vault(&sandbox);

    // Step 4 of the write-up: `aws-vault exec caktus-mfa`, then `env | grep AWS`.
    let out = mfa(&sandbox, &sts)
        .args(["exec", "-p", "caktus-mfa", "--", "env"])
        .env("MFA_CODE", alice_code())
        .assert()
        .success();
    let vars = aws_vars(&out.get_output().stdout);
    assert!(vars["AWS_ACCESS_KEY_ID"].starts_with("ASIA"), "{vars:?}");
    assert!(!vars["AWS_SESSION_TOKEN"].is_empty());
    assert_eq!(vars["AWS_REGION"], "us-east-1");
    assert_eq!(vars["MFA_PROFILE"], "caktus-mfa");
    let calls = sts.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].action, "GetSessionToken");
    assert_eq!(calls[0].serial.as_deref(), Some(ARN));
    assert_eq!(
        calls[0].access_key_id.as_deref(),
        Some(ACCESS_KEY),
        "the session is over the keys aws-vault printed"
    );

    // Step 6: `aws-vault exec saguaro-cluster`. No code is given this time: the role is assumed
    // with the cached MFA session, without running aws-vault again.
    let out = mfa(&sandbox, &sts)
        .args(["exec", "-p", "saguaro-cluster", "--", "env"])
        .assert()
        .success();
    let role_vars = aws_vars(&out.get_output().stdout);
    assert!(role_vars["AWS_ACCESS_KEY_ID"].starts_with("ASIA"));
    assert_ne!(role_vars["AWS_ACCESS_KEY_ID"], vars["AWS_ACCESS_KEY_ID"]);
    assert_eq!(role_vars["MFA_PROFILE"], "saguaro-cluster");
    let calls = sts.calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(calls[1].action, "AssumeRole");
    assert_eq!(calls[1].role_arn.as_deref(), Some(SAGUARO_ROLE));
    assert!(calls[1].token_code.is_none(), "AssumeRole carried a code");
    assert_eq!(
        calls[1].access_key_id.as_deref(),
        Some(vars["AWS_ACCESS_KEY_ID"].as_str()),
        "the role is assumed with caktus-mfa's session"
    );
    assert_eq!(sts.mfa_calls(), 1, "one code for both");
    let log = std::fs::read_to_string(sandbox.path("aws-vault.log")).unwrap();
    assert_eq!(
        log, "exec --no-session --json caktus\n",
        "aws-vault ran once"
    );
}

#[test]
fn aws_vaults_role_profile_first_spends_one_code_on_the_session_under_it() {
    let sts = alice_sts(vec![Role {
        arn: SAGUARO_ROLE.into(),
        require_mfa: true,
        external_id: None,
        max_duration: 3600,
    }]);
    let sandbox = Sandbox::new();
    sandbox.write_config(&aws_vault_config());
    fake_aws_vault(&sandbox);
    mfa(&sandbox, &sts)
        .args(["exec", "-p", "saguaro-cluster", "--", "true"])
        .env("MFA_CODE", alice_code())
        .assert()
        .success();
    // …and caktus-mfa is then served from the cache.
    mfa(&sandbox, &sts)
        .args(["exec", "-p", "caktus-mfa", "--", "true"])
        .assert()
        .success();
    let actions: Vec<String> = sts.calls().into_iter().map(|c| c.action).collect();
    assert_eq!(actions, ["GetSessionToken", "AssumeRole"]);
    assert_eq!(sts.mfa_calls(), 1);
}

/// Seed 002: an MFA role over `[default]` keys, config and credentials exactly as written —
/// the STS double is given that write-up's user, keys and role.
#[test]
fn an_mfa_role_over_default_keys_as_written() {
    const KEYS: &str = "keyswithpermissiontoassumeiamrole";
    const SERIAL: &str = "arn:aws:iam::1234567890:mfa/my-username";
    const ROLE: &str = "arn:aws:iam::1234567890:role/iam-role-with-mfa";
    let sts = StsDouble::start(Config {
        users: vec![User {
            name: "my-username".into(),
            account: "1234567890".into(),
            access_key_id: KEYS.into(),
            secret_access_key: KEYS.into(),
            mfa: Some(Mfa {
                serial: SERIAL.into(),
                seed_base32: SEED_SHA1.into(),
            }),
        }],
        roles: vec![Role {
            arn: ROLE.into(),
            require_mfa: true,
            external_id: None,
            max_duration: 3600,
        }],
        ..Config::default()
    })
    .unwrap();
    let sandbox = Sandbox::new();
    sandbox.write_config(
        "\
[profile with-mfa]
role_arn=arn:aws:iam::1234567890:role/iam-role-with-mfa
source_profile=default
mfa_serial = arn:aws:iam::1234567890:mfa/my-username
",
    );
    sandbox.write_credentials(
        "\
[default]
aws_access_key_id = keyswithpermissiontoassumeiamrole
aws_secret_access_key = keyswithpermissiontoassumeiamrole
",
    );
    // `-p with-mfa`, and `AWS_PROFILE=with-mfa` as the write-up's kubeconfig sets it.
    let out = mfa(&sandbox, &sts)
        .args(["exec", "-p", "with-mfa", "--", "env"])
        .env("MFA_CODE", alice_code())
        .assert()
        .success();
    let vars = aws_vars(&out.get_output().stdout);
    assert!(vars["AWS_ACCESS_KEY_ID"].starts_with("ASIA"), "{vars:?}");
    let out = mfa(&sandbox, &sts)
        .args(["exec", "--", "env"])
        .env("AWS_PROFILE", "with-mfa")
        .assert()
        .success();
    let again = aws_vars(&out.get_output().stdout);
    for name in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ] {
        assert_eq!(again[name], vars[name], "the cached role's {name}");
    }
    assert_eq!(again["MFA_PROFILE"], "with-mfa");
    let calls = sts.calls();
    let actions: Vec<&str> = calls.iter().map(|c| c.action.as_str()).collect();
    assert_eq!(actions, ["GetSessionToken", "AssumeRole"]);
    assert_eq!(calls[0].access_key_id.as_deref(), Some(KEYS));
    assert_eq!(calls[0].serial.as_deref(), Some(SERIAL));
    assert_eq!(calls[1].role_arn.as_deref(), Some(ROLE));
    let role_caller = calls[1].access_key_id.as_deref().unwrap();
    assert!(
        role_caller.starts_with("ASIA"),
        "the role is assumed with the session"
    );
    assert!(calls[1].token_code.is_none());
}

/// Seed 004: `aws sts get-session-token --serial-number arn:aws:iam::931304388919:mfa/devuser
/// --token-code …` over the `[default]` keys, with the serial in the config instead of on the
/// command line, and the shorter lifespan the write-up mentions.
#[test]
fn get_session_token_over_default_keys() {
    const SERIAL: &str = "arn:aws:iam::931304388919:mfa/devuser";
    // The write-up shows no long-term keys: these are AWS's documentation example.
    const KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
    let sts = StsDouble::start(Config {
        users: vec![User {
            name: "devuser".into(),
            account: "931304388919".into(),
            access_key_id: KEY_ID.into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            mfa: Some(Mfa {
                serial: SERIAL.into(),
                seed_base32: SEED_SHA1.into(),
            }),
        }],
        ..Config::default()
    })
    .unwrap();
    let sandbox = Sandbox::new();
    sandbox.write_credentials(
        "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n\
         aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    );
    sandbox.write_config(&format!("[default]\nmfa_serial = {SERIAL}\n"));
    let out = mfa(&sandbox, &sts)
        .args(["exec", "--duration", "15m", "--", "env"])
        .env("MFA_CODE", alice_code())
        .assert()
        .success();
    let vars = aws_vars(&out.get_output().stdout);
    // The three variables the write-up sets by hand from the JSON.
    assert!(vars["AWS_ACCESS_KEY_ID"].starts_with("ASIA"), "{vars:?}");
    assert!(!vars["AWS_SECRET_ACCESS_KEY"].is_empty());
    assert!(!vars["AWS_SESSION_TOKEN"].is_empty());
    let calls = sts.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].action, "GetSessionToken");
    assert_eq!(calls[0].serial.as_deref(), Some(SERIAL));
    assert_eq!(calls[0].access_key_id.as_deref(), Some(KEY_ID));
    assert_eq!(calls[0].duration, Some(900));
}

/// A `credential_process` that is `mfa exec` for its own profile: refused from the command line
/// before anything runs (the process would start itself forever).
#[test]
fn a_credential_process_running_mfa_for_itself_is_refused() {
    let sts = alice_sts(Vec::new());
    let sandbox = Sandbox::new();
    let mfa_bin = env!("CARGO_BIN_EXE_mfa");
    sandbox.write_config(&format!(
        "[profile loop]\nmfa_serial = {ARN}\n\
         credential_process = {mfa_bin} exec -p loop -- printf '{{\"Version\":1}}'\n"
    ));
    let started = Instant::now();
    let out = mfa(&sandbox, &sts)
        .args(["exec", "-p", "loop", "--", "true"])
        .env("MFA_CODE", alice_code())
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    let [what, hint] = assert_two_line_failure(&out, 2);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        what.contains("credential_process of profile `loop` runs mfa")
            && what.contains("loop → loop"),
        "{what}"
    );
    assert!(hint.contains("long-term keys"), "{hint}");
    assert!(sts.calls().is_empty());
}

/// The same loop hidden in a script, where the command line cannot show it: the `mfa` it starts
/// sees that its caller is resolving `caktus-mfa` already, and refuses (exit 2, naming the
/// loop); the outer `mfa` reports its failed `credential_process`. Nothing loops.
#[test]
fn a_script_that_calls_mfa_back_is_refused_by_the_mfa_it_starts() {
    let sts = alice_sts(Vec::new());
    let sandbox = Sandbox::new();
    sandbox.write_config(&aws_vault_config());
    let log = sandbox.path("calls.log");
    // An "aws-vault" that asks mfa for caktus-mfa's session: its keys come from this very
    // process.
    script(
        &sandbox,
        "aws-vault",
        &format!(
            "echo \"$MFA_CREDENTIAL_PROCESS_CHAIN\" >> '{log}'\n\
             exec '{mfa}' exec -p caktus-mfa -- printf '{{\"Version\":1}}'\n",
            log = log.display(),
            mfa = env!("CARGO_BIN_EXE_mfa"),
        ),
    );
    let started = Instant::now();
    let out = mfa(&sandbox, &sts)
        .args(["exec", "-p", "saguaro-cluster", "--", "true"])
        .env("MFA_CODE", alice_code())
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(20));
    let stderr = stderr_of(&out);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 4, "{stderr}");
    // The inner mfa: exit 2, the loop named.
    assert_eq!(
        lines[0],
        "mfa: a credential_process started mfa for profile `caktus-mfa` while resolving it: \
         caktus-mfa → caktus → caktus-mfa"
    );
    assert!(lines[1].starts_with("  hint: "), "{stderr}");
    // The outer one: its credential_process failed with that exit status.
    assert!(
        lines[2].contains("credential_process of profile `caktus` failed (exit status: 2)"),
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let chains = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        chains, "saguaro-cluster,caktus-mfa,caktus\n",
        "the script ran once, told the chain"
    );
    assert!(sts.calls().is_empty());
}
