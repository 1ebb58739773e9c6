//! Where a new device's seed goes: a YubiKey's OATH application (the default), a software TOTP
//! secret (`--software`), or nowhere — a physical token whose two codes are typed
//! (`--hardware SERIAL`).

use std::io::{BufRead, Read};

use crate::cli::{Failure, advice};
use crate::oath::{CredentialData, CredentialId};
use crate::secret::SecretString;
use crate::sources::totp::{StoreKind, TotpSecret, TotpStore};
use crate::sources::yubikey::{AWS_ISSUER, Connector, YubikeySource};
use crate::terminal::Terminal;
use crate::transport::Device;

/// Why an undo did not finish: what is left, for the pending record.
#[derive(Debug)]
pub struct Left {
    /// What failed, for the user.
    pub reason: String,
}

/// One of the three places.
pub trait Target {
    /// A label for messages: "the YubiKey", "the software store", "the token".
    fn label(&self) -> String;
    /// Whether a virtual device is created in IAM (not for a hardware token).
    fn is_virtual(&self) -> bool {
        true
    }
    /// Refuses before anything is created: an account (or secret) of that name exists and
    /// `force` was not given, no key present…
    fn check(&mut self, force: bool, terminal: &mut dyn Terminal) -> Result<(), Failure>;
    /// Stores the seed (zeroized by the caller right after).
    fn store(&mut self, seed: &TotpSecret, terminal: &mut dyn Terminal) -> Result<(), Failure>;
    /// The codes of the two given Unix times (the previous and the current step).
    fn codes(
        &mut self,
        times: [u64; 2],
        terminal: &mut dyn Terminal,
    ) -> Result<[SecretString; 2], Failure>;
    /// Removes what [`Target::store`] stored; `Err` with what is left when it cannot.
    fn undo(&mut self, terminal: &mut dyn Terminal) -> Result<(), Left>;
    /// The OATH account written, for the pending record and `--write-config`.
    fn oath_account(&self) -> Option<String> {
        None
    }
    /// The YubiKey's serial, when known.
    fn yubikey_serial(&self) -> Option<u32> {
        None
    }
    /// The software secret's name, for the pending record.
    fn software_name(&self) -> Option<String> {
        None
    }
}

/// The OATH account id of device `name` in `account`: `Amazon Web Services:NAME@ACCOUNT`, 30 s.
pub fn oath_id(device_name: &str, account: &str) -> Result<CredentialId, Failure> {
    CredentialId::totp(Some(AWS_ISSUER), &format!("{device_name}@{account}"), 30)
        .map_err(|e| advice::oath::oath(&e))
}

/// A YubiKey.
pub struct YubikeyTarget<'s, 'k, C: Connector> {
    pub source: &'s mut YubikeySource<'k, C>,
    pub id: CredentialId,
    pub touch: bool,
    pub device: Option<Device>,
    pub stored: bool,
}

impl<C: Connector> Target for YubikeyTarget<'_, '_, C> {
    fn label(&self) -> String {
        match &self.device {
            Some(device) => format!("the YubiKey {device}"),
            None => "the YubiKey".into(),
        }
    }

    fn check(&mut self, force: bool, terminal: &mut dyn Terminal) -> Result<(), Failure> {
        let device = self
            .source
            .device(terminal)
            .map_err(|e| advice::sources::yubikey(&e))?;
        let exists = self
            .source
            .has_account(&device, &self.id, terminal)
            .map_err(|e| advice::sources::yubikey(&e))?;
        self.device = Some(device);
        if exists && !force {
            return Err(Failure::usage(
                format!("the YubiKey already holds the OATH account `{}`", self.id),
                "run again with --force to replace it (its old seed is lost), or choose another \
                 name with --device-name",
            ));
        }
        Ok(())
    }

    fn store(&mut self, seed: &TotpSecret, terminal: &mut dyn Terminal) -> Result<(), Failure> {
        let device = self.device.clone().ok_or_else(no_device)?;
        let data = CredentialData::totp(
            self.id.issuer(),
            self.id.name(),
            crate::secret::SecretBytes::new(seed.seed().expose().to_vec()),
        );
        // Counted as stored before the PUT: a PUT whose answer is lost may have been done.
        self.stored = true;
        self.source
            .put_account(&device, &data, self.touch, terminal)
            .map_err(|e| advice::sources::yubikey(&e))?;
        Ok(())
    }

    fn codes(
        &mut self,
        times: [u64; 2],
        terminal: &mut dyn Terminal,
    ) -> Result<[SecretString; 2], Failure> {
        let device = self.device.clone().ok_or_else(no_device)?;
        if self.touch {
            terminal.notice("Two codes are needed: touch the YubiKey twice.");
        }
        let codes = self
            .source
            .codes_at(&device, &self.id, self.touch, &times, terminal)
            .map_err(|e| advice::sources::yubikey(&e))?;
        match codes.as_slice() {
            [first, second] => Ok([first.value().clone(), second.value().clone()]),
            _ => Err(Failure::runtime(
                "the YubiKey did not give two codes",
                "run `mfa register` again",
            )),
        }
    }

    fn undo(&mut self, terminal: &mut dyn Terminal) -> Result<(), Left> {
        if !self.stored {
            return Ok(());
        }
        let Some(device) = self.device.clone() else {
            return Ok(());
        };
        match self.source.delete_account(&device, &self.id, terminal) {
            Ok(_) => {
                self.stored = false;
                Ok(())
            }
            Err(e) => Err(Left {
                reason: e.to_string(),
            }),
        }
    }

    fn oath_account(&self) -> Option<String> {
        Some(self.id.to_string())
    }

    fn yubikey_serial(&self) -> Option<u32> {
        self.device.as_ref().and_then(|d| d.serial)
    }
}

fn no_device() -> Failure {
    Failure::runtime("no YubiKey was chosen", "run `mfa register` again")
}

/// A software TOTP secret named after the serial (the name the software source looks up).
pub struct SoftwareTarget<'a> {
    pub store: &'a TotpStore,
    pub name: String,
    pub secret: Option<TotpSecret>,
    pub stored: bool,
}

impl Target for SoftwareTarget<'_> {
    fn label(&self) -> String {
        "the software secret store".into()
    }

    fn check(&mut self, force: bool, _: &mut dyn Terminal) -> Result<(), Failure> {
        match self.store.find(&self.name) {
            Ok(Some(_)) if !force => Err(Failure::usage(
                format!("a software secret named `{}` is stored already", self.name),
                "run again with --force to replace it (its old seed is lost)",
            )),
            Ok(_) => Ok(()),
            Err(e) => Err(advice::sources::store(&e)),
        }
    }

    fn store(&mut self, seed: &TotpSecret, _: &mut dyn Terminal) -> Result<(), Failure> {
        self.stored = true;
        self.store
            .put(&self.name, seed, StoreKind::File, true)
            .map_err(|e| advice::sources::store(&e))?;
        self.secret = Some(seed.clone());
        Ok(())
    }

    fn codes(
        &mut self,
        times: [u64; 2],
        _: &mut dyn Terminal,
    ) -> Result<[SecretString; 2], Failure> {
        let secret = self.secret.as_ref().ok_or_else(|| {
            Failure::runtime("the secret was not stored", "run `mfa register` again")
        })?;
        Ok([secret.code_at(times[0]), secret.code_at(times[1])])
    }

    fn undo(&mut self, _: &mut dyn Terminal) -> Result<(), Left> {
        if !self.stored {
            return Ok(());
        }
        match self.store.remove(&self.name) {
            Ok(_) => {
                self.stored = false;
                Ok(())
            }
            Err(e) => Err(Left {
                reason: e.to_string(),
            }),
        }
    }

    fn software_name(&self) -> Option<String> {
        Some(self.name.clone())
    }
}

/// A physical TOTP token: nothing is stored, the two codes are typed (on the terminal, else
/// two lines of stdin).
pub struct HardwareTarget<'a> {
    pub stdin: Option<Box<dyn BufRead + 'a>>,
}

impl Target for HardwareTarget<'_> {
    fn label(&self) -> String {
        "the token".into()
    }

    fn is_virtual(&self) -> bool {
        false
    }

    fn check(&mut self, _: bool, _: &mut dyn Terminal) -> Result<(), Failure> {
        Ok(())
    }

    fn store(&mut self, _: &TotpSecret, _: &mut dyn Terminal) -> Result<(), Failure> {
        Ok(())
    }

    fn codes(
        &mut self,
        _: [u64; 2],
        terminal: &mut dyn Terminal,
    ) -> Result<[SecretString; 2], Failure> {
        let first = self.code("Code shown by the token: ", terminal)?;
        let second = self.code("Next code, once it changes: ", terminal)?;
        Ok([first, second])
    }

    fn undo(&mut self, _: &mut dyn Terminal) -> Result<(), Left> {
        Ok(())
    }
}

/// The longest line read for a typed code (a code is 6–8 digits; the rest is blanks).
const CODE_LINE_MAX: usize = 256;

impl HardwareTarget<'_> {
    fn code(&mut self, prompt: &str, terminal: &mut dyn Terminal) -> Result<SecretString, Failure> {
        let typed = if terminal.is_interactive() {
            terminal.ask_secret(prompt).ok().flatten()
        } else if let Some(stdin) = self.stdin.as_mut() {
            // Pre-sized and bounded: a growing buffer would leave unwiped copies behind.
            let mut line = zeroize::Zeroizing::new(Vec::with_capacity(CODE_LINE_MAX + 1));
            stdin
                .by_ref()
                .take(CODE_LINE_MAX as u64)
                .read_until(b'\n', &mut line)
                .ok()
                .filter(|n| *n > 0)
                .and_then(|_| std::str::from_utf8(&line).ok())
                .map(|text| SecretString::new(text.trim().to_owned()))
        } else {
            None
        };
        let code = typed.ok_or_else(|| {
            Failure::usage(
                "no code was typed for the token",
                "run `mfa register --hardware SERIAL` in a terminal, or pipe the two codes on \
                 stdin, one a line",
            )
        })?;
        let text = code.expose();
        if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Failure::usage(
                "a token code is 6 digits",
                "type the code the token shows, without spaces",
            ));
        }
        Ok(code)
    }
}
