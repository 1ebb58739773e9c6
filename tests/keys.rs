//! `mfa keys` against the virtual YubiKey: import seals a profile's keys with a credential put on
//! the card, leaves every other byte of the credentials file and no plaintext under HOME; the
//! sealing credential stays out of `mfa accounts`, `mfa code` and the choice of the account.

#![allow(clippy::unwrap_used)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use common::aws::{OATH_ACCOUNT, World, aws_vars};
use common::consumers::{aws_caller_identity, credential_process_profile};
use common::fixtures::{ACCESS_KEY, NO_PCSCD, SECRET_KEY, SEED_SHA1};
use common::output::{stderr_of, stdout_of};
use common::ykman::ykman_add;
use common::yubikey::codes_in_one_step;
use common::{CardConfig, Sandbox, TouchMode, insert_card};

const SEALING: &str = "mfa:sealed-keys";

const CREDENTIALS: &str = "# my keys\r\n[other]\r\naws_access_key_id = AKIAOTHER\r\n\
                           aws_secret_access_key = other-secret\r\n\r\n; work account\r\n\
                           [work]\r\nregion = eu-west-1\r\naws_access_key_id = AKIAWORK0000000001\r\n\
                           aws_secret_access_key = work-secret-never-in-clear\r\n# end\r\n";

/// Every file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_containing(&path, needle));
        } else if let Ok(bytes) = std::fs::read(&path)
            && bytes.windows(needle.len()).any(|w| w == needle)
        {
            found.push(path.display().to_string());
        }
    }
    found
}

fn run(sandbox: &Sandbox, args: &[&str]) -> std::process::Output {
    sandbox.run_without_tty(&[], args)
}

#[test]
fn import_seals_the_keys_and_keeps_every_other_byte() {
    let slot = insert_card(CardConfig::default());
    let sandbox = Sandbox::new();
    sandbox.write_credentials(CREDENTIALS);
    sandbox.write_config("[profile work]\nmfa_serial = arn:aws:iam::1:mfa/w\n");

    let out = run(
        &sandbox,
        &["-p", "work", "keys", "import", "--store", "yubikey"],
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out), "", "nothing but a result on stdout");
    assert!(stderr_of(&out).contains("credential_process = mfa credential-process --profile work"));

    let after = std::fs::read_to_string(sandbox.path(".aws/credentials")).unwrap();
    assert_eq!(
        after,
        CREDENTIALS
            .replace("aws_access_key_id = AKIAWORK0000000001\r\n", "")
            .replace("aws_secret_access_key = work-secret-never-in-clear\r\n", "")
    );
    let config = std::fs::read_to_string(sandbox.path(".aws/config")).unwrap();
    assert!(
        config.contains("[profile work]\nmfa_serial = arn:aws:iam::1:mfa/w\nmfa_keys = yubikey\n"),
        "{config}"
    );

    let sealed = sandbox.path(".local/share/mfa/keys/work.sealed");
    let mode = std::fs::metadata(&sealed).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&sealed).unwrap();
    assert!(
        text.contains("AKIAWORK0000000001"),
        "the id stays readable: {text}"
    );
    assert_eq!(
        files_containing(sandbox.home.path(), b"work-secret-never-in-clear"),
        Vec::<String>::new(),
        "plaintext left under HOME"
    );
    // The sealing credential is on the card (ykman sees it), with a SHA-256 key.
    let listed = slot.ykman(&["oath", "accounts", "list"]);
    assert!(listed.lines().any(|l| l.trim() == SEALING), "{listed}");

    // A second import of the same profile is refused; list says where the keys are.
    let out = run(&sandbox, &["-p", "other", "keys", "list", "--json"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let stores: Vec<(String, String)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["profile"].as_str().unwrap().into(),
                r["store"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        stores,
        [
            ("other".into(), "file".into()),
            ("work".into(), "yubikey".into())
        ]
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("secret"));
    assert!(
        stderr_of(&out).contains("warning: profile `other` keeps its long-term keys in plain text")
    );

    // Remove: asks, so without a terminal it needs --force.
    let out = run(&sandbox, &["-p", "work", "keys", "remove"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(sealed.exists());
    let out = run(&sandbox, &["-p", "work", "keys", "remove", "--force"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(!sealed.exists());
    let config = std::fs::read_to_string(sandbox.path(".aws/config")).unwrap();
    assert_eq!(
        config,
        "[profile work]\nmfa_serial = arn:aws:iam::1:mfa/w\n"
    );
}

#[test]
fn the_sealing_credential_is_never_a_code_account() {
    let slot = insert_card(CardConfig::default());
    let sandbox = Sandbox::new();
    sandbox.write_credentials("[p]\naws_access_key_id = AKIAP\naws_secret_access_key = s3cr3t-p\n");
    let out = run(
        &sandbox,
        &["-p", "p", "keys", "import", "--store", "yubikey"],
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    ykman_add(&slot, &[], "only-one", SEED_SHA1);

    let out = run(&sandbox, &["accounts", "--json"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let accounts: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = accounts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["only-one"]);

    // `mfa code` with no query takes the only account: the sealing one does not count.
    let (mfa, ykman) = codes_in_one_step(&slot, &sandbox, &["code"], "only-one", &[], 30);
    assert_eq!(mfa, ykman);
    // Asked for by name, it does not exist.
    let out = run(&sandbox, &["code", SEALING]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out), "");
}

#[test]
fn a_profile_without_keys_in_the_file_is_a_usage_error() {
    let sandbox = Sandbox::new();
    sandbox.write_credentials("[p]\nregion = x\n");
    let out = run(
        &sandbox,
        &["-p", "p", "keys", "import", "--store", "yubikey"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(
        err.starts_with("mfa: profile `p` has no aws_access_key_id"),
        "{err}"
    );
}

#[test]
fn keyring_without_a_secret_service_is_refused_with_advice() {
    let sandbox = Sandbox::new();
    sandbox.write_credentials("[p]\naws_access_key_id = AKIAP\naws_secret_access_key = kept\n");
    let out = run(
        &sandbox,
        &["-p", "p", "keys", "import", "--store", "keyring"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(err.contains("--store yubikey"), "{err}");
    assert!(
        std::fs::read_to_string(sandbox.path(".aws/credentials"))
            .unwrap()
            .contains("aws_secret_access_key = kept"),
        "a refused import keeps the keys where they were"
    );
}

/// `mfa yubi env` in alice's world (keys sealed, code from the card).
fn yubi_env(world: &World) -> std::process::Output {
    let mut cmd = world.mfa_std_with_card();
    cmd.args(["yubi", "env"]);
    cmd.output().unwrap()
}

#[test]
fn a_session_comes_from_sealed_keys_and_a_cached_one_needs_no_card() {
    let world = World::new();
    let mut slot = insert_card(CardConfig::default());
    ykman_add(&slot, &[], OATH_ACCOUNT, SEED_SHA1);
    let out = run(&world.sandbox, &["keys", "import", "--store", "yubikey"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(
        files_containing(world.sandbox.home.path(), SECRET_KEY.as_bytes()),
        Vec::<String>::new()
    );
    // The sealed file names the access key id in clear, so the cache key can be computed.
    let sealed =
        std::fs::read_to_string(world.sandbox.path(".local/share/mfa/keys/default.sealed"))
            .unwrap();
    assert!(sealed.contains(ACCESS_KEY));

    let out = yubi_env(&world);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let vars = aws_vars(&out.stdout);
    assert!(vars["AWS_ACCESS_KEY_ID"].starts_with("ASIA"), "{vars:?}");
    assert_ne!(
        vars["AWS_SECRET_ACCESS_KEY"], SECRET_KEY,
        "long-term keys never reach a child"
    );
    assert_eq!(world.sts.mfa_calls(), 1);
    let calls = world.sts.calls();
    assert_eq!(calls[0].action, "GetSessionToken");
    assert_eq!(
        calls[0].access_key_id.as_deref(),
        Some(ACCESS_KEY),
        "signed with the unsealed keys"
    );

    // Cached: the card is gone and the session still comes, with no unsealing.
    slot.remove();
    let out = yubi_env(&world);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(
        aws_vars(&out.stdout)["AWS_ACCESS_KEY_ID"],
        vars["AWS_ACCESS_KEY_ID"]
    );
    assert_eq!(world.sts.mfa_calls(), 1);

    // A new session without the card: two lines, exit 1, nothing on stdout.
    let out = world.mfa().args(["cache", "clear"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let mut cmd = world.mfa_std_with_card();
    let out = cmd.args(["exec", "--", "env"]).output().unwrap();
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 2, "{err}");
    assert_eq!(stdout_of(&out), "");
    assert_eq!(world.sts.mfa_calls(), 1);
}

#[test]
fn a_key_without_the_sealing_credential_fails_cleanly() {
    let world = World::new();
    let slot = insert_card(CardConfig::default());
    ykman_add(&slot, &[], OATH_ACCOUNT, SEED_SHA1);
    let out = run(&world.sandbox, &["keys", "import", "--store", "yubikey"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    slot.ykman(&["oath", "accounts", "delete", "-f", SEALING]);

    let out = yubi_env(&world);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(
        err.starts_with(&format!(
            "mfa: this YubiKey has no sealing credential `{SEALING}`"
        )),
        "{err}"
    );
    assert!(err.contains("create new ones"), "{err}");
    assert_eq!(stdout_of(&out), "");
    assert_eq!(world.sts.mfa_calls(), 0);

    // A corrupted sealed file: a clean failure too.
    let path = world.sandbox.path(".local/share/mfa/keys/default.sealed");
    std::fs::write(&path, "{\"version\": 1}").unwrap();
    let out = yubi_env(&world);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(err.contains("not a usable sealed-keys file"), "{err}");
}

#[test]
fn a_touch_sealing_credential_asks_for_the_touch_to_unseal() {
    let world = World::new();
    let slot = insert_card(CardConfig {
        touch: TouchMode::Delay(Duration::from_millis(600)),
        ..CardConfig::default()
    });
    ykman_add(&slot, &[], OATH_ACCOUNT, SEED_SHA1);
    let out = run(
        &world.sandbox,
        &["keys", "import", "--store", "yubikey", "--touch"],
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    let touched = slot.card().touch_count();
    assert_eq!(touched, 1, "sealing takes one HMAC: one touch");

    let out = yubi_env(&world);
    let err = stderr_of(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("Touch your YubiKey"), "{err}");
    assert_eq!(
        slot.card().touch_count(),
        touched + 1,
        "unsealing: one more"
    );
    assert_eq!(world.sts.mfa_calls(), 1);
}

#[test]
fn add_reads_the_keys_from_stdin_and_refuses_a_profile_with_plaintext_keys() {
    let slot = insert_card(CardConfig::default());
    let sandbox = Sandbox::new();
    sandbox
        .write_credentials("[plain]\naws_access_key_id = AKIAPLAIN\naws_secret_access_key = p\n");
    let out = sandbox
        .mfa_without_tty()
        .args(["-p", "piped", "keys", "add", "--store", "yubikey"])
        .write_stdin("AKIAPIPED000000000001\npiped-secret-from-stdin\n")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let text = std::fs::read_to_string(sandbox.path(".local/share/mfa/keys/piped.sealed")).unwrap();
    assert!(text.contains("AKIAPIPED000000000001"), "{text}");
    assert_eq!(
        files_containing(sandbox.home.path(), b"piped-secret-from-stdin"),
        Vec::<String>::new()
    );
    let config = std::fs::read_to_string(sandbox.path(".aws/config")).unwrap();
    assert_eq!(config, "[profile piped]\nmfa_keys = yubikey\n");
    assert_eq!(slot.card().touch_count(), 0);

    // Keys in the credentials file would win over stored ones: add refuses, import is the way.
    let out = sandbox
        .mfa_without_tty()
        .args(["-p", "plain", "keys", "add", "--store", "yubikey"])
        .write_stdin("AKIAX\ny\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("mfa keys import -p plain"));
}

#[test]
fn a_failed_seal_leaves_the_file_and_the_card_as_they_were() {
    let slot = insert_card(CardConfig {
        touch: TouchMode::Deny,
        ..CardConfig::default()
    });
    let sandbox = Sandbox::new();
    sandbox.write_credentials(CREDENTIALS);
    let out = run(
        &sandbox,
        &[
            "-p", "work", "keys", "import", "--store", "yubikey", "--touch",
        ],
    );
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 2, "{err}");
    assert_eq!(
        std::fs::read_to_string(sandbox.path(".aws/credentials")).unwrap(),
        CREDENTIALS
    );
    assert!(!sandbox.path(".local/share/mfa/keys/work.sealed").exists());
    assert!(
        !sandbox.path(".aws/config").exists() || {
            let config = std::fs::read_to_string(sandbox.path(".aws/config")).unwrap();
            !config.contains("mfa_keys")
        }
    );
    let listed = slot.ykman(&["oath", "accounts", "list"]);
    assert!(
        !listed.contains(SEALING),
        "the credential created for nothing is gone: {listed}"
    );
}

#[test]
fn the_aws_cli_gets_sessions_from_sealed_keys_through_credential_process() {
    let world = World::with_config(&credential_process_profile("via-mfa", "default"));
    let slot = insert_card(CardConfig::default());
    ykman_add(&slot, &[], OATH_ACCOUNT, SEED_SHA1);
    let out = run(&world.sandbox, &["keys", "import", "--store", "yubikey"]);
    assert!(out.status.success(), "{}", stderr_of(&out));

    // The AWS CLI runs `mfa credential-process`, which reaches the card through pcscd.
    let out = aws_caller_identity(&world, "via-mfa")
        .env_remove(NO_PCSCD.0)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let identity: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(identity["Arn"], "arn:aws:iam::123456789012:user/alice");
    let calls = world.sts.calls();
    assert_eq!(calls[0].action, "GetSessionToken");
    assert_eq!(calls[0].access_key_id.as_deref(), Some(ACCESS_KEY));
    assert!(
        calls[1]
            .access_key_id
            .as_deref()
            .unwrap()
            .starts_with("ASIA")
    );
}
