//! Proxies: every STS call honours `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY` (and the lowercase
//! forms), including `CONNECT` tunnels to `https://` endpoints. See docs/proxies.md.
//!
//! The endpoint's name ends in `.invalid`, which resolves nowhere (RFC 2606): only the proxy
//! (tests/proxy/forward_proxy.py, a real forward proxy on loopback that resolves such names to
//! 127.0.0.1) can reach the STS double behind it, and it logs every request it carries.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::announce::spawn_announcing;
use common::aws::World;
use common::consumers::{bench_python, require};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/proxy/forward_proxy.py");

/// A helper from forward_proxy.py, killed by PID when dropped.
struct Helper {
    child: Child,
    port: u16,
}

impl Helper {
    fn start(args: &[&str]) -> Helper {
        let (child, line) = spawn_announcing(
            Command::new(bench_python())
                .arg(SCRIPT)
                .args(args)
                .stderr(Stdio::inherit()),
        );
        let port = line
            .parse()
            .unwrap_or_else(|e| panic!("forward_proxy.py {args:?} did not start ({e}): {line:?}"));
        Helper { child, port }
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The proxy and the file it logs requests to.
struct Proxy {
    helper: Helper,
    log: PathBuf,
}

impl Proxy {
    fn start(dir: &Path) -> Proxy {
        let log = dir.join("proxy.log");
        std::fs::write(&log, "").unwrap();
        let helper = Helper::start(&["proxy", "--log", log.to_str().unwrap()]);
        Proxy { helper, log }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.helper.port)
    }

    fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// A CA and a certificate for `name` signed by it, made with the openssl command; returns the
/// CA's PEM (for `SSL_CERT_FILE`), the certificate and its key.
fn certificate_for(dir: &Path, name: &str) -> (PathBuf, PathBuf, PathBuf) {
    require("/usr/bin/openssl", "openssl");
    let path = |f: &str| dir.join(f);
    let openssl = |args: &[&str]| {
        let out = Command::new("/usr/bin/openssl")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let s = |p: &PathBuf| p.to_str().unwrap().to_owned();
    let (ca, ca_key, cert, key, csr, ext) = (
        path("ca.pem"),
        path("ca.key"),
        path("cert.pem"),
        path("cert.key"),
        path("cert.csr"),
        path("ext.cnf"),
    );
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=mfa test CA",
        "-keyout",
        &s(&ca_key),
        "-out",
        &s(&ca),
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        &format!("/CN={name}"),
        "-keyout",
        &s(&key),
        "-out",
        &s(&csr),
    ]);
    std::fs::write(
        &ext,
        format!("subjectAltName = DNS:{name}\nbasicConstraints = CA:FALSE\n"),
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        &s(&csr),
        "-CA",
        &s(&ca),
        "-CAkey",
        &s(&ca_key),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        &s(&ext),
        "-out",
        &s(&cert),
    ]);
    (ca, cert, key)
}

#[test]
fn http_proxy_carries_sts_calls_to_an_endpoint_only_it_can_reach() {
    let world = World::new();
    let proxy = Proxy::start(world.sandbox.home.path());
    let endpoint = format!("http://sts.proxied.invalid:{}", world.sts.addr().port());
    world
        .mfa()
        .args(["exec", "--", "true"])
        .env("AWS_ENDPOINT_URL_STS", &endpoint)
        .env("HTTP_PROXY", proxy.url())
        .env("MFA_CODE", world.code_now())
        .assert()
        .success();
    assert_eq!(world.sts.mfa_calls(), 1);
    assert_eq!(proxy.requests(), [format!("POST {endpoint}/")]);
}

#[test]
fn lowercase_https_proxy_tunnels_an_https_endpoint_with_connect_and_credentials() {
    let world = World::new();
    let dir = world.sandbox.home.path();
    let name = "sts.proxied.invalid";
    let (ca, cert, key) = certificate_for(dir, name);
    let front = Helper::start(&[
        "tls-front",
        "--cert",
        cert.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--to",
        &world.sts.addr().port().to_string(),
    ]);
    let proxy = Proxy::start(dir);
    world
        .mfa()
        .args(["exec", "--", "true"])
        .env(
            "AWS_ENDPOINT_URL_STS",
            format!("https://{name}:{}", front.port),
        )
        .env(
            "https_proxy",
            proxy.url().replace("http://", "http://alice:proxy%20pw@"),
        )
        .env("SSL_CERT_FILE", &ca)
        .env("MFA_CODE", world.code_now())
        .assert()
        .success();
    assert_eq!(world.sts.mfa_calls(), 1);
    // The proxy's credentials, as `Proxy-Authorization: Basic base64("alice:proxy pw")`.
    assert_eq!(
        proxy.requests(),
        [format!(
            "CONNECT {name}:{} Basic YWxpY2U6cHJveHkgcHc=",
            front.port
        )]
    );
}

#[test]
fn no_proxy_sends_the_call_directly() {
    let world = World::new();
    let proxy = Proxy::start(world.sandbox.home.path());
    world
        .mfa()
        .args(["exec", "--", "true"])
        .env("HTTP_PROXY", proxy.url())
        .env("HTTPS_PROXY", proxy.url())
        .env("NO_PROXY", "localhost,127.0.0.1")
        .env("MFA_CODE", world.code_now())
        .assert()
        .success();
    assert_eq!(world.sts.mfa_calls(), 1);
    assert!(proxy.requests().is_empty(), "{:?}", proxy.requests());
}

#[test]
fn a_proxy_that_refuses_connections_is_named_without_its_password() {
    let world = World::new();
    // A port nothing listens on: bind one, then let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = world
        .mfa()
        .args(["exec", "--", "true"])
        .env("AWS_ENDPOINT_URL_STS", "http://sts.proxied.invalid:9")
        .env(
            "HTTP_PROXY",
            format!("http://user:proxy-password@127.0.0.1:{port}"),
        )
        .env("MFA_CODE", world.code_now())
        .output()
        .unwrap();
    let [what, hint] = common::output::assert_two_line_failure(&out, 1);
    assert!(what.contains("cannot reach STS"), "{what}");
    assert!(
        hint.contains(&format!("check the proxy http://127.0.0.1:{port} ")),
        "{hint}"
    );
    assert!(!common::output::stderr_of(&out).contains("proxy-password"));
    assert_eq!(world.sts.mfa_calls(), 0);
}
