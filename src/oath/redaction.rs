//! What an APDU trace ([`crate::transport::trace`]) hides of YKOATH exchanges.

use super::Instruction;
use crate::transport::trace::Redact;

/// The [`Redaction`](crate::transport::trace::Redaction) of YKOATH: the data of PUT, SET CODE
/// and VALIDATE (an account key, the password key, a password response); the answers of
/// CALCULATE, CALCULATE ALL (P1 `00`; SELECT shares its INS) and VALIDATE (codes and MACs),
/// and the SEND REMAINING parts that continue them.
pub fn trace_redaction(command: &[u8]) -> Redact {
    let ins = command.get(1).copied();
    let p1 = command.get(2).copied();
    let is = |instruction: Instruction| ins == Some(instruction.code());
    use Instruction::*;
    Redact {
        command: is(Put) || is(SetCode) || is(Validate),
        answer: is(Calculate) || is(Validate) || (is(CalculateAll) && p1 == Some(0x00)),
        continues: is(SendRemaining),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::transport::trace::Traced;
    use crate::transport::{ScriptedTransport, Transport};

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
            let mut traced = Traced::new(script, trace_redaction, |line: &str| {
                lines.push(line.to_owned())
            });
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

    #[test]
    fn set_code_data_is_secret_and_select_answers_are_not() {
        let set_code = trace_redaction(&[0, 0x03, 0, 0, 3, 0x73, 1, 0x21]);
        assert!(set_code.command && !set_code.answer);
        let select = trace_redaction(&[0, 0xA4, 4, 0, 7, 0xA0, 0, 0, 5, 0x27, 0x21, 1]);
        assert_eq!(select, Redact::default());
        assert_eq!(trace_redaction(&[]), Redact::default());
    }
}
