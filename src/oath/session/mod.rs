//! [`OathSession`]: the OATH application selected on a card, one method per instruction.
//!
//! The session borrows or owns a [`Transport`]; with PC/SC that is one exclusive transaction,
//! so SELECT, VALIDATE and CALCULATE of one operation cannot be interleaved by another program.
//! A code for a known account costs SELECT + CALCULATE (+ VALIDATE with a password).

use super::auth::{self, AccessKey};
use super::code::{Code, totp_challenge};
use super::credential::{Calculated, Credential, CredentialId, DEFAULT_PERIOD};
use super::kind::OathType;
use super::parse::{self, SelectInfo};
use super::{Instruction, OATH_AID, OathError, tag};
use crate::secret::SecretString;
use crate::transport::apdu::{self, Command};
use crate::transport::{Response, StatusWord, Transport, Version};

mod write;

/// Firmware that needs a dummy APDU after a long answer (ykman's touch workaround).
const WORKAROUND_FIRMWARE: (Version, Version) = (Version::new(4, 2, 0), Version::new(4, 2, 6));
/// An answer longer than this triggers the workaround.
const WORKAROUND_RESPONSE_LENGTH: usize = 54;

/// The accounts of [`OathSession::accounts`].
#[derive(Debug)]
pub struct Accounts {
    /// Every account, in LIST's order.
    pub credentials: Vec<Credential>,
    /// Why CALCULATE ALL was refused, when it was: the credentials then come from LIST alone,
    /// without digits and touch.
    pub incomplete: Option<OathError>,
}

/// The OATH application, selected.
#[derive(Debug)]
pub struct OathSession<T: Transport> {
    transport: T,
    info: SelectInfo,
    has_password: bool,
    locked: bool,
    workaround: bool,
    long_answer_pending: bool,
}

impl<T: Transport> OathSession<T> {
    /// Selects the OATH application (one APDU).
    ///
    /// Fails with [`OathError::NotAvailable`] when the card has none.
    pub fn select(mut transport: T) -> Result<Self, OathError> {
        let info = select(&mut transport)?;
        let workaround = (WORKAROUND_FIRMWARE.0..=WORKAROUND_FIRMWARE.1).contains(&info.version);
        Ok(Self {
            transport,
            has_password: info.challenge.is_some(),
            locked: info.challenge.is_some(),
            info,
            workaround,
            long_answer_pending: false,
        })
    }

    /// The OATH application's version.
    pub fn version(&self) -> Version {
        self.info.version
    }

    /// The serial number SELECT's answer carries (tag `8F`): Nitrokey's secrets app sends one,
    /// a YubiKey never does.
    pub fn select_serial(&self) -> Option<u32> {
        self.info.serial
    }

    /// The salt from SELECT (random per key, renewed by RESET): the password's PBKDF2 salt,
    /// and a stable device id until a reset.
    pub fn salt(&self) -> &[u8] {
        &self.info.salt
    }

    /// Whether a password is set (as SELECT said, updated by SET CODE and RESET).
    pub fn has_password(&self) -> bool {
        self.has_password
    }

    /// Whether the session still needs [`OathSession::validate`] before other instructions.
    pub fn is_locked(&self) -> bool {
        self.locked
    }

    /// The transport, e.g. to count exchanges in a test.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Ends the session, giving the transport back.
    pub fn into_transport(self) -> T {
        self.transport
    }

    /// Derives the access key for `password` with this key's salt.
    pub fn derive_key(&self, password: &SecretString) -> AccessKey {
        AccessKey::derive(password, &self.info.salt)
    }

    /// Unlocks the session with `password` (one VALIDATE; nothing is sent when no password is
    /// set). Checks the card's proof of the same key in constant time.
    ///
    /// Fails with [`OathError::WrongPassword`], or [`OathError::CardAuthenticationFailed`]
    /// when the card's answer is wrong.
    pub fn validate(&mut self, password: &SecretString) -> Result<(), OathError> {
        if !self.locked {
            return Ok(());
        }
        let key = self.derive_key(password);
        let challenge =
            auth::random_challenge().map_err(|error| OathError::Random(error.to_string()))?;
        self.validate_key(&key, challenge)
    }

    /// [`OathSession::validate`] with a derived (or remembered) key and a given host challenge.
    pub fn validate_key(
        &mut self,
        key: &AccessKey,
        host_challenge: [u8; auth::CHALLENGE_LENGTH],
    ) -> Result<(), OathError> {
        let Some(card_challenge) = self.info.challenge.as_deref().filter(|_| self.locked) else {
            // No password, or already validated: the card's challenge is spent.
            return Ok(());
        };
        let response = key.respond(card_challenge);
        let command = Instruction::Validate
            .command(0, 0)
            .with_tlv(tag::RESPONSE, &response[..])
            .with_tlv(tag::CHALLENGE, &host_challenge);
        let answer = self.send(&command)?;
        match answer.sw() {
            StatusWord::OK => {}
            StatusWord::WRONG_DATA | StatusWord::SECURITY_STATUS_NOT_SATISFIED => {
                return Err(OathError::WrongPassword);
            }
            sw => return Err(self.status_error(Instruction::Validate, sw, None)),
        }
        let card_proof = parse::parse_validate(answer.data())?;
        if !key.verify(&host_challenge, card_proof) {
            return Err(OathError::CardAuthenticationFailed);
        }
        self.locked = false;
        Ok(())
    }

    /// Lists the accounts with their type and algorithm (LIST).
    pub fn list(&mut self) -> Result<Vec<Credential>, OathError> {
        let answer = self.request(Instruction::List, &Instruction::List.command(0, 0), None)?;
        parse::parse_list(answer.data())
    }

    /// The TOTP code of account `id` for `unix_time`, with the period the id carries (one
    /// CALCULATE). Any time works: past, current or next step.
    ///
    /// Blocks while a touch account waits for the touch; fails with
    /// [`OathError::TouchTimeout`] when none comes, [`OathError::NoSuchAccount`] for an unknown
    /// id.
    pub fn calculate(&mut self, id: &CredentialId, unix_time: u64) -> Result<Code, OathError> {
        let period = if id.period() == 0 {
            DEFAULT_PERIOD
        } else {
            id.period()
        };
        let challenge = totp_challenge(unix_time, period);
        let valid = Some(Code::totp_window(unix_time, period));
        self.calculate_with(id, &challenge, valid)
    }

    /// The next HOTP code of account `id` (one CALCULATE; the key's counter advances).
    pub fn calculate_hotp(&mut self, id: &CredentialId) -> Result<Code, OathError> {
        self.calculate_with(id, &[], None)
    }

    /// The code of a listed account: TOTP for `unix_time`, or HOTP.
    pub fn calculate_credential(
        &mut self,
        credential: &Credential,
        unix_time: u64,
    ) -> Result<Code, OathError> {
        match credential.oath_type {
            OathType::Totp => self.calculate(&credential.id, unix_time),
            OathType::Hotp => self.calculate_hotp(&credential.id),
        }
    }

    fn calculate_with(
        &mut self,
        id: &CredentialId,
        challenge: &[u8],
        valid: Option<std::ops::Range<u64>>,
    ) -> Result<Code, OathError> {
        let command = Instruction::Calculate
            .command(0, 1)
            .with_tlv(tag::NAME, id.as_bytes())
            .with_tlv(tag::CHALLENGE, challenge);
        let answer = self.request(Instruction::Calculate, &command, Some(id))?;
        parse::parse_calculate(answer.data(), valid)
    }

    /// The full HMAC of account `id` over `challenge` (one CALCULATE with P2 `00`): the keyed
    /// PRF a credential whose key never leaves the card gives (docs/long-term-keys.md). The
    /// challenge is used as given, so the account should be TOTP (an HOTP account would use its
    /// counter instead). Blocks while a touch account waits for the touch.
    ///
    /// Fails with [`OathError::NoFullResponse`] when the card answers a truncated code anyway
    /// (Nitrokey's secrets app), [`OathError::NoSuchAccount`] for an unknown id.
    pub fn calculate_full(
        &mut self,
        id: &CredentialId,
        challenge: &[u8],
    ) -> Result<crate::secret::SecretBytes, OathError> {
        let command = Instruction::Calculate
            .command(0, 0)
            .with_tlv(tag::NAME, id.as_bytes())
            .with_tlv(tag::CHALLENGE, challenge);
        let answer = self.request(Instruction::Calculate, &command, Some(id))?;
        parse::parse_full_response(answer.data())
    }

    /// Every account, with a code for `unix_time` where the key calculates one without a
    /// touch: CALCULATE ALL with the 30 s step, then one CALCULATE per TOTP account with another
    /// period. HOTP and touch accounts come without a code.
    pub fn calculate_all(&mut self, unix_time: u64) -> Result<Vec<Calculated>, OathError> {
        let mut entries = self.calculate_all_once(unix_time)?;
        for entry in &mut entries {
            if entry.code.is_some() && entry.credential.id.period() != DEFAULT_PERIOD {
                entry.code = Some(self.calculate(&entry.credential.id, unix_time)?);
            }
        }
        Ok(entries)
    }

    fn calculate_all_once(&mut self, unix_time: u64) -> Result<Vec<Calculated>, OathError> {
        let command = Instruction::CalculateAll
            .command(0, 1)
            .with_tlv(tag::CHALLENGE, &parse::calculate_all_challenge(unix_time));
        let answer = self.request(Instruction::CalculateAll, &command, None)?;
        parse::parse_calculate_all(answer.data(), unix_time)
    }

    /// Every account with everything the key tells: type and algorithm (LIST), digits and
    /// touch (CALCULATE ALL, whose codes are dropped). Two instructions, no touch needed.
    ///
    /// When the key refuses CALCULATE ALL with a status word (a Nitrokey 3 with an account it
    /// cannot calculate, or without the instruction), the accounts come from LIST alone, with
    /// digits and touch unknown, as `ykman oath accounts list` shows them; the refusal is in
    /// [`Accounts::incomplete`].
    pub fn accounts(&mut self, unix_time: u64) -> Result<Accounts, OathError> {
        let mut listed = self.list()?;
        let calculated = match self.calculate_all_once(unix_time) {
            Ok(calculated) => calculated,
            Err(
                error @ (OathError::FunctionNotSupported { .. }
                | OathError::NotSupported { .. }
                | OathError::UnexpectedStatus { .. }
                | OathError::WrongData { .. }),
            ) => {
                return Ok(Accounts {
                    credentials: listed,
                    incomplete: Some(error),
                });
            }
            Err(error) => return Err(error),
        };
        for credential in &mut listed {
            if let Some(entry) = calculated
                .iter()
                .find(|entry| entry.credential.id.as_bytes() == credential.id.as_bytes())
            {
                credential.digits = entry.credential.digits;
                credential.touch = entry.credential.touch;
            }
        }
        Ok(Accounts {
            credentials: listed,
            incomplete: None,
        })
    }

    /// Sends an instruction that needs an unlocked session and a `9000`.
    fn request(
        &mut self,
        instruction: Instruction,
        command: &Command,
        account: Option<&CredentialId>,
    ) -> Result<Response, OathError> {
        if self.locked {
            return Err(OathError::PasswordRequired);
        }
        let answer = self.send(command)?;
        if answer.sw().is_ok() {
            Ok(answer)
        } else {
            Err(self.status_error(instruction, answer.sw(), account))
        }
    }

    /// Sends a command with response chaining, and the dummy APDU that firmware 4.2.0–4.2.6
    /// needs after a long answer.
    fn send(&mut self, command: &Command) -> Result<Response, OathError> {
        if self.workaround && self.long_answer_pending {
            // The answer (an error status) does not matter.
            self.transport.transmit(&[0, 0, 0, 0])?;
            self.long_answer_pending = false;
        }
        let answer = apdu::transmit(
            &mut self.transport,
            command,
            Instruction::SendRemaining.code(),
        )?;
        if self.workaround {
            self.long_answer_pending = answer.data().len() > WORKAROUND_RESPONSE_LENGTH;
        }
        Ok(answer)
    }

    /// The error for a status word other than `9000`.
    fn status_error(
        &self,
        instruction: Instruction,
        sw: StatusWord,
        account: Option<&CredentialId>,
    ) -> OathError {
        let account = || account.map(ToString::to_string).unwrap_or_default();
        match sw {
            StatusWord::SECURITY_STATUS_NOT_SATISFIED if instruction == Instruction::Calculate => {
                OathError::TouchTimeout { account: account() }
            }
            StatusWord::SECURITY_STATUS_NOT_SATISFIED => OathError::PasswordRequired,
            StatusWord::NO_SUCH_OBJECT
                if matches!(
                    instruction,
                    Instruction::Calculate | Instruction::Delete | Instruction::Rename
                ) =>
            {
                OathError::NoSuchAccount { account: account() }
            }
            StatusWord::NO_SPACE => OathError::NoSpace,
            StatusWord::WRONG_DATA => OathError::WrongData { instruction },
            StatusWord::FUNCTION_NOT_SUPPORTED => OathError::FunctionNotSupported {
                instruction,
                account: account(),
            },
            StatusWord::MEMORY_FAILURE => OathError::MemoryFailure { instruction },
            StatusWord::INS_NOT_SUPPORTED => OathError::NotSupported {
                instruction,
                version: self.info.version,
            },
            sw => OathError::UnexpectedStatus { instruction, sw },
        }
    }
}

/// SELECT and parse; the status words that mean "no such application" become
/// [`OathError::NotAvailable`].
fn select<T: Transport + ?Sized>(transport: &mut T) -> Result<SelectInfo, OathError> {
    let command = Instruction::Select.command(0x04, 0x00).with_data(&OATH_AID);
    let answer = apdu::transmit(transport, &command, Instruction::SendRemaining.code())?;
    match answer.sw() {
        StatusWord::OK => parse::parse_select(answer.data()),
        StatusWord::FILE_NOT_FOUND
        | StatusWord::APPLET_SELECT_FAILED
        | StatusWord::INS_NOT_SUPPORTED
        | StatusWord::WRONG_P1_P2
        | StatusWord::INCORRECT_P1_P2 => Err(OathError::NotAvailable),
        sw => Err(OathError::UnexpectedStatus {
            instruction: Instruction::Select,
            sw,
        }),
    }
}
