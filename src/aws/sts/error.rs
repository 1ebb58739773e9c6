//! STS failures, sorted into what a user can act on. AWS's own message text is kept.

use std::error::Error as StdError;

use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};

/// Why an STS call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StsError {
    /// "MultiFactorAuthentication failed with invalid MFA one time pass code": the code was
    /// already spent, the clock is off, or it is not this device's code.
    #[error("STS refused the MFA code: {message}")]
    MfaCodeRejected { message: String },
    /// "… unable to validate MFA code. Please verify your MFA serial number is valid and
    /// associated with this user."
    #[error("STS could not use the MFA device: {message}")]
    MfaSerialInvalid { message: String },
    #[error("STS denied access: {message}")]
    AccessDenied { message: String },
    #[error("STS is throttling requests: {message}")]
    Throttled { message: String },
    #[error("STS failed on its side (HTTP {status}): {message}")]
    ServerError { status: u16, message: String },
    #[error("cannot reach STS at {endpoint}: {detail}")]
    Unreachable { endpoint: String, detail: String },
    /// The connection closed (or broke) before STS answered.
    #[error("the connection to STS at {endpoint} broke before it answered: {detail}")]
    ConnectionLost { endpoint: String, detail: String },
    #[error("STS at {endpoint} did not answer in time")]
    TimedOut { endpoint: String },
    #[error("STS says the credentials have expired: {message}")]
    ExpiredToken { message: String },
    #[error("STS does not know the access key id: {message}")]
    InvalidClientTokenId { message: String },
    #[error("STS rejected the request: {message}")]
    Validation { message: String },
    /// An answer that is not an STS answer (a proxy's or captive portal's page, a truncated or
    /// garbled body): what came back, for the user to recognise. `excerpt` is the start of the
    /// body, bounded, with control characters escaped and cut before anything that looks like
    /// credentials.
    #[error("{}", malformed_text(*status, content_type.as_deref(), excerpt))]
    Malformed {
        status: u16,
        content_type: Option<String>,
        excerpt: String,
    },
    /// An answer that parsed but lacks what credentials need (a truncated body).
    #[error("STS's answer is incomplete: no {missing}")]
    Incomplete { missing: String },
    #[error("STS call failed: {message}")]
    Other {
        code: Option<String>,
        message: String,
    },
}

const MSG_INVALID_CODE: &str = "invalid MFA one time pass code";
const MSG_UNABLE_TO_VALIDATE: &str = "unable to validate MFA code";

impl StsError {
    /// Sorts an STS error response by its code and message.
    pub fn from_response(code: Option<&str>, message: Option<&str>, status: u16) -> StsError {
        let message = message.unwrap_or_default().trim().to_owned();
        let message = if message.is_empty() {
            code.unwrap_or("no message").to_owned()
        } else {
            message
        };
        if message.contains(MSG_INVALID_CODE) {
            return StsError::MfaCodeRejected { message };
        }
        if message.contains(MSG_UNABLE_TO_VALIDATE) {
            return StsError::MfaSerialInvalid { message };
        }
        match code {
            Some("AccessDenied" | "AccessDeniedException") => StsError::AccessDenied { message },
            Some(
                "Throttling" | "ThrottlingException" | "RequestLimitExceeded" | "TooManyRequests",
            ) => StsError::Throttled { message },
            Some("ExpiredToken" | "ExpiredTokenException" | "RequestExpired") => {
                StsError::ExpiredToken { message }
            }
            Some("InvalidClientTokenId") => StsError::InvalidClientTokenId { message },
            Some("ValidationError" | "InvalidParameterValue" | "MissingParameter") => {
                StsError::Validation { message }
            }
            _ if status >= 500 => StsError::ServerError { status, message },
            other => StsError::Other {
                code: other.map(str::to_owned),
                message,
            },
        }
    }

    /// Whether the request certainly did not reach STS's MFA check, so sending the same code
    /// again cannot be a reuse.
    pub(crate) fn is_safe_to_resend(&self) -> bool {
        matches!(
            self,
            StsError::Throttled { .. } | StsError::Unreachable { .. }
        )
    }
}

/// Maps an SDK error of any STS operation.
pub(crate) fn from_sdk<E>(
    err: SdkError<E, aws_sdk_sts::config::http::HttpResponse>,
    endpoint: &str,
) -> StsError
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    let detail = chain(&err);
    let connect_failure = is_connect_failure(&err);
    match err {
        SdkError::ServiceError(context) => {
            let status = context.raw().status().as_u16();
            let e = context.err();
            let no_message = e.message().is_none_or(|m| m.trim().is_empty());
            if e.code().is_none() && no_message {
                malformed(context.raw())
            } else {
                StsError::from_response(e.code(), e.message(), status)
            }
        }
        SdkError::TimeoutError(_) => StsError::TimedOut {
            endpoint: endpoint.to_owned(),
        },
        SdkError::DispatchFailure(failure) => match failure.as_connector_error() {
            Some(c) if c.is_timeout() => StsError::TimedOut {
                endpoint: endpoint.to_owned(),
            },
            _ if connect_failure => StsError::Unreachable {
                endpoint: endpoint.to_owned(),
                detail,
            },
            _ => StsError::ConnectionLost {
                endpoint: endpoint.to_owned(),
                detail,
            },
        },
        SdkError::ResponseError(context) => malformed(context.raw()),
        _ => StsError::Other {
            code: None,
            message: detail,
        },
    }
}

/// At most this many characters of a malformed answer are shown.
const EXCERPT_CHARS: usize = 120;

/// What a malformed answer was: its status, content type and the start of its body.
fn malformed(raw: &aws_sdk_sts::config::http::HttpResponse) -> StsError {
    let content_type = raw
        .headers()
        .get("content-type")
        .map(|t| excerpt_of(t.as_bytes(), 60));
    StsError::Malformed {
        status: raw.status().as_u16(),
        content_type,
        excerpt: excerpt_of(raw.body().bytes().unwrap_or_default(), EXCERPT_CHARS),
    }
}

/// The start of `body` as text for a message: cut before anything that may be credentials
/// (a truncated but genuine answer holds them), at most `max` characters, blanks collapsed,
/// control and non-ASCII characters escaped so that a page cannot drive the terminal.
pub(crate) fn excerpt_of(body: &[u8], max: usize) -> String {
    // As XML elements or JSON keys ("GetSessionTokenResult" is no credential).
    const SECRET_MARKERS: [&[u8]; 7] = [
        b"<Credentials",
        b"SecretAccessKey",
        b"<SessionToken",
        b"\"SessionToken",
        b"<AccessKeyId",
        b"\"AccessKeyId",
        b"\"Credentials",
    ];
    let cut = SECRET_MARKERS
        .iter()
        .filter_map(|marker| body.windows(marker.len()).position(|w| w == *marker))
        .min();
    let shown = &body[..cut.unwrap_or(body.len())];
    let text = String::from_utf8_lossy(shown);
    let mut out = String::new();
    let mut count = 0;
    let mut blank = false;
    let mut truncated = cut.is_some();
    for c in text.trim().chars() {
        if count >= max {
            truncated = true;
            break;
        }
        if c.is_whitespace() {
            if !blank {
                out.push(' ');
                count += 1;
            }
            blank = true;
            continue;
        }
        blank = false;
        if c.is_ascii_graphic() {
            out.push(c);
        } else {
            out.extend(c.escape_default());
        }
        count += 1;
    }
    if truncated {
        out.push('…');
    }
    out
}

fn malformed_text(status: u16, content_type: Option<&str>, excerpt: &str) -> String {
    let kind = content_type.unwrap_or("no content type");
    if excerpt.is_empty() {
        format!("STS's answer is not an STS answer: HTTP {status}, {kind}, empty body")
    } else {
        format!("STS's answer is not an STS answer: HTTP {status}, {kind}: \"{excerpt}\"")
    }
}

/// An error and its sources, `: `-separated, without repeats and without the SDK's and
/// hyper's category labels ("dispatch failure", "io error", "client error (Connect)").
pub(crate) fn chain(err: &(dyn StdError + 'static)) -> String {
    const LABELS: [&str; 7] = [
        "dispatch failure",
        "io error",
        "other",
        "timeout",
        "user error",
        "service error",
        "response error",
    ];
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = without_request(e.to_string());
        let label = LABELS.contains(&text.as_str()) || text.starts_with("client error (");
        if !label && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    if parts.is_empty() {
        err.to_string()
    } else {
        parts.join(": ")
    }
}

/// `text` cut where it starts quoting an SDK request: some SDK errors show the request's
/// `Debug`, whose body holds the MFA code (`TokenCode=…`).
fn without_request(text: String) -> String {
    const STARTS: [&str; 3] = [" to request `", "`Request {", "Request {"];
    match STARTS.iter().filter_map(|start| text.find(start)).min() {
        Some(at) => format!("{} (request not shown)", text[..at].trim_end()),
        None => text,
    }
}

/// Whether the connection could not be made at all (refused, no route, no such host), as
/// opposed to a connection that broke after the request was sent.
pub(crate) fn is_connect_failure(err: &(dyn StdError + 'static)) -> bool {
    use std::io::ErrorKind;
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                ErrorKind::ConnectionRefused
                    | ErrorKind::HostUnreachable
                    | ErrorKind::NetworkUnreachable
                    | ErrorKind::AddrNotAvailable
            )
        {
            return true;
        }
        let text = e.to_string();
        if text.contains("dns error")
            || text.contains("failed to lookup address")
            || text.contains("client error (Connect)")
        {
            return true;
        }
        next = e.source();
    }
    false
}

#[cfg(test)]
mod excerpt_tests {
    use super::*;

    #[test]
    fn a_malformed_answer_said_no_message() {
        let page = b"<html>\n  <title>Hotel\tWiFi</title>\x1b[2J\xff caf\xc3\xa9";
        let shown = excerpt_of(page, 120);
        assert_eq!(
            shown,
            "<html> <title>Hotel WiFi</title>\\u{1b}[2J\\u{fffd} caf\\u{e9}"
        );
        assert_eq!(excerpt_of(&[b'a'; 500], 10), "aaaaaaaaaa…");
        assert_eq!(excerpt_of(b"   ", 10), "");
    }

    #[test]
    fn a_truncated_answer_showed_its_credentials() {
        let body = b"<GetSessionTokenResult><Credentials><SecretAccessKey>s3cr3t</Secret";
        let shown = excerpt_of(body, 120);
        assert_eq!(shown, "<GetSessionTokenResult>…");
        for marker in ["<SessionToken", "\"AccessKeyId", "SecretAccessKey"] {
            let body = format!("x {marker}>secret");
            assert!(!excerpt_of(body.as_bytes(), 120).contains("secret"));
        }
    }

    #[test]
    fn a_malformed_answer_names_status_and_type() {
        let error = StsError::Malformed {
            status: 403,
            content_type: Some("text/html".into()),
            excerpt: "<html>".into(),
        };
        assert_eq!(
            error.to_string(),
            "STS's answer is not an STS answer: HTTP 403, text/html: \"<html>\""
        );
        let error = StsError::Malformed {
            status: 502,
            content_type: None,
            excerpt: String::new(),
        };
        assert_eq!(
            error.to_string(),
            "STS's answer is not an STS answer: HTTP 502, no content type, empty body"
        );
    }
}
