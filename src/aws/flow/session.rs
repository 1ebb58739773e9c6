//! The MFA session: one `GetSessionToken` with `SerialNumber` and `TokenCode`, made from the
//! long-term keys (docs/sessions.md, "The flow"). Roles chained from it need no code: the
//! session carries the MFA context.

use super::cached::Fetch;
use super::spend::CodeSpender;
use super::{Call, FlowContext, FlowError, long_term};
use crate::aws::cache::{CachedSession, SessionKind};
use crate::terminal::Terminal;

/// Fetches the MFA session, spending a code.
pub(super) struct SessionToken<'a> {
    ctx: &'a FlowContext<'a>,
    serial: &'a str,
    /// Seconds; STS's default (12 h) when `None`.
    duration: Option<u32>,
    codes: CodeSpender<'a>,
}

impl<'a> SessionToken<'a> {
    pub(super) fn new(
        ctx: &'a FlowContext<'a>,
        serial: &'a str,
        duration: Option<u32>,
        codes: CodeSpender<'a>,
    ) -> Self {
        SessionToken {
            ctx,
            serial,
            duration,
            codes,
        }
    }
}

impl Fetch for SessionToken<'_> {
    fn fetch(&mut self, terminal: &mut dyn Terminal) -> Result<CachedSession, FlowError> {
        let (ctx, serial, duration) = (self.ctx, self.serial, self.duration);
        let keys = long_term::load(ctx)?;
        let credentials = self.codes.spend(terminal, Call::GetSessionToken, |code| {
            ctx.sts.get_session_token(&keys, serial, code, duration)
        })?;
        Ok(CachedSession {
            kind: SessionKind::SessionToken,
            profile: ctx.profile.name.clone(),
            mfa_serial: Some(serial.to_owned()),
            role_arn: None,
            credentials,
        })
    }
}
