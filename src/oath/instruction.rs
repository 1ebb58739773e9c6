//! [`Instruction`]: the YKOATH instructions, each with its INS byte — one model for building
//! commands and for naming the instruction in errors.

use std::fmt;

use crate::transport::Command;

/// A YKOATH instruction (Yubico's YKOATH protocol description; `yubikit/oath.py`).
///
/// [`Instruction::code`] is the INS byte that commands carry ([`Instruction::command`] builds
/// one); [`Display`](fmt::Display) is the name that error messages show (`SET CODE`,
/// `CALCULATE ALL`). SELECT and CALCULATE ALL share INS `A4` and differ by P1 (`04` and `00`),
/// so the enum carries its byte in a method rather than as its discriminant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Instruction {
    /// SELECT (`A4`, P1 `04`): open the application.
    Select,
    /// PUT (`01`): store an account.
    Put,
    /// DELETE (`02`): remove an account.
    Delete,
    /// SET CODE (`03`): set or clear the password.
    SetCode,
    /// RESET (`04`, P1 P2 `DE AD`): wipe the application.
    Reset,
    /// RENAME (`05`): change an account's id.
    Rename,
    /// LIST (`A1`): the accounts with type and algorithm.
    List,
    /// CALCULATE (`A2`): one account's code.
    Calculate,
    /// VALIDATE (`A3`): unlock with the password response.
    Validate,
    /// CALCULATE ALL (`A4`, P1 `00`): codes for every account for one challenge.
    CalculateAll,
    /// SEND REMAINING (`A5`): the next part of a `61xx` answer.
    SendRemaining,
}

impl Instruction {
    /// The INS byte.
    pub const fn code(self) -> u8 {
        match self {
            Self::Put => 0x01,
            Self::Delete => 0x02,
            Self::SetCode => 0x03,
            Self::Reset => 0x04,
            Self::Rename => 0x05,
            Self::List => 0xA1,
            Self::Calculate => 0xA2,
            Self::Validate => 0xA3,
            Self::Select | Self::CalculateAll => 0xA4,
            Self::SendRemaining => 0xA5,
        }
    }

    /// A command for this instruction (CLA `00`), with no data yet.
    pub fn command(self, p1: u8, p2: u8) -> Command {
        Command::new(0, self.code(), p1, p2)
    }
}

impl fmt::Display for Instruction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Select => "SELECT",
            Self::Put => "PUT",
            Self::Delete => "DELETE",
            Self::SetCode => "SET CODE",
            Self::Reset => "RESET",
            Self::Rename => "RENAME",
            Self::List => "LIST",
            Self::Calculate => "CALCULATE",
            Self::Validate => "VALIDATE",
            Self::CalculateAll => "CALCULATE ALL",
            Self::SendRemaining => "SEND REMAINING",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carries_the_ykoath_ins_bytes() {
        use Instruction::*;
        let bytes = [
            (Put, 0x01),
            (Delete, 0x02),
            (SetCode, 0x03),
            (Reset, 0x04),
            (Rename, 0x05),
            (List, 0xA1),
            (Calculate, 0xA2),
            (Validate, 0xA3),
            (Select, 0xA4),
            (CalculateAll, 0xA4),
            (SendRemaining, 0xA5),
        ];
        for (instruction, code) in bytes {
            assert_eq!(instruction.code(), code, "{instruction}");
        }
    }

    #[test]
    fn displays_the_names_messages_use() {
        assert_eq!(Instruction::SetCode.to_string(), "SET CODE");
        assert_eq!(Instruction::CalculateAll.to_string(), "CALCULATE ALL");
        assert_eq!(Instruction::SendRemaining.to_string(), "SEND REMAINING");
    }
}
