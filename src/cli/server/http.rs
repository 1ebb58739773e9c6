//! Just enough HTTP/1.1 for the AWS SDKs' container credential provider (docs/terraform.md):
//! read a request head with a size limit, judge it (path, method, token), answer once and close.
//!
//! The SDKs send `GET <the URI's path>` with the token as the whole `Authorization` header
//! value, and read a JSON body with `AccessKeyId`, `SecretAccessKey`, `Token` and `Expiration`
//! (RFC 3339). Every answer carries `Connection: close`: one request per connection keeps the
//! server free of keep-alive state. The head holds the presented token and the body the
//! credentials, so both live in zeroizing buffers; the token is compared in constant time.

use std::io::{self, Read, Write};

use serde::Serialize;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::aws::credentials::SessionCredentials;
use crate::secret::SecretString;

/// The largest request head read (request line and headers); a longer one is answered 431.
pub const MAX_HEAD: usize = 16 * 1024;

/// The endpoint's bearer token: 32 random bytes (256 bits) as 64 hex digits.
pub struct Token(SecretString);

impl Token {
    /// A fresh token from the operating system's random source.
    pub fn generate() -> Result<Token, getrandom::Error> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        getrandom::getrandom(&mut *bytes)?;
        let mut hex = Zeroizing::new(String::with_capacity(64));
        for byte in bytes.iter() {
            for nibble in [byte >> 4, byte & 0x0f] {
                hex.push(char::from(b"0123456789abcdef"[usize::from(nibble)]));
            }
        }
        Ok(Token(SecretString::new(std::mem::take(&mut *hex))))
    }

    /// The value the child is given in `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// Whether `presented` is the token, in time that does not depend on where they differ.
    pub fn matches(&self, presented: &[u8]) -> bool {
        self.0.expose().as_bytes().ct_eq(presented).into()
    }
}

/// The answers the endpoint gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    BadRequest,
    Unauthorized,
    NotFound,
    MethodNotAllowed,
    HeadTooLarge,
    InternalError,
    Unavailable,
}

impl Status {
    fn line(self) -> &'static str {
        match self {
            Status::Ok => "200 OK",
            Status::BadRequest => "400 Bad Request",
            Status::Unauthorized => "401 Unauthorized",
            Status::NotFound => "404 Not Found",
            Status::MethodNotAllowed => "405 Method Not Allowed",
            Status::HeadTooLarge => "431 Request Header Fields Too Large",
            Status::InternalError => "500 Internal Server Error",
            Status::Unavailable => "503 Service Unavailable",
        }
    }

    /// The body of an error answer: JSON with a message (never a secret).
    fn message(self) -> &'static str {
        match self {
            Status::Ok => "",
            Status::BadRequest => "malformed request",
            Status::Unauthorized => "missing or wrong Authorization token",
            Status::NotFound => "no such path",
            Status::MethodNotAllowed => "only GET is served",
            Status::HeadTooLarge => "request head too large",
            Status::InternalError => "mfa could not obtain credentials: see its error output",
            Status::Unavailable => "too many connections",
        }
    }
}

/// A request head read off the connection (it may hold the token: wiped on drop).
pub struct Head(Zeroizing<Vec<u8>>);

/// Reads a request head: bytes up to the blank line that ends the headers. `Err(Status)` when
/// it is too large or the connection ends first; I/O errors (a timeout) pass through.
pub fn read_head(stream: &mut impl Read) -> io::Result<Result<Head, Status>> {
    let mut head = Zeroizing::new(Vec::with_capacity(MAX_HEAD));
    let mut chunk = Zeroizing::new([0u8; 1024]);
    loop {
        let room = MAX_HEAD - head.len();
        if room == 0 {
            return Ok(Err(Status::HeadTooLarge));
        }
        let n = stream.read(&mut chunk[..room.min(1024)])?;
        if n == 0 {
            return Ok(Err(Status::BadRequest));
        }
        let searched_from = head.len().saturating_sub(3);
        head.extend_from_slice(&chunk[..n]);
        if head[searched_from..].windows(4).any(|w| w == b"\r\n\r\n") {
            return Ok(Ok(Head(head)));
        }
    }
}

/// Whether the request in `head` may have the credentials: `Ok` for `GET path` with the token,
/// else the answer to give. The path is checked first, then the method, then the token.
pub fn judge(head: &Head, path: &str, token: &Token) -> Status {
    let mut lines = head.0.split(|&b| b == b'\n').map(trim_cr);
    let Some(request_line) = lines.next() else {
        return Status::BadRequest;
    };
    let mut parts = request_line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Status::BadRequest;
    };
    if !version.starts_with(b"HTTP/1.") {
        return Status::BadRequest;
    }
    // A query string is not part of the path (some SDKs could add one).
    let target_path = target.split(|&b| b == b'?').next().unwrap_or_default();
    if target_path != path.as_bytes() {
        return Status::NotFound;
    }
    if method != b"GET" {
        return Status::MethodNotAllowed;
    }
    let presented = lines.take_while(|line| !line.is_empty()).find_map(|line| {
        let colon = line.iter().position(|&b| b == b':')?;
        let (name, value) = line.split_at(colon);
        name.eq_ignore_ascii_case(b"authorization")
            .then(|| value[1..].trim_ascii())
    });
    match presented {
        Some(value) if token.matches(value) => Status::Ok,
        _ => Status::Unauthorized,
    }
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The credentials as the container provider reads them, in a buffer wiped on drop.
pub fn credentials_body(creds: &SessionCredentials) -> Zeroizing<Vec<u8>> {
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Body<'a> {
        access_key_id: &'a str,
        secret_access_key: &'a str,
        token: &'a str,
        expiration: &'a str,
    }
    let expiration = creds.expiration_rfc3339();
    let body = Body {
        access_key_id: &creds.access_key_id,
        secret_access_key: creds.secret_access_key.expose(),
        token: creds.session_token.expose(),
        expiration: &expiration,
    };
    // Room for the worst case (every character escaped as \uXXXX), so the buffer never grows:
    // a grown Vec would leave an unwiped copy of the secrets behind.
    let values = body.access_key_id.len()
        + body.secret_access_key.len()
        + body.token.len()
        + expiration.len();
    let mut out = Zeroizing::new(Vec::with_capacity(6 * values + 128));
    // Writing plain strings into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, &body);
    out
}

/// Writes the answer: `Ok` with `body`, or an error status with its JSON message.
pub fn respond(stream: &mut impl Write, status: Status, body: Option<&[u8]>) -> io::Result<()> {
    let message;
    let body = match body {
        Some(body) => body,
        None => {
            message = format!("{{\"message\":\"{}\"}}", status.message());
            message.as_bytes()
        }
    };
    let extra = if status == Status::MethodNotAllowed {
        "Allow: GET\r\n"
    } else {
        ""
    };
    write!(
        stream,
        "HTTP/1.1 {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n",
        status.line(),
        body.len()
    )?;
    stream.write_all(body)?;
    stream.flush()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn head(text: &str) -> Head {
        read_head(&mut text.as_bytes()).unwrap().unwrap()
    }

    fn token() -> Token {
        Token(SecretString::new("abc123".into()))
    }

    #[test]
    fn tokens_are_256_bits_of_hex_and_differ() {
        let a = Token::generate().unwrap();
        let b = Token::generate().unwrap();
        assert_eq!(a.expose().len(), 64);
        assert!(a.expose().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a.expose(), b.expose());
        assert!(a.matches(a.expose().as_bytes()));
        assert!(!a.matches(b.expose().as_bytes()));
        assert!(!a.matches(&a.expose().as_bytes()[..63]));
    }

    #[test]
    fn only_get_on_the_path_with_the_token_is_served() {
        let t = token();
        let judge = |text: &str| judge(&head(text), "/creds", &t);
        assert_eq!(
            judge("GET /creds HTTP/1.1\r\nHost: x\r\nauthorization: abc123\r\n\r\n"),
            Status::Ok
        );
        assert_eq!(
            judge("GET /creds?x=1 HTTP/1.1\r\nAuthorization:abc123 \r\n\r\n"),
            Status::Ok
        );
        assert_eq!(
            judge("GET /creds HTTP/1.1\r\nAuthorization: abc124\r\n\r\n"),
            Status::Unauthorized
        );
        assert_eq!(
            judge("GET /creds HTTP/1.1\r\nAuthorization: Bearer abc123\r\n\r\n"),
            Status::Unauthorized
        );
        assert_eq!(
            judge("GET /creds HTTP/1.1\r\nHost: x\r\n\r\n"),
            Status::Unauthorized
        );
        assert_eq!(
            judge("GET /other HTTP/1.1\r\nAuthorization: abc123\r\n\r\n"),
            Status::NotFound
        );
        assert_eq!(
            judge("POST /creds HTTP/1.1\r\nAuthorization: abc123\r\n\r\n"),
            Status::MethodNotAllowed
        );
        assert_eq!(judge("GET /creds\r\n\r\n"), Status::BadRequest);
        assert_eq!(judge("GET /creds SMTP/1.0\r\n\r\n"), Status::BadRequest);
        // A header after the blank line is body, not a header.
        assert_eq!(
            judge("GET /creds HTTP/1.1\r\n\r\nAuthorization: abc123\r\n\r\n"),
            Status::Unauthorized
        );
    }

    #[test]
    fn a_head_too_large_or_cut_short_is_refused() {
        let big = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(MAX_HEAD));
        assert_eq!(
            read_head(&mut big.as_bytes()).unwrap().err(),
            Some(Status::HeadTooLarge)
        );
        assert_eq!(
            read_head(&mut &b"GET / HTTP/1.1\r\n"[..]).unwrap().err(),
            Some(Status::BadRequest)
        );
    }

    #[test]
    fn the_body_is_what_the_sdks_read() {
        let creds = SessionCredentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: SecretString::new("sec/ret+".into()),
            session_token: SecretString::new("tok=".into()),
            expiration: 1_800_000_000,
        };
        let body = credentials_body(&creds);
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["AccessKeyId"], "ASIAEXAMPLE");
        assert_eq!(json["SecretAccessKey"], "sec/ret+");
        assert_eq!(json["Token"], "tok=");
        assert_eq!(json["Expiration"], "2027-01-15T08:00:00Z");
    }

    #[test]
    fn answers_close_the_connection() {
        let mut out = Vec::new();
        respond(&mut out, Status::MethodNotAllowed, None).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
        assert!(text.contains("Allow: GET\r\n"));
        assert!(text.contains("Connection: close\r\n"));
        assert!(text.ends_with("{\"message\":\"only GET is served\"}"));
    }
}
