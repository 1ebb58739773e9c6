//! APDU tracing for debugging, with secrets redacted. Nothing is traced unless an explicit trace
//! option turns it on (in the YubiKey source: `PcscConnector::with_trace`).
//!
//! [`Traced`] wraps a transport and writes each exchange as a line in the trace-file format of
//! [`super::scripted`] (`> command`, `< response`). What is secret is decided per command by a
//! [`Redaction`] from the protocol above, which knows its instructions (YKOATH:
//! `oath::trace_redaction`):
//!
//! - a command whose data is secret (a key, a password response) shows its header only;
//! - an answer whose data is secret (a code, a MAC) shows its status word only;
//! - a continuation of the answer (the protocol's SEND REMAINING, or ISO GET RESPONSE `C0`) is
//!   redacted like the answer it continues.

use super::apdu::INS_GET_RESPONSE;
use super::hex::hex;
use super::{Response, Transport, TransportError};

/// What a trace hides of one exchange.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Redact {
    /// The command's data is secret: show the header (`CLA INS P1 P2`) and the size.
    pub command: bool,
    /// The answer's data is secret: show the status word and the size.
    pub answer: bool,
    /// The command asks for the rest of the previous answer, whose redaction it keeps.
    pub continues: bool,
}

/// Decides, from a command APDU, what a trace hides of its exchange.
pub type Redaction = fn(&[u8]) -> Redact;

/// A transport that reports every exchange, redacted, to a sink.
pub struct Traced<T, F> {
    inner: T,
    redaction: Redaction,
    sink: F,
    redact_answers: bool,
}

impl<T: Transport, F: FnMut(&str)> Traced<T, F> {
    /// Wraps `inner`; `redaction` says what to hide, and `sink` receives one line per command
    /// and one per answer.
    pub fn new(inner: T, redaction: Redaction, sink: F) -> Self {
        Self {
            inner,
            redaction,
            sink,
            redact_answers: false,
        }
    }

    /// The wrapped transport.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: Transport, F: FnMut(&str)> Transport for Traced<T, F> {
    fn transmit(&mut self, command: &[u8]) -> Result<Response, TransportError> {
        let redact = (self.redaction)(command);
        let get_response = command.get(1) == Some(&INS_GET_RESPONSE);
        if !(redact.continues || get_response) {
            self.redact_answers = redact.answer;
        }
        let line = if redact.command && command.len() > 5 {
            format!(
                "> {} # {} bytes of data redacted",
                hex(&command[..4]),
                command.len() - 5
            )
        } else {
            format!("> {}", hex(command))
        };
        (self.sink)(&line);
        let result = self.inner.transmit(command);
        let line = match &result {
            Ok(response) if self.redact_answers && !response.data().is_empty() => format!(
                "< {:02X} {:02X} # {} bytes of data redacted",
                response.sw().sw1(),
                response.sw().sw2(),
                response.data().len()
            ),
            Ok(response) => {
                let mut raw = response.data().to_vec();
                raw.extend_from_slice(&response.sw().0.to_be_bytes());
                format!("< {}", hex(&raw))
            }
            Err(error) => format!("# transport error: {error}"),
        };
        (self.sink)(&line);
        result
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::transport::ScriptedTransport;

    /// A made-up protocol: INS `01` sends a secret, `02` answers one, `03` continues an answer.
    fn redaction(command: &[u8]) -> Redact {
        let ins = command.get(1).copied();
        Redact {
            command: ins == Some(0x01),
            answer: ins == Some(0x02),
            continues: ins == Some(0x03),
        }
    }

    #[test]
    fn hides_what_the_redaction_says_and_keeps_it_across_continuations() {
        let script = ScriptedTransport::from_trace(
            "> 00 01 00 00 02 AA BB\n< 90 00\n\
             > 00 02 00 00 00\n< CC DD 61 02\n\
             > 00 03 00 00 00\n< EE FF 61 01\n\
             > 00 C0 00 00 00\n< 11 90 00\n\
             > 00 04 00 00 00\n< 22 33 90 00\n\
             > 00 01 00 00 00\n< !removed\n",
        )
        .unwrap();
        let mut lines = Vec::new();
        {
            let mut traced =
                Traced::new(script, redaction, |line: &str| lines.push(line.to_owned()));
            for command in [
                &[0, 1, 0, 0, 2, 0xAA, 0xBB][..],
                &[0, 2, 0, 0, 0],
                &[0, 3, 0, 0, 0],
                &[0, 0xC0, 0, 0, 0],
                &[0, 4, 0, 0, 0],
            ] {
                traced.transmit(command).unwrap();
            }
            assert!(traced.transmit(&[0, 1, 0, 0, 0]).is_err());
            traced.into_inner().assert_finished();
        }
        assert_eq!(
            lines,
            [
                "> 00 01 00 00 # 2 bytes of data redacted",
                "< 90 00",
                "> 00 02 00 00 00",
                "< 61 02 # 2 bytes of data redacted",
                "> 00 03 00 00 00",
                "< 61 01 # 2 bytes of data redacted",
                "> 00 C0 00 00 00",
                "< 90 00 # 1 bytes of data redacted",
                "> 00 04 00 00 00",
                "< 22 33 90 00",
                "> 00 01 00 00 00",
                "# transport error: the card in `Scripted Reader` was removed during the operation",
            ]
        );
    }
}
