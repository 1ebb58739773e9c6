//! The human at the keyboard, as an input: notices ("Touch your YubiKey…", countdowns, `-v`
//! explanations) and questions (passwords, codes, "which key?").
//!
//! Everything here goes to the controlling terminal (`/dev/tty`) when there is one, else to
//! stderr — never stdout, which carries only a command's result (so `mfa credential-process`
//! and `$(mfa code)` stay clean). Layers below the cli take a `&mut dyn Terminal`, so tests drive
//! them with [`ScriptedTerminal`] and never touch the real terminal.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};

use std::time::Duration;

use crate::desktop::Notifier;
use crate::secret::SecretString;

/// The longest answer read from the terminal (a longer line is cut there).
const MAX_ANSWER: usize = 1024;

/// `text` with every control character (C0, DEL, C1 — ESC among them) shown as an escape
/// (`\x1b`, `\u{9b}`) instead of being sent to the terminal: profile names, account names and
/// server messages reach our messages, and a raw escape sequence in them could rewrite the
/// screen or the window title. Line feeds are kept when `keep_newlines` is set.
pub fn printable(text: &str, keep_newlines: bool) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && !(keep_newlines && c == '\n');
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !unsafe_char(c) {
            out.push(c);
        } else if c.is_ascii() {
            out.push_str(&format!("\\x{:02x}", u32::from(c)));
        } else {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Notices for, and questions to, the user.
pub trait Terminal {
    /// A line the user must see (touch requests, waits). Shown even with `--quiet`: it asks the
    /// user to act.
    fn notice(&mut self, text: &str);

    /// An explanation shown at `-v` (level 1) or `-vv` (level 2) and above.
    fn explain(&mut self, level: u8, text: &str);

    /// Asks `prompt` and reads one line with echo. `Ok(None)` when there is no terminal to ask.
    fn ask(&mut self, prompt: &str) -> io::Result<Option<String>>;

    /// Asks `prompt` and reads one line without echo. `Ok(None)` when there is no terminal.
    fn ask_secret(&mut self, prompt: &str) -> io::Result<Option<SecretString>>;

    /// Whether questions can be asked (a terminal is attached).
    fn is_interactive(&self) -> bool;

    /// A request to act now (touch the key), shown like a notice; with no terminal, also sent
    /// as a desktop notification where a session bus answers (docs/desktop.md). `shown_for` is
    /// how long the request stands.
    fn alert(&mut self, text: &str, shown_for: std::time::Duration) {
        let _ = shown_for;
        self.notice(text);
    }

    /// A question that could not be asked for want of a terminal. Nothing is shown here (the
    /// caller's error says it); with no terminal it is sent as a desktop notification.
    fn cannot_ask(&mut self, question: &str) {
        let _ = question;
    }
}

/// The process's real terminal: `/dev/tty` if it can be opened, else stderr for notices and no
/// questions.
pub struct SystemTerminal {
    tty: Option<File>,
    verbosity: u8,
    desktop: Option<Notifier>,
}

impl SystemTerminal {
    /// Opens `/dev/tty` (a process without a controlling terminal gets none).
    pub fn open(verbosity: u8) -> Self {
        let tty = File::options()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .ok()
            .filter(|f| f.is_terminal());
        SystemTerminal {
            tty,
            verbosity,
            desktop: None,
        }
    }

    /// Whether `/dev/tty` could be opened.
    pub fn has_tty(&self) -> bool {
        self.tty.is_some()
    }

    /// Sends touch requests and unaskable questions to the desktop too, when there is no
    /// terminal (see [`Terminal::alert`]).
    pub fn with_desktop(mut self, notifier: Option<Notifier>) -> Self {
        self.desktop = notifier;
        self
    }

    /// Whether a request to act can reach someone: a terminal, or (with none) a notification
    /// server on the session bus ([`Terminal::alert`]).
    pub fn can_alert(&self) -> bool {
        self.tty.is_some() || self.desktop().is_some_and(Notifier::server_answers)
    }

    /// The desktop notifier, when there is no terminal and a session bus to try.
    fn desktop(&self) -> Option<&Notifier> {
        self.desktop.as_ref().filter(|_| self.tty.is_none())
    }

    fn write_line(&mut self, text: &str) {
        let text = printable(text, true);
        // Nothing useful can be done when the terminal or stderr is gone.
        match &mut self.tty {
            Some(tty) => {
                let _ = writeln!(tty, "{text}");
            }
            None => {
                let _ = writeln!(io::stderr().lock(), "{text}");
            }
        }
    }
}

impl Terminal for SystemTerminal {
    fn notice(&mut self, text: &str) {
        self.write_line(text);
    }

    fn explain(&mut self, level: u8, text: &str) {
        if self.verbosity >= level {
            // Explanations are diagnostics: stderr, so they can be captured with 2>.
            let _ = writeln!(io::stderr().lock(), "mfa: {}", printable(text, false));
        }
    }

    fn ask(&mut self, prompt: &str) -> io::Result<Option<String>> {
        let Some(tty) = &mut self.tty else {
            self.cannot_ask(prompt);
            return Ok(None);
        };
        write!(tty, "{}", printable(prompt, true))?;
        tty.flush()?;
        // The answer may be a code: read byte by byte (no buffer of the reader's own) into
        // storage of the longest answer taken, wiped after. The line ends at a newline, at the
        // end of input, or at that length.
        let mut line = zeroize::Zeroizing::new(Vec::with_capacity(MAX_ANSWER));
        let mut byte = [0u8; 1];
        while line.len() < MAX_ANSWER {
            match tty.read(&mut byte) {
                Ok(0) => break,
                Ok(_) if byte[0] == b'\n' => break,
                Ok(_) => line.push(byte[0]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        zeroize::Zeroize::zeroize(&mut byte);
        let text = String::from_utf8_lossy(&line);
        Ok(Some(text.trim_end_matches('\r').to_owned()))
    }

    fn ask_secret(&mut self, prompt: &str) -> io::Result<Option<SecretString>> {
        if self.tty.is_none() {
            self.cannot_ask(prompt);
            return Ok(None);
        }
        // rpassword opens /dev/tty itself, turns echo off and restores it.
        rpassword::prompt_password(printable(prompt, true)).map(|s| Some(SecretString::new(s)))
    }

    fn is_interactive(&self) -> bool {
        self.tty.is_some()
    }

    fn alert(&mut self, text: &str, shown_for: std::time::Duration) {
        self.write_line(text);
        if let Some(desktop) = self.desktop() {
            let sent = desktop.send("mfa: touch your YubiKey", text, shown_for);
            self.explain(2, &format!("desktop notification sent: {sent}"));
        }
    }

    fn cannot_ask(&mut self, question: &str) {
        if let Some(desktop) = self.desktop() {
            let question = question.trim().trim_end_matches(':');
            let body = format!(
                "mfa has no terminal to ask “{question}”. Run `mfa -p {} login` in a terminal \
                 first, or see `mfa doctor`.",
                desktop.profile()
            );
            let sent = desktop.send("mfa: an answer is needed", &body, Duration::from_secs(30));
            self.explain(2, &format!("desktop notification sent: {sent}"));
        }
    }
}

/// A terminal for tests: records what was shown, answers from a script.
#[derive(Debug, Default)]
pub struct ScriptedTerminal {
    /// Every notice, in order.
    pub notices: Vec<String>,
    /// Every explanation, with its level.
    pub explanations: Vec<(u8, String)>,
    /// Every prompt asked.
    pub prompts: Vec<String>,
    /// Every question that could not be asked ([`Terminal::cannot_ask`]).
    pub unasked: Vec<String>,
    answers: VecDeque<String>,
    interactive: bool,
}

impl ScriptedTerminal {
    /// A terminal with nobody at it: questions get `None`.
    pub fn headless() -> Self {
        Self::default()
    }

    /// A terminal whose user gives `answers`, in order, to the questions asked.
    pub fn answering<I: IntoIterator<Item = S>, S: Into<String>>(answers: I) -> Self {
        ScriptedTerminal {
            answers: answers.into_iter().map(Into::into).collect(),
            interactive: true,
            ..Self::default()
        }
    }

    fn next_answer(&mut self, prompt: &str) -> Option<String> {
        self.prompts.push(prompt.to_owned());
        if self.interactive {
            self.answers.pop_front()
        } else {
            None
        }
    }
}

impl Terminal for ScriptedTerminal {
    fn notice(&mut self, text: &str) {
        self.notices.push(text.to_owned());
    }

    fn explain(&mut self, level: u8, text: &str) {
        self.explanations.push((level, text.to_owned()));
    }

    fn ask(&mut self, prompt: &str) -> io::Result<Option<String>> {
        Ok(self.next_answer(prompt))
    }

    fn ask_secret(&mut self, prompt: &str) -> io::Result<Option<SecretString>> {
        Ok(self.next_answer(prompt).map(SecretString::new))
    }

    fn cannot_ask(&mut self, question: &str) {
        self.unasked.push(question.to_owned());
    }

    fn is_interactive(&self) -> bool {
        self.interactive
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_terminal_answers_in_order_and_records() {
        let mut t = ScriptedTerminal::answering(["123456", "hunter2"]);
        assert_eq!(t.ask("Code: ").unwrap().as_deref(), Some("123456"));
        assert_eq!(
            t.ask_secret("Password: ").unwrap().unwrap().expose(),
            "hunter2"
        );
        assert_eq!(t.ask("More: ").unwrap(), None);
        t.notice("Touch your YubiKey…");
        assert_eq!(t.prompts, ["Code: ", "Password: ", "More: "]);
        assert_eq!(t.notices, ["Touch your YubiKey…"]);
    }

    #[test]
    fn headless_terminal_cannot_ask() {
        let mut t = ScriptedTerminal::headless();
        assert!(!t.is_interactive());
        assert_eq!(t.ask("Code: ").unwrap(), None);
    }
}
