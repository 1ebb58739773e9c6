//! The YubiKey source: codes from the OATH application of a YubiKey over PC/SC.
//!
//! One operation — a code, the list of accounts — is one exclusive PC/SC transaction:
//!
//! 1. **Device**: `--serial`/`mfa_yubikey_serial` and `--reader` ([`YubikeyOptions::device`]);
//!    with one key plugged in, that key (nothing is sent to choose it); with several and no
//!    choice, the list is shown and the user asked when the terminal is interactive, else the
//!    error carries the list.
//! 2. **Unlock** when a password is set: `MFA_OATH_PASSWORD` ([`YubikeyOptions::password`]),
//!    else the key remembered in the OS keyring (named by [`keyring_name`]), else a hidden
//!    prompt.
//! 3. **Account** ([`AccountSelector`]): an id that can be guessed (a typed query, the
//!    profile's `mfa_oath_account`, or `Amazon Web Services:user@account` from the `mfa_serial`
//!    ARN) is calculated at once — SELECT + one CALCULATE; only when that id is not on the key
//!    are the accounts listed and chosen by the rules of [`choose`].
//! 4. **Calculate** for the caller's Unix time, with "Touch your YubiKey…" on the terminal when
//!    the key takes longer than a moment to answer ([`touch_notice`]).
//!
//! [`YubikeySource`] implements [`CodeSource`] for the credential flow (profile-driven, no
//! questions about accounts) and has methods for `mfa code`, `mfa accounts` and
//! `--remember-password`/`--forget-password`. Cards are reached through a [`Connector`]:
//! [`PcscConnector`] in the binary (with [`PcscConnector::with_trace`] for a redacted APDU
//! trace), anything that speaks APDUs in tests.

mod account;
mod connector;
mod error;
mod provision;
mod seal;
mod touch;
mod unlock;

#[cfg(test)]
mod tests;

use std::time::Duration;

pub use account::{
    AWS_ISSUER, AccountError, AccountSelector, Choice, choose, display_name, mfa_serial_suffix,
};
pub use connector::{Connector, PcscConnector, TraceSink};
pub use error::{PasswordOrigin, YubikeyError};
pub use seal::{SEALING_ACCOUNT, SealingAccount, is_reserved};
pub use touch::{DEFAULT_NOTICE_AFTER, TOUCH_TIMEOUT, touch_notice};
pub use unlock::{KeyOrigin, Unlocked, keyring_name};

use super::{CodeRequest, CodeSource, MfaCode, SourceError, SourceKind};
use crate::keystore::SecretStore;
use crate::oath::{Code, Credential, OathError, OathSession, OathType};
use crate::secret::SecretString;
use crate::terminal::Terminal;
use crate::transport::{Device, DeviceQuery, Transport, TransportError};

/// How the YubiKey source chooses a key and unlocks it.
#[derive(Debug, Clone)]
pub struct YubikeyOptions {
    /// Which key: `--serial` (else the profile's `mfa_yubikey_serial`) and `--reader`.
    pub device: DeviceQuery,
    /// `MFA_OATH_PASSWORD`, when set: tried first, and alone (a wrong one is an error).
    pub password: Option<SecretString>,
    /// How long a CALCULATE may take before the touch notice is shown.
    pub touch_notice_after: Duration,
    /// Nobody is there to touch the key (no terminal, `mfa eks-token` under kubectl): an
    /// account that needs a touch is refused at once ([`YubikeyError::TouchUnattended`])
    /// instead of waiting for a touch nobody was told about.
    pub refuse_touch: bool,
}

impl Default for YubikeyOptions {
    fn default() -> Self {
        YubikeyOptions {
            device: DeviceQuery::default(),
            password: None,
            touch_notice_after: DEFAULT_NOTICE_AFTER,
            refuse_touch: false,
        }
    }
}

/// A code, with the key and the account it came from.
#[derive(Debug, Clone)]
pub struct Calculation {
    /// The key (its serial is known only when it had to be read to choose it).
    pub device: Device,
    /// The account. Calculated straight from a guessed id, only its id and the digits are
    /// known, and its type is taken to be TOTP.
    pub credential: Credential,
    /// The code.
    pub code: Code,
}

/// The accounts on a key (`mfa accounts`).
#[derive(Debug)]
pub struct AccountList {
    /// The key.
    pub device: Device,
    /// Every account, with type, algorithm, digits and touch.
    pub accounts: Vec<Credential>,
    /// How the OATH application was unlocked.
    pub unlocked: Unlocked,
    /// Whether the key that unlocked it is now remembered in the keyring.
    pub remembered: bool,
    /// Why the key refused CALCULATE ALL, when it did: `accounts` then has no digits and no
    /// touch (see [`crate::oath::OathSession::accounts`]).
    pub incomplete: Option<OathError>,
}

/// What `--forget-password` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forgotten {
    /// The key.
    pub device: Device,
    /// Whether a remembered password was deleted (false: there was none).
    pub deleted: bool,
    /// Whether the key's OATH application has a password at all.
    pub has_password: bool,
}

/// Codes and accounts from a YubiKey.
pub struct YubikeySource<'k, C: Connector = PcscConnector> {
    connector: C,
    keystore: &'k dyn SecretStore,
    options: YubikeyOptions,
}

impl<C: Connector> std::fmt::Debug for YubikeySource<'_, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YubikeySource")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<'k, C: Connector> YubikeySource<'k, C> {
    /// A source reaching keys through `connector`, remembering passwords in `keystore`.
    pub fn new(connector: C, keystore: &'k dyn SecretStore, options: YubikeyOptions) -> Self {
        YubikeySource {
            connector,
            keystore,
            options,
        }
    }

    /// The connector, e.g. to list devices with the same PC/SC context.
    pub fn connector(&mut self) -> &mut C {
        &mut self.connector
    }

    /// The key the options designate; with several and no choice, asks on an interactive
    /// terminal and fails with the list otherwise.
    pub fn device(&mut self, terminal: &mut dyn Terminal) -> Result<Device, YubikeyError> {
        let devices = match self.connector.choose(&self.options.device) {
            Ok(device) => return Ok(device),
            Err(TransportError::SeveralDevices { devices }) if terminal.is_interactive() => devices,
            Err(error) => return Err(error.into()),
        };
        terminal.notice("Several YubiKeys are connected:");
        let labels: Vec<String> = devices.iter().map(ToString::to_string).collect();
        match ask_choice(&labels, "Which YubiKey?", terminal)? {
            Some(index) => Ok(devices[index].clone()),
            None => Err(TransportError::SeveralDevices { devices }.into()),
        }
    }

    /// The code of the account `selector` designates, for `unix_time` (TOTP; any step), or
    /// its next HOTP code when a query names an HOTP account.
    pub fn calculate(
        &mut self,
        selector: &AccountSelector<'_>,
        unix_time: u64,
        terminal: &mut dyn Terminal,
    ) -> Result<Calculation, YubikeyError> {
        let device = self.device(terminal)?;
        let credentials = unlock::Credentials {
            password: self.options.password.as_ref(),
            keystore: self.keystore,
            device: &device,
        };
        let notice_after = self.options.touch_notice_after;
        let refuse_touch = self.options.refuse_touch;
        let (credential, code) = on_card(&mut self.connector, &device, |transport| {
            let (mut session, _) = unlock::open(transport, &credentials, terminal)?;
            if refuse_touch {
                calculate_untouched(&mut session, selector, unix_time, notice_after, terminal)
            } else {
                calculate_in(&mut session, selector, unix_time, notice_after, terminal)
            }
        })?;
        Ok(Calculation {
            device,
            credential,
            code,
        })
    }

    /// Every account on the key, with type, algorithm, digits and touch (LIST + CALCULATE
    /// ALL: no touch needed). With `remember`, the key that unlocked the application is stored
    /// in the keyring first.
    pub fn accounts(
        &mut self,
        unix_time: u64,
        remember: bool,
        terminal: &mut dyn Terminal,
    ) -> Result<AccountList, YubikeyError> {
        let device = self.device(terminal)?;
        let credentials = unlock::Credentials {
            password: self.options.password.as_ref(),
            keystore: self.keystore,
            device: &device,
        };
        let keystore = self.keystore;
        let (accounts, unlocked, remembered) =
            on_card(&mut self.connector, &device, |transport| {
                let (mut session, unlocked) = unlock::open(transport, &credentials, terminal)?;
                let remembered = match &unlocked {
                    Unlocked::WithKey {
                        origin: KeyOrigin::Keyring,
                        ..
                    } => true,
                    Unlocked::WithKey { key, .. } if remember => {
                        keystore.set(&keyring_name(session.salt()), key.expose())?;
                        true
                    }
                    _ => false,
                };
                let mut accounts = session.accounts(unix_time)?;
                accounts.credentials.retain(|c| !is_reserved(&c.id));
                Ok((accounts, unlocked, remembered))
            })?;
        Ok(AccountList {
            device,
            accounts: accounts.credentials,
            unlocked,
            remembered,
            incomplete: accounts.incomplete,
        })
    }

    /// The accounts on the key from LIST alone (ids and types; no code is calculated, so no
    /// touch is asked for), unlocking it first when a password is set (`mfa doctor`).
    pub fn list_accounts(
        &mut self,
        terminal: &mut dyn Terminal,
    ) -> Result<(Device, Vec<Credential>), YubikeyError> {
        let device = self.device(terminal)?;
        let credentials = unlock::Credentials {
            password: self.options.password.as_ref(),
            keystore: self.keystore,
            device: &device,
        };
        let accounts = on_card(&mut self.connector, &device, |transport| {
            let (mut session, _) = unlock::open(transport, &credentials, terminal)?;
            let mut accounts = session.list()?;
            accounts.retain(|c| !is_reserved(&c.id));
            Ok(accounts)
        })?;
        Ok((device, accounts))
    }

    /// Deletes the key remembered for this YubiKey's OATH password (SELECT only).
    pub fn forget_password(
        &mut self,
        terminal: &mut dyn Terminal,
    ) -> Result<Forgotten, YubikeyError> {
        let device = self.device(terminal)?;
        let keystore = self.keystore;
        let (deleted, has_password) = on_card(&mut self.connector, &device, |transport| {
            let session = OathSession::select(transport)?;
            let deleted = keystore.delete(&keyring_name(session.salt()))?;
            Ok((deleted, session.has_password()))
        })?;
        Ok(Forgotten {
            device,
            deleted,
            has_password,
        })
    }
}

/// How long a card that stopped answering is given to show up as removed.
const REMOVAL_SETTLE: Duration = Duration::from_millis(1500);

/// Runs `operation` in one transaction with the card of `device`.
fn on_card<C: Connector, R>(
    connector: &mut C,
    device: &Device,
    operation: impl FnOnce(&mut (dyn Transport + Send)) -> Result<R, YubikeyError>,
) -> Result<R, YubikeyError> {
    let result = connector
        .with_transaction(&device.reader, operation)
        .map_err(YubikeyError::from)
        .and_then(|result| result);
    result.map_err(|error| removed(connector, device, error))
}

/// A card that stops answering in the middle of an operation was usually pulled out: when it
/// is gone, say so rather than report a broken answer.
fn removed<C: Connector>(connector: &mut C, device: &Device, error: YubikeyError) -> YubikeyError {
    let silent = matches!(
        error,
        YubikeyError::Transport(
            TransportError::MalformedResponse { .. }
                | TransportError::CardUnresponsive { .. }
                | TransportError::Timeout { .. }
        )
    );
    if silent && !connector.card_present(&device.reader, REMOVAL_SETTLE) {
        return TransportError::CardRemoved {
            reader: device.reader.clone(),
        }
        .into();
    }
    error
}

impl<C: Connector> CodeSource for YubikeySource<'_, C> {
    fn kind(&self) -> SourceKind {
        SourceKind::Yubikey
    }

    /// The code for the request's `mfa_serial` (by `mfa_oath_account`, else the ARN's
    /// `user@account`, else the only TOTP account), for its moment. "No key, no such account"
    /// is [`SourceError::Unavailable`], so `auto` moves on; see
    /// [`YubikeyError::into_source_error`].
    fn code(
        &mut self,
        request: &CodeRequest<'_>,
        terminal: &mut dyn Terminal,
    ) -> Result<MfaCode, SourceError> {
        let selector = AccountSelector::Profile {
            oath_account: request.oath_account,
            mfa_serial: Some(request.mfa_serial),
            ask: false,
        };
        let calculation = self
            .calculate(&selector, request.unix_time, terminal)
            .map_err(YubikeyError::into_source_error)?;
        let step =
            (calculation.credential.oath_type == OathType::Totp).then_some(request.unix_time / 30);
        MfaCode::new(calculation.code.value().clone(), step, SourceKind::Yubikey)
    }
}

/// Finds the account in an open session and calculates its code.
fn calculate_in<T: Transport + Send>(
    session: &mut OathSession<T>,
    selector: &AccountSelector<'_>,
    unix_time: u64,
    notice_after: Duration,
    terminal: &mut dyn Terminal,
) -> Result<(Credential, Code), YubikeyError> {
    if let Some(id) = selector.direct_guess() {
        let mut guess = Credential {
            id,
            oath_type: OathType::Totp,
            algorithm: None,
            digits: None,
            touch: None,
        };
        match touch::calculate(session, &guess, unix_time, notice_after, terminal) {
            Ok(code) => {
                guess.digits = u8::try_from(code.digits()).ok();
                return Ok((guess, code));
            }
            Err(OathError::NoSuchAccount { .. }) => terminal.explain(
                2,
                &format!("no account `{}` on the key: listing the accounts", guess.id),
            ),
            Err(error) => return Err(unsupported(session, &guess, error)),
        }
    }
    let accounts = session.list()?;
    let credential = match choose(selector, &accounts)? {
        Choice::Chosen(credential) => credential,
        Choice::Ask(candidates) => ask_account(candidates, terminal)?,
    };
    terminal.explain(1, &format!("using the account `{}`", credential.id));
    let code = touch::calculate(session, &credential, unix_time, notice_after, terminal)
        .map_err(|error| unsupported(session, &credential, error))?;
    Ok((credential, code))
}

/// A CALCULATE failure as the source reports it: `6A81` (the key cannot calculate the account)
/// becomes [`YubikeyError::UnsupportedAlgorithm`] with the account's algorithm, from `credential`
/// or, for a direct guess, from LIST.
fn unsupported<T: Transport + Send>(
    session: &mut OathSession<T>,
    credential: &Credential,
    error: OathError,
) -> YubikeyError {
    if !matches!(error, OathError::FunctionNotSupported { .. }) {
        return error.into();
    }
    let algorithm = credential.algorithm.or_else(|| {
        session.list().ok().and_then(|listed| {
            listed
                .into_iter()
                .find(|c| c.id.as_bytes() == credential.id.as_bytes())
                .and_then(|c| c.algorithm)
        })
    });
    match algorithm {
        Some(algorithm) => YubikeyError::UnsupportedAlgorithm {
            account: credential.id.to_string(),
            algorithm,
        },
        None => error.into(),
    }
}

/// [`calculate_in`] for when nobody can touch the key: the accounts are listed with CALCULATE
/// ALL first, which says which ones need a touch without waiting for one, and such an account
/// is refused before anything waits. (A CALCULATE that waits for a touch cannot be stopped
/// early, so the direct guess of `calculate_in` is not tried here.)
fn calculate_untouched<T: Transport + Send>(
    session: &mut OathSession<T>,
    selector: &AccountSelector<'_>,
    unix_time: u64,
    notice_after: Duration,
    terminal: &mut dyn Terminal,
) -> Result<(Credential, Code), YubikeyError> {
    let accounts = session.accounts(unix_time)?.credentials;
    let credential = match choose(selector, &accounts)? {
        Choice::Chosen(credential) => credential,
        Choice::Ask(candidates) => ask_account(candidates, terminal)?,
    };
    if credential.touch == Some(true) {
        return Err(YubikeyError::TouchUnattended {
            account: credential.id.to_string(),
        });
    }
    terminal.explain(1, &format!("using the account `{}`", credential.id));
    let code = touch::calculate(session, &credential, unix_time, notice_after, terminal)
        .map_err(|error| unsupported(session, &credential, error))?;
    Ok((credential, code))
}

/// Lets the user pick one of several TOTP accounts; without a terminal, the error lists them.
fn ask_account(
    candidates: Vec<Credential>,
    terminal: &mut dyn Terminal,
) -> Result<Credential, YubikeyError> {
    let labels: Vec<String> = candidates.iter().map(|c| c.id.to_string()).collect();
    if terminal.is_interactive() {
        terminal.notice("The YubiKey holds several accounts:");
        if let Some(index) = ask_choice(&labels, "Which account?", terminal)? {
            return Ok(candidates[index].clone());
        }
    }
    Err(AccountError::Unchosen { accounts: labels }.into())
}

/// Shows `labels` numbered and asks for one. `None` when nobody can answer.
fn ask_choice(
    labels: &[String],
    question: &str,
    terminal: &mut dyn Terminal,
) -> Result<Option<usize>, YubikeyError> {
    for (number, label) in (1..).zip(labels) {
        terminal.notice(&format!("  {number}. {label}"));
    }
    let prompt = format!("{question} [1-{}]: ", labels.len());
    let Some(answer) = terminal.ask(&prompt).map_err(YubikeyError::Terminal)? else {
        return Ok(None);
    };
    answer
        .trim()
        .parse::<usize>()
        .ok()
        .and_then(|number| number.checked_sub(1))
        .filter(|index| *index < labels.len())
        .map(Some)
        .ok_or(YubikeyError::NotChosen { answer })
}
