//! IAM failures, sorted into what a user can act on. AWS's own message text is kept, and the
//! action that failed is named (an AccessDenied needs it to say which permission is missing).

use std::error::Error as StdError;

use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};

use crate::aws::sts::error::{chain, is_connect_failure};

/// Why an IAM call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IamError {
    #[error("IAM {action} was denied: {message}")]
    AccessDenied {
        action: &'static str,
        message: String,
    },
    /// `EntityAlreadyExists`: a device of that name exists already.
    #[error("IAM {action} failed: {message}")]
    AlreadyExists {
        action: &'static str,
        message: String,
    },
    /// `NoSuchEntity`: no such user or device.
    #[error("IAM {action} failed: {message}")]
    NoSuchEntity {
        action: &'static str,
        message: String,
    },
    /// `InvalidAuthenticationCode`: the codes of `EnableMFADevice` were refused.
    #[error("IAM {action} refused the codes: {message}")]
    InvalidCodes {
        action: &'static str,
        message: String,
    },
    /// `LimitExceeded`, `DeleteConflict`, `EntityTemporarilyUnmodifiable` and other refusals.
    #[error("IAM {action} was refused: {message}")]
    Refused {
        action: &'static str,
        code: String,
        message: String,
    },
    #[error("IAM {action} failed on AWS's side (HTTP {status}): {message}")]
    ServerError {
        action: &'static str,
        status: u16,
        message: String,
    },
    #[error("cannot reach IAM at {endpoint} for {action}: {detail}")]
    Unreachable {
        action: &'static str,
        endpoint: String,
        detail: String,
    },
    /// The connection broke (or timed out) after the request was sent: it may have been done.
    #[error("the connection to IAM at {endpoint} broke during {action}: {detail}")]
    ConnectionLost {
        action: &'static str,
        endpoint: String,
        detail: String,
    },
    #[error("IAM {action} failed: {message}")]
    Other {
        action: &'static str,
        code: Option<String>,
        message: String,
    },
}

impl IamError {
    /// The action that failed.
    pub fn action(&self) -> &'static str {
        match self {
            IamError::AccessDenied { action, .. }
            | IamError::AlreadyExists { action, .. }
            | IamError::NoSuchEntity { action, .. }
            | IamError::InvalidCodes { action, .. }
            | IamError::Refused { action, .. }
            | IamError::ServerError { action, .. }
            | IamError::Unreachable { action, .. }
            | IamError::ConnectionLost { action, .. }
            | IamError::Other { action, .. } => action,
        }
    }

    /// Whether IAM may not have seen (or answered) the request: the network, not IAM, failed.
    pub fn is_network(&self) -> bool {
        matches!(
            self,
            IamError::Unreachable { .. } | IamError::ConnectionLost { .. }
        )
    }

    /// Sorts an IAM error response by its code.
    pub fn from_response(
        action: &'static str,
        code: Option<&str>,
        message: Option<&str>,
        status: u16,
    ) -> IamError {
        let message = message.unwrap_or_default().trim().to_owned();
        let message = if message.is_empty() {
            code.unwrap_or("no message").to_owned()
        } else {
            message
        };
        match code {
            Some("AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation") => {
                IamError::AccessDenied { action, message }
            }
            Some("EntityAlreadyExists") => IamError::AlreadyExists { action, message },
            Some("NoSuchEntity") => IamError::NoSuchEntity { action, message },
            Some("InvalidAuthenticationCode") => IamError::InvalidCodes { action, message },
            _ if status >= 500 => IamError::ServerError {
                action,
                status,
                message,
            },
            Some(code) => IamError::Refused {
                action,
                code: code.to_owned(),
                message,
            },
            None => IamError::Other {
                action,
                code: None,
                message,
            },
        }
    }
}

/// Maps an SDK error of any IAM operation.
pub(super) fn from_sdk<E>(
    err: SdkError<E, aws_sdk_iam::config::http::HttpResponse>,
    action: &'static str,
    endpoint: &str,
) -> IamError
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    let detail = chain(&err);
    let connect_failure = is_connect_failure(&err);
    match err {
        SdkError::ServiceError(context) => {
            let status = context.raw().status().as_u16();
            let e = context.err();
            IamError::from_response(action, e.code(), e.message(), status)
        }
        SdkError::DispatchFailure(_) if connect_failure => IamError::Unreachable {
            action,
            endpoint: endpoint.to_owned(),
            detail,
        },
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => IamError::ConnectionLost {
            action,
            endpoint: endpoint.to_owned(),
            detail,
        },
        SdkError::ResponseError(context) => {
            let status = context.raw().status().as_u16();
            let message = format!("unreadable answer: {detail}");
            if status >= 500 {
                IamError::ServerError {
                    action,
                    status,
                    message,
                }
            } else {
                IamError::Other {
                    action,
                    code: None,
                    message,
                }
            }
        }
        _ => IamError::Other {
            action,
            code: None,
            message: detail,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_sorted() {
        let e = IamError::from_response(
            "EnableMFADevice",
            Some("InvalidAuthenticationCode"),
            None,
            403,
        );
        assert!(matches!(e, IamError::InvalidCodes { .. }));
        let e = IamError::from_response(
            "CreateVirtualMFADevice",
            Some("AccessDenied"),
            Some("no"),
            403,
        );
        assert_eq!(e.action(), "CreateVirtualMFADevice");
        assert!(matches!(e, IamError::AccessDenied { .. }));
        let e = IamError::from_response("X", Some("InternalFailure"), None, 500);
        assert!(matches!(e, IamError::ServerError { status: 500, .. }));
        let e = IamError::from_response("X", Some("DeleteConflict"), None, 409);
        assert!(matches!(e, IamError::Refused { .. }));
        assert!(!e.is_network());
    }
}
