//! `mfa completions SHELL`: a completion script generated from the clap definitions.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::output::write_out;
use crate::cli::{Cli, Exit, Failure};

/// `mfa completions SHELL`, on stdout.
pub fn run(shell: clap_complete::Shell) -> Result<Exit, Failure> {
    write(shell, &mut std::io::stdout().lock())
}

/// Writes the completion script for `shell` to `out`.
pub fn write(shell: clap_complete::Shell, out: &mut dyn Write) -> Result<Exit, Failure> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "mfa", &mut script);
    write_out(out, &script)?;
    Ok(Exit::Success)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_shell_gets_a_script_naming_the_commands() {
        for shell in [
            clap_complete::Shell::Bash,
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
            clap_complete::Shell::PowerShell,
        ] {
            let mut out = Vec::new();
            write(shell, &mut out).unwrap();
            let text = String::from_utf8(out).unwrap();
            assert!(text.contains("credential-process"), "{shell:?}");
            assert!(text.contains("eks-token"), "{shell:?}");
        }
    }
}
