//! `mfa exec --server`: the AWS CLI v2 and boto3 as children take their credentials from the
//! loopback endpoint (and none from static variables or the shared credentials file), the token
//! is required, credentials that expire during the run are renewed without a second code, the
//! child's exit status is ours and SIGTERM reaches it while SIGINT to `mfa` does not.
//!
//! The STS double verifies codes and logs every call with the access key that signed it, so
//! "the child used the role's credentials" and "no second code was spent" are checked at the
//! server.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::aws::{ADMIN_ROLE, World, alice_sandbox};
use common::fixtures::{ACCESS_KEY, ACCOUNT, ARN, SECRET_KEY, SEED_SHA1};
use common::output::stderr_of;
use mfa_sts::{Config, Mfa, Role, StsDouble, User};

/// The AWS CLI v2 from Debian's `awscli` (the `aws` first on PATH may be a v1).
const AWS_CLI_V2: &str = "/usr/bin/aws";

/// The bench's Python, which has boto3 (docs/test-bench.md).
fn bench_python() -> PathBuf {
    let venv = std::env::var_os("MFA_BENCH_VENV").expect(
        "MFA_BENCH_VENV is not set: run `scripts/testbench up` and \
         `eval \"$(scripts/testbench env)\"` first",
    );
    PathBuf::from(venv).join("bin/python")
}

/// The calls the double answered for `action`.
fn calls(sts: &StsDouble, action: &str) -> Vec<mfa_sts::Call> {
    sts.calls()
        .into_iter()
        .filter(|c| c.action == action)
        .collect()
}

/// Writes an executable script into the sandbox and gives its path.
fn script(world: &World, name: &str, text: &str) -> String {
    let path = world.sandbox.path(name);
    std::fs::write(&path, text).unwrap();
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&path, perms).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn the_aws_cli_gets_the_role_from_the_endpoint_and_no_static_credentials() {
    let world = World::new();
    let env_file = world.sandbox.path("child.env");
    let child = script(
        &world,
        "child.sh",
        &format!(
            "#!/bin/sh\nenv > '{}'\nexec {AWS_CLI_V2} sts get-caller-identity --output json \
             --endpoint-url \"$1\"\n",
            env_file.display()
        ),
    );
    let out = world
        .mfa()
        .args([
            "-p",
            "admin",
            "exec",
            "--server",
            "--",
            &child,
            &world.sts.url(),
        ])
        .env("MFA_CODE", world.code_now())
        // Stale variables of the caller never reach the child.
        .env("AWS_ACCESS_KEY_ID", "AKIASTALE")
        .env("AWS_SECRET_ACCESS_KEY", "stale")
        .env(
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "/v2/credentials/x",
        )
        .assert()
        .success();
    let identity: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert!(
        identity["Arn"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:sts::123456789012:assumed-role/Admin/"),
        "{identity}"
    );
    // The call was signed with the role's credentials, not alice's long-term keys from
    // ~/.aws/credentials nor the stale variables.
    let assumed = calls(&world.sts, "AssumeRole");
    assert_eq!(assumed.len(), 1);
    assert_eq!(assumed[0].role_arn.as_deref(), Some(ADMIN_ROLE));
    let identity_calls = calls(&world.sts, "GetCallerIdentity");
    assert_eq!(identity_calls.len(), 1);
    let used = identity_calls[0].access_key_id.clone().unwrap();
    assert!(used.starts_with("ASIA"), "{used}");
    assert_ne!(used, ACCESS_KEY);
    assert_eq!(world.sts.mfa_calls(), 1);

    let env = std::fs::read_to_string(env_file).unwrap();
    let var = |name: &str| {
        env.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .map(str::to_owned)
    };
    for absent in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    ] {
        assert_eq!(var(absent), None, "{absent} reached the child");
    }
    let uri = var("AWS_CONTAINER_CREDENTIALS_FULL_URI").unwrap();
    assert!(uri.starts_with("http://127.0.0.1:"), "{uri}");
    let token = var("AWS_CONTAINER_AUTHORIZATION_TOKEN").unwrap();
    assert_eq!(token.len(), 64);
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(
        var("AWS_SHARED_CREDENTIALS_FILE").as_deref(),
        Some("/dev/null")
    );
    assert_eq!(var("AWS_REGION").as_deref(), Some("eu-west-1"));
    assert_eq!(var("MFA_PROFILE").as_deref(), Some("admin"));
    // Nothing but the child's output on stdout, and no secret on stderr.
    assert!(!stderr_of(out.get_output()).contains(&token));
}

/// A child that asks the endpoint itself, with the right token, a wrong one, none, another
/// path and another method, and prints the status of each.
const RAW_REQUESTS: &str = r#"
import http.client, json, os, urllib.parse
uri = urllib.parse.urlparse(os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"])
token = os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
def ask(method, path, headers):
    conn = http.client.HTTPConnection(uri.hostname, uri.port, timeout=10)
    conn.request(method, path, headers=headers)
    reply = conn.getresponse()
    body = reply.read()
    conn.close()
    return reply.status, body
status, body = ask("GET", uri.path, {"Authorization": token})
creds = json.loads(body)
print("right", status, sorted(creds), creds["AccessKeyId"][:4], creds["Expiration"][-1])
print("wrong", ask("GET", uri.path, {"Authorization": token[:-1] + ("0" if token[-1] != "0" else "1")})[0])
print("none", ask("GET", uri.path, {})[0])
print("bearer", ask("GET", uri.path, {"Authorization": "Bearer " + token})[0])
print("path", ask("GET", "/latest/meta-data/", {"Authorization": token})[0])
print("post", ask("POST", uri.path, {"Authorization": token})[0])
"#;

#[test]
fn the_endpoint_requires_the_token_and_serves_one_path_by_get() {
    let world = World::new();
    let out = world
        .mfa()
        .args(["exec", "--server", "--", "python3", "-c", RAW_REQUESTS])
        .env("MFA_CODE", world.code_now())
        .assert()
        .success();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert_eq!(
        stdout,
        "right 200 ['AccessKeyId', 'Expiration', 'SecretAccessKey', 'Token'] ASIA Z\n\
         wrong 401\nnone 401\nbearer 401\npath 404\npost 405\n"
    );
    assert_eq!(world.sts.mfa_calls(), 1);
}

/// A boto3 child that calls GetCallerIdentity, sleeps past the credentials' expiry, and calls
/// again. (botocore refreshes credentials that expire within 10 minutes before each use, so
/// with a role that lasts seconds it asks the endpoint every time.)
const TWO_CALLS: &str = r#"
import sys, time, boto3
sts = boto3.session.Session().client("sts", endpoint_url=sys.argv[1])
first = sts.get_caller_identity()["Arn"]
time.sleep(float(sys.argv[2]))
second = sts.get_caller_identity()["Arn"]
print(first.split("/")[1], second.split("/")[1])
"#;

/// The STS double for the expiry test: alice, the Admin role, and roles that expire after
/// `role_secs` seconds.
fn short_role_world(role_secs: u32) -> World {
    let sts = StsDouble::start(Config {
        users: vec![User {
            name: "alice".into(),
            account: ACCOUNT.into(),
            access_key_id: ACCESS_KEY.into(),
            secret_access_key: SECRET_KEY.into(),
            mfa: Some(Mfa {
                serial: ARN.into(),
                seed_base32: SEED_SHA1.into(),
            }),
        }],
        roles: vec![Role {
            arn: ADMIN_ROLE.into(),
            require_mfa: true,
            external_id: None,
            max_duration: 3600,
        }],
        role_lifetime_override_secs: Some(role_secs),
        ..Config::default()
    })
    .unwrap();
    let sandbox = alice_sandbox(&format!(
        "[default]\nregion = eu-west-1\nmfa_serial = {ARN}\n\n\
         [profile admin]\nrole_arn = {ADMIN_ROLE}\nsource_profile = default\n"
    ));
    World { sandbox, sts }
}

#[test]
fn a_role_that_expires_during_the_run_is_renewed_without_a_second_code() {
    let world = short_role_world(4);
    let out = world
        .mfa()
        .args(["-p", "admin", "exec", "--server", "--"])
        .arg(bench_python())
        .args(["-c", TWO_CALLS, &world.sts.url(), "5"])
        .env("MFA_CODE", world.code_now())
        .assert()
        .success();
    assert_eq!(out.get_output().stdout, b"Admin Admin\n");
    // Both calls succeeded at the double, which refuses expired credentials: the second was
    // signed with a key issued after the first had expired.
    let identity_calls = calls(&world.sts, "GetCallerIdentity");
    assert_eq!(identity_calls.len(), 2, "{identity_calls:?}");
    assert!(identity_calls.iter().all(|c| c.error.is_none()));
    let keys: Vec<&str> = identity_calls
        .iter()
        .map(|c| c.access_key_id.as_deref().unwrap())
        .collect();
    assert!(keys.iter().all(|k| k.starts_with("ASIA")), "{keys:?}");
    assert_ne!(
        keys[0], keys[1],
        "the second call reused the expired credentials"
    );
    assert!(calls(&world.sts, "AssumeRole").len() >= 2);
    // One MFA session for the whole run: the role was renewed with it, without a code.
    assert_eq!(calls(&world.sts, "GetSessionToken").len(), 1);
    assert_eq!(world.sts.mfa_calls(), 1);
}

#[test]
fn the_childs_exit_status_is_ours() {
    let world = World::new();
    world
        .mfa()
        .args(["exec", "--server", "--", "sh", "-c", "exit 7"])
        .env("MFA_CODE", world.code_now())
        .assert()
        .code(7);
    // Cached now: a signal death is 128 + N, as a shell reports it.
    world
        .mfa()
        .args(["exec", "--server", "--", "sh", "-c", "kill -KILL $$"])
        .assert()
        .code(128 + 9);
    world
        .mfa()
        .args(["exec", "--server", "--", "/nonexistent/command"])
        .assert()
        .code(127);
    assert_eq!(world.sts.mfa_calls(), 1);
}

#[test]
fn sigterm_reaches_the_child_and_sigint_to_mfa_does_not() {
    let world = World::new();
    let ready = world.sandbox.path("ready");
    let child = script(
        &world,
        "trap.sh",
        &format!(
            "#!/bin/sh\ntrap 'exit 42' TERM\ntrap 'exit 43' INT\ntouch '{}'\n\
             while :; do sleep 0.1; done\n",
            ready.display()
        ),
    );
    let mut mfa = world
        .mfa_std()
        .args(["exec", "--server", "--", &child])
        .env("MFA_CODE", world.code_now())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ready.exists() {
        assert!(Instant::now() < deadline, "the child never started");
        assert!(mfa.try_wait().unwrap().is_none(), "mfa ended early");
        std::thread::sleep(Duration::from_millis(50));
    }
    // SIGINT sent to mfa alone (not the terminal's Ctrl-C): mfa neither dies nor passes it on.
    common::signals::interrupt(mfa.id());
    std::thread::sleep(Duration::from_millis(500));
    assert!(mfa.try_wait().unwrap().is_none(), "SIGINT ended mfa");
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &mfa.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = mfa.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(42), "{}", stderr_of(&out));
}
