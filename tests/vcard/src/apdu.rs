//! Command APDU parsing (ISO 7816-4 short and extended forms) and status words.
//!
//! ykman 4 sends short APDUs; ykman 5 switches to extended ones for firmware 4 and later,
//! so both must be understood. Response APDUs are `data || SW1 SW2`.

/// A status word, the last two bytes of every response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Sw(pub(crate) u16);

impl Sw {
    pub(crate) const OK: Sw = Sw(0x9000);
    pub(crate) const WRONG_LENGTH: Sw = Sw(0x6700);
    pub(crate) const SECURITY_STATUS: Sw = Sw(0x6982);
    pub(crate) const NO_SUCH_OBJECT: Sw = Sw(0x6984);
    pub(crate) const WRONG_DATA: Sw = Sw(0x6A80);
    pub(crate) const FILE_NOT_FOUND: Sw = Sw(0x6A82);
    pub(crate) const NO_SPACE: Sw = Sw(0x6A84);
    pub(crate) const WRONG_P1P2: Sw = Sw(0x6B00);
    pub(crate) const INS_NOT_SUPPORTED: Sw = Sw(0x6D00);
    pub(crate) const CLA_NOT_SUPPORTED: Sw = Sw(0x6E00);

    /// `61xx`: more data waiting; `xx` is the number of bytes left, `00` for 256 or more.
    pub(crate) fn more_data(remaining: usize) -> Sw {
        let xx = if remaining >= 0x100 {
            0
        } else {
            remaining as u16
        };
        Sw(0x6100 | xx)
    }
}

/// What an application answers: data and a status word.
pub(crate) type Reply = Result<Vec<u8>, Sw>;

/// A parsed command APDU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Command {
    pub(crate) cla: u8,
    pub(crate) ins: u8,
    pub(crate) p1: u8,
    pub(crate) p2: u8,
    pub(crate) data: Vec<u8>,
}

impl Command {
    /// `CLA` bit 5 set: more command data follows in the next APDU (command chaining).
    pub(crate) fn is_chained(&self) -> bool {
        self.cla & 0x10 != 0
    }

    pub(crate) fn p1p2(&self) -> u16 {
        u16::from_be_bytes([self.p1, self.p2])
    }

    /// Parses the four header bytes and the body; the `Le` field is accepted and ignored.
    pub(crate) fn parse(apdu: &[u8]) -> Result<Command, Sw> {
        let [cla, ins, p1, p2, body @ ..] = apdu else {
            return Err(Sw::WRONG_LENGTH);
        };
        let data = match body {
            // Case 1 (no body) and case 2 short (Le only).
            [] | [_] => &[][..],
            // Extended: a zero byte, then a 2-byte Lc (or Le when nothing follows).
            [0, hi, lo, rest @ ..] => {
                let lc = usize::from(u16::from_be_bytes([*hi, *lo]));
                if rest.is_empty() {
                    &[][..]
                } else if rest.len() == lc || rest.len() == lc + 2 {
                    &rest[..lc]
                } else {
                    return Err(Sw::WRONG_LENGTH);
                }
            }
            [0, ..] => return Err(Sw::WRONG_LENGTH),
            // Short case 3/4: Lc, data, optional Le.
            [lc, rest @ ..] => {
                let lc = usize::from(*lc);
                if rest.len() == lc || rest.len() == lc + 1 {
                    &rest[..lc]
                } else {
                    return Err(Sw::WRONG_LENGTH);
                }
            }
        };
        if cla & !0x10 != 0 {
            return Err(Sw::CLA_NOT_SUPPORTED);
        }
        Ok(Command {
            cla: *cla,
            ins: *ins,
            p1: *p1,
            p2: *p2,
            data: data.to_vec(),
        })
    }
}

/// Builds the response APDU bytes: `data || SW`.
pub(crate) fn response(mut data: Vec<u8>, sw: Sw) -> Vec<u8> {
    data.extend_from_slice(&sw.0.to_be_bytes());
    data
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_all_cases() {
        let c = Command::parse(&[0, 0xA4, 4, 0]).unwrap();
        assert!(c.data.is_empty());
        let c = Command::parse(&[0, 0xA5, 0, 0, 0]).unwrap();
        assert!(c.data.is_empty());
        let c = Command::parse(&[0, 0xA4, 4, 0, 2, 0xA0, 0x01]).unwrap();
        assert_eq!(c.data, [0xA0, 0x01]);
        let c = Command::parse(&[0, 0xA4, 4, 0, 2, 0xA0, 0x01, 0]).unwrap();
        assert_eq!(c.data, [0xA0, 0x01]);
        let c = Command::parse(&[0, 0xA2, 0, 1, 0, 0, 2, 7, 8]).unwrap();
        assert_eq!((c.p2, c.data.as_slice()), (1, &[7u8, 8][..]));
        let c = Command::parse(&[0, 0xA2, 0, 1, 0, 0, 2, 7, 8, 0, 0]).unwrap();
        assert_eq!(c.data, [7, 8]);
        let c = Command::parse(&[0, 0xA5, 0, 0, 0, 0, 0]).unwrap();
        assert!(c.data.is_empty());
    }

    #[test]
    fn rejects_bad_lengths() {
        assert_eq!(Command::parse(&[0, 1, 2]), Err(Sw::WRONG_LENGTH));
        assert_eq!(Command::parse(&[0, 1, 0, 0, 3, 1]), Err(Sw::WRONG_LENGTH));
        assert_eq!(Command::parse(&[0, 1, 0, 0, 0, 0]), Err(Sw::WRONG_LENGTH));
        assert_eq!(
            Command::parse(&[0, 1, 0, 0, 0, 0, 5, 1]),
            Err(Sw::WRONG_LENGTH)
        );
        assert_eq!(Command::parse(&[0x80, 1, 0, 0]), Err(Sw::CLA_NOT_SUPPORTED));
    }

    #[test]
    fn more_data_counts_remaining_bytes() {
        assert_eq!(Sw::more_data(10), Sw(0x610A));
        assert_eq!(Sw::more_data(255), Sw(0x61FF));
        assert_eq!(Sw::more_data(256), Sw(0x6100));
        assert_eq!(Sw::more_data(4000), Sw(0x6100));
    }
}
