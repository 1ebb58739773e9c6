//! The three STS actions: `GetSessionToken`, `AssumeRole`, `GetCallerIdentity`. Each takes an
//! authenticated caller and the request parameters and answers an XML body or an [`StsError`].

use crate::caller::{Caller, assumed_role_arn, role_id};
use crate::config::Config;
use crate::form::Params;
use crate::ids;
use crate::mfa_check;
use crate::state::{Principal, Session, State};
use crate::validate;
use crate::xml::{self, Credentials, StsError};

/// What an action sees.
pub struct Context<'a> {
    pub config: &'a Config,
    pub state: &'a mut State,
    /// The server's clock, Unix seconds.
    pub now: i64,
    pub request_id: &'a str,
}

const CHAINING_LIMIT: u32 = 3600;

fn issue(ctx: &mut Context<'_>, session: Session, duration: u32) -> Credentials {
    let creds = Credentials {
        access_key_id: ids::session_key_id(),
        secret_access_key: ids::secret_access_key(),
        session_token: ids::session_token(),
        expiration: ctx.now + i64::from(duration),
    };
    let session = Session {
        session_token: creds.session_token.clone(),
        secret_access_key: creds.secret_access_key.clone(),
        expiration: creds.expiration,
        ..session
    };
    ctx.state
        .sessions
        .insert(creds.access_key_id.clone(), session);
    creds
}

/// Validates `SerialNumber`/`TokenCode`; verifies them when given. `Ok(true)` = MFA present.
fn check_mfa(ctx: &mut Context<'_>, caller: &Caller, params: &Params) -> Result<bool, StsError> {
    let serial = validate::serial(params)?;
    let code = validate::token_code(params)?;
    match (serial, code) {
        (None, None) => Ok(false),
        (Some(serial), Some(code)) => {
            let user = &ctx.config.users[caller.user()];
            if ctx.config.accept_replayed_codes {
                // Benchmark-only (see `Config`): no memory of spent steps.
                ctx.state.last_steps.remove(serial);
            }
            mfa_check::verify(user, serial, code, ctx.now, &mut ctx.state.last_steps)?;
            Ok(true)
        }
        (Some(_), None) => Err(StsError::validation(
            "TokenCode is required when SerialNumber is given.",
        )),
        (None, Some(_)) => Err(StsError::validation(
            "SerialNumber is required when TokenCode is given.",
        )),
    }
}

/// `GetSessionToken`: long-term keys only; 900..=129600 s, default 43200.
pub fn get_session_token(
    ctx: &mut Context<'_>,
    caller: &Caller,
    params: &Params,
) -> Result<String, StsError> {
    if matches!(caller, Caller::Session(_)) {
        return Err(StsError::access_denied(
            "Cannot call GetSessionToken with session credentials",
        ));
    }
    let duration = validate::duration(params, 900, 129_600, 43_200)?;
    let mfa = check_mfa(ctx, caller, params)?;
    let session = Session {
        principal: Principal::User,
        user: caller.user(),
        mfa,
        session_token: String::new(),
        secret_access_key: String::new(),
        expiration: 0,
    };
    let lifetime = ctx
        .config
        .session_lifetime_override_secs
        .unwrap_or(duration);
    let creds = issue(ctx, session, lifetime);
    Ok(xml::get_session_token(&creds, ctx.request_id))
}

/// `AssumeRole`: trust checks (MFA, external id), chaining limit, MaxSessionDuration.
pub fn assume_role(
    ctx: &mut Context<'_>,
    caller: &Caller,
    params: &Params,
) -> Result<String, StsError> {
    let role_arn = validate::required(
        validate::text(params, "RoleArn", "roleArn", (20, 2048), "+=,.@:/-")?,
        "roleArn",
    )?;
    let session_name = validate::required(
        validate::text(
            params,
            "RoleSessionName",
            "roleSessionName",
            (2, 64),
            "+=,.@-",
        )?,
        "roleSessionName",
    )?;
    let external_id = validate::text(params, "ExternalId", "externalId", (2, 1224), "+=,.@:/-")?;
    let duration = validate::duration(params, 900, 43_200, 3600)?;
    let config = ctx.config;
    let denied = || {
        StsError::access_denied(format!(
            "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
            caller.identity(config).arn
        ))
    };
    let Some(role_index) = config.roles.iter().position(|r| r.arn == role_arn) else {
        return Err(denied());
    };
    let role = &config.roles[role_index];
    let chained = matches!(caller, Caller::Session(_));
    if chained && duration > CHAINING_LIMIT {
        return Err(StsError::validation(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        ));
    }
    if duration > role.max_session() {
        return Err(StsError::validation(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ));
    }
    let session_mfa = matches!(caller, Caller::Session(s) if s.mfa);
    let mfa = check_mfa(ctx, caller, params)? || session_mfa;
    if role.require_mfa && !mfa {
        return Err(denied());
    }
    if (role.external_id.as_deref()).is_some_and(|expected| external_id != Some(expected)) {
        return Err(denied());
    }
    let session = Session {
        principal: Principal::Role {
            role: role_index,
            session_name: session_name.to_string(),
        },
        user: caller.user(),
        mfa,
        session_token: String::new(),
        secret_access_key: String::new(),
        expiration: 0,
    };
    let lifetime = ctx.config.role_lifetime_override_secs.unwrap_or(duration);
    let creds = issue(ctx, session, lifetime);
    Ok(xml::assume_role(
        &creds,
        &assumed_role_arn(role.account(), role.name(), session_name),
        &format!("{}:{session_name}", role_id(&role.arn)),
        ctx.request_id,
    ))
}

/// `GetCallerIdentity`.
pub fn get_caller_identity(ctx: &mut Context<'_>, caller: &Caller) -> String {
    let identity = caller.identity(ctx.config);
    xml::caller_identity(
        &identity.arn,
        &identity.user_id,
        &identity.account,
        ctx.request_id,
    )
}
