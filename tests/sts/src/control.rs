//! Control endpoints under `/__mfa/` for scripts (never recorded, never faulted):
//! `GET /__mfa/stats`, `GET /__mfa/calls`, `POST /__mfa/fault?kind=…&times=N`,
//! `POST /__mfa/clock?offset=SECS`, and — so that a test can check a SigV4 signature made with
//! credentials the double knows (a presigned EKS token) — `GET /__mfa/secret?access_key_id=ID`:
//! the secret key of a configured user or of credentials the double issued.

use crate::faults::Fault;
use crate::form::Params;
use crate::http::{Request, Response};
use crate::service::Service;

/// The path prefix of control requests.
pub const PREFIX: &str = "/__mfa/";

fn json(status: u16, value: &serde_json::Value) -> Response {
    Response::new(status, "application/json", format!("{value}\n"))
}

fn bad(message: &str) -> Response {
    json(400, &serde_json::json!({ "error": message }))
}

/// Answers a control request.
pub fn handle(service: &Service, request: &Request) -> Response {
    let params = Params::parse(&request.query);
    match (request.method.as_str(), &request.path[PREFIX.len()..]) {
        ("GET", "stats") => {
            let state = service.state();
            json(
                200,
                &serde_json::json!({ "requests": state.calls.len(), "mfa_calls": state.mfa_calls() }),
            )
        }
        ("GET", "calls") => match serde_json::to_value(&service.state().calls) {
            Ok(calls) => json(200, &calls),
            Err(e) => json(500, &serde_json::json!({ "error": e.to_string() })),
        },
        ("POST", "fault") => {
            let kind = params.get("kind").unwrap_or("");
            let times = match params.get("times").map(str::parse::<usize>) {
                None => None,
                Some(Ok(times)) => Some(times),
                Some(Err(_)) => return bad("times must be a number"),
            };
            let mut state = service.state();
            if kind == "clear" {
                state.faults.clear();
            } else {
                let Some(fault) = Fault::parse(kind) else {
                    return bad(
                        "kind must be access_denied, throttling, server_error, slow:MS, drop or clear",
                    );
                };
                match times {
                    Some(times) => state.faults.push(fault, times),
                    None => state.faults.set_always(fault),
                }
            }
            json(200, &serde_json::json!({ "ok": true }))
        }
        ("GET", "secret") => {
            let Some(key_id) = params.get("access_key_id") else {
                return bad("access_key_id is required");
            };
            match service.secret_of(key_id) {
                Some(secret) => json(200, &serde_json::json!({ "secret_access_key": secret })),
                None => json(
                    404,
                    &serde_json::json!({ "error": "unknown access key id" }),
                ),
            }
        }
        ("POST", "clock") => match params.get("offset").map(str::parse::<i64>) {
            Some(Ok(offset)) => {
                service.clock.set_offset(offset);
                json(200, &serde_json::json!({ "ok": true }))
            }
            _ => bad("offset must be a number of seconds"),
        },
        _ => json(
            404,
            &serde_json::json!({ "error": "unknown control endpoint" }),
        ),
    }
}
