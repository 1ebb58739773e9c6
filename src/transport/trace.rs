//! APDU tracing for debugging (`-vvv`), with secrets redacted.
//!
//! [`Traced`] wraps a transport and writes each exchange as a line in the trace-file format of
//! [`super::scripted`] (`> command`, `< response`). Commands that carry a key or a password
//! response (PUT `01`, SET CODE `03`, VALIDATE `A3`) show their header only; answers that carry
//! codes or MACs (CALCULATE `A2`, CALCULATE ALL `A4 00`, VALIDATE, and the SEND REMAINING `A5`
//! chunks that follow them) show their status word only.

use super::hex::hex;
use super::{Response, Transport, TransportError};

/// INS bytes whose command data is secret.
const SECRET_COMMANDS: [u8; 3] = [0x01, 0x03, 0xA3];
/// SEND REMAINING (YKOATH) and GET RESPONSE (ISO): they continue the previous answer.
const CONTINUATIONS: [u8; 2] = [0xA5, 0xC0];

/// A transport that reports every exchange, redacted, to a sink.
pub struct Traced<T, F> {
    inner: T,
    sink: F,
    redact_answers: bool,
}

impl<T: Transport, F: FnMut(&str)> Traced<T, F> {
    /// Wraps `inner`; `sink` receives one line per command and one per answer.
    pub fn new(inner: T, sink: F) -> Self {
        Self {
            inner,
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
        let ins = command.get(1).copied().unwrap_or(0);
        let p1 = command.get(2).copied().unwrap_or(0);
        if !CONTINUATIONS.contains(&ins) {
            self.redact_answers = matches!(ins, 0xA2 | 0xA3) || (ins == 0xA4 && p1 == 0x00);
        }
        let line = if SECRET_COMMANDS.contains(&ins) && command.len() > 5 {
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

    #[test]
    fn redacts_keys_codes_and_password_responses() {
        let script = ScriptedTransport::from_trace(
            "> 00 A4 04 00 07 A0 00 00 05 27 21 01\n< 79 03 05 04 03 90 00\n\
             > 00 A3 00 00 04 75 02 AA BB\n< 75 02 CC DD 90 00\n\
             > 00 01 00 00 04 73 02 EE FF\n< 90 00\n\
             > 00 A4 00 01 03 74 01 00\n< 71 01 61 76 05 06 11 22 33 44 61 02\n\
             > 00 A5 00 00 00\n< 12 34 90 00\n\
             > 00 A1 00 00 00\n< 72 02 21 61 90 00\n",
        )
        .unwrap();
        let mut lines = Vec::new();
        {
            let mut traced = Traced::new(script, |line: &str| lines.push(line.to_owned()));
            traced
                .transmit(&[0, 0xA4, 4, 0, 7, 0xA0, 0, 0, 5, 0x27, 0x21, 1])
                .unwrap();
            traced
                .transmit(&[0, 0xA3, 0, 0, 4, 0x75, 2, 0xAA, 0xBB])
                .unwrap();
            traced
                .transmit(&[0, 0x01, 0, 0, 4, 0x73, 2, 0xEE, 0xFF])
                .unwrap();
            traced.transmit(&[0, 0xA4, 0, 1, 3, 0x74, 1, 0]).unwrap();
            traced.transmit(&[0, 0xA5, 0, 0, 0]).unwrap();
            traced.transmit(&[0, 0xA1, 0, 0, 0]).unwrap();
            traced.into_inner().assert_finished();
        }
        let all = lines.join("\n");
        for secret in ["AA BB", "CC DD", "EE FF", "11 22", "12 34"] {
            assert!(!all.contains(secret), "{secret} leaked:\n{all}");
        }
        assert_eq!(lines[0], "> 00 A4 04 00 07 A0 00 00 05 27 21 01");
        assert_eq!(lines[1], "< 79 03 05 04 03 90 00");
        assert_eq!(lines[2], "> 00 A3 00 00 # 4 bytes of data redacted");
        assert_eq!(lines[3], "< 90 00 # 4 bytes of data redacted");
        assert_eq!(lines[7], "< 61 02 # 10 bytes of data redacted");
        assert_eq!(lines[9], "< 90 00 # 2 bytes of data redacted");
        assert_eq!(lines[11], "< 72 02 21 61 90 00", "LIST is not secret");
    }
}
