//! The YKOATH application (AID `A0 00 00 05 27 21 01`).
//!
//! Instructions, tags and status words follow Yubico's YKOATH protocol as ykman's
//! `yubikit/oath.py` speaks it. Where the documentation is silent the NEO applet's behaviour
//! is followed: a wrong VALIDATE response answers `6A80`, a SET CODE whose response does not
//! match answers `6984`, VALIDATE without a password answers `6984`.

mod credential;
#[cfg(test)]
mod password_tests;
#[cfg(test)]
mod tests;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::apdu::{Command, Reply, Sw};
use crate::crypto::{self, HashAlg};
use crate::tlv;
use crate::touch::TouchControl;
use credential::{Credential, OathType};

pub(crate) const AID: [u8; 7] = [0xA0, 0x00, 0x00, 0x05, 0x27, 0x21, 0x01];

/// PUT: stores an account (the INS a [`crate::Fault`] names to act on a registration).
pub const INS_PUT: u8 = 0x01;
const INS_DELETE: u8 = 0x02;
const INS_SET_CODE: u8 = 0x03;
const INS_RESET: u8 = 0x04;
const INS_RENAME: u8 = 0x05;
const INS_LIST: u8 = 0xA1;
const INS_CALCULATE: u8 = 0xA2;
const INS_VALIDATE: u8 = 0xA3;
const INS_CALCULATE_ALL: u8 = 0xA4;
pub(crate) const INS_SEND_REMAINING: u8 = 0xA5;

const TAG_NAME: u8 = 0x71;
const TAG_NAME_LIST: u8 = 0x72;
const TAG_KEY: u8 = 0x73;
const TAG_CHALLENGE: u8 = 0x74;
const TAG_RESPONSE: u8 = 0x75;
const TAG_TRUNCATED: u8 = 0x76;
const TAG_HOTP: u8 = 0x77;
const TAG_PROPERTY: u8 = 0x78;
const TAG_VERSION: u8 = 0x79;
const TAG_IMF: u8 = 0x7A;
const TAG_ALGORITHM: u8 = 0x7B;
const TAG_TOUCH: u8 = 0x7C;

const PROP_REQUIRE_TOUCH: u8 = 0x02;

/// Accounts a YubiKey 5 holds.
pub(crate) const CAPACITY: usize = 32;
/// Longest credential id.
pub(crate) const MAX_NAME_LEN: usize = 64;
/// Shortest host challenge VALIDATE accepts.
const MIN_HOST_CHALLENGE: usize = 8;

/// The access key set by SET CODE (PBKDF2 of the user's password, derived by the host).
struct AccessKey {
    alg: HashAlg,
    key: Zeroizing<Vec<u8>>,
}

pub(crate) struct OathApp {
    salt: [u8; 8],
    credentials: Vec<Credential>,
    access_key: Option<AccessKey>,
    /// The challenge sent by the last SELECT, while a password is set.
    challenge: Option<[u8; 8]>,
    authenticated: bool,
}

impl OathApp {
    pub(crate) fn new() -> Self {
        Self {
            salt: crypto::random(),
            credentials: Vec::new(),
            access_key: None,
            challenge: None,
            authenticated: false,
        }
    }

    /// SELECT: version, salt and, with a password set, a fresh challenge. Drops any
    /// authentication from before.
    pub(crate) fn select(&mut self, version: [u8; 3]) -> Vec<u8> {
        self.authenticated = false;
        self.challenge = None;
        let mut out = Vec::new();
        tlv::push(&mut out, TAG_VERSION, &version);
        tlv::push(&mut out, TAG_NAME, &self.salt);
        if let Some(access) = &self.access_key {
            let challenge = crypto::random();
            tlv::push(&mut out, TAG_CHALLENGE, &challenge);
            tlv::push(&mut out, TAG_ALGORITHM, &[access.alg.code()]);
            self.challenge = Some(challenge);
        }
        out
    }

    /// Another application was selected or the card lost power.
    pub(crate) fn deselect(&mut self) {
        self.authenticated = false;
        self.challenge = None;
    }

    pub(crate) fn has_password(&self) -> bool {
        self.access_key.is_some()
    }

    pub(crate) fn account_names(&self) -> Vec<String> {
        self.credentials
            .iter()
            .map(|c| String::from_utf8_lossy(&c.name).into_owned())
            .collect()
    }

    pub(crate) fn handle(
        &mut self,
        cmd: &Command,
        touch: &TouchControl,
        version: [u8; 3],
    ) -> Reply {
        let locked = self.access_key.is_some() && !self.authenticated;
        if locked && cmd.ins != INS_VALIDATE && cmd.ins != INS_RESET {
            return Err(Sw::SECURITY_STATUS);
        }
        match cmd.ins {
            INS_PUT => self.put(cmd),
            INS_DELETE => self.delete(cmd),
            INS_SET_CODE => self.set_code(cmd),
            INS_RESET => self.reset(cmd),
            INS_RENAME if version >= [5, 3, 1] => self.rename(cmd),
            INS_LIST => self.list(cmd),
            INS_CALCULATE => self.calculate(cmd, touch),
            INS_VALIDATE => self.validate(cmd),
            INS_CALCULATE_ALL => self.calculate_all(cmd),
            // Nothing left to send (the card layer answers while data is pending).
            INS_SEND_REMAINING => Ok(Vec::new()),
            _ => Err(Sw::INS_NOT_SUPPORTED),
        }
    }

    fn find(&self, name: &[u8]) -> Option<usize> {
        self.credentials.iter().position(|c| c.name == name)
    }

    fn put(&mut self, cmd: &Command) -> Reply {
        require_p1p2(cmd, 0)?;
        let (name, rest) = tlv::expect(&cmd.data, TAG_NAME).ok_or(Sw::WRONG_DATA)?;
        let name = valid_name(name)?;
        let (key, mut rest) = tlv::expect(rest, TAG_KEY).ok_or(Sw::WRONG_DATA)?;
        let [type_byte, digits, secret @ ..] = key else {
            return Err(Sw::WRONG_DATA);
        };
        let kind = OathType::from_code(*type_byte).ok_or(Sw::WRONG_DATA)?;
        let alg = HashAlg::from_code(type_byte & 0x0F).ok_or(Sw::WRONG_DATA)?;
        if !(6..=8).contains(digits) {
            return Err(Sw::WRONG_DATA);
        }
        let mut touch = false;
        let mut counter = 0;
        while let Some((&tag, after)) = rest.split_first() {
            match tag {
                // The quirk: PROPERTY is a bare byte after the tag, with no length.
                TAG_PROPERTY => {
                    let (&property, after) = after.split_first().ok_or(Sw::WRONG_DATA)?;
                    touch = property & PROP_REQUIRE_TOUCH != 0;
                    rest = after;
                }
                TAG_IMF => {
                    let (imf, after) = tlv::expect(rest, TAG_IMF).ok_or(Sw::WRONG_DATA)?;
                    let imf: [u8; 4] = imf.try_into().map_err(|_| Sw::WRONG_DATA)?;
                    counter = u32::from_be_bytes(imf);
                    rest = after;
                }
                _ => return Err(Sw::WRONG_DATA),
            }
        }
        let credential = Credential {
            name: name.to_vec(),
            kind,
            alg,
            digits: *digits,
            key: crypto::normalize_key(alg, secret),
            touch,
            counter,
        };
        match self.find(name) {
            Some(index) => self.credentials[index] = credential,
            None if self.credentials.len() >= CAPACITY => return Err(Sw::NO_SPACE),
            None => self.credentials.push(credential),
        }
        Ok(Vec::new())
    }

    fn delete(&mut self, cmd: &Command) -> Reply {
        require_p1p2(cmd, 0)?;
        let name = single(&cmd.data, TAG_NAME)?;
        let index = self.find(name).ok_or(Sw::NO_SUCH_OBJECT)?;
        self.credentials.remove(index);
        Ok(Vec::new())
    }

    fn rename(&mut self, cmd: &Command) -> Reply {
        require_p1p2(cmd, 0)?;
        let (old, rest) = tlv::expect(&cmd.data, TAG_NAME).ok_or(Sw::WRONG_DATA)?;
        let new = valid_name(single(rest, TAG_NAME)?)?;
        let index = self.find(old).ok_or(Sw::NO_SUCH_OBJECT)?;
        if old != new && self.find(new).is_some() {
            return Err(Sw::WRONG_DATA);
        }
        self.credentials[index].name = new.to_vec();
        Ok(Vec::new())
    }

    fn set_code(&mut self, cmd: &Command) -> Reply {
        require_p1p2(cmd, 0)?;
        let (key, rest) = tlv::expect(&cmd.data, TAG_KEY).ok_or(Sw::WRONG_DATA)?;
        let Some((&alg_byte, key)) = key.split_first() else {
            // `73 00`: remove the password.
            if !rest.is_empty() {
                return Err(Sw::WRONG_DATA);
            }
            self.access_key = None;
            self.challenge = None;
            return Ok(Vec::new());
        };
        let alg = HashAlg::from_code(alg_byte & 0x0F).ok_or(Sw::WRONG_DATA)?;
        if key.is_empty() {
            return Err(Sw::WRONG_DATA);
        }
        let (challenge, rest) = tlv::expect(rest, TAG_CHALLENGE).ok_or(Sw::WRONG_DATA)?;
        let response = single(rest, TAG_RESPONSE)?;
        let expected = crypto::hmac(alg, key, challenge);
        if !bool::from(expected.ct_eq(response)) {
            return Err(Sw::NO_SUCH_OBJECT);
        }
        self.access_key = Some(AccessKey {
            alg,
            key: Zeroizing::new(key.to_vec()),
        });
        // The host that set the key is the one holding it: it stays authenticated.
        self.authenticated = true;
        self.challenge = None;
        Ok(Vec::new())
    }

    fn reset(&mut self, cmd: &Command) -> Reply {
        require_p1p2(cmd, 0xDEAD)?;
        *self = OathApp::new();
        Ok(Vec::new())
    }

    fn list(&self, cmd: &Command) -> Reply {
        require_p1p2(cmd, 0)?;
        let mut out = Vec::new();
        for c in &self.credentials {
            let mut value = vec![c.type_byte()];
            value.extend_from_slice(&c.name);
            tlv::push(&mut out, TAG_NAME_LIST, &value);
        }
        Ok(out)
    }

    fn calculate(&mut self, cmd: &Command, touch: &TouchControl) -> Reply {
        let truncated = truncation(cmd)?;
        let (name, rest) = tlv::expect(&cmd.data, TAG_NAME).ok_or(Sw::WRONG_DATA)?;
        let challenge = single(rest, TAG_CHALLENGE)?;
        let index = self.find(name).ok_or(Sw::NO_SUCH_OBJECT)?;
        let credential = &mut self.credentials[index];
        if credential.touch && !touch.request() {
            return Err(Sw::SECURITY_STATUS);
        }
        let mac = credential.respond(challenge);
        let mut out = Vec::new();
        push_code(&mut out, credential.digits, &mac, truncated);
        Ok(out)
    }

    fn calculate_all(&mut self, cmd: &Command) -> Reply {
        let truncated = truncation(cmd)?;
        let challenge = single(&cmd.data, TAG_CHALLENGE)?;
        let mut out = Vec::new();
        for c in &mut self.credentials {
            tlv::push(&mut out, TAG_NAME, &c.name);
            match c.kind {
                OathType::Hotp => tlv::push(&mut out, TAG_HOTP, &[c.digits]),
                OathType::Totp if c.touch => tlv::push(&mut out, TAG_TOUCH, &[c.digits]),
                OathType::Totp => {
                    let mac = c.respond(challenge);
                    push_code(&mut out, c.digits, &mac, truncated);
                }
            }
        }
        Ok(out)
    }

    fn validate(&mut self, cmd: &Command) -> Reply {
        require_p1p2(cmd, 0)?;
        let access = self.access_key.as_ref().ok_or(Sw::NO_SUCH_OBJECT)?;
        let (response, rest) = tlv::expect(&cmd.data, TAG_RESPONSE).ok_or(Sw::WRONG_DATA)?;
        let host_challenge = single(rest, TAG_CHALLENGE)?;
        if host_challenge.len() < MIN_HOST_CHALLENGE {
            return Err(Sw::WRONG_DATA);
        }
        let challenge = self.challenge.ok_or(Sw::WRONG_DATA)?;
        let expected = crypto::hmac(access.alg, &access.key, &challenge);
        if !bool::from(expected.ct_eq(response)) {
            self.authenticated = false;
            return Err(Sw::WRONG_DATA);
        }
        self.authenticated = true;
        let mut out = Vec::new();
        let answer = crypto::hmac(access.alg, &access.key, host_challenge);
        tlv::push(&mut out, TAG_RESPONSE, &answer);
        Ok(out)
    }
}

fn require_p1p2(cmd: &Command, p1p2: u16) -> Result<(), Sw> {
    if cmd.p1p2() == p1p2 {
        Ok(())
    } else {
        Err(Sw::WRONG_P1P2)
    }
}

/// P1 must be 0; P2 0 asks for the full response, 1 for the truncated one.
fn truncation(cmd: &Command) -> Result<bool, Sw> {
    match (cmd.p1, cmd.p2) {
        (0, 0) => Ok(false),
        (0, 1) => Ok(true),
        _ => Err(Sw::WRONG_P1P2),
    }
}

fn valid_name(name: &[u8]) -> Result<&[u8], Sw> {
    if (1..=MAX_NAME_LEN).contains(&name.len()) {
        Ok(name)
    } else {
        Err(Sw::WRONG_DATA)
    }
}

/// The value of a TLV with `tag` that must be the last thing in `data`.
fn single(data: &[u8], tag: u8) -> Result<&[u8], Sw> {
    match tlv::expect(data, tag) {
        Some((value, [])) => Ok(value),
        _ => Err(Sw::WRONG_DATA),
    }
}

/// `76 05 digits code4` (truncated) or `75 len digits hmac` (full).
fn push_code(out: &mut Vec<u8>, digits: u8, mac: &[u8], truncated: bool) {
    let mut value = vec![digits];
    if truncated {
        value.extend_from_slice(&crypto::truncate(mac));
        tlv::push(out, TAG_TRUNCATED, &value);
    } else {
        value.extend_from_slice(mac);
        tlv::push(out, TAG_RESPONSE, &value);
    }
}
