//! `mfa shell`: `$SHELL` (else `/bin/sh`) with the profile's temporary credentials — the child
//! environment of `mfa exec` (`cli/child.rs`), which replaces this process, so the shell's exit
//! status is ours. Refuses to start inside another `mfa exec` or `mfa shell` (`MFA_PROFILE` is
//! set there): its credentials would be taken for long-term keys.

use crate::cli::{Context, Exit, Failure, child};

/// `mfa shell`. Returns only on failure.
pub fn run(ctx: &mut Context) -> Result<Exit, Failure> {
    child::refuse_nesting(ctx.env.var(child::MARKER), false).map_err(|refused| {
        Failure::usage(
            refused.what(),
            "exit that shell first, or nest anyway with `mfa exec --force`",
        )
    })?;
    let shell = child::shell(ctx.env.var("SHELL"));
    super::exec::exec(ctx, &shell, None, None)
}
