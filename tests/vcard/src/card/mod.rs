//! The card: application selection, command and response chaining, power events.
//!
//! Responses longer than [`CHUNK`] bytes are sent in pieces: `61xx` says more is waiting and
//! the selected application's SEND REMAINING (`A5` for OATH, ISO GET RESPONSE `C0`
//! elsewhere) fetches the next piece. Any other command drops what was pending.
//!
//! A [`Fault`] is acted out here once: a refusal answers its status word in place of the
//! application; a pull lets the command run and raises a flag that the reader link
//! ([`crate::RunningCard`]) takes as the moment to drop the connection.

use std::sync::Arc;

use crate::apdu::{self, Command, Sw};
use crate::oath::{self, OathApp};
use crate::touch::TouchControl;
use crate::{CardConfig, Fault, TouchMode, management, otp};

/// Largest response piece.
const CHUNK: usize = 256;
/// Largest command accepted through command chaining.
const MAX_CHAINED: usize = 4096;

const INS_SELECT: u8 = 0xA4;
const P1_SELECT_BY_NAME: u8 = 0x04;
const INS_GET_RESPONSE: u8 = 0xC0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum App {
    Oath,
    Management,
    Otp,
}

/// A virtual YubiKey: OATH, Management and OTP-serial applications as a pure APDU state
/// machine. The only side effect is [`TouchMode::Delay`], which sleeps inside
/// [`execute`](OathCard::execute) like a real key waiting for the touch.
pub struct OathCard {
    config: CardConfig,
    touch: Arc<TouchControl>,
    selected: Option<App>,
    oath: OathApp,
    /// INS and data so far of a command arriving through command chaining.
    chain: Option<(u8, Vec<u8>)>,
    /// Response data not yet fetched with SEND REMAINING.
    pending: Vec<u8>,
    /// The fault still to act out.
    fault: Option<Fault>,
    /// Set when a [`Fault::Pull`] command has run: the card is to leave the reader now.
    pulled: bool,
}

impl OathCard {
    /// A card fresh from the factory: no accounts, no password, a random salt.
    pub fn new(config: CardConfig) -> Self {
        let touch = Arc::new(TouchControl::new(config.touch));
        Self {
            fault: config.fault,
            pulled: false,
            config,
            touch,
            selected: None,
            oath: OathApp::new(),
            chain: None,
            pending: Vec::new(),
        }
    }

    /// Runs one command APDU and returns the response APDU (`data || SW1 SW2`).
    /// Never panics, whatever the input.
    pub fn execute(&mut self, apdu: &[u8]) -> Vec<u8> {
        let mut cmd = match Command::parse(apdu) {
            Ok(cmd) => cmd,
            Err(sw) => {
                self.chain = None;
                self.pending.clear();
                return apdu::response(Vec::new(), sw);
            }
        };
        log::debug!(
            "APDU {:02X} {:02X} {:02X}{:02X}, {} data bytes",
            cmd.cla,
            cmd.ins,
            cmd.p1,
            cmd.p2,
            cmd.data.len()
        );
        if cmd.ins == self.send_remaining_ins() && !self.pending.is_empty() {
            return self.next_chunk();
        }
        self.pending.clear();

        if cmd.is_chained() {
            let (ins, buf) = self.chain.get_or_insert_with(|| (cmd.ins, Vec::new()));
            if *ins != cmd.ins || buf.len() + cmd.data.len() > MAX_CHAINED {
                self.chain = None;
                return apdu::response(Vec::new(), Sw::WRONG_DATA);
            }
            buf.extend_from_slice(&cmd.data);
            return apdu::response(Vec::new(), Sw::OK);
        }
        if let Some((ins, mut buf)) = self.chain.take()
            && ins == cmd.ins
        {
            buf.append(&mut cmd.data);
            cmd.data = buf;
        }

        let reply = if cmd.ins == INS_SELECT && cmd.p1 == P1_SELECT_BY_NAME {
            self.select(&cmd.data)
        } else if let Some(sw) = self.refusal(cmd.ins) {
            Err(sw)
        } else {
            match self.selected {
                Some(App::Oath) => self.oath.handle(&cmd, &self.touch, self.config.version),
                Some(App::Management) => management::handle(&cmd, &self.config),
                Some(App::Otp) => otp::handle(&cmd, &self.config),
                None => Err(Sw::INS_NOT_SUPPORTED),
            }
        };
        if self.selected == Some(App::Oath)
            && let Some(Fault::Pull { ins }) = self.fault
            && ins == cmd.ins
        {
            log::debug!("fault: pulled out during INS {ins:02X}");
            self.fault = None;
            self.pulled = true;
        }
        match reply {
            Ok(data) => {
                self.pending = data;
                self.next_chunk()
            }
            Err(sw) => {
                log::debug!("SW {:04X}", sw.0);
                apdu::response(Vec::new(), sw)
            }
        }
    }

    /// Whether a [`Fault::Pull`] command has just run (the flag is cleared): the link to the
    /// reader drops the connection instead of answering.
    pub fn take_pulled(&mut self) -> bool {
        std::mem::take(&mut self.pulled)
    }

    /// Arms `fault` (replacing one not yet acted out), e.g. once a test has set the card up.
    pub fn set_fault(&mut self, fault: Option<Fault>) {
        self.fault = fault;
    }

    /// The status word of a [`Fault::Refuse`] for this OATH command, once.
    fn refusal(&mut self, ins: u8) -> Option<Sw> {
        match self.fault {
            Some(Fault::Refuse { ins: refused, sw })
                if refused == ins && self.selected == Some(App::Oath) =>
            {
                log::debug!("fault: INS {ins:02X} refused with {sw:04X}");
                self.fault = None;
                Some(Sw(sw))
            }
            _ => None,
        }
    }

    /// Wipes the OATH application (accounts, password, salt) and deselects everything, as
    /// after `ykman oath reset` and a re-plug.
    pub fn factory_reset(&mut self) {
        self.oath = OathApp::new();
        self.power_cycle();
    }

    /// Times a touch-required calculation asked for a touch.
    pub fn touch_count(&self) -> usize {
        self.touch.count()
    }

    /// Changes what happens at the next touch request.
    pub fn set_touch(&self, mode: TouchMode) {
        self.touch.set(mode);
    }

    pub fn config(&self) -> &CardConfig {
        &self.config
    }

    /// Names (credential ids) of the OATH accounts, in card order.
    pub fn accounts(&self) -> Vec<String> {
        self.oath.account_names()
    }

    /// Whether the OATH application is protected by a password.
    pub fn has_password(&self) -> bool {
        self.oath.has_password()
    }

    /// Power off, power on or reset: transient state (selection, authentication, chaining)
    /// is lost, stored accounts stay.
    pub fn power_cycle(&mut self) {
        self.selected = None;
        self.oath.deselect();
        self.chain = None;
        self.pending.clear();
    }

    pub(crate) fn touch_control(&self) -> Arc<TouchControl> {
        Arc::clone(&self.touch)
    }

    fn send_remaining_ins(&self) -> u8 {
        match self.selected {
            Some(App::Oath) => oath::INS_SEND_REMAINING,
            _ => INS_GET_RESPONSE,
        }
    }

    fn next_chunk(&mut self) -> Vec<u8> {
        let take = self.pending.len().min(CHUNK);
        let chunk: Vec<u8> = self.pending.drain(..take).collect();
        let sw = if self.pending.is_empty() {
            Sw::OK
        } else {
            Sw::more_data(self.pending.len())
        };
        apdu::response(chunk, sw)
    }

    fn select(&mut self, aid: &[u8]) -> Result<Vec<u8>, Sw> {
        let (app, answer) = if aid == oath::AID {
            (App::Oath, self.oath.select(self.config.version))
        } else if aid == management::AID {
            (App::Management, management::select(&self.config))
        } else if aid == otp::AID {
            (App::Otp, otp::status(&self.config))
        } else {
            // A failed SELECT leaves the current application selected.
            return Err(Sw::FILE_NOT_FOUND);
        };
        if app != App::Oath {
            self.oath.deselect();
        }
        self.selected = Some(app);
        Ok(answer)
    }
}

impl vpicc::VSmartCard for OathCard {
    fn atr(&self) -> &[u8] {
        &self.config.atr
    }

    fn power_on(&mut self) {
        self.power_cycle();
    }

    fn power_off(&mut self) {
        self.power_cycle();
    }

    fn reset(&mut self) {
        self.power_cycle();
    }

    fn execute(&mut self, msg: &[u8]) -> Vec<u8> {
        OathCard::execute(self, msg)
    }
}

impl std::fmt::Debug for OathCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OathCard")
            .field("config", &self.config)
            .field("selected", &self.selected)
            .field("accounts", &self.oath.account_names())
            .field("has_password", &self.oath.has_password())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
