//! Just enough HTTP/1.1 for SDK clients: request line, headers, `Content-Length` or chunked
//! bodies, `Expect: 100-continue`, keep-alive decisions, and response writing.

use std::io::{self, BufRead, Read, Write};

const MAX_LINE: u64 = 16 * 1024;
const MAX_HEADERS: usize = 128;
const MAX_BODY: usize = 1024 * 1024;

/// One parsed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The path without the query string.
    pub path: String,
    /// The raw query string (without `?`), possibly empty.
    pub query: String,
    /// Header names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Whether the client allows the connection to stay open after the response.
    pub keep_alive: bool,
}

impl Request {
    /// The first header of that (lower-case) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Why no request could be read.
#[derive(Debug)]
pub enum HttpError {
    /// The peer closed the connection between requests (the normal end of keep-alive).
    Closed,
    /// A malformed request: answer 400 and close.
    Bad(&'static str),
    /// The body is over the limit: answer 413 and close.
    TooLarge,
    /// The connection failed or closed mid-request.
    Io,
}

impl From<io::Error> for HttpError {
    fn from(_: io::Error) -> HttpError {
        HttpError::Io
    }
}

/// A response to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
        }
    }
}

fn read_line<R: BufRead>(reader: &mut R) -> Result<Option<String>, HttpError> {
    let mut line = Vec::new();
    reader
        .by_ref()
        .take(MAX_LINE)
        .read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Ok(None);
    }
    if line.last() != Some(&b'\n') {
        return Err(HttpError::Bad("line too long or truncated"));
    }
    while matches!(line.last(), Some(b'\n' | b'\r')) {
        line.pop();
    }
    String::from_utf8(line)
        .map(Some)
        .map_err(|_| HttpError::Bad("non-UTF-8 header"))
}

/// Reads one request; `writer` receives `100 Continue` when the client asks for it.
pub fn read_request<R: BufRead, W: Write>(
    reader: &mut R,
    writer: &mut W,
) -> Result<Request, HttpError> {
    // Tolerate empty lines between requests (RFC 9112 §2.2).
    let request_line = loop {
        match read_line(reader)? {
            None => return Err(HttpError::Closed),
            Some(line) if line.is_empty() => continue,
            Some(line) => break line,
        }
    };
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HttpError::Bad("malformed request line"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(HttpError::Bad("unsupported HTTP version"));
    }
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader)?.ok_or(HttpError::Bad("headers truncated"))?;
        if line.is_empty() {
            break;
        }
        if headers.len() == MAX_HEADERS {
            return Err(HttpError::Bad("too many headers"));
        }
        let (name, value) = line
            .split_once(':')
            .ok_or(HttpError::Bad("malformed header"))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut request = Request {
        method: method.to_string(),
        path: path.to_string(),
        query: query.to_string(),
        headers,
        body: Vec::new(),
        keep_alive: false,
    };
    let connection = request
        .header("connection")
        .unwrap_or("")
        .to_ascii_lowercase();
    request.keep_alive = if version == "HTTP/1.0" {
        connection.contains("keep-alive")
    } else {
        !connection.contains("close")
    };
    if request
        .header("expect")
        .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
    {
        writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        writer.flush()?;
    }
    let chunked = request
        .header("transfer-encoding")
        .is_some_and(|t| t.to_ascii_lowercase().contains("chunked"));
    request.body = if chunked {
        read_chunked(reader)?
    } else {
        match request.header("content-length") {
            None => Vec::new(),
            Some(len) => {
                let len: usize = len
                    .parse()
                    .map_err(|_| HttpError::Bad("bad Content-Length"))?;
                if len > MAX_BODY {
                    return Err(HttpError::TooLarge);
                }
                let mut body = vec![0; len];
                reader.read_exact(&mut body)?;
                body
            }
        }
    };
    Ok(request)
}

fn read_chunked<R: BufRead>(reader: &mut R) -> Result<Vec<u8>, HttpError> {
    let mut body = Vec::new();
    loop {
        let line = read_line(reader)?.ok_or(HttpError::Bad("chunk truncated"))?;
        let size = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size, 16).map_err(|_| HttpError::Bad("bad chunk size"))?;
        if size == 0 {
            // Trailers, up to the empty line.
            while read_line(reader)?.is_some_and(|l| !l.is_empty()) {}
            return Ok(body);
        }
        if body.len() + size > MAX_BODY {
            return Err(HttpError::TooLarge);
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        if read_line(reader)?.is_none_or(|l| !l.is_empty()) {
            return Err(HttpError::Bad("chunk not followed by CRLF"));
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}

/// Writes `response` with `Content-Length`, and `Connection: close` unless `keep_alive`.
pub fn write_response<W: Write>(
    writer: &mut W,
    response: &Response,
    keep_alive: bool,
) -> io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        response.status,
        reason(response.status)
    );
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n", response.body.len()));
    if !keep_alive {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&response.body);
    writer.write_all(&bytes)?;
    writer.flush()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::io::Cursor;

    fn parse(raw: &str) -> (Result<Request, HttpError>, Vec<u8>) {
        let mut out = Vec::new();
        let result = read_request(&mut Cursor::new(raw.as_bytes().to_vec()), &mut out);
        (result, out)
    }

    #[test]
    fn content_length_body_and_query() {
        let (req, _) = parse(
            "POST /?a=b HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 5\r\n\r\nA=1&B",
        );
        let req = req.unwrap();
        assert_eq!((req.method.as_str(), req.path.as_str()), ("POST", "/"));
        assert_eq!(req.query, "a=b");
        assert_eq!(req.body, b"A=1&B");
        assert_eq!(req.header("host"), Some("x"));
        assert!(req.keep_alive);
    }

    #[test]
    fn chunked_body_and_continue() {
        let (req, out) = parse(
            "POST / HTTP/1.1\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nT: v\r\n\r\n",
        );
        assert_eq!(req.unwrap().body, b"abcde");
        assert_eq!(out, b"HTTP/1.1 100 Continue\r\n\r\n");
    }

    #[test]
    fn connection_close_and_http10() {
        let (req, _) = parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
        assert!(!req.unwrap().keep_alive);
        let (req, _) = parse("GET / HTTP/1.0\r\n\r\n");
        assert!(!req.unwrap().keep_alive);
        let (req, _) = parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
        assert!(req.unwrap().keep_alive);
    }

    #[test]
    fn errors() {
        assert!(matches!(parse("").0, Err(HttpError::Closed)));
        assert!(matches!(parse("GARBAGE\r\n\r\n").0, Err(HttpError::Bad(_))));
        assert!(matches!(
            parse("POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n").0,
            Err(HttpError::TooLarge)
        ));
        assert!(matches!(
            parse("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc").0,
            Err(HttpError::Io)
        ));
    }

    #[test]
    fn writes_responses() {
        let mut out = Vec::new();
        let response = Response::new(403, "text/xml", "<x/>");
        write_response(&mut out, &response, false).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 403 Forbidden\r\nContent-Type: text/xml\r\nContent-Length: 4\r\nConnection: close\r\n\r\n<x/>"
        );
    }
}
