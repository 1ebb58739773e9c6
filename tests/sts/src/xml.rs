//! STS Query-protocol response bodies: the three success shapes and the error shape the AWS
//! SDKs parse (`<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>`).

use crate::clock::iso8601;

/// The namespace of every STS response.
pub const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// An STS error: HTTP status, fault side, code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsError {
    pub status: u16,
    /// `Sender` (the client's fault) or `Receiver` (the service's).
    pub side: &'static str,
    pub code: &'static str,
    pub message: String,
}

/// Message of a non-matching or reused code (the trailing space is AWS's).
pub const MSG_INVALID_CODE: &str =
    "MultiFactorAuthentication failed with invalid MFA one time pass code. ";
/// Message of a serial that is not the caller's device.
pub const MSG_WRONG_SERIAL: &str = "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user.";

impl StsError {
    fn new(
        status: u16,
        side: &'static str,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        StsError {
            status,
            side,
            code,
            message: message.into(),
        }
    }

    pub fn invalid_client_token() -> Self {
        Self::new(
            403,
            "Sender",
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        )
    }

    pub fn expired_token() -> Self {
        Self::new(
            400,
            "Sender",
            "ExpiredToken",
            "The security token included in the request is expired",
        )
    }

    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new(403, "Sender", "AccessDenied", message)
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(400, "Sender", "ValidationError", message)
    }

    pub fn invalid_action(message: impl Into<String>) -> Self {
        Self::new(400, "Sender", "InvalidAction", message)
    }

    pub fn missing_action() -> Self {
        Self::new(400, "Sender", "MissingAction", "Missing Action")
    }

    pub fn throttling() -> Self {
        Self::new(400, "Sender", "Throttling", "Rate exceeded")
    }

    pub fn internal_failure() -> Self {
        Self::new(
            500,
            "Receiver",
            "InternalFailure",
            "An internal error has occurred.",
        )
    }
}

/// Issued temporary credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// Unix seconds.
    pub expiration: i64,
}

/// Escapes text for element content.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn metadata(request_id: &str) -> String {
    format!("<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>")
}

fn credentials(creds: &Credentials) -> String {
    format!(
        "<Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey>\
         <SessionToken>{}</SessionToken><Expiration>{}</Expiration></Credentials>",
        escape(&creds.access_key_id),
        escape(&creds.secret_access_key),
        escape(&creds.session_token),
        iso8601(creds.expiration)
    )
}

/// The error document.
pub fn error(err: &StsError, request_id: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"{NAMESPACE}\"><Error><Type>{}</Type><Code>{}</Code>\
         <Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>\n",
        err.side,
        err.code,
        escape(&err.message)
    )
}

/// `GetSessionTokenResponse`.
pub fn get_session_token(creds: &Credentials, request_id: &str) -> String {
    format!(
        "<GetSessionTokenResponse xmlns=\"{NAMESPACE}\"><GetSessionTokenResult>{}\
         </GetSessionTokenResult>{}</GetSessionTokenResponse>\n",
        credentials(creds),
        metadata(request_id)
    )
}

/// `AssumeRoleResponse`.
pub fn assume_role(
    creds: &Credentials,
    arn: &str,
    assumed_role_id: &str,
    request_id: &str,
) -> String {
    format!(
        "<AssumeRoleResponse xmlns=\"{NAMESPACE}\"><AssumeRoleResult>{}<AssumedRoleUser>\
         <AssumedRoleId>{}</AssumedRoleId><Arn>{}</Arn></AssumedRoleUser></AssumeRoleResult>{}\
         </AssumeRoleResponse>\n",
        credentials(creds),
        escape(assumed_role_id),
        escape(arn),
        metadata(request_id)
    )
}

/// `GetCallerIdentityResponse`.
pub fn caller_identity(arn: &str, user_id: &str, account: &str, request_id: &str) -> String {
    format!(
        "<GetCallerIdentityResponse xmlns=\"{NAMESPACE}\"><GetCallerIdentityResult>\
         <Arn>{}</Arn><UserId>{}</UserId><Account>{}</Account></GetCallerIdentityResult>{}\
         </GetCallerIdentityResponse>\n",
        escape(arn),
        escape(user_id),
        escape(account),
        metadata(request_id)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_shape() {
        let body = error(&StsError::access_denied("a < b"), "rid");
        assert_eq!(
            body,
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>\
             <Code>AccessDenied</Code><Message>a &lt; b</Message></Error><RequestId>rid</RequestId></ErrorResponse>\n"
        );
    }

    #[test]
    fn session_token_shape() {
        let creds = Credentials {
            access_key_id: "ASIAX".into(),
            secret_access_key: "s".into(),
            session_token: "t".into(),
            expiration: 1_777_638_896,
        };
        let body = get_session_token(&creds, "rid");
        assert!(body.contains(
            "<GetSessionTokenResult><Credentials><AccessKeyId>ASIAX</AccessKeyId><SecretAccessKey>s</SecretAccessKey>\
             <SessionToken>t</SessionToken><Expiration>2026-05-01T12:34:56Z</Expiration></Credentials></GetSessionTokenResult>"
        ));
        assert!(body.ends_with(
            "<RequestId>rid</RequestId></ResponseMetadata></GetSessionTokenResponse>\n"
        ));
    }
}
