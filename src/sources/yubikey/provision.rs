//! Writing to the key for `mfa register` and `mfa deregister` (docs/registering.md): whether an
//! account exists, PUT, the codes of given moments, DELETE. Each is one transaction on the card
//! of a known [`Device`], so the caller can stop (and undo) between them.

use super::{Connector, YubikeyError, YubikeySource, on_card, touch, unlock};
use crate::oath::{
    Code, Credential, CredentialData, CredentialId, OathError, OathSession, OathType,
};
use crate::terminal::Terminal;
use crate::transport::{Device, Transport};

impl<C: Connector> YubikeySource<'_, C> {
    /// Whether the key in `device` holds the account `id` (LIST; no code, no touch).
    pub fn has_account(
        &mut self,
        device: &Device,
        id: &CredentialId,
        terminal: &mut dyn Terminal,
    ) -> Result<bool, YubikeyError> {
        self.unlocked(device, terminal, |session, _| {
            Ok(session.list()?.iter().any(|c| &c.id == id))
        })
    }

    /// Stores `data` on the key in `device` (PUT), replacing an account with the same id;
    /// `touch` makes every code need a touch.
    pub fn put_account(
        &mut self,
        device: &Device,
        data: &CredentialData,
        touch: bool,
        terminal: &mut dyn Terminal,
    ) -> Result<CredentialId, YubikeyError> {
        self.unlocked(device, terminal, |session, _| Ok(session.put(data, touch)?))
    }

    /// The codes of the TOTP account `id` for each of `times` (Unix seconds), calculated by the
    /// key: one CALCULATE each (a touch each when `touch`).
    pub fn codes_at(
        &mut self,
        device: &Device,
        id: &CredentialId,
        touch: bool,
        times: &[u64],
        terminal: &mut dyn Terminal,
    ) -> Result<Vec<Code>, YubikeyError> {
        let notice_after = self.options.touch_notice_after;
        let credential = Credential {
            id: id.clone(),
            oath_type: OathType::Totp,
            algorithm: None,
            digits: None,
            touch: Some(touch),
        };
        self.unlocked(device, terminal, |session, terminal| {
            let mut codes = Vec::with_capacity(times.len());
            for time in times {
                codes.push(touch::calculate(
                    session,
                    &credential,
                    *time,
                    notice_after,
                    terminal,
                )?);
            }
            Ok(codes)
        })
    }

    /// Removes the account `id` from the key in `device` (DELETE); `false` when it was not
    /// there.
    pub fn delete_account(
        &mut self,
        device: &Device,
        id: &CredentialId,
        terminal: &mut dyn Terminal,
    ) -> Result<bool, YubikeyError> {
        self.unlocked(device, terminal, |session, _| match session.delete(id) {
            Ok(()) => Ok(true),
            Err(OathError::NoSuchAccount { .. }) => Ok(false),
            Err(error) => Err(error.into()),
        })
    }

    /// Runs `work` on the OATH session of the key in `device`, unlocked (asking for the
    /// password on `terminal` when needed), in one transaction.
    pub(super) fn unlocked<R>(
        &mut self,
        device: &Device,
        terminal: &mut dyn Terminal,
        work: impl FnOnce(
            &mut OathSession<&mut (dyn Transport + Send)>,
            &mut dyn Terminal,
        ) -> Result<R, YubikeyError>,
    ) -> Result<R, YubikeyError> {
        let credentials = unlock::Credentials {
            password: self.options.password.as_ref(),
            keystore: self.keystore,
            device,
        };
        on_card(&mut self.connector, device, |transport| {
            let (mut session, _) = unlock::open(transport, &credentials, terminal)?;
            work(&mut session, terminal)
        })
    }
}
