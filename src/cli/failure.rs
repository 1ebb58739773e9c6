//! How a command fails: an exit status (docs/errors.md) and two lines for the user — what failed,
//! and what to do about it.
//!
//! Library layers return their own structured errors; the cli layer turns each into a [`Failure`]
//! with the advice that fits the situation, and [`report`] prints it on stderr.

use std::fmt;
use std::io::Write;
use std::process::ExitCode;

use crate::terminal::printable;

/// The exit statuses of docs/errors.md (a child's own status is passed through separately).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: the command did what was asked.
    Success,
    /// 1: a runtime failure — STS refused, no card, touch timeout…
    Runtime,
    /// 2: a usage or configuration error, or a command that is not built yet.
    Usage,
    /// 130: interrupted (Ctrl-C).
    Interrupted,
    /// Another status: a child's, passed through, or the shell's 126/127 for a command that
    /// cannot be run.
    Status(u8),
}

impl Exit {
    /// The numeric status.
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Runtime => 1,
            Exit::Usage => 2,
            Exit::Interrupted => 130,
            Exit::Status(code) => code,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.code())
    }
}

/// A failure the user sees: what failed, what to do, and the exit status.
#[derive(Debug)]
pub struct Failure {
    what: String,
    fix: String,
    exit: Exit,
}

impl Failure {
    /// A runtime failure (exit 1).
    pub fn runtime(what: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            fix: fix.into(),
            exit: Exit::Runtime,
        }
    }

    /// A usage or configuration error (exit 2).
    pub fn usage(what: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            fix: fix.into(),
            exit: Exit::Usage,
        }
    }

    /// A failure with a specific exit status (126/127 for a command that cannot be run).
    pub fn with_status(status: u8, what: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            fix: fix.into(),
            exit: Exit::Status(status),
        }
    }

    /// The user pressed Ctrl-C (exit 130).
    pub fn interrupted() -> Self {
        Self {
            what: "interrupted".into(),
            fix: "nothing was changed; run the command again when ready".into(),
            exit: Exit::Interrupted,
        }
    }

    /// A command that a later version builds (exit 2, no fake output).
    pub fn not_implemented(command: &str) -> Self {
        Self::usage(
            format!("`mfa {command}` is not implemented yet"),
            "see `mfa --help` for the commands this version has",
        )
    }

    /// The exit status this failure maps to.
    pub fn exit(&self) -> Exit {
        self.exit
    }

    /// The first line: what failed.
    pub fn what(&self) -> &str {
        &self.what
    }

    /// The second line: what to do.
    pub fn fix(&self) -> &str {
        &self.fix
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.what)
    }
}

impl std::error::Error for Failure {}

/// Prints `failure` as the two lines of docs/errors.md on `out` (stderr in the binary).
pub fn report(out: &mut dyn Write, failure: &Failure) {
    // A closed stderr leaves nothing better to do than exit with the status.
    // Both lines may quote configuration or a server's text: control characters are escaped,
    // so a message stays two lines and cannot drive the terminal.
    let _ = writeln!(out, "mfa: {}", printable(&failure.what, false));
    let _ = writeln!(out, "  hint: {}", printable(&failure.fix, false));
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn two_lines_what_then_fix() {
        let mut out = Vec::new();
        report(
            &mut out,
            &Failure::runtime(
                "pcscd is not running",
                "start it with `systemctl start pcscd`",
            ),
        );
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "mfa: pcscd is not running\n  hint: start it with `systemctl start pcscd`\n"
        );
    }

    #[test]
    fn escape_sequences_in_a_message_reached_the_terminal_raw() {
        let mut out = Vec::new();
        report(
            &mut out,
            &Failure::usage(
                "profile `\x1b]0;owned\x07evil\nmfa: fake` is not in config",
                "tab\there \u{9b}31m",
            ),
        );
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "mfa: profile `\\x1b]0;owned\\x07evil\\x0amfa: fake` is not in config\n  \
             hint: tab\\x09here \\u{9b}31m\n"
        );
    }

    #[test]
    fn exit_codes_follow_the_spec() {
        assert_eq!(Failure::not_implemented("x").exit().code(), 2);
        assert_eq!(Failure::runtime("a", "b").exit().code(), 1);
        assert_eq!(Failure::interrupted().exit().code(), 130);
        assert_eq!(Exit::Success.code(), 0);
    }
}
