//! Injected faults: a queue consumed one per STS request, plus an optional fault that applies
//! to every request until cleared. Control endpoints are never faulted.

use crate::xml::StsError;
use std::collections::VecDeque;
use std::time::Duration;

/// What the next request(s) get instead of (or before) a normal answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// 403 `AccessDenied`, without looking at the request.
    AccessDenied,
    /// 400 `Throttling` "Rate exceeded" (the SDKs retry it).
    Throttling,
    /// 500 `InternalFailure` (the SDKs retry it).
    ServerError,
    /// Wait this long, then handle the request normally (MFA codes are checked after the wait).
    Slow(Duration),
    /// Read the request, then close the connection without answering.
    Drop,
    /// 403 `AccessDenied` with this message, as given (for messages holding odd characters).
    AccessDeniedWith(String),
}

impl Fault {
    /// The error answered for the faults that replace the answer.
    pub fn error(&self, caller_arn: Option<&str>, action: &str) -> Option<StsError> {
        match self {
            Fault::AccessDenied => Some(StsError::access_denied(format!(
                "User: {} is not authorized to perform: sts:{action}",
                caller_arn.unwrap_or("anonymous")
            ))),
            Fault::AccessDeniedWith(message) => Some(StsError::access_denied(message.clone())),
            Fault::Throttling => Some(StsError::throttling()),
            Fault::ServerError => Some(StsError::internal_failure()),
            Fault::Slow(_) | Fault::Drop => None,
        }
    }

    /// Parses the control endpoint's `kind`: `access_denied`, `throttling`, `server_error`,
    /// `slow:MS`, `drop`. (`clear` is handled by the caller.)
    pub fn parse(kind: &str) -> Option<Fault> {
        match kind {
            "access_denied" => Some(Fault::AccessDenied),
            "throttling" => Some(Fault::Throttling),
            "server_error" => Some(Fault::ServerError),
            "drop" => Some(Fault::Drop),
            _ => {
                let ms = kind.strip_prefix("slow:")?.parse().ok()?;
                Some(Fault::Slow(Duration::from_millis(ms)))
            }
        }
    }
}

/// Pending faults.
#[derive(Debug, Default)]
pub struct Faults {
    next: VecDeque<Fault>,
    always: Option<Fault>,
}

impl Faults {
    /// Queues `fault` for the next `times` requests (after those already queued).
    pub fn push(&mut self, fault: Fault, times: usize) {
        self.next.extend(std::iter::repeat_n(fault, times));
    }

    pub fn set_always(&mut self, fault: Fault) {
        self.always = Some(fault);
    }

    pub fn clear(&mut self) {
        self.next.clear();
        self.always = None;
    }

    /// The fault for the request being handled: queued ones first, then the permanent one.
    pub fn take(&mut self) -> Option<Fault> {
        self.next.pop_front().or_else(|| self.always.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_then_always_then_clear() {
        let mut faults = Faults::default();
        faults.push(Fault::Throttling, 2);
        faults.set_always(Fault::Drop);
        assert_eq!(faults.take(), Some(Fault::Throttling));
        assert_eq!(faults.take(), Some(Fault::Throttling));
        assert_eq!(faults.take(), Some(Fault::Drop));
        assert_eq!(faults.take(), Some(Fault::Drop));
        faults.clear();
        assert_eq!(faults.take(), None);
    }

    #[test]
    fn parses_kinds() {
        assert_eq!(
            Fault::parse("slow:250"),
            Some(Fault::Slow(Duration::from_millis(250)))
        );
        assert_eq!(Fault::parse("server_error"), Some(Fault::ServerError));
        assert_eq!(Fault::parse("slow:x"), None);
        assert_eq!(Fault::parse("nope"), None);
    }
}
