//! [`Connector`]: how the YubiKey source reaches cards — PC/SC in the binary, anything that
//! speaks APDUs in tests.

use std::thread;
use std::time::{Duration, Instant};

use crate::transport::devices::{self, Scan};
use crate::transport::{Device, DeviceQuery, PcscContext, Transport, TransportError};

/// Finds cards and runs operations on them.
pub trait Connector {
    /// The device `query` designates; [`TransportError::SeveralDevices`] (with the list) when
    /// several fit and nothing says which.
    fn choose(&mut self, query: &DeviceQuery) -> Result<Device, TransportError>;

    /// Every reader, and the device in each one that holds a card.
    fn scan(&mut self) -> Result<Scan, TransportError>;

    /// Whether a card is in `reader`, waiting up to `settle` for a removal to show (PC/SC
    /// notices a pulled card a moment after the transmit that failed). A reader that is gone
    /// holds no card.
    fn card_present(&mut self, reader: &str, settle: Duration) -> bool;

    /// Runs `operation` on the card in the reader named exactly `reader`, inside one exclusive
    /// transaction: no other program's APDUs can come between its own.
    fn with_transaction<R>(
        &mut self,
        reader: &str,
        operation: impl FnOnce(&mut (dyn Transport + Send)) -> R,
    ) -> Result<R, TransportError>;
}

/// How often [`PcscConnector::card_present`] looks again.
const SETTLE_POLL: Duration = Duration::from_millis(100);

/// PC/SC through the platform's service (pcscd on Linux). The service is reached on first use.
#[derive(Debug)]
pub struct PcscConnector {
    context: Option<PcscContext>,
    busy_wait: Option<Duration>,
}

impl PcscConnector {
    /// A connector that reaches pcscd when first needed.
    pub fn new() -> Self {
        PcscConnector {
            context: None,
            busy_wait: None,
        }
    }

    /// How long to keep trying while another program holds the card (see
    /// [`PcscContext::with_busy_wait`]).
    pub fn with_busy_wait(mut self, wait: Duration) -> Self {
        self.busy_wait = Some(wait);
        self
    }

    fn context(&mut self) -> Result<&PcscContext, TransportError> {
        let context = match self.context.take() {
            Some(context) => context,
            None => {
                let context = PcscContext::establish()?;
                match self.busy_wait {
                    Some(wait) => context.with_busy_wait(wait),
                    None => context,
                }
            }
        };
        Ok(self.context.insert(context))
    }
}

impl Default for PcscConnector {
    fn default() -> Self {
        Self::new()
    }
}

impl Connector for PcscConnector {
    fn choose(&mut self, query: &DeviceQuery) -> Result<Device, TransportError> {
        devices::choose(self.context()?, query)
    }

    fn scan(&mut self) -> Result<Scan, TransportError> {
        devices::scan(self.context()?)
    }

    fn card_present(&mut self, reader: &str, settle: Duration) -> bool {
        let Ok(context) = self.context() else {
            return false;
        };
        let readers = [reader.to_owned()];
        let started = Instant::now();
        loop {
            match context.card_present(&readers).as_deref() {
                Ok([true]) if started.elapsed() < settle => thread::sleep(SETTLE_POLL),
                Ok([true]) => return true,
                _ => return false,
            }
        }
    }

    fn with_transaction<R>(
        &mut self,
        reader: &str,
        operation: impl FnOnce(&mut (dyn Transport + Send)) -> R,
    ) -> Result<R, TransportError> {
        let mut card = self.context()?.connect(reader)?;
        let mut transaction = card.transaction()?;
        Ok(operation(&mut transaction))
    }
}
