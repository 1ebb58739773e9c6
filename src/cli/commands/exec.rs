//! `mfa exec -- CMD…` and `mfa yubi CMD…`: run a command with the profile's temporary
//! credentials in its environment (docs/sessions.md). `yubi` is `exec` with the code from the YubiKey.
//!
//! Cached credentials cost one file read before `exec`. The child replaces this process on Unix,
//! so its exit status is ours and signals reach it directly. Refuses to run inside another
//! `mfa exec` unless `--force`.

use std::ffi::OsString;
use std::time::Duration;

use super::session;
use crate::cli::args::GlobalArgs;
use crate::cli::{Exit, Failure, child};
use crate::sources::auto::SourceSetting;
use crate::terminal::SystemTerminal;

/// What to run, and how.
pub struct ExecRequest<'a> {
    pub command: &'a [OsString],
    pub duration: Option<Duration>,
    pub force: bool,
    pub server: bool,
    /// `mfa yubi`: the code comes from the YubiKey whatever the profile says.
    pub yubikey: bool,
}

/// Runs the command with the process's environment and terminal. Returns only on failure.
pub fn run_from_process(request: &ExecRequest<'_>, global: &GlobalArgs) -> Result<Exit, Failure> {
    child::refuse_nesting(std::env::var_os(child::MARKER), request.force)?;
    if request.server {
        return Err(Failure::not_implemented("exec --server"));
    }
    let duration = request
        .duration
        .map(|d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX));
    let mut terminal = SystemTerminal::open(super::yubikey::verbosity(global));
    let forced = request.yubikey.then_some(SourceSetting::Yubikey);
    let (profile, obtained) = session::obtain(global, forced, duration, &mut terminal)?;
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
    Err(child::exec(request.command, env))
}
