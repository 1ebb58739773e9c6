//! Mutable server state: issued sessions, the last accepted TOTP step per MFA serial, the call
//! record, and pending faults. One mutex guards it all; handlers hold it briefly.

use crate::faults::Faults;
use serde::Serialize;
use std::collections::HashMap;

/// One recorded STS request (control endpoints are not recorded).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Call {
    /// The `Action` parameter as sent (empty when missing).
    pub action: String,
    /// The caller's access key id as sent, known or not.
    pub access_key_id: Option<String>,
    pub serial: Option<String>,
    pub token_code: Option<String>,
    /// `DurationSeconds`, when it parsed as a number.
    pub duration: Option<u32>,
    pub role_arn: Option<String>,
    /// `None` on success, else the error code (`AccessDenied`, …; `Drop` for a dropped one).
    pub error: Option<String>,
}

/// Who a set of issued temporary credentials belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A `GetSessionToken` session of [`Session::user`].
    User,
    /// An assumed role (index into the configured roles) with its session name.
    Role { role: usize, session_name: String },
}

/// Temporary credentials the double issued.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    pub principal: Principal,
    /// The IAM user whose long-term keys started the chain.
    pub user: usize,
    /// Whether the session carries MFA context.
    pub mfa: bool,
    pub session_token: String,
    /// The secret key issued with it: a test that checks SigV4 signatures made with these
    /// credentials (an EKS token's) looks it up with `GET /__mfa/secret`.
    pub secret_access_key: String,
    /// Unix seconds.
    pub expiration: i64,
}

/// Everything that changes while the server runs.
#[derive(Default)]
pub struct State {
    /// By access key id (`ASIA…`).
    pub sessions: HashMap<String, Session>,
    /// Highest accepted TOTP step per MFA serial.
    pub last_steps: HashMap<String, u64>,
    pub calls: Vec<Call>,
    pub faults: Faults,
}

impl State {
    /// Requests that carried a `TokenCode`.
    pub fn mfa_calls(&self) -> usize {
        self.calls.iter().filter(|c| c.token_code.is_some()).count()
    }
}
