//! A card inserted into a vpcd reader: the TCP link to pcscd's vpcd driver, run in a
//! background thread.
//!
//! Connecting to vpcd's port *is* the insertion; closing the connection is the removal. A
//! [`crate::Fault::Pull`] closes it from the card's side in the middle of a command, and
//! [`RunningCard::reinsert`] connects the same card (with what it holds) again.
//! Debian's vpcd writes the 2-byte length and the payload of each message separately, so
//! `TCP_QUICKACK` is set before every read: without it the payload waits for a delayed ACK
//! and each APDU costs about 50 ms instead of 0.1 ms.

use std::io;
use std::net::{Ipv4Addr, Shutdown, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use socket2::SockRef;

use crate::touch::TouchControl;
use crate::{CardConfig, Fault, OathCard, TouchMode};

/// How long [`RunningCard::insert`] waits for pcscd to power the card up.
const POWER_UP_WAIT: Duration = Duration::from_secs(5);

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// State shared by the card thread and the [`RunningCard`] handle.
struct Shared {
    card: Mutex<OathCard>,
    /// INS of every command APDU received.
    instructions: Mutex<Vec<u8>>,
    /// Set once vpcd asked for the ATR (the card is powered and visible to PC/SC clients).
    powered: Mutex<bool>,
    powered_changed: Condvar,
}

/// The vpicc side of the link: forwards vpcd's messages to the shared card.
struct Link {
    shared: Arc<Shared>,
    atr: Vec<u8>,
    /// The connection, closed when the card is pulled out.
    stream: TcpStream,
}

impl vpicc::VSmartCard for Link {
    fn atr(&self) -> &[u8] {
        *lock(&self.shared.powered) = true;
        self.shared.powered_changed.notify_all();
        &self.atr
    }

    fn power_on(&mut self) {
        lock(&self.shared.card).power_cycle();
    }

    fn power_off(&mut self) {
        lock(&self.shared.card).power_cycle();
    }

    fn reset(&mut self) {
        lock(&self.shared.card).power_cycle();
    }

    fn execute(&mut self, msg: &[u8]) -> Vec<u8> {
        if let Some(&ins) = msg.get(1) {
            lock(&self.shared.instructions).push(ins);
        }
        let mut card = lock(&self.shared.card);
        let answer = card.execute(msg);
        if card.take_pulled() {
            // Out of the reader before the answer: vpcd sees the connection end, pcscd the
            // card removed, and the host's transmit fails.
            let _ = self.stream.shutdown(Shutdown::Both);
            return Vec::new();
        }
        answer
    }
}

/// A virtual YubiKey inserted into a vpcd reader, served by a background thread.
/// Dropping it removes the card.
pub struct RunningCard {
    port: u16,
    shared: Arc<Shared>,
    touch: Arc<TouchControl>,
    stream: TcpStream,
    thread: Option<JoinHandle<()>>,
}

impl RunningCard {
    /// Inserts a card with `config` into the vpcd reader listening on `127.0.0.1:port`
    /// (35963 is `Virtual PCD 00 00`, 35964 `Virtual PCD 00 01`), and waits up to 5 s for
    /// pcscd to power it up, so the card is visible to PC/SC clients on return (this takes
    /// 0.3–0.8 s: pcscd polls the reader).
    ///
    /// vpcd serves one card per reader. A second card connecting to a busy reader is accepted
    /// by TCP but never talked to: that case ends in an error of kind `TimedOut`.
    pub fn insert(port: u16, config: CardConfig) -> io::Result<RunningCard> {
        let card = OathCard::new(config);
        let touch = card.touch_control();
        let shared = Arc::new(Shared {
            card: Mutex::new(card),
            instructions: Mutex::new(Vec::new()),
            powered: Mutex::new(false),
            powered_changed: Condvar::new(),
        });
        Self::connect(port, shared, touch)
    }

    /// Pulls the card out of its reader, keeping what it holds for [`RunningCard::reinsert`]
    /// (nothing happens if it is out already).
    pub fn pull(&self) {
        let _ = self.stream.shutdown(Shutdown::Both);
    }

    /// Puts the same card back into its reader (after [`crate::Fault::Pull`] or to re-plug it):
    /// its accounts, password and counters are kept, transient state is lost as at any
    /// power-up. Waits for pcscd as [`RunningCard::insert`] does; the reader must be empty.
    pub fn reinsert(mut self) -> io::Result<RunningCard> {
        self.pull();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        *lock(&self.shared.powered) = false;
        lock(&self.shared.card).power_cycle();
        Self::connect(self.port, Arc::clone(&self.shared), Arc::clone(&self.touch))
    }

    fn connect(
        port: u16,
        shared: Arc<Shared>,
        touch: Arc<TouchControl>,
    ) -> io::Result<RunningCard> {
        let stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port))?;
        stream.set_nodelay(true)?;
        let atr = lock(&shared.card).config().atr.clone();
        let mut link = Link {
            shared: Arc::clone(&shared),
            atr,
            stream: stream.try_clone()?,
        };
        let quickack = stream.try_clone()?;
        let mut connection = vpicc::Connection::from(stream.try_clone()?);
        let thread = std::thread::Builder::new()
            .name(format!("vyubikey-{port}"))
            .spawn(move || {
                loop {
                    // Best effort: a failure only costs speed.
                    let _ = SockRef::from(&quickack).set_tcp_quickack(true);
                    if let Err(e) = connection.poll(&mut link) {
                        log::debug!("vpcd link on port {port} closed: {e}");
                        break;
                    }
                }
            })?;
        let running = RunningCard {
            port,
            shared,
            touch,
            stream,
            thread: Some(thread),
        };
        if running.wait_powered(POWER_UP_WAIT) {
            Ok(running)
        } else {
            Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "vpcd on port {port} did not power the card up within {POWER_UP_WAIT:?}: \
                     another card is probably in that reader"
                ),
            ))
        }
    }

    fn wait_powered(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut powered = lock(&self.shared.powered);
        while !*powered {
            let now = Instant::now();
            if now >= deadline || !self.is_connected() {
                return false;
            }
            powered = self
                .shared
                .powered_changed
                .wait_timeout(powered, (deadline - now).min(Duration::from_millis(50)))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }

    /// Whether the link to vpcd is still up (it ends when pcscd goes away).
    pub fn is_connected(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Command APDUs received (vpcd's power and ATR messages are not counted).
    pub fn apdu_count(&self) -> usize {
        lock(&self.shared.instructions).len()
    }

    /// The INS byte of every command APDU received, in order.
    pub fn instructions(&self) -> Vec<u8> {
        lock(&self.shared.instructions).clone()
    }

    /// Times a calculation asked for a touch.
    pub fn touch_count(&self) -> usize {
        self.touch.count()
    }

    /// Changes what happens at the next touch request (takes effect immediately, even while
    /// an APDU is in progress).
    pub fn set_touch(&self, mode: TouchMode) {
        self.touch.set(mode);
    }

    /// Factory-resets the card and clears the APDU and touch counters. The touch mode stays.
    pub fn reset(&self) {
        lock(&self.shared.card).factory_reset();
        lock(&self.shared.instructions).clear();
        self.touch.clear_count();
    }

    /// Arms a fault (see [`crate::Fault`]) on the running card, e.g. once a test set it up.
    pub fn set_fault(&self, fault: Option<Fault>) {
        lock(&self.shared.card).set_fault(fault);
    }

    /// Runs `f` on the card itself (e.g. to look at its accounts).
    pub fn with_card<T>(&self, f: impl FnOnce(&mut OathCard) -> T) -> T {
        f(&mut lock(&self.shared.card))
    }

    /// Removes the card from the reader and waits for the card thread to end.
    pub fn remove(self) {
        drop(self);
    }
}

impl Drop for RunningCard {
    fn drop(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Both);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for RunningCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningCard")
            .field("local_addr", &self.stream.local_addr().ok())
            .field("connected", &self.is_connected())
            .finish_non_exhaustive()
    }
}
