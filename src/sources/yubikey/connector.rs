//! [`Connector`]: how the YubiKey source reaches cards — PC/SC in the binary, anything that
//! speaks APDUs in tests.

use std::fmt;
use std::thread;
use std::time::{Duration, Instant};

use crate::oath::trace_redaction;
use crate::transport::devices::{self, Scan};
use crate::transport::trace::Traced;
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

/// Where [`PcscConnector::with_trace`] sends the APDU trace, one line at a time.
pub type TraceSink = Box<dyn FnMut(&str) + Send>;

/// PC/SC through the platform's service (pcscd on Linux). The service is reached on first use.
pub struct PcscConnector {
    context: Option<PcscContext>,
    busy_wait: Option<Duration>,
    trace: Option<TraceSink>,
}

impl fmt::Debug for PcscConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PcscConnector")
            .field("context", &self.context)
            .field("busy_wait", &self.busy_wait)
            .field("trace", &self.trace.is_some())
            .finish()
    }
}

impl PcscConnector {
    /// A connector that reaches pcscd when first needed.
    pub fn new() -> Self {
        PcscConnector {
            context: None,
            busy_wait: None,
            trace: None,
        }
    }

    /// Traces the APDUs of every transaction ([`Connector::with_transaction`]) to `sink`: one
    /// line per command and one per answer, in the format of the trace files under
    /// `tests/traces/`, with keys, password responses, codes and MACs redacted (see
    /// [`trace_redaction`]). For an explicit trace option only: even redacted, a trace shows
    /// account names.
    pub fn with_trace(mut self, sink: impl FnMut(&str) + Send + 'static) -> Self {
        self.trace = Some(Box::new(sink));
        self
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
        Ok(run_traced(&mut transaction, self.trace.as_mut(), operation))
    }
}

/// Runs `operation` on `transport`, through a redacting [`Traced`] when there is a sink.
fn run_traced<R>(
    transport: &mut (dyn Transport + Send),
    sink: Option<&mut TraceSink>,
    operation: impl FnOnce(&mut (dyn Transport + Send)) -> R,
) -> R {
    match sink {
        Some(sink) => operation(&mut Traced::new(transport, trace_redaction, sink)),
        None => operation(transport),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::mpsc;

    use super::*;
    use crate::oath::{CredentialData, Instruction, OathSession};
    use crate::secret::SecretBytes;
    use crate::transport::{Response, StatusWord};

    /// An OATH application that accepts everything and answers CALCULATE with one code.
    struct Card;

    impl Transport for Card {
        fn transmit(&mut self, command: &[u8]) -> Result<Response, TransportError> {
            let data = match command[1] {
                ins if ins == Instruction::Select.code() => {
                    vec![0x79, 3, 5, 4, 3, 0x71, 8, 1, 2, 3, 4, 5, 6, 7, 8]
                }
                ins if ins == Instruction::Calculate.code() => {
                    vec![0x76, 5, 6, 0x0B, 0xAD, 0xC0, 0xDE]
                }
                _ => vec![],
            };
            Ok(Response::new(data, StatusWord::OK))
        }
    }

    #[test]
    fn a_traced_transaction_hides_the_put_key_and_the_calculated_code() {
        let (sender, receiver) = mpsc::channel();
        let mut sink: TraceSink = Box::new(move |line: &str| {
            let _ = sender.send(line.to_owned());
        });
        let code = run_traced(&mut Card, Some(&mut sink), |transport| {
            let mut session = OathSession::select(transport).unwrap();
            let secret = SecretBytes::new(b"KEYKEYKEYKEYKEY".to_vec());
            let data = CredentialData::totp(Some("Issuer"), "alice", secret);
            let id = session.put(&data, false).unwrap();
            session.calculate(&id, 0).unwrap()
        });
        drop(sink);
        let lines: Vec<String> = receiver.iter().collect();
        let all = lines.join("\n");
        assert_eq!(lines.len(), 6, "{all}");
        assert!(
            lines[0].starts_with("> 00 A4 04 00"),
            "SELECT is shown: {all}"
        );
        assert!(lines[2].starts_with("> 00 01 00 00 # "), "PUT: {all}");
        assert!(lines[2].ends_with(" bytes of data redacted"), "PUT: {all}");
        assert_eq!(lines[5], "< 90 00 # 7 bytes of data redacted", "{all}");
        assert!(!all.contains("4B 45 59"), "the key (KEY…) leaked:\n{all}");
        assert!(!all.contains("0B AD C0 DE"), "the code leaked:\n{all}");
        assert_eq!(
            code.value().expose(),
            "936478",
            "the code itself reaches the caller"
        );
    }

    #[test]
    fn without_a_sink_nothing_is_wrapped() {
        let sw = run_traced(&mut Card, None, |transport| {
            transport.transmit(&[0, 0xA1, 0, 0, 0]).unwrap().sw()
        });
        assert_eq!(sw, StatusWord::OK);
        let connector = PcscConnector::new().with_trace(|_: &str| {});
        assert!(format!("{connector:?}").contains("trace: true"));
        fn send<T: Send>(_: &T) {}
        send(&connector);
    }
}
