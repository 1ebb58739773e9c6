//! Spending an MFA code: never twice, and a refused YubiKey code retried once (docs/sessions.md,
//! "Codes"; the 30 s steps are RFC 6238's).
//!
//! AWS accepts each code once: a second request with a code of the same (or an older) step is
//! refused. So after every call STS may have checked the code for, its step is recorded per
//! `mfa_serial` in the cache directory ([`SpentCodes`](crate::aws::cache::SpentCodes)); a later
//! code comes from a newer step, waiting for it with a countdown when the current step is spent.
//! Calls refused before STS looked at the code (unreachable, throttled) spend nothing.

use std::time::Duration;

use super::{Call, FlowContext, FlowError};
use crate::aws::cache::{STEP_SECS, is_from_the_future, next_step};
use crate::aws::sts::StsError;
use crate::sources::{CodeRequest, CodeSource, MfaCode, SourceKind};
use crate::terminal::Terminal;

/// Gets codes for one `mfa_serial` from one source, and spends them.
pub(super) struct CodeSpender<'a> {
    ctx: &'a FlowContext<'a>,
    serial: &'a str,
    source: &'a mut dyn CodeSource,
}

impl<'a> CodeSpender<'a> {
    pub(super) fn new(
        ctx: &'a FlowContext<'a>,
        serial: &'a str,
        source: &'a mut dyn CodeSource,
    ) -> Self {
        CodeSpender {
            ctx,
            serial,
            source,
        }
    }

    /// Gets a fresh code and spends it with `send` (the STS `call`), recording its step as spent
    /// whenever STS may have checked it. A YubiKey code refused as invalid is retried once with
    /// the next step's code, which the key computes at once: this covers a code another tool
    /// spent. Typed and `mfa_process` codes are not retried: the user would have to give a new
    /// one, and a wrong `mfa_serial` would burn codes.
    pub(super) fn spend<T>(
        &mut self,
        terminal: &mut dyn Terminal,
        call: Call,
        send: impl Fn(&MfaCode) -> Result<T, StsError>,
    ) -> Result<T, FlowError> {
        let (code, step) = self.fresh_code(terminal, None)?;
        let previous = self.record(terminal, step);
        let first = send(&code);
        self.unrecord_unchecked(terminal, &first, step, previous);
        match first {
            Ok(value) => Ok(value),
            Err(StsError::MfaCodeRejected { .. }) if code.source == SourceKind::Yubikey => {
                terminal.explain(
                    1,
                    "STS refused the code: retrying once with the next step's code",
                );
                let (next, next_step) = self.fresh_code(terminal, Some(step + 1))?;
                let previous = self.record(terminal, next_step);
                let second = send(&next);
                self.unrecord_unchecked(terminal, &second, next_step, previous);
                second.map_err(|error| self.sts_error(call, error, next.source))
            }
            Err(error) => Err(self.sts_error(call, error, code.source)),
        }
    }

    fn sts_error(&self, call: Call, error: StsError, source: SourceKind) -> FlowError {
        if let Some(skew_seconds) =
            clock_skew(&error, self.ctx.sts.server_date(), (self.ctx.clock)())
        {
            return FlowError::ClockOff {
                call,
                error,
                skew_seconds,
            };
        }
        FlowError::Sts {
            call,
            error,
            mfa_serial: Some(self.serial.to_owned()),
            role_arn: None,
            code_source: Some(source),
        }
    }

    /// Records `step` as spent before the code is sent — a run interrupted (Ctrl-C, SIGTERM)
    /// while STS has the code must not let the next run reuse it. Returns the step recorded
    /// before, for [`CodeSpender::unrecord_unchecked`]. A record that cannot be written is
    /// told (the next run may be refused), not fatal.
    fn record(&self, terminal: &mut dyn Terminal, step: u64) -> Option<u64> {
        let spent = self.ctx.cache.spent_codes()?;
        let previous = spent.last(self.serial);
        if let Err(e) = spent.record(self.serial, step) {
            // Without the record the next run may send the same code again: say so.
            terminal.notice(&format!(
                "could not record the spent code ({e}): a run within 30 s may be refused"
            ));
        }
        previous
    }

    /// Takes back the record of `step` when `outcome` shows STS refused the call before it
    /// looked at the code (unreachable, throttled): that code may still be used.
    fn unrecord_unchecked<T>(
        &self,
        terminal: &mut dyn Terminal,
        outcome: &Result<T, StsError>,
        step: u64,
        previous: Option<u64>,
    ) {
        let unchecked = matches!(
            outcome,
            Err(StsError::Unreachable { .. } | StsError::Throttled { .. })
        );
        if !unchecked {
            return;
        }
        if let Some(spent) = self.ctx.cache.spent_codes()
            && let Err(e) = spent.unrecord(self.serial, step, previous)
        {
            terminal.explain(
                1,
                &format!("could not take back the spent-code record: {e}"),
            );
        }
    }

    /// A code whose 30 s step has not been spent (and is at least `min_step`), waiting for the
    /// next step when the current one is spent. Returns the code and the step to record for it.
    fn fresh_code(
        &mut self,
        terminal: &mut dyn Terminal,
        min_step: Option<u64>,
    ) -> Result<(MfaCode, u64), FlowError> {
        let spent = self
            .ctx
            .cache
            .spent_codes()
            .and_then(|s| s.last(self.serial));
        // `next_step` gives the first step after the last one spent. Asking for at least
        // `min_step` is the same as pretending `min_step - 1` was spent too: the later of the
        // two wins. (`min_step` is a step just spent plus one, so it is at least 1.)
        let last = match (spent, min_step) {
            (Some(spent), Some(min)) => Some(spent.max(min - 1)),
            (spent, min) => spent.or(min.map(|min| min - 1)),
        };
        let now = (self.ctx.clock)();
        if let Some(spent) = spent
            && is_from_the_future(spent, now)
        {
            terminal.explain(
                1,
                &format!(
                    "the spent-code record for {} is for a step {} s ahead of the clock (the \
                     clock was ahead when it was written): ignored",
                    self.serial,
                    (spent * STEP_SECS).saturating_sub(now)
                ),
            );
        }
        let next = next_step(last, now);
        let computing = matches!(self.source.kind(), SourceKind::Yubikey | SourceKind::Totp);
        // A typed or relayed code is the current one, so a spent step must be waited out. A
        // source that computes codes can give the next step's code at once (the host supplies
        // the time; STS, like the verifiers of RFC 6238 section 5.2, allows a step of drift),
        // but only the retry uses that: a first code waits like any other, and is the current
        // step's when it is sent.
        if next.wait_secs > 0 && !(computing && min_step.is_some()) {
            self.countdown(terminal, next.wait_secs);
        }
        // The moment the code is for: now, or, when the retry skipped the wait, the start of
        // the next step (still ahead).
        let unix_time = (next.step * STEP_SECS).max((self.ctx.clock)());
        let request = CodeRequest {
            mfa_serial: self.serial,
            oath_account: self.ctx.profile.mfa_oath_account.as_deref(),
            unix_time,
        };
        let code = self.source.code(&request, terminal)?;
        // A computed code belongs to the step it was computed for. A typed or relayed code is
        // the one current when it was given, which may be a later step if the user took their
        // time: read the clock again.
        let step = if computing {
            unix_time / STEP_SECS
        } else {
            (self.ctx.clock)() / STEP_SECS
        };
        // Never record less than `next.step`: this code is taken to be of that step or later,
        // so a clock that reads earlier (a wait cut short, a clock stepped back) must not let
        // the next invocation pick `next.step` again.
        Ok((code, step.max(next.step)))
    }

    /// Tells the user why nothing happens for `seconds`, and waits, counting down every 5 s.
    fn countdown(&self, terminal: &mut dyn Terminal, seconds: u64) {
        terminal.notice(&format!(
            "The code of this 30 s step was already spent for {}: waiting {seconds} s for the next one…",
            self.serial
        ));
        let mut left = seconds;
        while left > 0 {
            let tick = left.min(5);
            (self.ctx.sleep)(Duration::from_secs(tick));
            left -= tick;
            if left > 0 {
                terminal.notice(&format!("  {left} s…"));
            }
        }
    }
}

/// How far STS's clock (`server_date`, from its `Date` header) is from ours (`now`), when STS
/// refused the code or the signature's time and the two differ by more than [`MAX_SKEW_SECS`]:
/// the clock, not the code, is then the likely cause.
pub(super) fn clock_skew(error: &StsError, server_date: Option<u64>, now: u64) -> Option<i64> {
    let time_related = match error {
        StsError::MfaCodeRejected { .. } | StsError::ExpiredToken { .. } => true,
        StsError::Other { code, message } => {
            code.as_deref() == Some("SignatureDoesNotMatch")
                && (message.contains("Signature expired") || message.contains("not yet current"))
        }
        StsError::MfaSerialInvalid { .. }
        | StsError::AccessDenied { .. }
        | StsError::Throttled { .. }
        | StsError::ServerError { .. }
        | StsError::Unreachable { .. }
        | StsError::ConnectionLost { .. }
        | StsError::TimedOut { .. }
        | StsError::InvalidClientTokenId { .. }
        | StsError::Validation { .. }
        | StsError::Malformed { .. }
        | StsError::Incomplete { .. } => false,
    };
    let skew = i64::try_from(server_date?).ok()? - i64::try_from(now).ok()?;
    (time_related && skew.unsigned_abs() > MAX_SKEW_SECS).then_some(skew)
}

/// A difference of clocks past which codes are refused: STS accepts a code of the step before
/// or after its own (RFC 6238 §5.2), so a minute and a half off and no code is ever right.
const MAX_SKEW_SECS: u64 = 90;

#[cfg(test)]
mod skew_tests {
    use super::*;

    const NOW: u64 = 1_800_000_000;

    fn rejected() -> StsError {
        StsError::MfaCodeRejected {
            message: "MultiFactorAuthentication failed with invalid MFA one time pass code.".into(),
        }
    }

    #[test]
    fn a_clock_far_off_was_reported_as_a_wrong_code() {
        assert_eq!(clock_skew(&rejected(), Some(NOW + 1200), NOW), Some(1200));
        assert_eq!(
            clock_skew(&rejected(), Some(NOW - 3 * 3600), NOW),
            Some(-3 * 3600)
        );
        let expired = StsError::Other {
            code: Some("SignatureDoesNotMatch".into()),
            message: "Signature expired: 20261130T050000Z is now earlier than 20261130T051000Z"
                .into(),
        };
        assert_eq!(clock_skew(&expired, Some(NOW + 900), NOW), Some(900));
    }

    #[test]
    fn a_small_skew_or_an_unrelated_error_is_not_blamed_on_the_clock() {
        assert_eq!(clock_skew(&rejected(), Some(NOW + 60), NOW), None);
        assert_eq!(clock_skew(&rejected(), None, NOW), None);
        let denied = StsError::AccessDenied {
            message: "no".into(),
        };
        assert_eq!(clock_skew(&denied, Some(NOW + 3600), NOW), None);
        let mismatch = StsError::Other {
            code: Some("SignatureDoesNotMatch".into()),
            message: "The request signature we calculated does not match".into(),
        };
        assert_eq!(clock_skew(&mismatch, Some(NOW + 3600), NOW), None);
    }
}
