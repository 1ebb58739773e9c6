//! The listener: one thread accepting, one thread per connection (keep-alive, pipelining), and
//! a clean stop: wake the acceptor, shut down every open connection, join every thread.

use crate::control;
use crate::http::{self, HttpError, Response};
use crate::service::{Outcome, Service};
use std::collections::HashMap;
use std::io::{self, BufReader};
use std::net::{Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// A stop flag that sleeping handlers (the `Slow` fault) wake up for.
#[derive(Default)]
pub struct Stopper {
    stopped: Mutex<bool>,
    wake: Condvar,
}

impl Stopper {
    fn flag(&self) -> MutexGuard<'_, bool> {
        self.stopped.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn stop(&self) {
        *self.flag() = true;
        self.wake.notify_all();
    }

    pub fn is_stopped(&self) -> bool {
        *self.flag()
    }

    /// Sleeps for `delay`, or less if the server stops meanwhile.
    pub fn sleep(&self, delay: Duration) {
        let deadline = Instant::now() + delay;
        let mut stopped = self.flag();
        while !*stopped {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            stopped = self
                .wake
                .wait_timeout(stopped, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

/// Open connections (for shutting them down) and their threads (for joining them).
#[derive(Default)]
struct Connections {
    next_id: AtomicU64,
    streams: Mutex<HashMap<u64, TcpStream>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl Connections {
    fn streams(&self) -> MutexGuard<'_, HashMap<u64, TcpStream>> {
        self.streams.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn threads(&self) -> MutexGuard<'_, Vec<JoinHandle<()>>> {
        self.threads.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A running server; dropping it stops it.
pub struct Server {
    addr: SocketAddr,
    stopper: Arc<Stopper>,
    connections: Arc<Connections>,
    acceptor: Option<JoinHandle<()>>,
}

impl Server {
    /// Starts serving `listener` with `service`.
    pub fn spawn(listener: TcpListener, service: Arc<Service>) -> io::Result<Server> {
        let addr = listener.local_addr()?;
        let stopper = Arc::new(Stopper::default());
        let connections = Arc::new(Connections::default());
        let acceptor = {
            let (stopper, connections) = (stopper.clone(), connections.clone());
            thread::Builder::new()
                .name(format!("fake-sts-accept-{}", addr.port()))
                .spawn(move || accept_loop(&listener, &service, &stopper, &connections))?
        };
        Ok(Server {
            addr,
            stopper,
            connections,
            acceptor: Some(acceptor),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stopper.stop();
        // Wake the blocking accept(); the acceptor sees the flag and returns, closing the
        // listener. Connecting to an unspecified address means connecting to loopback.
        let mut wake = self.addr;
        if wake.ip().is_unspecified() {
            wake.set_ip(match wake {
                SocketAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
            });
        }
        let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        for stream in self.connections.streams().values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
        let threads = std::mem::take(&mut *self.connections.threads());
        for thread in threads {
            let _ = thread.join();
        }
    }
}

fn accept_loop(
    listener: &TcpListener,
    service: &Arc<Service>,
    stopper: &Arc<Stopper>,
    connections: &Arc<Connections>,
) {
    for stream in listener.incoming() {
        if stopper.is_stopped() {
            return;
        }
        let stream = match stream {
            Ok(stream) => stream,
            Err(_) => {
                // E.g. out of file descriptors: do not spin.
                thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        let Ok(registered) = stream.try_clone() else {
            continue;
        };
        let id = connections.next_id.fetch_add(1, Ordering::Relaxed);
        connections.streams().insert(id, registered);
        let (service, stopper, conns) = (service.clone(), stopper.clone(), connections.clone());
        let spawned = thread::Builder::new()
            .name(format!("fake-sts-conn-{id}"))
            .spawn(move || {
                serve(stream, &service, &stopper);
                conns.streams().remove(&id);
            });
        let mut threads = connections.threads();
        threads.retain(|t| !t.is_finished());
        match spawned {
            Ok(handle) => threads.push(handle),
            Err(_) => {
                if let Some(stream) = connections.streams().remove(&id) {
                    let _ = stream.shutdown(Shutdown::Both);
                }
            }
        }
    }
}

/// Serves requests on one connection until the peer closes it, asks to, or a fault drops it.
fn serve(stream: TcpStream, service: &Service, stopper: &Stopper) {
    let _ = stream.set_nodelay(true);
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut writer = stream;
    loop {
        let request = match http::read_request(&mut reader, &mut writer) {
            Ok(request) => request,
            Err(HttpError::Closed | HttpError::Io) => break,
            Err(HttpError::Bad(reason)) => {
                let response = Response::new(400, "text/plain", format!("{reason}\n"));
                let _ = http::write_response(&mut writer, &response, false);
                break;
            }
            Err(HttpError::TooLarge) => {
                let response = Response::new(413, "text/plain", "request body too large\n");
                let _ = http::write_response(&mut writer, &response, false);
                break;
            }
        };
        let outcome = if request.path.starts_with(control::PREFIX) {
            Outcome::Respond(control::handle(service, &request))
        } else {
            service.handle(&request, stopper)
        };
        let Outcome::Respond(response) = outcome else {
            break;
        };
        let keep_alive = request.keep_alive && !stopper.is_stopped();
        if http::write_response(&mut writer, &response, keep_alive).is_err() || !keep_alive {
            break;
        }
    }
    let _ = writer.shutdown(Shutdown::Both);
}
