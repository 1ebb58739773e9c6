//! `mfa eks-token` seen by real kubectl: a kubeconfig whose user runs `mfa eks-token` as its
//! exec plugin, against a local HTTPS API server (tests/eks/fake_eks_apiserver.py) that checks
//! each token the way EKS does — it recomputes the SigV4 signature with its own cluster name
//! and the secret the STS double issued, checks the date and lets the double name the caller.
//! kubectl runs without a terminal (as from an IDE), so the code must come from a source that
//! needs nobody: here a software TOTP secret.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::announce::spawn_announcing;
use common::aws::{ADMIN_ROLE, OATH_ACCOUNT, World};
use common::fixtures::SEED_SHA1;
use common::output::{assert_two_line_failure, stderr_of, stdout_of};
use common::ykman::ykman_add;
use common::{CardConfig, TouchMode, insert_card};

const CLUSTER: &str = "test-cluster";
const ALICE: &str = "arn:aws:iam::123456789012:user/alice";
const V1: &str = "client.authentication.k8s.io/v1";
const V1BETA1: &str = "client.authentication.k8s.io/v1beta1";

/// The fake EKS API server, stopped (by its PID) when dropped.
struct ApiServer {
    child: Child,
    url: String,
    dir: tempfile::TempDir,
}

impl ApiServer {
    fn start(world: &World, clock_offset: i64) -> ApiServer {
        let dir = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/eks/fake_eks_apiserver.py");
        let (child, line) = spawn_announcing(
            Command::new("python3")
                .arg(script)
                .args(["--cluster", CLUSTER, "--sts", &world.sts.url()])
                .arg("--dir")
                .arg(dir.path())
                .args(["--clock-offset", &clock_offset.to_string()]),
        );
        let url = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("the API server did not start: {line:?}"))
            .to_owned();
        ApiServer { child, url, dir }
    }

    /// Every request the server saw: path, status, the caller's ARN or why it refused.
    fn requests(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.dir.path().join("requests.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A kubeconfig for `server` whose user runs `mfa eks-token ARGS` (kubectl's exec plugin) with
/// the STS double as endpoint and no PC/SC (so `auto` finds no YubiKey), and a second user,
/// `static`, with no credentials (for `kubectl --token`).
fn kubeconfig(world: &World, server: &ApiServer, api_version: &str, args: &[&str]) -> PathBuf {
    let args: Vec<String> = args.iter().map(|a| format!("\"{a}\"")).collect();
    let text = format!(
        "apiVersion: v1
kind: Config
clusters:
- name: eks
  cluster:
    server: {server}
    insecure-skip-tls-verify: true
contexts:
- name: eks
  context: {{cluster: eks, user: mfa}}
- name: static
  context: {{cluster: eks, user: static}}
current-context: eks
users:
- name: static
  user: {{}}
- name: mfa
  user:
    exec:
      apiVersion: {api_version}
      command: {mfa}
      args: [{args}]
      env:
      - {{name: AWS_ENDPOINT_URL_STS, value: \"{sts}\"}}
      - {{name: PCSCLITE_CSOCK_NAME, value: /nonexistent/pcscd.comm}}
      interactiveMode: Never
",
        server = server.url,
        mfa = env!("CARGO_BIN_EXE_mfa"),
        args = args.join(", "),
        sts = world.sts.url(),
    );
    let path = world.sandbox.path("kubeconfig");
    std::fs::write(&path, text).unwrap();
    path
}

/// `kubectl ARGS` with that kubeconfig, in the sandbox's environment, without a terminal.
fn kubectl(world: &World, config: &Path, args: &[&str]) -> Output {
    world
        .sandbox
        .command_without_tty("kubectl")
        .arg("--kubeconfig")
        .arg(config)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Alice's world with her device's seed stored as a software secret.
fn world_with_software_secret() -> World {
    let world = World::new();
    world
        .sandbox
        .mfa()
        .args(["totp", "add"])
        .write_stdin(format!("{SEED_SHA1}\n"))
        .assert()
        .success();
    world
}

#[test]
fn three_kubectl_calls_on_an_empty_cache_cost_one_mfa_code() {
    let world = world_with_software_secret();
    let server = ApiServer::start(&world, 0);
    let config = kubeconfig(&world, &server, V1, &["eks-token", "--cluster", CLUSTER]);
    let mut outputs = Vec::new();
    for path in ["/version", "/version", "/api/v1/namespaces"] {
        let out = kubectl(&world, &config, &["get", "--raw", path]);
        assert!(out.status.success(), "{path}: {}", stderr_of(&out));
        outputs.push(stdout_of(&out));
    }
    assert!(outputs[0].contains("v1.32.0-eks-test"), "{}", outputs[0]);
    assert!(outputs[2].contains("kube-system"), "{}", outputs[2]);
    assert_eq!(world.sts.mfa_calls(), 1, "{:?}", world.sts.calls());
    // kubectl may ask more than once per run (a version probe): every request was accepted,
    // each one checked by STS (GetCallerIdentity) as EKS does.
    let requests = server.requests();
    assert!(requests.len() >= 3, "{requests:?}");
    for request in &requests {
        assert_eq!(request["status"], 200, "{request}");
        assert_eq!(request["arn"], ALICE, "{request}");
    }
    let checks = world
        .sts
        .calls()
        .iter()
        .filter(|c| c.action == "GetCallerIdentity")
        .count();
    assert_eq!(checks, requests.len());
}

#[test]
fn the_v1beta1_api_version_works_too_and_is_the_default() {
    let world = world_with_software_secret();
    let server = ApiServer::start(&world, 0);
    let config = kubeconfig(
        &world,
        &server,
        V1BETA1,
        &["eks-token", "--cluster", CLUSTER],
    );
    let out = kubectl(&world, &config, &["get", "--raw", "/version"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(stdout_of(&out).contains("v1.32.0-eks-test"));

    // Outside kubectl (no KUBERNETES_EXEC_INFO): v1beta1, and nothing else on stdout.
    let out = world
        .mfa()
        .args(["eks-token", "--cluster", CLUSTER])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let credential: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(credential["apiVersion"], V1BETA1);
    assert_eq!(credential["kind"], "ExecCredential");
    assert!(
        credential["status"]["token"]
            .as_str()
            .unwrap()
            .starts_with("k8s-aws-v1.")
    );
    assert_eq!(world.sts.mfa_calls(), 1);
}

#[test]
fn a_token_for_another_cluster_is_refused_by_the_server() {
    let world = world_with_software_secret();
    let server = ApiServer::start(&world, 0);
    let config = kubeconfig(
        &world,
        &server,
        V1,
        &["eks-token", "--cluster", "other-cluster"],
    );
    let out = kubectl(&world, &config, &["get", "--raw", "/version"]);
    assert!(!out.status.success());
    assert!(
        stderr_of(&out).contains("Unauthorized"),
        "{}",
        stderr_of(&out)
    );
    let requests = server.requests();
    assert!(!requests.is_empty());
    for request in &requests {
        assert_eq!(request["status"], 401, "{request}");
        assert!(
            request["refused"]
                .as_str()
                .unwrap()
                .contains("signature does not match"),
            "{request}"
        );
    }
}

/// The token `mfa eks-token` prints.
fn token(world: &World) -> String {
    let out = world
        .mfa()
        .args(["eks-token", "--cluster", CLUSTER])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let credential: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    credential["status"]["token"].as_str().unwrap().to_owned()
}

#[test]
fn a_tampered_or_stale_token_is_refused_by_the_server() {
    let world = world_with_software_secret();
    let server = ApiServer::start(&world, 0);
    let config = kubeconfig(&world, &server, V1, &["eks-token", "--cluster", CLUSTER]);
    let token = token(&world);
    let with_token = |token: &str| {
        kubectl(
            &world,
            &config,
            &[
                "--context",
                "static",
                "--token",
                token,
                "get",
                "--raw",
                "/version",
            ],
        )
    };
    // The token as printed is good…
    let out = with_token(&token);
    assert!(out.status.success(), "{}", stderr_of(&out));
    // …one character of its signature changed, it is not.
    let url = decode_base64url(token.strip_prefix("k8s-aws-v1.").unwrap());
    let at = url.find("X-Amz-Signature=").unwrap() + "X-Amz-Signature=".len();
    let digit = if &url[at..=at] == "0" { "1" } else { "0" };
    let tampered = format!("{}{digit}{}", &url[..at], &url[at + 1..]);
    let out = with_token(&format!("k8s-aws-v1.{}", encode_base64url(&tampered)));
    assert!(!out.status.success());
    assert!(
        stderr_of(&out).contains("Unauthorized"),
        "{}",
        stderr_of(&out)
    );
    let refused = server.requests();
    assert_eq!(refused.last().unwrap()["status"], 401);
    assert!(
        refused.last().unwrap()["refused"]
            .as_str()
            .unwrap()
            .contains("signature"),
        "{refused:?}"
    );

    // A server whose clock is 16 minutes ahead finds the same good token too old.
    let late = ApiServer::start(&world, 16 * 60);
    let config = kubeconfig(&world, &late, V1, &["eks-token", "--cluster", CLUSTER]);
    let out = kubectl(
        &world,
        &config,
        &[
            "--context",
            "static",
            "--token",
            &token,
            "get",
            "--raw",
            "/version",
        ],
    );
    assert!(!out.status.success());
    let refused = late.requests();
    assert!(
        refused[0]["refused"].as_str().unwrap().contains("old"),
        "{refused:?}"
    );
}

#[test]
fn a_role_is_assumed_once_from_the_session_and_cached() {
    let world = world_with_software_secret();
    let server = ApiServer::start(&world, 0);
    let config = kubeconfig(
        &world,
        &server,
        V1,
        &["eks-token", "--cluster", CLUSTER, "--role", ADMIN_ROLE],
    );
    for _ in 0..2 {
        let out = kubectl(&world, &config, &["get", "--raw", "/version"]);
        assert!(out.status.success(), "{}", stderr_of(&out));
    }
    // GetCallerIdentity calls are the API server's checks.
    let calls = world.sts.calls();
    let actions: Vec<&str> = calls
        .iter()
        .map(|c| c.action.as_str())
        .filter(|action| *action != "GetCallerIdentity")
        .collect();
    assert_eq!(actions, ["GetSessionToken", "AssumeRole"], "{calls:?}");
    // The role was chained from the session: no code on the AssumeRole.
    assert_eq!(world.sts.mfa_calls(), 1);
    for request in server.requests() {
        assert_eq!(request["status"], 200, "{request}");
        let arn = request["arn"].as_str().unwrap();
        assert!(
            arn.starts_with("arn:aws:sts::123456789012:assumed-role/Admin/"),
            "{arn}"
        );
    }
}

#[test]
fn without_a_terminal_a_touch_account_fails_at_once_and_nothing_is_spent() {
    let world = World::new();
    let slot = insert_card(CardConfig {
        touch: TouchMode::Delay(Duration::from_secs(20)),
        ..CardConfig::default()
    });
    ykman_add(&slot, &["--touch"], OATH_ACCOUNT, SEED_SHA1);
    let started = Instant::now();
    let out = world
        .sandbox
        .mfa_without_tty()
        .env("AWS_ENDPOINT_URL_STS", world.sts.url())
        .args(["eks-token", "--cluster", CLUSTER])
        .output()
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let [what, hint] = assert_two_line_failure(&out, 1);
    assert!(
        what.contains("needs a touch") && what.contains("no terminal"),
        "{what}"
    );
    assert!(hint.contains("terminal"), "{hint}");
    assert_eq!(slot.card().touch_count(), 0);
    assert!(world.sts.calls().is_empty());
    drop(slot);
}

#[test]
fn without_a_terminal_the_prompt_fails_at_once() {
    let world = World::new();
    let started = Instant::now();
    let out = world
        .mfa_std()
        .args(["--source", "prompt", "eks-token", "--cluster", CLUSTER])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    let [what, _] = assert_two_line_failure(&out, 1);
    assert!(what.contains("no terminal"), "{what}");
    assert!(world.sts.calls().is_empty());
}

#[test]
fn a_bad_kubernetes_exec_info_is_a_usage_error_before_anything_is_fetched() {
    let world = world_with_software_secret();
    for info in [
        r#"{"apiVersion":"client.authentication.k8s.io/v1alpha1","kind":"ExecCredential"}"#,
        "{not json",
    ] {
        let out = world
            .mfa()
            .env("KUBERNETES_EXEC_INFO", info)
            .args(["eks-token", "--cluster", CLUSTER])
            .output()
            .unwrap();
        let [what, _] = assert_two_line_failure(&out, 2);
        assert!(what.contains("KUBERNETES_EXEC_INFO"), "{what}");
    }
    assert!(world.sts.calls().is_empty());
}

#[test]
fn the_secret_key_is_never_printed() {
    let world = world_with_software_secret();
    let out = world
        .mfa()
        .args(["-vv", "eks-token", "--cluster", CLUSTER])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let secret = world.sts.secret_of(&issued_key(&world)).unwrap();
    for stream in [stdout_of(&out), stderr_of(&out)] {
        assert!(!stream.contains(&secret), "the secret key was printed");
    }
}

/// The access key id of the session the double issued.
fn issued_key(world: &World) -> String {
    let token = token(world);
    let url = decode_base64url(token.strip_prefix("k8s-aws-v1.").unwrap());
    let at = url.find("X-Amz-Credential=").unwrap() + "X-Amz-Credential=".len();
    url[at..].split("%2F").next().unwrap().to_owned()
}

const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn decode_base64url(text: &str) -> String {
    let (mut bits, mut count, mut out) = (0u32, 0, Vec::new());
    for c in text.bytes() {
        bits = bits << 6 | BASE64URL.iter().position(|&b| b == c).unwrap() as u32;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn encode_base64url(text: &str) -> String {
    let mut out = String::new();
    for chunk in text.as_bytes().chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(BASE64URL[(n >> (18 - 6 * i) & 0x3F) as usize] as char);
        }
    }
    out
}
