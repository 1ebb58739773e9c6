//! `mfa login`: the session got (or reused) and its expiry on stderr; `--write-profile NAME`
//! stores it in the shared credentials file, every other byte kept, and the AWS CLI v2 then uses
//! `--profile NAME`; sections holding keys mfa did not write are refused before a code is spent.

#![allow(clippy::unwrap_used)]

mod common;

use std::os::unix::fs::PermissionsExt;

use common::aws::{ACCESS_KEY, SECRET_KEY, World};
use common::consumers::aws_caller_identity;
use common::output::{assert_two_line_failure, stderr_of, stdout_of};

/// alice's keys with the things a hand-edited file has: comments, odd spacing, CRLF endings,
/// another profile.
fn credentials_file() -> String {
    format!(
        "# work keys\r\n[default]\r\naws_access_key_id   =  {ACCESS_KEY}\r\n\
         aws_secret_access_key={SECRET_KEY}\r\n\r\n; someone else\r\n[other]\r\n\
         aws_access_key_id = AKIAOTHER\r\naws_secret_access_key = other\r\n"
    )
}

#[test]
fn login_says_until_when_on_stderr_and_reuses_the_session() {
    let world = World::new();
    let out = world
        .mfa()
        .arg("login")
        .env("MFA_CODE", world.code_now())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out), "");
    let stderr = stderr_of(&out);
    assert!(
        stderr.starts_with("mfa: session of profile `default` valid until 20"),
        "{stderr}"
    );
    assert!(
        stderr.contains("h ") && stderr.contains("m left)"),
        "{stderr}"
    );
    // Reused: no code needed; -q says nothing.
    let out = world.mfa().args(["-q", "login"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(stderr_of(&out), "");
    assert_eq!(world.sts.mfa_calls(), 1);
}

#[test]
fn write_profile_keeps_every_other_byte_and_the_aws_cli_uses_it() {
    let world = World::new();
    let before = credentials_file();
    world.sandbox.write_credentials(&before);
    let out = world
        .mfa()
        .args(["login", "--write-profile", "temp"])
        .env("MFA_CODE", world.code_now())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("--profile temp"));
    let path = world.sandbox.path(".aws/credentials");
    let after = std::fs::read_to_string(&path).unwrap();
    let (kept, added) = after.split_at(before.len());
    assert_eq!(kept, before, "the existing text changed");
    assert!(
        added.starts_with("\r\n[temp]\r\naws_access_key_id = ASIA"),
        "{added:?}"
    );
    assert!(added.contains("\r\nmfa_expiration = 20"), "{added:?}");
    assert!(added.ends_with("\r\n"), "{added:?}");
    assert!(
        !added.replace("\r\n", "").contains('\n'),
        "a bare LF: {added:?}"
    );
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    // The AWS CLI v2 reads the profile (and ignores mfa_expiration). A region is read from the
    // config file only, where [profile temp] is not: the environment gives it.
    let out = aws_caller_identity(&world, "temp")
        .env("AWS_DEFAULT_REGION", "eu-west-1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let identity: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(identity["Arn"], "arn:aws:iam::123456789012:user/alice");
    let calls = world.sts.calls();
    assert_eq!(calls.last().unwrap().action, "GetCallerIdentity");
    assert!(
        calls
            .last()
            .unwrap()
            .access_key_id
            .as_deref()
            .unwrap()
            .starts_with("ASIA")
    );
}

#[test]
fn a_section_mfa_wrote_is_replaced_in_place() {
    let world = World::new();
    let old = "\r\n[temp]\r\n# from yesterday\r\naws_access_key_id = ASIAOLD\r\n\
               aws_secret_access_key = oldsecret\r\naws_session_token = oldtoken\r\n\
               mfa_expiration = 2020-01-01T00:00:00Z\r\nregion = us-west-2\r\n";
    let before = format!("{}{old}", credentials_file());
    world.sandbox.write_credentials(&before);
    world
        .mfa()
        .args(["login", "--write-profile", "temp"])
        .env("MFA_CODE", world.code_now())
        .assert()
        .success();
    // The session, as credential-process prints it (from the cache now).
    let out = world.mfa().arg("credential-process").assert().success();
    let session: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let text = |key: &str| session[key].as_str().unwrap().to_owned();
    let expected = before
        .replace("ASIAOLD", &text("AccessKeyId"))
        .replace("oldsecret", &text("SecretAccessKey"))
        .replace("oldtoken", &text("SessionToken"))
        .replace("2020-01-01T00:00:00Z", &text("Expiration"));
    let after = std::fs::read_to_string(world.sandbox.path(".aws/credentials")).unwrap();
    assert_eq!(after, expected);
    assert_eq!(world.sts.mfa_calls(), 1);
}

#[test]
fn long_term_sections_are_refused_before_a_code_is_spent() {
    let world = World::new();
    let before = credentials_file();
    world.sandbox.write_credentials(&before);
    for section in ["default", "other"] {
        let out = world
            .mfa()
            .args(["login", "--write-profile", section])
            .env("MFA_CODE", world.code_now())
            .output()
            .unwrap();
        let [what, hint] = assert_two_line_failure(&out, 2);
        assert!(what.contains(&format!("[{section}]")), "{what}");
        assert!(hint.contains("--force"), "{hint}");
    }
    assert_eq!(world.sts.calls().len(), 0);
    let path = world.sandbox.path(".aws/credentials");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);

    // --force replaces [other]'s keys in place; the rest stays.
    let out = world
        .mfa()
        .args(["login", "--write-profile", "other", "--force"])
        .env("MFA_CODE", world.code_now())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let after = std::fs::read_to_string(&path).unwrap();
    assert!(after.starts_with(&before[..before.find("[other]").unwrap()]));
    assert!(!after.contains("AKIAOTHER"));
    assert!(after.contains("mfa_expiration"));
}

#[test]
fn force_needs_write_profile() {
    let world = World::new();
    let out = world.mfa().args(["login", "--force"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("--write-profile"));
}
