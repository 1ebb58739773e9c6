//! The `fake-sts` binary: config file, the `listening on` line, control endpoints, bad input.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

fn http(addr: &str, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn serves_the_config_and_reports_stats() {
    let dir = std::env::temp_dir().join(format!("fake-sts-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config.json");
    std::fs::write(&path, serde_json::to_string(&config()).unwrap()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-sts"))
        .args(["--listen", "127.0.0.1:0", "--config"])
        .arg(&path)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_string();
    let addr = url.strip_prefix("http://").unwrap();

    let body = form(&[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")]);
    let response = http(
        addr,
        &format!(
            "POST / HTTP/1.1\r\nConnection: close\r\nAuthorization: AWS4-HMAC-SHA256 Credential={ALICE_KEY}/20260501/us-east-1/sts/aws4_request, Signature=0\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    );
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.contains("<Arn>arn:aws:iam::123456789012:user/alice</Arn>"));
    let response = http(
        addr,
        "POST /__mfa/fault?kind=drop HTTP/1.1\r\nConnection: close\r\n\r\n",
    );
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    let response = http(
        addr,
        "GET /__mfa/stats HTTP/1.1\r\nConnection: close\r\n\r\n",
    );
    assert!(
        response.ends_with("{\"mfa_calls\":0,\"requests\":1}\n"),
        "{response}"
    );

    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_arguments_exit_2() {
    let output = Command::new(env!("CARGO_BIN_EXE_fake-sts"))
        .args(["--config", "/nonexistent/config.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("cannot read config"), "{stderr}");
    let output = Command::new(env!("CARGO_BIN_EXE_fake-sts"))
        .arg("--bogus")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}
