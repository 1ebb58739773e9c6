//! The serial read of the YubiKey OTP application (AID `A0 00 00 05 27 20 01`).
//!
//! Clients that cannot use the Management application read the serial here: SELECT answers
//! the 6-byte status (version, programming sequence, touch level), and `INS 01` with
//! `P1 = 10` (the "device serial" slot) answers the serial as 4 bytes big-endian.
//! No slot can be programmed.

use crate::CardConfig;
use crate::apdu::{Command, Reply, Sw};

pub(crate) const AID: [u8; 7] = [0xA0, 0x00, 0x00, 0x05, 0x27, 0x20, 0x01];

const INS_CONFIG: u8 = 0x01;
const INS_STATUS: u8 = 0x03;
const SLOT_DEVICE_SERIAL: u8 = 0x10;

/// Version, programming sequence 0, touch level 0 (no slot configured).
pub(crate) fn status(config: &CardConfig) -> Vec<u8> {
    let [major, minor, patch] = config.version;
    vec![major, minor, patch, 0, 0, 0]
}

pub(crate) fn handle(cmd: &Command, config: &CardConfig) -> Reply {
    match (cmd.ins, cmd.p1) {
        (INS_CONFIG, SLOT_DEVICE_SERIAL) => Ok(config.serial.to_be_bytes().to_vec()),
        (INS_CONFIG, _) => Err(Sw::WRONG_P1P2),
        (INS_STATUS, _) => Ok(status(config)),
        _ => Err(Sw::INS_NOT_SUPPORTED),
    }
}
