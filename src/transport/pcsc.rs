//! The PC/SC transport: readers and cards through the PC/SC daemon (`pcscd`, or the platform's
//! smart card service), with the `pcsc` crate.
//!
//! [`PcscContext`] lists readers and connects; a [`PcscCard`] is a shared connection to the card
//! in one reader; a [`PcscTransaction`] holds the card exclusively for one operation and is the
//! [`Transport`]. The connection is shared so other programs (gpg, ykman, a second `mfa`) can use
//! the key between our operations, and the transaction keeps them from interleaving APDUs inside
//! one. Every PC/SC failure becomes a structured [`TransportError`].

use std::ffi::CString;
use std::fmt;
use std::thread;
use std::time::Duration;

use ::pcsc::{Context, Disposition, Error, Protocols, ReaderState, Scope, ShareMode, State};
use zeroize::Zeroizing;

use super::{Response, Transport, TransportError};

/// How long to keep retrying while another program holds the card exclusively.
const DEFAULT_BUSY_WAIT: Duration = Duration::from_secs(2);
/// Pause between two attempts while the card is busy.
const BUSY_RETRY_DELAY: Duration = Duration::from_millis(100);

/// A connection to the PC/SC service.
pub struct PcscContext {
    context: Context,
    busy_wait: Duration,
}

impl fmt::Debug for PcscContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PcscContext")
            .field("busy_wait", &self.busy_wait)
            .finish_non_exhaustive()
    }
}

impl PcscContext {
    /// Connects to the PC/SC service.
    ///
    /// Fails with [`TransportError::ServiceUnavailable`] when pcscd is not running.
    pub fn establish() -> Result<Self, TransportError> {
        let context =
            Context::establish(Scope::User).map_err(|error| map_error(error, "establish", None))?;
        Ok(Self {
            context,
            busy_wait: DEFAULT_BUSY_WAIT,
        })
    }

    /// Sets how long [`PcscContext::connect`] and [`PcscCard::transaction`] retry while another
    /// program holds the card exclusively (default 2 s) before [`TransportError::ReaderBusy`].
    pub fn with_busy_wait(mut self, wait: Duration) -> Self {
        self.busy_wait = wait;
        self
    }

    /// The names of the connected readers (empty when there are none).
    pub fn readers(&self) -> Result<Vec<String>, TransportError> {
        match self.context.list_readers_owned() {
            Ok(names) => Ok(names
                .iter()
                .map(|name| name.to_string_lossy().into_owned())
                .collect()),
            Err(Error::NoReadersAvailable) => Ok(Vec::new()),
            Err(error) => Err(map_error(error, "list readers", None)),
        }
    }

    /// For each reader in `readers`, whether a card is in it, without connecting.
    pub fn card_present(&self, readers: &[String]) -> Result<Vec<bool>, TransportError> {
        let mut states = Vec::with_capacity(readers.len());
        for reader in readers {
            let name =
                CString::new(reader.as_str()).map_err(|_| TransportError::ReaderNotFound {
                    query: reader.clone(),
                    available: readers.to_vec(),
                })?;
            states.push(ReaderState::new(name, State::UNAWARE));
        }
        if states.is_empty() {
            return Ok(Vec::new());
        }
        match self.context.get_status_change(Duration::ZERO, &mut states) {
            Ok(()) | Err(Error::Timeout) => {}
            Err(error) => return Err(map_error(error, "get status", None)),
        }
        Ok(states
            .iter()
            .map(|state| {
                let event = state.event_state();
                event.contains(State::PRESENT) && !event.contains(State::MUTE)
            })
            .collect())
    }

    /// The readers whose name contains `query`, ignoring case; an exact name wins over others.
    ///
    /// Fails with [`TransportError::NoReaders`] or [`TransportError::ReaderNotFound`] (which
    /// lists the readers) when none matches.
    pub fn find_readers(&self, query: &str) -> Result<Vec<String>, TransportError> {
        let readers = self.readers()?;
        if readers.is_empty() {
            return Err(TransportError::NoReaders);
        }
        let matches = match_readers(&readers, query);
        if matches.is_empty() {
            return Err(TransportError::ReaderNotFound {
                query: query.to_owned(),
                available: readers,
            });
        }
        Ok(matches)
    }

    /// Connects (shared) to the card in the reader named exactly `reader`, retrying while
    /// another program holds it exclusively.
    pub fn connect(&self, reader: &str) -> Result<PcscCard, TransportError> {
        let name = CString::new(reader).map_err(|_| TransportError::ReaderNotFound {
            query: reader.to_owned(),
            available: Vec::new(),
        })?;
        let mut waited = Duration::ZERO;
        loop {
            match self
                .context
                .connect(&name, ShareMode::Shared, Protocols::ANY)
            {
                Ok(card) => {
                    return Ok(PcscCard {
                        card,
                        reader: reader.to_owned(),
                        busy_wait: self.busy_wait,
                    });
                }
                Err(Error::SharingViolation) if waited < self.busy_wait => {
                    thread::sleep(BUSY_RETRY_DELAY);
                    waited += BUSY_RETRY_DELAY;
                }
                Err(Error::UnknownReader) => {
                    return Err(TransportError::ReaderNotFound {
                        query: reader.to_owned(),
                        available: self.readers().unwrap_or_default(),
                    });
                }
                Err(error) => return Err(map_error(error, "connect", Some(reader))),
            }
        }
    }
}

/// Readers whose name contains `query` (case-insensitive); an exact match alone if there is one.
pub(crate) fn match_readers(readers: &[String], query: &str) -> Vec<String> {
    if let Some(exact) = readers.iter().find(|name| *name == query) {
        return vec![exact.clone()];
    }
    let query = query.to_lowercase();
    readers
        .iter()
        .filter(|name| name.to_lowercase().contains(&query))
        .cloned()
        .collect()
}

/// A shared connection to the card in one reader.
pub struct PcscCard {
    card: ::pcsc::Card,
    reader: String,
    busy_wait: Duration,
}

impl fmt::Debug for PcscCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PcscCard")
            .field("reader", &self.reader)
            .finish_non_exhaustive()
    }
}

impl PcscCard {
    /// The reader's name.
    pub fn reader(&self) -> &str {
        &self.reader
    }

    /// The card's ATR.
    pub fn atr(&self) -> Result<Vec<u8>, TransportError> {
        self.card
            .status2_owned()
            .map(|status| status.atr().to_vec())
            .map_err(|error| map_error(error, "status", Some(&self.reader)))
    }

    /// Starts an exclusive transaction: until it is dropped, no other program can talk to the
    /// card. A card reset by another program is reconnected once; a busy card is retried for
    /// the context's busy wait.
    pub fn transaction(&mut self) -> Result<PcscTransaction<'_>, TransportError> {
        let Self {
            card,
            reader,
            busy_wait,
        } = self;
        let mut card: &mut ::pcsc::Card = card;
        let mut reconnected = false;
        let mut waited = Duration::ZERO;
        loop {
            match card.transaction2() {
                Ok(transaction) => {
                    return Ok(PcscTransaction {
                        transaction,
                        reader,
                    });
                }
                Err((again, Error::ResetCard)) if !reconnected => {
                    again
                        .reconnect(ShareMode::Shared, Protocols::ANY, Disposition::LeaveCard)
                        .map_err(|error| map_error(error, "reconnect", Some(reader)))?;
                    reconnected = true;
                    card = again;
                }
                Err((again, Error::SharingViolation)) if waited < *busy_wait => {
                    thread::sleep(BUSY_RETRY_DELAY);
                    waited += BUSY_RETRY_DELAY;
                    card = again;
                }
                Err((_, error)) => return Err(map_error(error, "begin transaction", Some(reader))),
            }
        }
    }
}

/// An exclusive transaction with a card: the [`Transport`] for one operation. Dropping it ends
/// the transaction and leaves the card as it is.
pub struct PcscTransaction<'card> {
    transaction: ::pcsc::Transaction<'card>,
    reader: &'card str,
}

impl fmt::Debug for PcscTransaction<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PcscTransaction")
            .field("reader", &self.reader)
            .finish_non_exhaustive()
    }
}

impl PcscTransaction<'_> {
    /// The reader's name.
    pub fn reader(&self) -> &str {
        self.reader
    }
}

impl Transport for PcscTransaction<'_> {
    fn transmit(&mut self, command: &[u8]) -> Result<Response, TransportError> {
        // The answer may be a code: receive it into a buffer that is wiped afterwards.
        let mut buffer = Zeroizing::new(vec![0u8; ::pcsc::MAX_BUFFER_SIZE_EXTENDED]);
        let raw = self
            .transaction
            .transmit(command, &mut buffer)
            .map_err(|error| map_error(error, "transmit", Some(self.reader)))?;
        Response::from_raw(raw).ok_or(TransportError::MalformedResponse {
            reason: "response shorter than a status word",
        })
    }
}

/// Maps a PC/SC error to the structured error the CLI gives advice for.
pub(crate) fn map_error(
    error: Error,
    operation: &'static str,
    reader: Option<&str>,
) -> TransportError {
    let name = || reader.unwrap_or("(unknown reader)").to_owned();
    match error {
        Error::NoService | Error::ServiceStopped | Error::InvalidHandle | Error::Shutdown => {
            TransportError::ServiceUnavailable {
                detail: error.to_string(),
            }
        }
        Error::NoAccess => TransportError::AccessDenied,
        Error::NoReadersAvailable => TransportError::NoReaders,
        Error::UnknownReader => TransportError::ReaderNotFound {
            query: name(),
            available: Vec::new(),
        },
        Error::NoSmartcard => TransportError::NoCard { reader: name() },
        Error::RemovedCard | Error::ReaderUnavailable => {
            TransportError::CardRemoved { reader: name() }
        }
        Error::ResetCard => TransportError::CardReset { reader: name() },
        Error::SharingViolation => TransportError::ReaderBusy { reader: name() },
        Error::Timeout | Error::WaitedTooLong => TransportError::Timeout { reader: name() },
        Error::UnresponsiveCard
        | Error::UnpoweredCard
        | Error::UnsupportedCard
        | Error::ProtoMismatch
        | Error::NotReady => TransportError::CardUnresponsive { reader: name() },
        source => TransportError::Pcsc {
            operation,
            reader: reader.map(str::to_owned),
            source,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_every_actionable_pcsc_error() {
        let r = Some("Yubico YubiKey OTP+FIDO+CCID 00 00");
        type Check = fn(&TransportError) -> bool;
        let cases: Vec<(Error, Check)> = vec![
            (Error::NoService, |e| {
                matches!(e, TransportError::ServiceUnavailable { .. })
            }),
            (Error::ServiceStopped, |e| {
                matches!(e, TransportError::ServiceUnavailable { .. })
            }),
            (Error::NoAccess, |e| {
                matches!(e, TransportError::AccessDenied)
            }),
            (Error::NoReadersAvailable, |e| {
                matches!(e, TransportError::NoReaders)
            }),
            (Error::NoSmartcard, |e| {
                matches!(e, TransportError::NoCard { .. })
            }),
            (Error::RemovedCard, |e| {
                matches!(e, TransportError::CardRemoved { .. })
            }),
            (Error::ReaderUnavailable, |e| {
                matches!(e, TransportError::CardRemoved { .. })
            }),
            (Error::ResetCard, |e| {
                matches!(e, TransportError::CardReset { .. })
            }),
            (Error::SharingViolation, |e| {
                matches!(e, TransportError::ReaderBusy { .. })
            }),
            (Error::Timeout, |e| {
                matches!(e, TransportError::Timeout { .. })
            }),
            (Error::UnresponsiveCard, |e| {
                matches!(e, TransportError::CardUnresponsive { .. })
            }),
            (Error::InternalError, |e| {
                matches!(
                    e,
                    TransportError::Pcsc {
                        operation: "transmit",
                        ..
                    }
                )
            }),
        ];
        for (error, expected) in cases {
            let mapped = map_error(error, "transmit", r);
            assert!(expected(&mapped), "{error:?} -> {mapped:?}");
        }
        match map_error(Error::RemovedCard, "transmit", r) {
            TransportError::CardRemoved { reader } => {
                assert_eq!(reader, "Yubico YubiKey OTP+FIDO+CCID 00 00");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn matches_reader_names() {
        let readers = vec![
            "Virtual PCD 00 00".to_owned(),
            "Virtual PCD 00 01".to_owned(),
            "Yubico YubiKey OTP+FIDO+CCID 01 00".to_owned(),
        ];
        assert_eq!(match_readers(&readers, "yubikey"), vec![readers[2].clone()]);
        assert_eq!(match_readers(&readers, "Virtual PCD").len(), 2);
        assert_eq!(
            match_readers(&readers, "Virtual PCD 00 00"),
            vec![readers[0].clone()]
        );
        assert!(match_readers(&readers, "Nano").is_empty());
    }
}
