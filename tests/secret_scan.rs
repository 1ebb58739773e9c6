//! Every command at `-vvv`, with known secrets, searched for them (docs/security.md, "Every
//! output checked"): the long-term secret key, the temporary credentials STS issued, the OATH
//! seed, the one-time codes and the OATH password — as plain text and as hex, Base64 (standard
//! and URL-safe, at every alignment), percent-encoding and JSON escaping. Only the stdout of a
//! command whose purpose is to print credentials or a code (`env`, `credential-process`,
//! `eks-token`, `code`, and the child of `exec`/`shell`) may hold them; stderr never; no file
//! `mfa` writes holds the long-term key, a code or the password.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Output;

use common::fixtures::{ACCESS_KEY, ACCOUNT, ARN, AWS_ID, SEED_SHA1, now};
use common::output::stderr_of;
use common::yubikey::add_aws_account;
use common::{CardConfig, Sandbox, insert_card};
use mfa_sts::{Config, Mfa, StsDouble, User};

/// A long-term secret key with the characters real ones have (`/`, `+`), so that its
/// percent-encoded and JSON-escaped forms differ from the plain one.
const LONG_TERM_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYSCANSECRET0";
const OATH_PASSWORD: &str = "oath-password-of-the-scan";

/// A fresh STS double knowing alice with [`LONG_TERM_SECRET`] (fresh, so that every command
/// spends a code of its own without waiting for the next step).
fn sts() -> StsDouble {
    StsDouble::start(Config {
        users: vec![User {
            name: "alice".into(),
            account: ACCOUNT.into(),
            access_key_id: ACCESS_KEY.into(),
            secret_access_key: LONG_TERM_SECRET.into(),
            mfa: Some(Mfa {
                serial: ARN.into(),
                seed_base32: SEED_SHA1.into(),
            }),
        }],
        ..Config::default()
    })
    .unwrap()
}

fn sandbox() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.write_credentials(&format!(
        "[default]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {LONG_TERM_SECRET}\n"
    ));
    sandbox.write_config(&format!(
        "[default]\nregion = eu-west-1\nmfa_serial = {ARN}\n\n\
         [profile proc]\nregion = eu-west-1\nmfa_serial = {ARN}\n\
         credential_process = printf '{{\"Version\":1,\"AccessKeyId\":\"{ACCESS_KEY}\",\
         \"SecretAccessKey\":\"{}\"}}'\n",
        LONG_TERM_SECRET.replace('/', "\\/")
    ));
    sandbox
}

/// The base32 seed's bytes.
fn seed_bytes() -> Vec<u8> {
    let mut bits = 0u64;
    let mut count = 0;
    let mut out = Vec::new();
    for c in SEED_SHA1.bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => continue,
        };
        bits = (bits << 5) | u64::from(value);
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push(u8::try_from((bits >> count) & 0xff).unwrap());
        }
    }
    out
}

fn base64(bytes: &[u8], alphabet: &[u8; 64]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(alphabet[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The forms a secret may take in output: `(form, text)`.
fn forms(secret: &[u8]) -> Vec<(&'static str, String)> {
    let mut forms = Vec::new();
    let text = String::from_utf8_lossy(secret).into_owned();
    forms.push(("plain", text.clone()));
    let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    forms.push(("hex", hex.clone()));
    forms.push(("HEX", hex.to_uppercase()));
    let percent: String = secret
        .iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    // Base64 at each alignment in a longer Base64 text: the characters that depend on the
    // secret only, without its last (partial) group. Of the percent-encoded form too: an EKS
    // token is the Base64 of a URL holding the session token.
    for (source, plain) in [
        ("", secret.to_vec()),
        (" of its percent-encoding", percent.clone().into_bytes()),
    ] {
        for (name, alphabet) in [("base64", STANDARD), ("base64url", URL_SAFE)] {
            for offset in 0..3usize {
                let mut padded = vec![0u8; offset];
                padded.extend_from_slice(&plain);
                let encoded = base64(&padded, alphabet);
                let start = (offset * 4).div_ceil(3);
                let end = encoded.len().saturating_sub(3);
                if end > start + 7 {
                    let label: &'static str = match (name, source.is_empty()) {
                        ("base64", true) => "base64",
                        ("base64", false) => "base64 of its percent-encoding",
                        (_, true) => "base64url",
                        (_, false) => "base64url of its percent-encoding",
                    };
                    forms.push((label, encoded[start..end].to_owned()));
                }
            }
        }
    }
    forms.push(("percent", percent.clone()));
    forms.push(("percent (lower case)", percent.to_lowercase()));
    let json = serde_json::to_string(&text).unwrap();
    forms.push(("JSON", json[1..json.len() - 1].to_owned()));
    forms.push((
        "JSON (escaped /)",
        json[1..json.len() - 1].replace('/', "\\/"),
    ));
    forms.sort();
    forms.dedup();
    forms
}

/// Every secret of a run: `(name, value)`.
fn secrets(sts: &StsDouble) -> Vec<(String, Vec<u8>)> {
    let mut all = vec![
        (
            "the long-term secret key".to_owned(),
            LONG_TERM_SECRET.as_bytes().to_vec(),
        ),
        (
            "the seed (Base32)".to_owned(),
            SEED_SHA1.as_bytes().to_vec(),
        ),
        ("the seed".to_owned(), seed_bytes()),
        (
            "the OATH password".to_owned(),
            OATH_PASSWORD.as_bytes().to_vec(),
        ),
    ];
    let t = now();
    for at in [t - 60, t - 30, t, t + 30, t + 60] {
        let code = StsDouble::totp(SEED_SHA1, at);
        all.push((format!("the code {code}"), code.into_bytes()));
    }
    for (id, secret, token) in sts.issued() {
        all.push((format!("the secret key of {id}"), secret.into_bytes()));
        all.push((format!("the session token of {id}"), token.into_bytes()));
    }
    all
}

/// Where `text` shows a secret: `"NAME as FORM"` each.
fn found(text: &str, secrets: &[(String, Vec<u8>)]) -> Vec<String> {
    let mut found = Vec::new();
    for (name, value) in secrets {
        for (form, shown) in forms(value) {
            // A code is 6 digits: only where it cannot be part of a longer number.
            let hit = if value.len() <= 8 {
                text.match_indices(&shown).any(|(at, _)| {
                    let before = text[..at].chars().next_back();
                    let after = text[at + shown.len()..].chars().next();
                    !before.is_some_and(|c| c.is_ascii_alphanumeric())
                        && !after.is_some_and(|c| c.is_ascii_alphanumeric())
                })
            } else {
                text.contains(&shown)
            };
            if hit {
                found.push(format!("{name} as {form}"));
            }
        }
    }
    found
}

/// The text of every file under `dir` (recursively), with its path.
fn files_under(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut next = vec![dir.to_path_buf()];
    while let Some(dir) = next.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                next.push(path);
            } else if kind.is_file() {
                let bytes = std::fs::read(&path).unwrap_or_default();
                out.push((
                    path.display().to_string(),
                    String::from_utf8_lossy(&bytes).into_owned(),
                ));
            }
        }
    }
    out
}

/// What one command run showed and wrote.
struct Scan {
    problems: Vec<String>,
}

impl Scan {
    fn new() -> Scan {
        Scan {
            problems: Vec::new(),
        }
    }

    /// Checks one run: `stdout_may_hold` for the commands whose purpose is to print them. The
    /// files under HOME, except the shared credentials file (alice's own, and what
    /// `login --write-profile` writes), the session cache (temporary credentials, by design)
    /// and the software TOTP store (the seed, by design), must hold no secret.
    fn check(
        &mut self,
        what: &str,
        out: &Output,
        sts: &StsDouble,
        sandbox: &Sandbox,
        stdout_may_hold: bool,
    ) -> Vec<(String, Vec<u8>)> {
        let secrets = secrets(sts);
        let stderr = stderr_of(out);
        for hit in found(&stderr, &secrets) {
            self.problems.push(format!("{what}: stderr shows {hit}"));
        }
        if !stdout_may_hold {
            let stdout = String::from_utf8_lossy(&out.stdout);
            for hit in found(&stdout, &secrets) {
                self.problems.push(format!("{what}: stdout shows {hit}"));
            }
        }
        for (path, text) in files_under(sandbox.home.path()) {
            // ~/.aws/config is the test's own input (a credential_process printing the key).
            if path.ends_with(".aws/config") {
                continue;
            }
            let by_design = path.ends_with(".aws/credentials")
                || path.contains("/.cache/mfa/")
                || path.contains("/mfa/totp/");
            if by_design {
                // Still never the code or the password.
                let never: Vec<(String, Vec<u8>)> = secrets
                    .iter()
                    .filter(|(name, _)| name.starts_with("the code") || name.contains("password"))
                    .cloned()
                    .collect();
                for hit in found(&text, &never) {
                    self.problems.push(format!("{what}: {path} holds {hit}"));
                }
                if !path.ends_with(".aws/credentials") {
                    let key = [secrets[0].clone()];
                    for hit in found(&text, &key) {
                        self.problems.push(format!("{what}: {path} holds {hit}"));
                    }
                }
            } else {
                for hit in found(&text, &secrets) {
                    self.problems.push(format!("{what}: {path} holds {hit}"));
                }
            }
        }
        assert!(
            !stderr.contains("panicked") && !stderr.contains("internal error"),
            "{what}: {stderr}"
        );
        secrets
    }
}

/// `mfa -vvv ARGS` in a fresh sandbox and against a fresh STS double, with the current code in
/// `MFA_CODE`, then `envs`, and `stdin`; checks what it showed.
fn run(
    scan: &mut Scan,
    args: &[&str],
    envs: &[(&str, &str)],
    stdin: &str,
    stdout_may_hold: bool,
) -> (Output, Vec<(String, Vec<u8>)>) {
    let sts = sts();
    let sandbox = sandbox();
    let out = sandbox
        .mfa_without_tty()
        .arg("-vvv")
        .args(args)
        .env("AWS_ENDPOINT_URL_STS", sts.url())
        .env("MFA_CODE", StsDouble::totp(SEED_SHA1, now()))
        .env("MFA_OATH_PASSWORD", OATH_PASSWORD)
        .env(common::fixtures::NO_PCSCD.0, common::fixtures::NO_PCSCD.1)
        .env("SHELL", "/usr/bin/env")
        .envs(envs.iter().copied())
        .write_stdin(stdin)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let secrets = scan.check(
        &format!("mfa -vvv {}", args.join(" ")),
        &out,
        &sts,
        &sandbox,
        stdout_may_hold,
    );
    (out, secrets)
}

fn assert_success(out: &Output, what: &str) {
    assert!(out.status.success(), "{what}: {}", stderr_of(out));
}

#[test]
fn no_command_shows_a_secret_where_it_should_not() {
    let mut scan = Scan::new();
    // The commands that fetch a session, printing it on purpose or giving it to a child.
    for (args, prints) in [
        (&["exec", "--", "env"][..], true),
        (&["exec", "--server", "--", "env"], true),
        (&["-p", "proc", "exec", "--", "true"], false),
        (&["env"], true),
        (&["env", "--format", "json"], true),
        (&["env", "--format", "fish"], true),
        (&["credential-process"], true),
        (&["eks-token", "--cluster", "scan"], true),
        (&["shell"], true),
        (&["login"], false),
        (&["login", "--write-profile", "temp"], false),
        (&["doctor"], false),
        (&["cache", "list"], false),
        (&["cache", "clear"], false),
    ] {
        let (out, secrets) = run(&mut scan, args, &[], "", prints);
        let what = args.join(" ");
        if args[0] != "doctor" {
            assert_success(&out, &what);
        }
        if args == ["env"] || args == ["credential-process"] || args[0] == "eks-token" {
            // The scan sees what these print on purpose: it would see a leak.
            let stdout = String::from_utf8_lossy(&out.stdout);
            let shown = found(&stdout, &secrets);
            assert!(
                shown.iter().any(|s| s.starts_with("the session token")),
                "{what}: {shown:?}"
            );
        }
    }
    // Software TOTP: the seed goes in on stdin and stays in the store.
    let (out, _) = run(
        &mut scan,
        &["totp", "add"],
        &[],
        &format!("{SEED_SHA1}\n"),
        false,
    );
    assert_success(&out, "totp add");
    let (out, _) = run(&mut scan, &["totp", "list", "--json"], &[], "", false);
    assert_success(&out, "totp list");
    // Failures that quote STS or the input: a refused code, a code that is not one.
    let (out, _) = run(&mut scan, &["env"], &[("MFA_CODE", "000000")], "", false);
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let bad = format!("{}x", StsDouble::totp(SEED_SHA1, now()));
    let (out, _) = run(&mut scan, &["env"], &[("MFA_CODE", &bad)], "", false);
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(scan.problems.is_empty(), "{:#?}", scan.problems);
}

#[test]
fn no_yubikey_command_shows_a_secret_where_it_should_not() {
    let slot = insert_card(CardConfig::default());
    add_aws_account(&slot, &[]);
    let mut scan = Scan::new();
    for (args, prints) in [
        (&["code", AWS_ID][..], true),
        (&["accounts"], false),
        (&["accounts", "--json"], false),
        (&["devices", "--json"], false),
        (&["doctor"], false),
        (&["--source", "yubikey", "env"], true),
        (&["yubi", "true"], false),
    ] {
        let sts = sts();
        let sandbox = sandbox();
        let out = sandbox
            .mfa_without_tty()
            .arg("-vvv")
            .args(args)
            .env("AWS_ENDPOINT_URL_STS", sts.url())
            .env("MFA_OATH_PASSWORD", OATH_PASSWORD)
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        let what = format!("mfa -vvv {}", args.join(" "));
        if args[0] != "doctor" {
            assert_success(&out, &what);
        }
        scan.check(&what, &out, &sts, &sandbox, prints);
    }
    assert!(scan.problems.is_empty(), "{:#?}", scan.problems);
}

#[test]
fn the_scan_finds_a_secret_in_each_form() {
    // The scan itself: a test that cannot fail is no test.
    let secret = b"wJal/K7+x";
    let all = [("s".to_owned(), secret.to_vec())];
    for (form, text) in forms(secret) {
        let shown = format!("noise {text} noise");
        assert!(!found(&shown, &all).is_empty(), "{form}: {shown}");
    }
    let inside = format!(
        "xx{}yy",
        base64(&[b"ab".as_slice(), secret].concat(), STANDARD)
    );
    assert!(!found(&inside, &all).is_empty(), "{inside}");
    assert!(found("nothing here", &all).is_empty());
    let code = [("c".to_owned(), b"123456".to_vec())];
    assert!(found("pid 91234567", &code).is_empty());
    assert!(!found("code: 123456\n", &code).is_empty());
}
