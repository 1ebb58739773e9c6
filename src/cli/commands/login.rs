//! `mfa login [--write-profile NAME] [--force]`: get (or reuse) the profile's session and say
//! until when, on stderr (`-q`: nothing). With `--write-profile`, the session is also stored as
//! `[NAME]` in the shared credentials file, for tools that read only that file
//! (docs/get-session-token.md); `[default]` and sections holding keys this tool did not write
//! are replaced only with `--force`, and that is checked before a code is spent.

use std::io::Write;

use crate::aws::write_profile;
use crate::cli::context::unix_now;
use crate::cli::{Context, Exit, Failure, advice, credentials};

/// `mfa login`.
pub fn run(ctx: &mut Context, write_profile: Option<&str>, force: bool) -> Result<Exit, Failure> {
    let path = ctx.env.file_locations().credentials;
    if let Some(section) = write_profile {
        write_profile::check(&path, section, force).map_err(|e| advice::aws::write_profile(&e))?;
    }
    let (profile, obtained) = credentials::obtain(ctx, None, None)?;
    let creds = &obtained.credentials;
    let left = time_left(creds.expiration.saturating_sub(unix_now()?));
    let until = creds.expiration_rfc3339();
    let message = match write_profile {
        Some(section) => {
            let written = write_profile::write_session_profile(&path, section, creds, force)
                .map_err(|e| advice::aws::write_profile(&e))?;
            format!(
                "session of profile `{}` written to [{section}] in {}, valid until {until} \
                 ({left}): use it with --profile {section}",
                profile.name,
                written.display()
            )
        }
        None => format!(
            "session of profile `{}` valid until {until} ({left})",
            profile.name
        ),
    };
    if !ctx.global.quiet {
        // Nothing better to do when stderr is closed: the session is there all the same.
        let _ = writeln!(std::io::stderr().lock(), "mfa: {message}");
    }
    Ok(Exit::Success)
}

/// `11h 59m left`, `4m left`, `expired`.
fn time_left(seconds: u64) -> String {
    let (hours, minutes) = (seconds / 3600, seconds % 3600 / 60);
    match (hours, minutes) {
        (0, 0) if seconds == 0 => "expired".to_owned(),
        (0, 0) => "under a minute left".to_owned(),
        (0, m) => format!("{m}m left"),
        (h, m) => format!("{h}h {m}m left"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_reads_naturally() {
        assert_eq!(time_left(43_199), "11h 59m left");
        assert_eq!(time_left(3600), "1h 0m left");
        assert_eq!(time_left(299), "4m left");
        assert_eq!(time_left(30), "under a minute left");
        assert_eq!(time_left(0), "expired");
    }
}
