//! A scripted transport for tests: the card's side of a conversation, written down in advance.
//!
//! Scripts are usually trace files (`tests/traces/*.trace`):
//!
//! ```text
//! # SELECT the OATH application
//! > 00 A4 04 00 07 A0 00 00 05 27 21 01
//! < 79 03 05 04 03 71 08 01 02 03 04 05 06 07 08 90 00
//! # the key was pulled out here
//! > 00 A1 00 00 00
//! < !removed
//! ```
//!
//! `>` is a command APDU, `<` the full answer (data and status word) or `!removed`, `!reset`,
//! `!timeout`, `!busy` for a transport failure; hex may be spaced freely; `#` starts a comment.
//! A command that differs from the script panics with both APDUs and the first differing byte,
//! which fails the test with a readable diff; [`ScriptedTransport::exchanged`] counts exchanges.

use std::fmt;

use super::hex::{hex, parse_hex};
use super::{Response, Transport, TransportError};

/// The reader name that scripted failures report.
pub const SCRIPTED_READER: &str = "Scripted Reader";

/// What the scripted card answers to one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Raw answer bytes: data then `SW1 SW2`.
    Response(Vec<u8>),
    /// The card was removed ([`TransportError::CardRemoved`]).
    Removed,
    /// The card was reset ([`TransportError::CardReset`]).
    Reset,
    /// The card did not answer in time ([`TransportError::Timeout`]).
    Timeout,
    /// Another program holds the card ([`TransportError::ReaderBusy`]).
    Busy,
}

/// One expected command and the reply to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// The command APDU the code under test must send.
    pub command: Vec<u8>,
    /// What the card answers.
    pub reply: Reply,
    /// The trace line of the command, when loaded from a trace (for messages).
    pub line: Option<usize>,
}

/// A trace file that does not follow the format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("trace line {line}: {reason}")]
pub struct TraceError {
    /// 1-based line number.
    pub line: usize,
    /// What was wrong.
    pub reason: String,
}

/// A [`Transport`] that plays a script of exchanges and checks every command against it.
#[derive(Debug, Clone, Default)]
pub struct ScriptedTransport {
    exchanges: Vec<Exchange>,
    next: usize,
}

impl ScriptedTransport {
    /// An empty script.
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads a trace (see the module documentation).
    pub fn from_trace(text: &str) -> Result<Self, TraceError> {
        let mut script = Self::new();
        let mut pending: Option<(Vec<u8>, usize)> = None;
        for (index, raw_line) in text.lines().enumerate() {
            let line = index + 1;
            let error = |reason: String| TraceError { line, reason };
            let content = raw_line.split('#').next().unwrap_or("").trim();
            if content.is_empty() {
                continue;
            }
            if let Some(hex) = content.strip_prefix('>') {
                if pending.is_some() {
                    return Err(error("a command follows a command with no reply".into()));
                }
                let command = parse_hex(hex).map_err(error)?;
                if command.len() < 4 {
                    return Err(error("a command APDU has at least 4 bytes".into()));
                }
                pending = Some((command, line));
            } else if let Some(reply) = content.strip_prefix('<') {
                let (command, command_line) = pending
                    .take()
                    .ok_or_else(|| error("a reply with no command".into()))?;
                let reply = parse_reply(reply.trim()).map_err(error)?;
                script.exchanges.push(Exchange {
                    command,
                    reply,
                    line: Some(command_line),
                });
            } else {
                return Err(error(format!(
                    "expected `> command` or `< reply`, found `{content}`"
                )));
            }
        }
        if let Some((_, line)) = pending {
            return Err(TraceError {
                line,
                reason: "the last command has no reply".into(),
            });
        }
        Ok(script)
    }

    /// Appends an exchange: `command` must come next, and the card answers `response` (data and
    /// status word).
    pub fn push(&mut self, command: impl Into<Vec<u8>>, response: impl Into<Vec<u8>>) {
        self.push_reply(command, Reply::Response(response.into()));
    }

    /// Appends an exchange with any [`Reply`].
    pub fn push_reply(&mut self, command: impl Into<Vec<u8>>, reply: Reply) {
        self.exchanges.push(Exchange {
            command: command.into(),
            reply,
            line: None,
        });
    }

    /// Builder form of [`ScriptedTransport::push`].
    pub fn expect(mut self, command: impl Into<Vec<u8>>, response: impl Into<Vec<u8>>) -> Self {
        self.push(command, response);
        self
    }

    /// Appends the exchanges of another trace.
    pub fn extend_from_trace(&mut self, text: &str) -> Result<(), TraceError> {
        self.exchanges.extend(Self::from_trace(text)?.exchanges);
        Ok(())
    }

    /// How many exchanges have been played so far.
    pub fn exchanged(&self) -> usize {
        self.next
    }

    /// How many exchanges are left.
    pub fn remaining(&self) -> usize {
        self.exchanges.len() - self.next
    }

    /// Panics unless every scripted exchange has been played.
    #[track_caller]
    pub fn assert_finished(&self) {
        if let Some(exchange) = self.exchanges.get(self.next) {
            panic!(
                "scripted transport: {} of {} exchanges played; next expected command{}: {}",
                self.next,
                self.exchanges.len(),
                line_note(exchange.line),
                hex(&exchange.command)
            );
        }
    }
}

impl Transport for ScriptedTransport {
    fn transmit(&mut self, command: &[u8]) -> Result<Response, TransportError> {
        let Some(exchange) = self.exchanges.get(self.next) else {
            panic!(
                "scripted transport: unexpected command after the {} scripted exchanges:\n  actual:   {}",
                self.exchanges.len(),
                hex(command)
            );
        };
        if exchange.command != command {
            panic!(
                "scripted transport: exchange {} of {}{} got a different command\n{}",
                self.next + 1,
                self.exchanges.len(),
                line_note(exchange.line),
                Diff {
                    expected: &exchange.command,
                    actual: command
                }
            );
        }
        self.next += 1;
        let reader = || SCRIPTED_READER.to_owned();
        match &exchange.reply {
            Reply::Response(raw) => {
                Response::from_raw(raw).ok_or(TransportError::MalformedResponse {
                    reason: "response shorter than a status word",
                })
            }
            Reply::Removed => Err(TransportError::CardRemoved { reader: reader() }),
            Reply::Reset => Err(TransportError::CardReset { reader: reader() }),
            Reply::Timeout => Err(TransportError::Timeout { reader: reader() }),
            Reply::Busy => Err(TransportError::ReaderBusy { reader: reader() }),
        }
    }
}

/// Two APDUs side by side with a marker under the first differing byte.
struct Diff<'a> {
    expected: &'a [u8],
    actual: &'a [u8],
}

impl fmt::Display for Diff<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let first = self
            .expected
            .iter()
            .zip(self.actual)
            .position(|(a, b)| a != b)
            .unwrap_or(self.expected.len().min(self.actual.len()));
        writeln!(f, "  expected: {}", hex(self.expected))?;
        writeln!(f, "  actual:   {}", hex(self.actual))?;
        write!(
            f,
            "            {}^^ first difference at byte {first} (lengths {} and {})",
            " ".repeat(first * 3),
            self.expected.len(),
            self.actual.len()
        )
    }
}

fn line_note(line: Option<usize>) -> String {
    line.map(|line| format!(" (trace line {line})"))
        .unwrap_or_default()
}

fn parse_reply(text: &str) -> Result<Reply, String> {
    match text.strip_prefix('!') {
        Some("removed") => Ok(Reply::Removed),
        Some("reset") => Ok(Reply::Reset),
        Some("timeout") => Ok(Reply::Timeout),
        Some("busy") => Ok(Reply::Busy),
        Some(other) => Err(format!(
            "unknown failure `!{other}` (use !removed, !reset, !timeout or !busy)"
        )),
        None => {
            let raw = parse_hex(text)?;
            if raw.len() < 2 {
                return Err("a reply has at least a status word".into());
            }
            Ok(Reply::Response(raw))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::transport::StatusWord;

    #[test]
    fn plays_a_trace_and_counts() {
        let mut card = ScriptedTransport::from_trace(
            "# comment\n\n> 00 A1 00 00 00   # LIST\n< 72 02 21 61 9000\n> 00a2000100\n< !removed\n",
        )
        .unwrap();
        assert_eq!(card.remaining(), 2);
        let response = card.transmit(&[0, 0xA1, 0, 0, 0]).unwrap();
        assert_eq!(response.data(), &[0x72, 2, 0x21, 0x61]);
        assert_eq!(response.sw(), StatusWord::OK);
        assert!(matches!(
            card.transmit(&[0, 0xA2, 0, 1, 0]),
            Err(TransportError::CardRemoved { .. })
        ));
        assert_eq!(card.exchanged(), 2);
        card.assert_finished();
    }

    #[test]
    fn rejects_malformed_traces() {
        let cases = [
            ("> 00 A1 00 00\n", 1, "the last command has no reply"),
            ("< 90 00\n", 1, "a reply with no command"),
            (
                "> 00 A1 00 00\n> 00 A1 00 00\n",
                2,
                "a command follows a command",
            ),
            ("> 00 A1 0\n< 9000", 1, "odd number"),
            ("> 00 A1 00 00\n< 90", 2, "at least a status word"),
            ("> 00 A1 00 00\n< !gone", 2, "unknown failure"),
            ("> 00 A1\n< 9000", 1, "at least 4 bytes"),
            ("90 00", 1, "expected `> command`"),
            ("> zz", 1, "not a hex digit"),
        ];
        for (text, line, reason) in cases {
            let error = ScriptedTransport::from_trace(text).unwrap_err();
            assert_eq!(error.line, line, "{text:?}");
            assert!(error.reason.contains(reason), "{text:?}: {}", error.reason);
        }
    }

    #[test]
    fn a_different_command_fails_with_a_diff() {
        let mut card = ScriptedTransport::new().expect([0, 0xA2, 0, 1, 2, 0x74, 0], [0x90, 0]);
        let panic = std::panic::catch_unwind(move || {
            let _ = card.transmit(&[0, 0xA2, 0, 0, 2, 0x74, 0]);
        })
        .unwrap_err();
        let message = panic.downcast_ref::<String>().unwrap();
        assert!(
            message.contains("exchange 1 of 1 got a different command"),
            "{message}"
        );
        assert!(
            message.contains("expected: 00 A2 00 01 02 74 00"),
            "{message}"
        );
        assert!(
            message.contains("actual:   00 A2 00 00 02 74 00"),
            "{message}"
        );
        assert!(
            message.contains("                     ^^ first difference at byte 3"),
            "{message}"
        );
    }

    #[test]
    fn an_extra_command_fails() {
        let mut card = ScriptedTransport::new();
        let panic = std::panic::catch_unwind(move || {
            let _ = card.transmit(&[0, 0xA1, 0, 0, 0]);
        })
        .unwrap_err();
        let message = panic.downcast_ref::<String>().unwrap();
        assert!(message.contains("unexpected command"), "{message}");
    }

    #[test]
    #[should_panic(expected = "0 of 1 exchanges played")]
    fn unplayed_exchanges_fail_the_finish_check() {
        ScriptedTransport::new()
            .expect([0, 0xA1, 0, 0, 0], [0x90, 0])
            .assert_finished();
    }
}
