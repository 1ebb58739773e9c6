//! The prompt (docs/software-totp.md): the code typed by the user, or given headless.
//!
//! In order:
//! 1. the terminal (`/dev/tty`) when there is one — so it works under `credential_process` and
//!    inside pipes; an answer that is not 6 or 8 digits is asked again, three times in all;
//! 2. else one line of stdin, when stdin is not a terminal (`echo 123456 | mfa exec -- …`);
//! 3. else `MFA_CODE`;
//! 4. else a failure that names all of these ways.
//!
//! Stdin and `MFA_CODE` are inputs ([`PromptInputs`]): the cli builds them once with
//! [`PromptInputs::from_process`]; tests pass readers and values. Spaces inside a code
//! (`123 456`, as authenticator apps show it) are dropped; anything else that is not a code is
//! refused — re-asked on the terminal, rejected from stdin or `MFA_CODE`.

use std::fmt;
use std::io::{self, BufRead, IsTerminal, Read};

use zeroize::Zeroizing;

use super::{CodeRequest, CodeSource, MfaCode, SourceError, SourceKind};
use crate::secret::SecretString;
use crate::terminal::Terminal;

/// How many times the terminal is asked before giving up.
pub const ATTEMPTS: usize = 3;
/// A line longer than this is not a code.
const MAX_LINE: u64 = 256;

/// Why the prompt gave no code. Facts only: the cli layer says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PromptError {
    /// The terminal could not be read.
    #[error("cannot read the code from the terminal: {0}")]
    Terminal(io::Error),
    /// Every answer on the terminal was something else than a code.
    #[error("{attempts} answers in a row were not 6 or 8 digit codes")]
    TooManyAttempts { attempts: usize },
    /// Stdin could not be read.
    #[error("cannot read the code from stdin: {0}")]
    Stdin(io::Error),
    /// The line on stdin is not a code (never repeated: it may be a password).
    #[error("the line read from stdin is not a 6 or 8 digit code")]
    StdinNotACode,
    /// `MFA_CODE` is not a code.
    #[error("MFA_CODE is not a 6 or 8 digit code")]
    EnvNotACode,
    /// No terminal, nothing on stdin, no `MFA_CODE`.
    #[error("no MFA code for {mfa_serial}: no terminal to ask, nothing on stdin, MFA_CODE not set")]
    NoInput { mfa_serial: String },
}

/// Where a headless code can come from.
#[derive(Default)]
pub struct PromptInputs {
    /// Stdin, when it is not a terminal (a pipe or a file). Read once, one line.
    pub stdin: Option<Box<dyn BufRead>>,
    /// The value of `MFA_CODE`, when set.
    pub env_code: Option<SecretString>,
}

impl fmt::Debug for PromptInputs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PromptInputs")
            .field("stdin", &self.stdin.as_ref().map(|_| "[reader]"))
            .field("env_code", &self.env_code)
            .finish()
    }
}

impl PromptInputs {
    /// The process's own stdin when it is not a terminal, and `env_code` (the cli reads
    /// `MFA_CODE`, set and not empty). For the cli layer, which calls it once.
    ///
    /// stdin is read through its own descriptor with a one-byte buffer, so exactly one line is
    /// consumed: the rest stays for the command `mfa exec` runs next (std's stdin would buffer
    /// ahead and lose it at `exec`).
    pub fn from_process(env_code: Option<SecretString>) -> Self {
        let piped = !io::stdin().is_terminal();
        let unbuffered = || {
            let fd = rustix::stdio::stdin().try_clone_to_owned().ok()?;
            let reader = io::BufReader::with_capacity(1, std::fs::File::from(fd));
            Some(Box::new(reader) as Box<dyn BufRead>)
        };
        PromptInputs {
            stdin: piped.then(unbuffered).flatten(),
            env_code,
        }
    }
}

/// Codes typed by the user or given headless.
#[derive(Debug, Default)]
pub struct PromptSource {
    inputs: PromptInputs,
}

impl PromptSource {
    /// A prompt with these headless inputs.
    pub fn new(inputs: PromptInputs) -> Self {
        PromptSource { inputs }
    }

    fn ask(
        &mut self,
        request: &CodeRequest<'_>,
        terminal: &mut dyn Terminal,
    ) -> Result<MfaCode, SourceError> {
        let question = format!("MFA code for {}: ", request.mfa_serial);
        for attempt in 1..=ATTEMPTS {
            let answer = match terminal.ask(&question) {
                Ok(Some(answer)) => Zeroizing::new(answer),
                // The terminal closed (Ctrl-D) or went away.
                Ok(None) => return Err(SourceError::Interrupted),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                    return Err(SourceError::Interrupted);
                }
                Err(e) => return Err(PromptError::Terminal(e).into()),
            };
            match code(&answer) {
                Some(code) => return Ok(code),
                None if attempt < ATTEMPTS => {
                    terminal.notice("That is not a 6 or 8 digit code; try again.");
                }
                None => {}
            }
        }
        Err(PromptError::TooManyAttempts { attempts: ATTEMPTS }.into())
    }

    fn read_stdin(&mut self) -> Result<Option<MfaCode>, SourceError> {
        let Some(stdin) = self.inputs.stdin.take() else {
            return Ok(None);
        };
        // Pre-sized to the limit: a growing buffer would leave unwiped copies behind.
        let mut line = Zeroizing::new(Vec::with_capacity(MAX_LINE as usize + 1));
        stdin
            .take(MAX_LINE + 1)
            .read_until(b'\n', &mut line)
            .map_err(PromptError::Stdin)?;
        // A line cut at the limit is not a code, whatever its first bytes hold (blanks then
        // digits would otherwise pass, or count as nothing piped).
        if line.len() as u64 > MAX_LINE {
            return Err(SourceError::Prompt(PromptError::StdinNotACode));
        }
        let text = std::str::from_utf8(&line).unwrap_or("?");
        if text.trim().is_empty() {
            return Ok(None); // nothing piped: on to MFA_CODE
        }
        code(text)
            .map(Some)
            .ok_or(SourceError::Prompt(PromptError::StdinNotACode))
    }

    fn read_env(&mut self) -> Result<Option<MfaCode>, SourceError> {
        let Some(value) = self.inputs.env_code.take() else {
            return Ok(None);
        };
        code(value.expose())
            .map(Some)
            .ok_or(SourceError::Prompt(PromptError::EnvNotACode))
    }
}

/// `text` as a code: surrounding whitespace and inner spaces dropped, then 6 or 8 digits.
fn code(text: &str) -> Option<MfaCode> {
    // Sized up front: a growing String would leave copies of the digits behind.
    let mut digits = String::with_capacity(text.len());
    digits.extend(text.chars().filter(|c| !c.is_whitespace()));
    MfaCode::new(SecretString::new(digits), None, SourceKind::Prompt).ok()
}

impl CodeSource for PromptSource {
    fn kind(&self) -> SourceKind {
        SourceKind::Prompt
    }

    fn code(
        &mut self,
        request: &CodeRequest<'_>,
        terminal: &mut dyn Terminal,
    ) -> Result<MfaCode, SourceError> {
        if terminal.is_interactive() {
            terminal.explain(2, "asking for the code on the terminal");
            return self.ask(request, terminal);
        }
        if self.inputs.stdin.is_some() {
            terminal.explain(2, "no terminal: reading the code from stdin");
            if let Some(code) = self.read_stdin()? {
                return Ok(code);
            }
            terminal.explain(2, "nothing on stdin");
        }
        if self.inputs.env_code.is_some() {
            terminal.explain(2, "using MFA_CODE");
            if let Some(code) = self.read_env()? {
                return Ok(code);
            }
        }
        terminal.cannot_ask(&format!("MFA code for {}", request.mfa_serial));
        Err(PromptError::NoInput {
            mfa_serial: request.mfa_serial.to_owned(),
        }
        .into())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::terminal::ScriptedTerminal;

    const ARN: &str = "arn:aws:iam::123456789012:mfa/alice";

    fn request() -> CodeRequest<'static> {
        CodeRequest {
            mfa_serial: ARN,
            oath_account: None,
            unix_time: 0,
        }
    }

    fn inputs(stdin: Option<&'static str>, env: Option<&str>) -> PromptInputs {
        PromptInputs {
            stdin: stdin.map(|s| Box::new(s.as_bytes()) as Box<dyn BufRead>),
            env_code: env.map(|e| SecretString::new(e.to_owned())),
        }
    }

    fn failure(result: Result<MfaCode, SourceError>) -> PromptError {
        match result {
            Err(SourceError::Prompt(error)) => error,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_terminal_is_asked_first() {
        let mut terminal = ScriptedTerminal::answering(["123456"]);
        let mut source = PromptSource::new(inputs(Some("111111\n"), Some("222222")));
        let code = source.code(&request(), &mut terminal).unwrap();
        assert_eq!(code.expose(), "123456");
        assert_eq!(code.source, SourceKind::Prompt);
        assert_eq!(terminal.prompts, [format!("MFA code for {ARN}: ")]);
    }

    #[test]
    fn invalid_answers_are_asked_again_up_to_three_times() {
        let mut terminal = ScriptedTerminal::answering(["12345", "abcdef", " 123 456 "]);
        let code = PromptSource::default()
            .code(&request(), &mut terminal)
            .unwrap();
        assert_eq!(code.expose(), "123456");
        assert_eq!(terminal.prompts.len(), 3);
        assert_eq!(terminal.notices.len(), 2);
        assert!(terminal.notices[0].contains("not a 6 or 8 digit code"));

        let mut terminal = ScriptedTerminal::answering(["1", "2", "3", "123456"]);
        let what = failure(PromptSource::default().code(&request(), &mut terminal)).to_string();
        assert_eq!(what, "3 answers in a row were not 6 or 8 digit codes");
        assert_eq!(terminal.prompts.len(), 3);
    }

    #[test]
    fn a_closed_terminal_is_an_interruption() {
        let mut terminal = ScriptedTerminal::answering(Vec::<String>::new());
        let err = PromptSource::default()
            .code(&request(), &mut terminal)
            .unwrap_err();
        assert!(matches!(err, SourceError::Interrupted), "{err:?}");
    }

    #[test]
    fn without_a_terminal_one_line_of_stdin() {
        let mut source = PromptSource::new(inputs(Some("  87654321 \nmore\n"), Some("222222")));
        let code = source
            .code(&request(), &mut ScriptedTerminal::headless())
            .unwrap();
        assert_eq!(code.expose(), "87654321");
        let mut source = PromptSource::new(inputs(Some("654321"), None));
        let code = source
            .code(&request(), &mut ScriptedTerminal::headless())
            .unwrap();
        assert_eq!(code.expose(), "654321");
    }

    #[test]
    fn a_bad_line_on_stdin_is_rejected_not_reasked() {
        let mut source = PromptSource::new(inputs(Some("hunter2\n"), Some("222222")));
        let what = failure(source.code(&request(), &mut ScriptedTerminal::headless())).to_string();
        assert_eq!(what, "the line read from stdin is not a 6 or 8 digit code");
        // What to pipe instead is the cli's advice (`cli::advice::sources`).
        assert!(!what.contains("hunter2"));
    }

    #[test]
    fn a_line_longer_than_the_limit_is_not_a_code() {
        // Found by the code_line fuzz target: only the first 256 bytes were read, so blanks
        // then a code, on a longer line, were taken as that code (or, all blanks, as nothing).
        for line in [
            format!("{}123456 78\n", " ".repeat(250)),
            format!("{}123456\n", " ".repeat(300)),
        ] {
            let stdin: Box<dyn BufRead> = Box::new(io::Cursor::new(line.into_bytes()));
            let inputs = PromptInputs {
                stdin: Some(stdin),
                env_code: Some(SecretString::new("222222".into())),
            };
            let result =
                PromptSource::new(inputs).code(&request(), &mut ScriptedTerminal::headless());
            assert!(matches!(failure(result), PromptError::StdinNotACode));
        }
        let padded = format!("{}123456\n", " ".repeat(200));
        let mut source = PromptSource::new(inputs(None, None));
        source.inputs.stdin = Some(Box::new(io::Cursor::new(padded.into_bytes())));
        let code = source
            .code(&request(), &mut ScriptedTerminal::headless())
            .unwrap();
        assert_eq!(code.expose(), "123456");
    }

    #[test]
    fn empty_stdin_falls_through_to_mfa_code() {
        let mut terminal = ScriptedTerminal::headless();
        let mut source = PromptSource::new(inputs(Some(""), Some("222222")));
        let code = source.code(&request(), &mut terminal).unwrap();
        assert_eq!(code.expose(), "222222");
        let texts: Vec<&str> = terminal
            .explanations
            .iter()
            .map(|(_, t)| t.as_str())
            .collect();
        assert_eq!(
            texts,
            [
                "no terminal: reading the code from stdin",
                "nothing on stdin",
                "using MFA_CODE"
            ]
        );
    }

    #[test]
    fn mfa_code_is_validated() {
        let mut source = PromptSource::new(inputs(None, Some("12345")));
        let what = failure(source.code(&request(), &mut ScriptedTerminal::headless())).to_string();
        assert_eq!(what, "MFA_CODE is not a 6 or 8 digit code");
        let mut source = PromptSource::new(inputs(None, Some("12345678")));
        let code = source
            .code(&request(), &mut ScriptedTerminal::headless())
            .unwrap();
        assert_eq!(code.expose(), "12345678");
    }

    #[test]
    fn nothing_at_all_names_the_serial() {
        // The advice naming every way to give a code is the cli's (`cli::advice::sources`).
        let mut source = PromptSource::default();
        let mut terminal = ScriptedTerminal::headless();
        let error = failure(source.code(&request(), &mut terminal));
        assert!(matches!(error, PromptError::NoInput { .. }), "{error:?}");
        let what = error.to_string();
        assert!(what.contains(ARN), "{what}");
        // The terminal is told a question could not be asked (a desktop notification, for the
        // real one: docs/desktop.md).
        assert_eq!(terminal.unasked, [format!("MFA code for {ARN}")]);
    }

    #[test]
    fn debug_hides_mfa_code() {
        let text = format!("{:?}", inputs(Some("1"), Some("987654")));
        assert!(!text.contains("987654"), "{text}");
    }
}
