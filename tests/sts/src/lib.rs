//! A local AWS STS test double for `mfa`'s tests.
//!
//! It speaks the STS Query protocol over HTTP/1.1 on loopback (`POST /` form bodies, and
//! presigned `GET /?Action=GetCallerIdentity&X-Amz-Credential=…`), identifies callers by the
//! SigV4 access key id (signatures are not verified), checks MFA codes with real RFC 6238
//! TOTP against the configured seeds (±1 step, single use per step), and answers with the
//! response and error shapes of the real service. It records every call, counts the ones that
//! carried an MFA code, and injects faults on command.
//!
//! ```no_run
//! use mfa_sts::{Config, Fault, Mfa, StsDouble, User};
//! let double = StsDouble::start(Config {
//!     users: vec![User {
//!         name: "alice".into(),
//!         account: "123456789012".into(),
//!         access_key_id: "AKIAALICE".into(),
//!         secret_access_key: "secret".into(),
//!         mfa: Some(Mfa {
//!             serial: "arn:aws:iam::123456789012:mfa/alice".into(),
//!             seed_base32: "JBSWY3DPEHPK3PXP".into(),
//!         }),
//!     }],
//!     ..Config::default()
//! })?;
//! // AWS_ENDPOINT_URL_STS = double.url()
//! double.fail_next(Fault::Throttling, 1);
//! assert_eq!(double.mfa_calls(), 0);
//! # Ok::<(), std::io::Error>(())
//! ```

mod actions;
mod caller;
mod clock;
mod config;
mod control;
mod faults;
mod form;
mod http;
mod ids;
mod mfa_check;
mod server;
mod service;
mod state;
mod totp;
mod validate;
mod xml;

pub use config::{Config, Mfa, Role, User};
pub use faults::Fault;
pub use state::Call;

use server::Server;
use service::Service;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Arc;

/// A running STS double. Dropping it stops the server and joins its threads.
pub struct StsDouble {
    service: Arc<Service>,
    server: Server,
}

impl StsDouble {
    /// Starts a double on `127.0.0.1` with a free port.
    pub fn start(config: Config) -> io::Result<StsDouble> {
        StsDouble::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config)
    }

    /// Starts a double on `addr` (port 0 picks a free one). Fails on an invalid config
    /// (a seed that is not Base32, a repeated access key id, a malformed role ARN).
    pub fn start_on(addr: SocketAddr, config: Config) -> io::Result<StsDouble> {
        config.validate()?;
        let listener = TcpListener::bind(addr)?;
        let service = Arc::new(Service::new(config));
        let server = Server::spawn(listener, service.clone())?;
        Ok(StsDouble { service, server })
    }

    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL_STS`.
    pub fn url(&self) -> String {
        let addr = self.addr();
        if addr.ip().is_unspecified() {
            format!("http://127.0.0.1:{}", addr.port())
        } else {
            format!("http://{addr}")
        }
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// STS requests that carried a `TokenCode` (whatever their outcome).
    pub fn mfa_calls(&self) -> usize {
        self.service.state().mfa_calls()
    }

    /// Every STS request so far, oldest first.
    pub fn calls(&self) -> Vec<Call> {
        self.service.state().calls.clone()
    }

    /// Injects `fault` into the next `times` STS requests (after faults already queued).
    pub fn fail_next(&self, fault: Fault, times: usize) {
        self.service.state().faults.push(fault, times);
    }

    /// Injects `fault` into every STS request until [`StsDouble::clear_faults`].
    pub fn fail_always(&self, fault: Fault) {
        self.service.state().faults.set_always(fault);
    }

    /// Removes queued and permanent faults.
    pub fn clear_faults(&self) {
        self.service.state().faults.clear();
    }

    /// The secret key of `access_key_id`: a configured user's, or one the double issued (even
    /// expired). For tests that verify SigV4 signatures made with them, as an EKS API server
    /// does; `GET /__mfa/secret?access_key_id=ID` answers the same over HTTP.
    pub fn secret_of(&self, access_key_id: &str) -> Option<String> {
        self.service.secret_of(access_key_id)
    }

    /// The temporary credentials the double issued so far: `(access key id, secret access key,
    /// session token)` each. For tests that look for them where they must not be.
    pub fn issued(&self) -> Vec<(String, String, String)> {
        self.service
            .state()
            .sessions
            .iter()
            .map(|(id, s)| {
                (
                    id.clone(),
                    s.secret_access_key.clone(),
                    s.session_token.clone(),
                )
            })
            .collect()
    }

    /// Changes the server clock's offset from system time (seconds; for skew tests).
    pub fn set_clock_offset(&self, secs: i64) {
        self.service.clock.set_offset(secs);
    }

    /// The server's current time (system time plus offset), Unix seconds.
    pub fn now(&self) -> i64 {
        self.service.clock.now()
    }

    /// The 6-digit TOTP code (SHA1, 30 s) of `seed_base32` at `unix_time`.
    ///
    /// # Panics
    /// If `seed_base32` is not Base32: this is a helper for tests.
    pub fn totp(seed_base32: &str, unix_time: u64) -> String {
        match totp::decode_base32(seed_base32) {
            Some(key) => totp::code_at_step(&key, totp::step_of(unix_time)),
            None => panic!("TOTP seed is not Base32: {} characters", seed_base32.len()),
        }
    }
}
