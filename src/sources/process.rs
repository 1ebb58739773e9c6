//! `mfa_process`: a command whose stdout is the code (docs/software-totp.md), as aws-vault runs it
//! — so `op item get AWS --otp`, `pass otp aws` or `ykman oath accounts code -s …` work unchanged.
//!
//! The command runs with `sh -c`, in the current environment. Its stdout, trimmed, must be a 6 or
//! 8 digit code; its stderr passes through to the user (password managers prompt and report
//! there); its stdin is what the caller gives — normally the terminal ([`ProcessStdin::terminal`]),
//! so a password manager can ask for its master password even under `credential_process`. A
//! non-zero exit, or anything but a code on stdout, is an error naming the command; the output
//! itself is never repeated. A timeout is optional: without one the command may take as long as
//! its user needs.

use std::fs::File;
use std::io::{self, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use super::{CodeRequest, CodeSource, MfaCode, SourceError, SourceKind, is_code};
use crate::secret::SecretString;
use crate::terminal::Terminal;

/// A code is a line; more than this on stdout is not a code.
const MAX_OUTPUT: u64 = 4096;

/// What the command reads as its stdin.
#[derive(Debug)]
pub enum ProcessStdin {
    /// mfa's own stdin.
    Inherit,
    /// Nothing (`/dev/null`).
    Null,
    /// This file, usually the terminal (`/dev/tty`).
    File(File),
}

impl ProcessStdin {
    /// The controlling terminal when there is one, else nothing: a command that wants to ask
    /// its user can, and one run headless cannot steal mfa's (or a child's) stdin.
    pub fn terminal() -> Self {
        match File::options().read(true).write(true).open("/dev/tty") {
            Ok(tty) => ProcessStdin::File(tty),
            Err(_) => ProcessStdin::Null,
        }
    }

    fn stdio(&self) -> io::Result<Stdio> {
        Ok(match self {
            ProcessStdin::Inherit => Stdio::inherit(),
            ProcessStdin::Null => Stdio::null(),
            ProcessStdin::File(file) => Stdio::from(file.try_clone()?),
        })
    }
}

/// Why `mfa_process` gave no code. Facts only: the cli layer says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProcessError {
    /// The terminal could not be handed to the command as its stdin.
    #[error("cannot give the terminal to mfa_process `{program}`: {error}")]
    Stdin { program: String, error: io::Error },
    /// `sh` could not be started.
    #[error("cannot run mfa_process `{program}` with sh: {error}")]
    Spawn { program: String, error: io::Error },
    /// Its stdout could not be read.
    #[error("cannot read the output of mfa_process `{program}`: {error}")]
    Read { program: String, error: io::Error },
    /// Waiting for it failed.
    #[error("cannot wait for mfa_process `{program}`: {error}")]
    Wait { program: String, error: io::Error },
    /// It ran past the timeout and was stopped.
    #[error("mfa_process `{program}` did not finish within {seconds} s and was stopped")]
    TimedOut { program: String, seconds: f64 },
    /// It printed more than a code's worth on stdout.
    #[error("mfa_process `{program}` printed more than {max} bytes on stdout")]
    TooMuchOutput { program: String, max: u64 },
    /// It exited with a failure status or was killed (`status` says how).
    #[error("mfa_process `{program}` {status}")]
    Failed { program: String, status: String },
    /// It printed nothing on stdout.
    #[error("mfa_process `{program}` printed nothing on stdout")]
    NoOutput { program: String },
    /// It printed something that is not a code (never repeated: it may be a secret).
    #[error("mfa_process `{program}` printed something other than a 6 or 8 digit code on stdout")]
    NotACode { program: String },
}

/// How long a command runs before we say what we are waiting for.
const QUIET_WAIT: Duration = Duration::from_secs(3);

/// Codes from the profile's `mfa_process`.
pub struct ProcessSource {
    /// The shell command line: it may hold a seed (`oathtool --totp BASE32`), so it is never
    /// shown — messages name [`program_name`] only.
    command: String,
    stdin: ProcessStdin,
    timeout: Option<Duration>,
}

impl std::fmt::Debug for ProcessSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessSource")
            .field("program", &program_name(&self.command))
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// The program a shell command line runs, without its arguments (which may hold a seed): the
/// first word after any `VAR=value` assignments, e.g. `oathtool` for
/// `oathtool --totp BASE32`. Only that is shown in messages.
pub fn program_name(command: &str) -> String {
    let word = command
        .split_whitespace()
        .find(|word| !word.contains('=') || word.starts_with(['\'', '"', '/', '.']))
        .unwrap_or("");
    let word = word.trim_matches(['\'', '"']);
    if word.is_empty() {
        "(empty command)".to_owned()
    } else {
        word.chars().take(64).collect()
    }
}

impl ProcessSource {
    /// Runs `command` (a shell command line) with `stdin`, without a time limit.
    pub fn new(command: impl Into<String>, stdin: ProcessStdin) -> Self {
        ProcessSource {
            command: command.into(),
            stdin,
            timeout: None,
        }
    }

    /// Kills the command and fails when it has not finished within `timeout`.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The program the command line runs, for messages ([`program_name`]).
    pub fn program(&self) -> String {
        program_name(&self.command)
    }

    /// Runs the command; its stdout (at most 4 KiB) and exit status.
    fn run(
        &self,
        terminal: &mut dyn Terminal,
    ) -> Result<(Zeroizing<Vec<u8>>, ExitStatus), ProcessError> {
        let command = &self.command;
        let program = self.program();
        let stdin = self.stdin.stdio().map_err(|error| ProcessError::Stdin {
            program: program.clone(),
            error,
        })?;
        // Stopped, with all it started, if we are interrupted or it runs out of time.
        let (mut child, tracked) = crate::children::spawn(
            Command::new("sh")
                .arg("-c")
                .arg(command)
                .stdin(stdin)
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit()),
        )
        .map_err(|error| ProcessError::Spawn {
            program: program.clone(),
            error,
        })?;
        let deadline = self.timeout.map(|t| Instant::now() + t);

        // Read stdout on a thread, so a command that hangs can be given up on at the deadline.
        let (sender, receiver) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            std::thread::spawn(move || {
                // Pre-sized to the limit: a growing buffer would leave unwiped copies behind.
                let mut output = Zeroizing::new(Vec::with_capacity(MAX_OUTPUT as usize + 1));
                let read = stdout.take(MAX_OUTPUT + 1).read_to_end(&mut output);
                let _ = sender.send(read.map(|_| output));
            });
        }
        // A command still running after a few seconds is waiting for something (a password
        // manager's prompt, a touch): say what we wait for, once.
        let first_wait = deadline.map_or(QUIET_WAIT, |deadline| {
            QUIET_WAIT.min(deadline.saturating_duration_since(Instant::now()))
        });
        let received = match receiver.recv_timeout(first_wait) {
            Err(mpsc::RecvTimeoutError::Timeout)
                if deadline.is_some_and(|deadline| Instant::now() >= deadline) =>
            {
                Err(true)
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                terminal.notice(&format!(
                    "waiting for mfa_process `{program}` to print the code{}…",
                    match self.timeout {
                        Some(t) => format!(
                            " (at most {} s more)",
                            t.saturating_sub(QUIET_WAIT).as_secs()
                        ),
                        None => String::new(),
                    }
                ));
                match deadline {
                    Some(deadline) => receiver
                        .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                        .map_err(|e| matches!(e, mpsc::RecvTimeoutError::Timeout)),
                    None => receiver.recv().map_err(|_| false),
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(false),
            Ok(read) => Ok(read),
        };
        let output = match received {
            Ok(Ok(output)) => output,
            Err(true) => return Err(self.timed_out(&mut child, &tracked)),
            Ok(Err(error)) => {
                stop(&mut child, &tracked);
                return Err(ProcessError::Read {
                    program: program.clone(),
                    error,
                });
            }
            Err(false) => Zeroizing::new(Vec::new()),
        };
        let status = wait(&mut child, deadline).map_err(|error| ProcessError::Wait {
            program: program.clone(),
            error,
        })?;
        match status {
            Some(status) => Ok((output, status)),
            None => Err(self.timed_out(&mut child, &tracked)),
        }
    }

    fn timed_out(&self, child: &mut Child, tracked: &crate::children::Tracked) -> ProcessError {
        stop(child, tracked);
        ProcessError::TimedOut {
            program: self.program(),
            seconds: self.timeout.unwrap_or_default().as_secs_f64(),
        }
    }
}

/// Kills our child and all it started, and reaps the child.
fn stop(child: &mut Child, tracked: &crate::children::Tracked) {
    tracked.kill();
    let _ = child.kill();
    let _ = child.wait();
}

/// Waits for the child, until `deadline` if there is one; `None` when the deadline passed.
fn wait(child: &mut Child, deadline: Option<Instant>) -> io::Result<Option<ExitStatus>> {
    let Some(deadline) = deadline else {
        return child.wait().map(Some);
    };
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(signal)) => format!("was killed by signal {signal}"),
        (None, None) => format!("failed ({status})"),
    }
}

impl CodeSource for ProcessSource {
    fn kind(&self) -> SourceKind {
        SourceKind::Process
    }

    fn code(
        &mut self,
        _request: &CodeRequest<'_>,
        terminal: &mut dyn Terminal,
    ) -> Result<MfaCode, SourceError> {
        // The command line may hold a seed: the program's name only, even at -vv.
        terminal.explain(2, &format!("running mfa_process `{}`", self.program()));
        let (output, status) = self.run(terminal)?;
        let program = self.program();
        // Too much output first: reading stopped there, so the command may have died of SIGPIPE.
        if output.len() as u64 > MAX_OUTPUT {
            return Err(ProcessError::TooMuchOutput {
                program,
                max: MAX_OUTPUT,
            }
            .into());
        }
        if !status.success() {
            let status = describe(status);
            return Err(ProcessError::Failed { program, status }.into());
        }
        let text = match read_code(&output) {
            Output::Code(text) => text,
            Output::Empty => return Err(ProcessError::NoOutput { program }.into()),
            Output::NotACode => return Err(ProcessError::NotACode { program }.into()),
        };
        MfaCode::new(
            SecretString::new(text.to_owned()),
            None,
            SourceKind::Process,
        )
    }
}

/// What a command's stdout holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Output<'a> {
    /// Nothing but whitespace (or not UTF-8).
    Empty,
    /// Something other than 6 or 8 digits.
    NotACode,
    /// A code: the trimmed output.
    Code(&'a str),
}

/// The code in a command's stdout: the whole output, trimmed, must be 6 or 8 digits.
pub(crate) fn read_code(output: &[u8]) -> Output<'_> {
    let text = std::str::from_utf8(output).unwrap_or_default().trim();
    if text.is_empty() {
        Output::Empty
    } else if is_code(text) {
        Output::Code(text)
    } else {
        Output::NotACode
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::terminal::ScriptedTerminal;

    fn request() -> CodeRequest<'static> {
        CodeRequest {
            mfa_serial: "arn:aws:iam::123456789012:mfa/alice",
            oath_account: None,
            unix_time: 0,
        }
    }

    fn run(command: &str) -> Result<MfaCode, SourceError> {
        ProcessSource::new(command, ProcessStdin::Null)
            .code(&request(), &mut ScriptedTerminal::headless())
    }

    fn failure(command: &str) -> ProcessError {
        match run(command) {
            Err(SourceError::Process(error)) => error,
            other => panic!("{command}: {other:?}"),
        }
    }

    #[test]
    fn stdout_trimmed_is_the_code() {
        let code = run("echo '  123456  '; echo 'messages go here' >&2").unwrap();
        assert_eq!(code.expose(), "123456");
        assert_eq!(code.source, SourceKind::Process);
        assert_eq!(code.step, None);
        assert_eq!(run("printf 12345678").unwrap().expose(), "12345678");
        assert_eq!(run("printf '654321\\r\\n'").unwrap().expose(), "654321");
    }

    #[test]
    fn runs_in_a_shell_with_the_environment() {
        let code = run("X=0042; echo \"${X}42\" | tr -d '\\n'; true && exit 0").unwrap();
        assert_eq!(code.expose(), "004242");
    }

    #[test]
    fn stdin_is_what_the_caller_gives() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stdin");
        std::fs::write(&path, "777888\n").unwrap();
        let code = ProcessSource::new("head -n 1", ProcessStdin::File(File::open(&path).unwrap()))
            .code(&request(), &mut ScriptedTerminal::headless())
            .unwrap();
        assert_eq!(code.expose(), "777888");
        // With no stdin the command reads nothing.
        let what = failure("cat").to_string();
        assert!(what.contains("printed nothing"), "{what}");
    }

    #[test]
    fn non_zero_exit_names_the_command() {
        let what = failure("echo 123456; exit 3").to_string();
        assert_eq!(what, "mfa_process `echo` exited with status 3");
        let what = failure("kill -9 $$").to_string();
        assert!(what.ends_with("was killed by signal 9"), "{what}");
        let what = failure("no-such-command-for-mfa-tests").to_string();
        assert!(what.contains("exited with status 127"), "{what}");
    }

    #[test]
    fn garbage_output_is_refused_without_repeating_it() {
        for command in [
            "echo 'Enter password:'",
            "echo 12345",
            "echo 123 456",
            "echo 123456; echo 654321",
        ] {
            let error = failure(command);
            assert!(matches!(error, ProcessError::NotACode { .. }), "{error:?}");
            let what = error.to_string();
            assert!(
                what.ends_with("printed something other than a 6 or 8 digit code on stdout"),
                "{command}: {what}"
            );
            assert!(what.starts_with("mfa_process `echo` "), "{what}");
        }
        let what = failure("true").to_string();
        assert_eq!(what, "mfa_process `true` printed nothing on stdout");
        // More than a code's worth, whether or not the command survives our closing the pipe.
        let what = failure("head -c 10000 /dev/zero | tr '\\0' 1").to_string();
        assert!(
            what.ends_with("printed more than 4096 bytes on stdout"),
            "{what}"
        );
    }

    #[test]
    fn a_timeout_stops_a_hanging_command() {
        let mut source = ProcessSource::new("exec sleep 30", ProcessStdin::Null)
            .with_timeout(Duration::from_millis(200));
        let err = source
            .code(&request(), &mut ScriptedTerminal::headless())
            .unwrap_err();
        let SourceError::Process(error @ ProcessError::TimedOut { .. }) = err else {
            panic!("{err:?}")
        };
        let what = error.to_string();
        assert!(what.contains("did not finish within 0.2 s"), "{what}");
        // A quick command is not affected by a timeout.
        let code = ProcessSource::new("echo 135790", ProcessStdin::Null)
            .with_timeout(Duration::from_secs(30))
            .code(&request(), &mut ScriptedTerminal::headless())
            .unwrap();
        assert_eq!(code.expose(), "135790");
    }

    #[test]
    fn the_command_line_with_a_seed_was_shown_at_vv_and_in_errors() {
        let mut terminal = ScriptedTerminal::headless();
        ProcessSource::new("echo 123456", ProcessStdin::Null)
            .code(&request(), &mut terminal)
            .unwrap();
        assert_eq!(
            terminal.explanations,
            [(2, "running mfa_process `echo`".to_owned())]
        );
        let seeded = "oathtool --totp GEZDGNBVGY3TQOJQ; exit 1";
        let what = failure(seeded).to_string();
        assert!(!what.contains("GEZDGNBV"), "{what}");
        let source = ProcessSource::new(seeded, ProcessStdin::Null);
        assert!(!format!("{source:?}").contains("GEZDGNBV"));
        assert_eq!(
            program_name("  A=1 B=2 /usr/bin/oathtool --totp X"),
            "/usr/bin/oathtool"
        );
        assert_eq!(program_name("'pass' otp aws"), "pass");
        assert_eq!(program_name(""), "(empty command)");
        assert_eq!(
            ProcessSource::new("x", ProcessStdin::Inherit).kind(),
            SourceKind::Process
        );
    }
}
