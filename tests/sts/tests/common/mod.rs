//! Shared fixtures for the crate's integration tests: a configured double, a raw HTTP/1.1
//! client over `TcpStream` (keep-alive aware), and helpers to read STS XML.
#![allow(dead_code, clippy::unwrap_used)]

use mfa_sts::{Config, Mfa, Role, StsDouble, User};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

pub const ACCOUNT: &str = "123456789012";
pub const ALICE_KEY: &str = "AKIAALICEEXAMPLE0001";
pub const ALICE_SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";
pub const ALICE_SEED: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
pub const BOB_KEY: &str = "AKIABOBEXAMPLE000002";
pub const BOB_SERIAL: &str = "arn:aws:iam::123456789012:mfa/bob";
pub const BOB_SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
pub const CAROL_KEY: &str = "AKIACAROLEXAMPLE0003";
/// Requires MFA, up to 12 h.
pub const ADMIN_ROLE: &str = "arn:aws:iam::123456789012:role/ops/admin";
/// No conditions, default 1 h.
pub const READONLY_ROLE: &str = "arn:aws:iam::123456789012:role/readonly";
/// Requires ExternalId `ext-123`.
pub const PARTNER_ROLE: &str = "arn:aws:iam::210987654321:role/partner";

pub const INVALID_CODE: &str =
    "MultiFactorAuthentication failed with invalid MFA one time pass code. ";
pub const WRONG_SERIAL: &str = "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user.";

fn user(name: &str, key: &str, mfa: Option<(&str, &str)>) -> User {
    User {
        name: name.into(),
        account: ACCOUNT.into(),
        access_key_id: key.into(),
        secret_access_key: format!("{name}-secret"),
        mfa: mfa.map(|(serial, seed)| Mfa {
            serial: serial.into(),
            seed_base32: seed.into(),
        }),
    }
}

pub fn config() -> Config {
    Config {
        users: vec![
            user("alice", ALICE_KEY, Some((ALICE_SERIAL, ALICE_SEED))),
            user("bob", BOB_KEY, Some((BOB_SERIAL, BOB_SEED))),
            user("carol", CAROL_KEY, None),
        ],
        roles: vec![
            Role {
                arn: ADMIN_ROLE.into(),
                require_mfa: true,
                external_id: None,
                max_duration: 43_200,
            },
            Role {
                arn: READONLY_ROLE.into(),
                require_mfa: false,
                external_id: None,
                max_duration: 0,
            },
            Role {
                arn: PARTNER_ROLE.into(),
                require_mfa: false,
                external_id: Some("ext-123".into()),
                max_duration: 3600,
            },
        ],
        ..Config::default()
    }
}

pub fn start() -> StsDouble {
    StsDouble::start(config()).unwrap()
}

/// Alice's code `steps` steps from the double's now.
pub fn alice_code(double: &StsDouble, steps: i64) -> String {
    StsDouble::totp(ALICE_SEED, (double.now() + steps * 30) as u64)
}

/// Shifts the double's clock so that it is 5 s into a time step: a test's notion of "the
/// current step" then holds for 25 s, without sleeping.
pub fn early_in_step(double: &StsDouble) {
    double.set_clock_offset(0);
    let into = double.now().rem_euclid(30);
    double.set_clock_offset(5 - into);
}

/// Credentials to sign with (only the key id and token matter to the double).
#[derive(Clone, Debug)]
pub struct Creds {
    pub key: String,
    pub token: Option<String>,
}

pub fn long_term(key: &str) -> Creds {
    Creds {
        key: key.into(),
        token: None,
    }
}

/// One parsed response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The text of the first `<tag>…</tag>`.
    pub fn tag(&self, tag: &str) -> Option<String> {
        tag_text(&self.body, tag)
    }

    /// `(code, message)` of an error response, after checking its shape.
    pub fn error(&self) -> (String, String) {
        assert!(
            self.body.starts_with(
                "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>"
            ),
            "{}",
            self.body
        );
        assert_eq!(self.header("content-type"), Some("text/xml"));
        assert!(self.tag("RequestId").is_some());
        (
            self.tag("Code").unwrap(),
            unescape(&self.tag("Message").unwrap()),
        )
    }

    /// The issued credentials of a success response.
    pub fn creds(&self) -> Creds {
        assert_eq!(self.status, 200, "{}", self.body);
        Creds {
            key: self.tag("AccessKeyId").unwrap(),
            token: Some(self.tag("SessionToken").unwrap()),
        }
    }
}

pub fn tag_text(body: &str, tag: &str) -> Option<String> {
    let start = body.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = start + body[start..].find(&format!("</{tag}>"))?;
    Some(body[start..end].to_string())
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Form-encodes pairs.
pub fn form(params: &[(&str, &str)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A keep-alive HTTP/1.1 connection.
pub struct Client {
    writer: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Client {
    pub fn connect(double: &StsDouble) -> Client {
        let stream = TcpStream::connect(double.addr()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Client {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
        }
    }

    pub fn send_raw(&mut self, raw: &[u8]) {
        self.writer.write_all(raw).unwrap();
    }

    /// Reads one response; `None` if the server closed the connection instead.
    pub fn read_reply(&mut self) -> Option<Reply> {
        let mut status_line = String::new();
        if self.reader.read_line(&mut status_line).ok()? == 0 {
            return None;
        }
        let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').unwrap();
            headers.push((name.to_string(), value.trim().to_string()));
        }
        let mut reply = Reply {
            status,
            headers,
            body: String::new(),
        };
        let len: usize = reply.header("content-length").unwrap().parse().unwrap();
        let mut body = vec![0; len];
        self.reader.read_exact(&mut body).unwrap();
        reply.body = String::from_utf8(body).unwrap();
        Some(reply)
    }

    /// A signed STS POST.
    pub fn try_post(&mut self, creds: Option<&Creds>, params: &[(&str, &str)]) -> Option<Reply> {
        let body = form(params);
        let mut head = String::from(
            "POST / HTTP/1.1\r\nHost: sts.local\r\nContent-Type: application/x-www-form-urlencoded; charset=utf-8\r\nX-Amz-Date: 20260501T123456Z\r\n",
        );
        if let Some(creds) = creds {
            head.push_str(&format!(
                "Authorization: AWS4-HMAC-SHA256 Credential={}/20260501/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=0123abcd\r\n",
                creds.key
            ));
            if let Some(token) = &creds.token {
                head.push_str(&format!("X-Amz-Security-Token: {token}\r\n"));
            }
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        self.send_raw(head.as_bytes());
        self.read_reply()
    }

    pub fn post(&mut self, creds: Option<&Creds>, params: &[(&str, &str)]) -> Reply {
        self.try_post(creds, params)
            .expect("connection closed without a response")
    }

    pub fn get(&mut self, target: &str) -> Reply {
        self.send_raw(format!("GET {target} HTTP/1.1\r\nHost: sts.local\r\n\r\n").as_bytes());
        self.read_reply().unwrap()
    }
}

/// One request on a fresh connection.
pub fn call(double: &StsDouble, creds: &Creds, params: &[(&str, &str)]) -> Reply {
    Client::connect(double).post(Some(creds), params)
}

pub fn session_token(double: &StsDouble, creds: &Creds, extra: &[(&str, &str)]) -> Reply {
    let mut params = vec![("Action", "GetSessionToken"), ("Version", "2011-06-15")];
    params.extend_from_slice(extra);
    call(double, creds, &params)
}

pub fn assume_role(double: &StsDouble, creds: &Creds, role: &str, extra: &[(&str, &str)]) -> Reply {
    let mut params = vec![
        ("Action", "AssumeRole"),
        ("Version", "2011-06-15"),
        ("RoleArn", role),
        ("RoleSessionName", "test-session"),
    ];
    params.extend_from_slice(extra);
    call(double, creds, &params)
}

pub fn caller_identity(double: &StsDouble, creds: &Creds) -> Reply {
    call(
        double,
        creds,
        &[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")],
    )
}

/// An MFA session of alice (spends the code of the current step).
pub fn alice_mfa_session(double: &StsDouble) -> Creds {
    let code = alice_code(double, 0);
    session_token(
        double,
        &long_term(ALICE_KEY),
        &[("SerialNumber", ALICE_SERIAL), ("TokenCode", &code)],
    )
    .creds()
}

/// Unix seconds of `YYYY-MM-DDTHH:MM:SSZ`.
pub fn parse_iso8601(text: &str) -> i64 {
    let n = |r: std::ops::Range<usize>| text[r].parse::<i64>().unwrap();
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    assert!(text.ends_with('Z') && text.len() == 20, "{text}");
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + n(11..13) * 3600 + n(14..16) * 60 + n(17..19)
}
