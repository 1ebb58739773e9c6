//! A virtual YubiKey for the `mfa` test bench.
//!
//! [`OathCard`] is a card emulator: the YKOATH application (accounts, TOTP/HOTP, password,
//! touch), enough of the YubiKey Management application for `ykman info` to show a serial
//! and firmware version, and the OTP application's serial read. It is a state machine over
//! APDUs with no I/O, so unit tests drive [`OathCard::execute`] directly.
//!
//! [`RunningCard`] connects a card to pcscd through vsmartcard's `vpcd` driver: the card
//! appears in the reader whose TCP port it connected to (35963 is `Virtual PCD 00 00`),
//! and disappears when the `RunningCard` is removed or dropped.
//!
//! A [`Fault`] in the [`CardConfig`] makes the card misbehave once, as real cards do: a command
//! refused with an error status, or the card pulled out of the reader in the middle of a
//! command (it comes back, with what it holds, through [`RunningCard::reinsert`]).
//!
//! The emulator keeps everything in memory; nothing is written to disk.

mod apdu;
mod card;
mod crypto;
mod management;
mod oath;
mod otp;
mod tlv;
mod touch;

#[cfg(test)]
mod testutil;
mod vpcd;

use std::time::Duration;

pub use card::OathCard;
pub use oath::INS_PUT;
pub use vpcd::RunningCard;

/// What the card does when a calculation needs the user to touch it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TouchMode {
    /// The touch happens at once: the code is calculated immediately.
    Approve,
    /// Nobody touches: the card answers `6982`, as a real key does when the touch times out.
    Deny,
    /// The touch happens after this delay; the APDU's answer is held back until then.
    Delay(Duration),
}

impl std::str::FromStr for TouchMode {
    type Err = String;

    /// Parses `approve`, `deny` or `delay:MILLISECONDS`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "approve" => Ok(Self::Approve),
            "deny" => Ok(Self::Deny),
            _ => match text.strip_prefix("delay:").map(str::parse::<u64>) {
                Some(Ok(ms)) => Ok(Self::Delay(Duration::from_millis(ms))),
                _ => Err(format!(
                    "unknown touch mode `{text}`: use approve, deny or delay:MILLISECONDS"
                )),
            },
        }
    }
}

/// A failure the card acts out once, for tests of what the host does when a card misbehaves.
/// It concerns commands to the OATH application only (INS values mean other things elsewhere).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The first OATH command with this INS is answered with the status word `sw` and not
    /// carried out (e.g. a PUT, [`INS_PUT`], refused with `6A80`).
    Refuse { ins: u8, sw: u16 },
    /// The card is pulled out of the reader during the first OATH command with this INS: the
    /// command is carried out (a PUT is stored), its answer is never sent, and the reader is
    /// empty until [`RunningCard::reinsert`]. Only a [`RunningCard`] can be pulled; a bare
    /// [`OathCard`] just carries the command out and reports it with [`OathCard::take_pulled`].
    Pull { ins: u8 },
}

/// The NFC-style ATR of a YubiKey 5 NFC; ykman 4 and 5 both accept it.
pub const DEFAULT_ATR: [u8; 18] = [
    0x3B, 0x8D, 0x80, 0x01, 0x80, 0x73, 0xC0, 0x21, 0xC0, 0x57, 0x59, 0x75, 0x62, 0x69, 0x4B, 0x65,
    0x79, 0xF9,
];

/// How a virtual card presents itself.
#[derive(Clone, Debug)]
pub struct CardConfig {
    /// Behaviour when a touch-required account is calculated.
    pub touch: TouchMode,
    /// Device serial number (Management application tag `02`, OTP serial slot).
    pub serial: u32,
    /// Firmware version, reported by the OATH, Management and OTP applications.
    pub version: [u8; 3],
    /// Answer to reset sent to pcscd.
    pub atr: Vec<u8>,
    /// A failure to act out once; none by default.
    pub fault: Option<Fault>,
}

impl Default for CardConfig {
    fn default() -> Self {
        Self {
            touch: TouchMode::Approve,
            serial: 12_345_678,
            version: [5, 4, 3],
            atr: DEFAULT_ATR.to_vec(),
            fault: None,
        }
    }
}
