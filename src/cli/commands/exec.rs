//! `mfa exec -- CMD…` and `mfa yubi CMD…`: run a command with the profile's temporary
//! credentials in its environment (docs/sessions.md). `yubi` is `exec` with the code from the
//! YubiKey. `exec --server` serves them on a loopback endpoint instead (`cli::server`).
//!
//! Cached credentials cost one file read before `exec`. The child replaces this process on Unix,
//! so its exit status is ours and signals reach it directly. Refuses to run inside another
//! `mfa exec` unless `--force`.

use std::ffi::OsString;
use std::time::Duration;

use crate::cli::args::ExecArgs;
use crate::cli::{Context, Exit, Failure, child, credentials};
use crate::sources::auto::SourceSetting;

/// `mfa exec [--duration D] [--server] [--force] -- CMD…`. Returns only on failure.
pub fn run(ctx: &mut Context, args: &ExecArgs) -> Result<Exit, Failure> {
    child::refuse_nesting(ctx.env.var(child::MARKER), args.force)?;
    // No command: the user's shell, as aws-vault does.
    let shell;
    let command: &[OsString] = if args.command.is_empty() {
        shell = child::shell(ctx.env.var("SHELL"));
        &shell
    } else {
        &args.command
    };
    if args.server {
        #[cfg(unix)]
        return crate::cli::server::run(ctx, command, seconds(args.duration));
        #[cfg(not(unix))]
        return Err(Failure::not_implemented("exec --server"));
    }
    exec(ctx, command, args.duration, None)
}

/// `mfa yubi CMD…`: touch-to-run. Returns only on failure.
pub fn yubi(ctx: &mut Context, command: &[OsString]) -> Result<Exit, Failure> {
    child::refuse_nesting(ctx.env.var(child::MARKER), false)?;
    exec(ctx, command, None, Some(SourceSetting::Yubikey))
}

/// Runs `command` with the credentials (`forced`: the source `mfa yubi` insists on). Returns only
/// on failure.
pub fn exec(
    ctx: &mut Context,
    command: &[OsString],
    duration: Option<Duration>,
    forced: Option<SourceSetting>,
) -> Result<Exit, Failure> {
    let duration = seconds(duration);
    let (profile, obtained) = credentials::obtain(ctx, forced, duration)?;
    let creds = &obtained.credentials;
    let expiration = creds.expiration_rfc3339();
    let env = child::environment(
        std::env::vars_os(),
        &child::ChildCredentials {
            profile: &profile.name,
            access_key_id: &creds.access_key_id,
            secret_access_key: &creds.secret_access_key,
            session_token: &creds.session_token,
            expiration: &expiration,
            region: profile.region.as_deref(),
        },
    );
    Err(child::exec(command, env))
}

/// `--duration` in seconds.
fn seconds(duration: Option<Duration>) -> Option<u32> {
    duration.map(|d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX))
}
