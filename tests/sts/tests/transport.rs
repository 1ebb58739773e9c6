//! HTTP behaviour and faults: keep-alive, concurrent connections, injected errors, Slow, Drop,
//! control endpoints, and stopping the double.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use mfa_sts::Fault;
use std::io::Read;
use std::net::TcpStream;
use std::time::{Duration, Instant};

const IDENTITY: [(&str, &str); 2] = [("Action", "GetCallerIdentity"), ("Version", "2011-06-15")];

#[test]
fn two_requests_on_one_connection() {
    let double = start();
    let mut client = Client::connect(&double);
    let keys = long_term(ALICE_KEY);
    let first = client.post(Some(&keys), &IDENTITY);
    let second = client.post(Some(&keys), &IDENTITY);
    assert_eq!((first.status, second.status), (200, 200));
    assert_eq!(first.header("connection"), None);
    assert_ne!(
        first.header("x-amzn-RequestId"),
        second.header("x-amzn-RequestId")
    );
    // Pipelined: two requests written before reading either answer.
    let body = form(&IDENTITY);
    let request = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nAuthorization: AWS4-HMAC-SHA256 Credential={ALICE_KEY}/20260501/us-east-1/sts/aws4_request, Signature=0\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    client.send_raw(format!("{request}{request}").as_bytes());
    assert_eq!(client.read_reply().unwrap().status, 200);
    assert_eq!(client.read_reply().unwrap().status, 200);
    assert_eq!(double.calls().len(), 4);
}

#[test]
fn connection_close_is_honoured() {
    let double = start();
    let mut client = Client::connect(&double);
    client.send_raw(b"GET /__mfa/stats HTTP/1.1\r\nConnection: close\r\n\r\n");
    let reply = client.read_reply().unwrap();
    assert_eq!(reply.header("connection"), Some("close"));
    assert!(client.read_reply().is_none());
}

#[test]
fn concurrent_connections() {
    let double = start();
    let started = Instant::now();
    double.fail_next(Fault::Slow(Duration::from_millis(300)), 8);
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                let reply = call(&double, &long_term(ALICE_KEY), &IDENTITY);
                assert_eq!(reply.status, 200);
            });
        }
    });
    // Eight slow requests served in parallel, not one after the other.
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(double.calls().len(), 8);
}

#[test]
fn injected_errors_have_sts_shapes() {
    let double = start();
    let keys = long_term(ALICE_KEY);
    double.fail_next(Fault::Throttling, 1);
    double.fail_next(Fault::ServerError, 1);
    double.fail_next(Fault::AccessDenied, 1);
    let reply = call(&double, &keys, &IDENTITY);
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error(), ("Throttling".into(), "Rate exceeded".into()));
    let reply = call(&double, &keys, &IDENTITY);
    assert_eq!(reply.status, 500);
    assert_eq!(reply.error().0, "InternalFailure");
    assert!(reply.body.contains("<Type>Receiver</Type>"));
    let reply = call(&double, &keys, &IDENTITY);
    assert_eq!(reply.status, 403);
    assert_eq!(
        reply.error(),
        (
            "AccessDenied".into(),
            "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: sts:GetCallerIdentity".into()
        )
    );
    assert_eq!(call(&double, &keys, &IDENTITY).status, 200);
    let errors: Vec<_> = double.calls().into_iter().map(|c| c.error).collect();
    assert_eq!(
        errors,
        [
            Some("Throttling".into()),
            Some("InternalFailure".into()),
            Some("AccessDenied".into()),
            None
        ]
    );
}

#[test]
fn a_faulted_request_does_not_spend_its_code() {
    let double = start();
    double.fail_next(Fault::Throttling, 1);
    let code = alice_code(&double, 0);
    let params = [("SerialNumber", ALICE_SERIAL), ("TokenCode", code.as_str())];
    assert_eq!(
        session_token(&double, &long_term(ALICE_KEY), &params).status,
        400
    );
    assert_eq!(
        session_token(&double, &long_term(ALICE_KEY), &params).status,
        200
    );
    assert_eq!(double.mfa_calls(), 2);
}

#[test]
fn always_until_cleared() {
    let double = start();
    let keys = long_term(ALICE_KEY);
    double.fail_always(Fault::ServerError);
    for _ in 0..3 {
        assert_eq!(call(&double, &keys, &IDENTITY).status, 500);
    }
    double.clear_faults();
    assert_eq!(call(&double, &keys, &IDENTITY).status, 200);
}

#[test]
fn slow_answers_after_the_delay() {
    let double = start();
    double.fail_next(Fault::Slow(Duration::from_millis(400)), 1);
    let started = Instant::now();
    let reply = call(&double, &long_term(ALICE_KEY), &IDENTITY);
    assert_eq!(reply.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(400));
}

#[test]
fn drop_closes_without_answering() {
    let double = start();
    double.fail_next(Fault::Drop, 1);
    let mut client = Client::connect(&double);
    let keys = long_term(ALICE_KEY);
    assert!(client.try_post(Some(&keys), &IDENTITY).is_none());
    assert_eq!(double.calls()[0].error.as_deref(), Some("Drop"));
    // The next connection is served.
    assert_eq!(call(&double, &keys, &IDENTITY).status, 200);
}

#[test]
fn control_endpoints() {
    let double = start();
    let mut client = Client::connect(&double);
    let code = alice_code(&double, 0);
    session_token(
        &double,
        &long_term(ALICE_KEY),
        &[("SerialNumber", ALICE_SERIAL), ("TokenCode", &code)],
    );
    let stats = client.get("/__mfa/stats");
    assert_eq!(stats.header("content-type"), Some("application/json"));
    assert_eq!(stats.body.trim(), r#"{"mfa_calls":1,"requests":1}"#);
    client.send_raw(
        b"POST /__mfa/fault?kind=throttling&times=1 HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(client.read_reply().unwrap().status, 200);
    assert_eq!(call(&double, &long_term(ALICE_KEY), &IDENTITY).status, 400);
    assert_eq!(call(&double, &long_term(ALICE_KEY), &IDENTITY).status, 200);
    client.send_raw(b"POST /__mfa/fault?kind=slow:50 HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(client.read_reply().unwrap().status, 200);
    client.send_raw(b"POST /__mfa/fault?kind=clear HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(client.read_reply().unwrap().status, 200);
    client.send_raw(b"POST /__mfa/fault?kind=bogus HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(client.read_reply().unwrap().status, 400);
    let calls = client.get("/__mfa/calls");
    let calls: serde_json::Value = serde_json::from_str(&calls.body).unwrap();
    assert_eq!(calls.as_array().unwrap().len(), 3);
    assert_eq!(calls[1]["error"], "Throttling");
    // Control requests are neither recorded nor faulted.
    assert_eq!(double.calls().len(), 3);
}

#[test]
fn malformed_http_gets_400() {
    let double = start();
    let mut client = Client::connect(&double);
    client.send_raw(b"NONSENSE\r\n\r\n");
    assert_eq!(client.read_reply().unwrap().status, 400);
}

#[test]
fn dropping_the_double_stops_it() {
    let double = start();
    double.fail_next(Fault::Slow(Duration::from_secs(30)), 1);
    let addr = double.addr();
    // An idle keep-alive connection and one waiting on a slow answer.
    let mut idle = Client::connect(&double);
    assert_eq!(idle.get("/__mfa/stats").status, 200);
    let mut waiting = TcpStream::connect(addr).unwrap();
    std::io::Write::write_all(
        &mut waiting,
        b"GET /?Action=GetCallerIdentity HTTP/1.1\r\n\r\n",
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    drop(double);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(idle.read_reply().is_none());
    let mut rest = Vec::new();
    let _ = waiting.read_to_end(&mut rest);
    assert!(TcpStream::connect(addr).is_err());
}

#[test]
fn start_rejects_bad_seeds() {
    let mut config = config();
    config.users[0].mfa.as_mut().unwrap().seed_base32 = "not base32!".into();
    assert!(mfa_sts::StsDouble::start(config).is_err());
}
