//! One STS request from start to finish: parameters, injected fault, authentication, action
//! dispatch, the call record, and the HTTP response with `Date` and `x-amzn-RequestId`.

use crate::actions::{self, Context};
use crate::caller::{self, Caller};
use crate::clock::{Clock, rfc1123};
use crate::config::Config;
use crate::faults::Fault;
use crate::form::Params;
use crate::http::{Request, Response};
use crate::ids;
use crate::server::Stopper;
use crate::state::{Call, State};
use crate::xml::{self, StsError};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The API version every request must name.
pub const VERSION: &str = "2011-06-15";

/// What to do with the connection after a request.
pub enum Outcome {
    Respond(Response),
    /// Close without answering (the `Drop` fault).
    Drop,
}

/// The STS double's logic, shared by all connections.
pub struct Service {
    pub config: Config,
    pub clock: Clock,
    state: Mutex<State>,
}

impl Service {
    pub fn new(config: Config) -> Service {
        Service {
            clock: Clock::new(config.clock_offset_secs),
            config,
            state: Mutex::new(State::default()),
        }
    }

    /// The state; a panic in another handler does not poison the double for the rest.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The secret key of a configured user's or an issued access key id.
    pub fn secret_of(&self, access_key_id: &str) -> Option<String> {
        let user = self
            .config
            .users
            .iter()
            .find(|u| u.access_key_id == access_key_id);
        match user {
            Some(user) => Some(user.secret_access_key.clone()),
            None => (self.state().sessions.get(access_key_id))
                .map(|session| session.secret_access_key.clone()),
        }
    }

    /// Handles one STS request (anything but the control endpoints).
    pub fn handle(&self, request: &Request, stopper: &Stopper) -> Outcome {
        let mut params = Params::parse(&request.query);
        if request.method == "POST" {
            params.extend(&String::from_utf8_lossy(&request.body));
        }
        let mut call = Call {
            action: params.get("Action").unwrap_or("").to_string(),
            access_key_id: caller::claimed_key_id(request, &params),
            serial: params.get("SerialNumber").map(str::to_string),
            token_code: params.get("TokenCode").map(str::to_string),
            duration: params.get("DurationSeconds").and_then(|d| d.parse().ok()),
            role_arn: params.get("RoleArn").map(str::to_string),
            error: None,
        };
        let fault = self.state().faults.take();
        match fault {
            Some(Fault::Drop) => {
                call.error = Some("Drop".into());
                self.state().calls.push(call);
                return Outcome::Drop;
            }
            Some(Fault::Slow(delay)) => stopper.sleep(delay),
            _ => {}
        }
        let request_id = ids::request_id();
        let now = self.clock.now();
        let result = {
            let mut state = self.state();
            let injected = fault.as_ref().and_then(|fault| {
                let caller = caller::authenticate(&self.config, &state, request, &params, now);
                let arn = caller.ok().map(|c| c.identity(&self.config).arn);
                fault.error(arn.as_deref(), &call.action)
            });
            let result = match injected {
                Some(err) => Err(err),
                None => self.dispatch(&mut state, request, &params, now, &request_id),
            };
            call.error = result.as_ref().err().map(|e| e.code.to_string());
            state.calls.push(call);
            result
        };
        let mut response = match result {
            Ok(body) => Response::new(200, "text/xml", body),
            Err(err) => Response::new(err.status, "text/xml", xml::error(&err, &request_id)),
        };
        response
            .headers
            .push(("x-amzn-RequestId".into(), request_id));
        response.headers.push(("Date".into(), rfc1123(now)));
        Outcome::Respond(response)
    }

    fn dispatch(
        &self,
        state: &mut State,
        request: &Request,
        params: &Params,
        now: i64,
        request_id: &str,
    ) -> Result<String, StsError> {
        let caller: Caller = caller::authenticate(&self.config, state, request, params, now)?;
        let action = params.get("Action").unwrap_or("");
        let version = params.get("Version").unwrap_or(VERSION);
        if action.is_empty() {
            return Err(StsError::missing_action());
        }
        let mut ctx = Context {
            config: &self.config,
            state,
            now,
            request_id,
        };
        match (action, version) {
            ("GetSessionToken", VERSION) => actions::get_session_token(&mut ctx, &caller, params),
            ("AssumeRole", VERSION) => actions::assume_role(&mut ctx, &caller, params),
            ("GetCallerIdentity", VERSION) => Ok(actions::get_caller_identity(&mut ctx, &caller)),
            _ => Err(StsError::invalid_action(format!(
                "Could not find operation {action} for version {version}"
            ))),
        }
    }
}
