//! A role: `AssumeRole` with its parent's credentials and no MFA parameters, or — for a first
//! role whose duration is over the 1 h role-chaining limit — with the long-term keys and an MFA
//! code (docs/sessions.md, "The flow"; "Durations and names" for session names).

use std::ffi::OsString;

use super::cached::{Fetch, Provider};
use super::spend::CodeSpender;
use super::{Call, FlowContext, FlowError, long_term};
use crate::aws::cache::{CachedSession, SessionKind};
use crate::aws::chain::RoleStep;
use crate::aws::sts::role_session_name;
use crate::terminal::Terminal;

/// Where a role's caller credentials come from.
pub(super) enum Via<'a> {
    /// The parent provider: the MFA session, or the previous role. It carries the MFA context,
    /// so the call carries no code.
    Parent(Box<dyn Provider + 'a>),
    /// The long-term keys, with a code: a first role over the chaining limit.
    LongTermKeys(CodeSpender<'a>),
}

/// Fetches one role of the chain.
pub(super) struct AssumeRole<'a> {
    ctx: &'a FlowContext<'a>,
    role: &'a RoleStep,
    serial: &'a str,
    /// Seconds; the role's `duration_seconds` or STS's default (1 h) when `None`.
    duration: Option<u32>,
    via: Via<'a>,
}

impl<'a> AssumeRole<'a> {
    pub(super) fn new(
        ctx: &'a FlowContext<'a>,
        role: &'a RoleStep,
        serial: &'a str,
        duration: Option<u32>,
        via: Via<'a>,
    ) -> Self {
        AssumeRole {
            ctx,
            role,
            serial,
            duration,
            via,
        }
    }

    /// What `-v` calls this role.
    pub(super) fn what(&self) -> String {
        format!("role {}", self.role.role_arn)
    }
}

impl Fetch for AssumeRole<'_> {
    fn fetch(&mut self, terminal: &mut dyn Terminal) -> Result<CachedSession, FlowError> {
        let (ctx, role, serial, duration) = (self.ctx, self.role, self.serial, self.duration);
        let what = self.what();
        let session_name = role_session_name(role, &user(serial, ctx.var), (ctx.clock)());
        let assumed = match &mut self.via {
            Via::LongTermKeys(codes) => {
                terminal.explain(
                    1,
                    &format!(
                        "{what}: {}s is over the 1 h role-chaining limit: assuming it directly with MFA",
                        duration.unwrap_or_default()
                    ),
                );
                let keys = long_term::load(ctx)?;
                codes
                    .spend(terminal, Call::AssumeRole, |code| {
                        let mfa = Some((serial, code));
                        ctx.sts
                            .assume_role(&keys, role, mfa, duration, &session_name)
                    })
                    .map_err(|error| error.for_role(&role.role_arn))?
            }
            Via::Parent(parent) => {
                let parent = parent.retrieve(terminal)?;
                ctx.sts
                    .assume_role(&parent.credentials, role, None, duration, &session_name)
                    .map_err(|error| FlowError::Sts {
                        call: Call::AssumeRole,
                        error,
                        mfa_serial: None,
                        role_arn: Some(role.role_arn.clone()),
                        code_source: None,
                    })?
            }
        };
        Ok(CachedSession {
            kind: SessionKind::Role,
            profile: role.profile.clone(),
            mfa_serial: Some(serial.to_owned()),
            role_arn: Some(role.role_arn.clone()),
            credentials: assumed.credentials,
        })
    }
}

/// The IAM user name for session names: the `mfa/NAME` of the serial, else `$USER`.
fn user(serial: &str, var: &dyn Fn(&str) -> Option<OsString>) -> String {
    serial
        .rsplit_once(":mfa/")
        .map(|(_, name)| name.rsplit('/').next().unwrap_or(name).to_owned())
        .or_else(|| var("USER").map(|u| u.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "mfa".into())
}
