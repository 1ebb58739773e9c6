//! The long-term credentials at the bottom of the chain (docs/sessions.md, "The flow").
//!
//! They are named in the session's cache key without being loaded — loading may run a
//! `credential_process` — and loaded only by a fetch that is about to spend a code with them.

use super::{FlowContext, FlowError};
use crate::aws::chain::LongTermSource;
use crate::aws::credentials::{self, LongTermCredentials};

/// What identifies the long-term credentials in a cache key, without running anything: the
/// access key id when it is written down, else the process or environment it comes from.
pub(super) fn identity(ctx: &FlowContext<'_>) -> String {
    match &ctx.profile.source {
        LongTermSource::Static { profile } => ctx
            .files
            .profile(profile)
            .and_then(|p| p.get("aws_access_key_id").map(str::to_owned))
            .unwrap_or_else(|| format!("profile:{profile}")),
        LongTermSource::Process {
            profile, command, ..
        } => format!("process:{profile}:{command}"),
        LongTermSource::Sealed { profile } => ctx
            .unsealer
            .access_key_id(profile)
            .unwrap_or_else(|| format!("sealed:{profile}")),
        LongTermSource::Environment => (ctx.var)("AWS_ACCESS_KEY_ID")
            .map(|v| v.to_string_lossy().into_owned())
            .unwrap_or_else(|| "environment".into()),
    }
}

/// Loads the long-term credentials (runs the `credential_process`, if that is where they are).
pub(super) fn load(ctx: &FlowContext<'_>) -> Result<LongTermCredentials, FlowError> {
    let keys = credentials::load_long_term(
        &ctx.profile.source,
        ctx.files,
        ctx.var,
        (ctx.clock)(),
        ctx.unsealer,
    )?;
    Ok(keys)
}
