//! Who is calling: the access key id from SigV4 (header or presigned query), matched against
//! the configured users' long-term keys or the sessions the double issued (whose
//! `X-Amz-Security-Token` must match and which must not have expired).

use crate::config::Config;
use crate::form::{Params, key_id_from_authorization, key_id_from_credential};
use crate::http::Request;
use crate::ids::stable_id;
use crate::state::{Principal, Session, State};
use crate::xml::StsError;

/// An authenticated caller.
#[derive(Clone)]
pub enum Caller {
    /// Long-term keys of the user at this index.
    LongTerm { user: usize },
    /// Temporary credentials issued by the double.
    Session(Session),
}

/// What `GetCallerIdentity` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub arn: String,
    pub user_id: String,
    pub account: String,
}

/// The access key id the request claims, signed or presigned.
pub fn claimed_key_id(request: &Request, params: &Params) -> Option<String> {
    request
        .header("authorization")
        .and_then(key_id_from_authorization)
        .or_else(|| {
            params
                .get_ignore_case("X-Amz-Credential")
                .and_then(key_id_from_credential)
        })
}

/// Authenticates the request.
pub fn authenticate(
    config: &Config,
    state: &State,
    request: &Request,
    params: &Params,
    now: i64,
) -> Result<Caller, StsError> {
    let key_id = claimed_key_id(request, params).ok_or_else(StsError::invalid_client_token)?;
    if let Some(user) = config.users.iter().position(|u| u.access_key_id == key_id) {
        return Ok(Caller::LongTerm { user });
    }
    let session = state
        .sessions
        .get(&key_id)
        .ok_or_else(StsError::invalid_client_token)?;
    let token = request
        .header("x-amz-security-token")
        .or_else(|| params.get_ignore_case("X-Amz-Security-Token"));
    if token != Some(session.session_token.as_str()) {
        return Err(StsError::invalid_client_token());
    }
    if session.expiration <= now {
        return Err(StsError::expired_token());
    }
    Ok(Caller::Session(session.clone()))
}

impl Caller {
    /// The IAM user at the root of the chain.
    pub fn user(&self) -> usize {
        match self {
            Caller::LongTerm { user } => *user,
            Caller::Session(session) => session.user,
        }
    }

    /// ARN, unique id and account, as `GetCallerIdentity` reports them.
    pub fn identity(&self, config: &Config) -> Identity {
        let user = &config.users[self.user()];
        let user_identity = || Identity {
            arn: user.arn(),
            user_id: stable_id("AIDA", &user.arn()),
            account: user.account.clone(),
        };
        match self {
            Caller::LongTerm { .. } => user_identity(),
            Caller::Session(session) => match &session.principal {
                Principal::User => user_identity(),
                Principal::Role { role, session_name } => {
                    let role = &config.roles[*role];
                    Identity {
                        arn: assumed_role_arn(role.account(), role.name(), session_name),
                        user_id: format!("{}:{session_name}", role_id(&role.arn)),
                        account: role.account().to_string(),
                    }
                }
            },
        }
    }
}

/// `arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION` (the role's path is not part of it).
pub fn assumed_role_arn(account: &str, role_name: &str, session_name: &str) -> String {
    format!("arn:aws:sts::{account}:assumed-role/{role_name}/{session_name}")
}

/// The role's stable unique id, `AROA…`.
pub fn role_id(role_arn: &str) -> String {
    stable_id("AROA", role_arn)
}
