//! `mfa exec --server -- CMD`: the child gets a loopback credential endpoint instead of static
//! credentials, so a run longer than the credentials' life never holds expired ones
//! (docs/terraform.md).
//!
//! Threads:
//!
//! - **this one** owns the [`Context`] and answers requests for credentials, one at a time,
//!   through [`credentials::obtain`] — the cache first, and under its lock a fetch when the
//!   cached credentials are within 5 minutes of expiry; a code is asked for only when the MFA
//!   session itself has expired. The shared files are forgotten after each request, so no
//!   long-term secret read from them stays in memory between requests.
//! - **the acceptor** takes connections on 127.0.0.1 and gives each a thread that reads the
//!   request with timeouts and a size limit ([`http`]), so a stuck client delays nobody; an
//!   authorised request is passed to this thread and its answer written back.
//! - **the waiter** waits for the child and reports its status: this thread then returns it,
//!   and the process ends, taking the endpoint with it.
//! - **the forwarder** passes the signals `mfa` receives to the child ([`supervise`]).

pub mod http;
pub mod supervise;

use std::ffi::OsString;
use std::io;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Command, ExitStatus};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Sender, SyncSender};
use std::thread;
use std::time::Duration;

use rustix::process::Pid;
use zeroize::Zeroizing;

use super::context::{Files, unix_now};
use super::{Context, Exit, Failure, child, credentials, failure, interrupt};
use crate::aws::cache::is_fresh;
use crate::aws::chain::ResolvedProfile;
use crate::aws::credentials::SessionCredentials;
use http::{Status, Token};
use supervise::Forwarder;

/// The path the credentials are served on.
const PATH: &str = "/mfa/credentials";

/// How long a client may take to send its request, or to take the answer.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections read at once; more are answered 503 at once.
const MAX_CONNECTIONS: usize = 32;

/// A credentials body, or `None` when they could not be obtained (already reported).
type Answer = Option<Zeroizing<Vec<u8>>>;

/// What this thread is told by the others.
enum Event {
    /// A request with the right token: answer on the channel.
    Credentials(SyncSender<Answer>),
    /// The child is gone.
    ChildExited(io::Result<ExitStatus>),
}

/// Runs `command` with the endpoint; returns its exit status (or 128 + N after signal N).
pub fn run(
    ctx: &mut Context,
    command: &[OsString],
    duration: Option<u32>,
) -> Result<Exit, Failure> {
    let Some((program, args)) = command.split_first() else {
        return Err(Failure::usage(
            "no command to run",
            "give one: mfa exec --server -- COMMAND [ARGS…]",
        ));
    };
    // Ctrl-C ends mfa (exit 130) while it asks for a code before the child starts, and is the
    // child's alone afterwards.
    let child_started = interrupt::install_until_child();
    // The first credentials before the child starts: a code or a touch is asked now, and a
    // failure is reported as for `mfa exec`.
    let (profile, obtained) = credentials::obtain(ctx, None, duration)?;
    forget_files(ctx);
    let mut served = Served {
        kept: keeps_in_memory(ctx, &profile).then_some(obtained.credentials),
        duration,
    };
    let endpoint = Endpoint::bind().map_err(|e| {
        Failure::runtime(
            format!("cannot start the credential endpoint on 127.0.0.1: {e}"),
            "run without --server, or check that the loopback interface is up",
        )
    })?;
    let uri = endpoint.uri();
    let env = child::server_environment(
        std::env::vars_os(),
        &child::ChildEndpoint {
            profile: &profile.name,
            uri: &uri,
            token: endpoint.token.expose(),
            region: profile.region.as_deref(),
        },
    );
    let (events, inbox) = mpsc::channel();
    endpoint.serve(events.clone());
    let forwarder = Forwarder::catch().map_err(|e| {
        Failure::runtime(
            format!("cannot catch signals for the child: {e}"),
            "run without --server",
        )
    })?;
    child_started.store(true, Ordering::SeqCst);
    // The child gets the user's core limit; `mfa` itself stays non-dumpable.
    #[cfg(target_os = "linux")]
    super::hygiene::restore_for_child();
    let mut child = Command::new(program)
        .args(args)
        .env_clear()
        .envs(env)
        .spawn()
        .map_err(|e| child::spawn_failure(program, &e))?;
    forwarder.forward_to(Pid::from_child(&child));
    thread::spawn(move || {
        let _ = events.send(Event::ChildExited(child.wait()));
    });
    for event in inbox {
        match event {
            Event::Credentials(reply) => {
                let _ = reply.send(served.answer(ctx));
            }
            Event::ChildExited(Ok(status)) => {
                return Ok(Exit::Status(supervise::exit_code(status)));
            }
            Event::ChildExited(Err(e)) => return Err(lost_child(&e)),
        }
    }
    Err(lost_child(&io::Error::other("the waiting thread ended")))
}

fn lost_child(e: &io::Error) -> Failure {
    Failure::runtime(
        format!("lost track of the command: {e}"),
        "check whether it is still running, and run it again",
    )
}

/// Drops the shared files read for a request (the credentials file may hold long-term keys);
/// the next request reads them again.
fn forget_files(ctx: &mut Context) {
    ctx.files = Files::new(ctx.env.file_locations());
}

/// Whether the credentials must be kept here: with no cache (`--no-cache`, `mfa_cache = none`)
/// every request would otherwise cost a code.
fn keeps_in_memory(ctx: &Context, profile: &ResolvedProfile) -> bool {
    ctx.global.no_cache || profile.mfa_cache.as_deref() == Some("none")
}

/// What the endpoint answers with.
struct Served {
    /// The last credentials, kept only when there is no cache.
    kept: Option<SessionCredentials>,
    duration: Option<u32>,
}

impl Served {
    /// The credentials body for one request: from memory when kept and fresh, else through the
    /// credential flow. A failure is reported on stderr (the child's request gets a 500).
    fn answer(&mut self, ctx: &mut Context) -> Answer {
        let now = unix_now().ok()?;
        if let Some(kept) = self.kept.as_ref().filter(|c| is_fresh(c.expiration, now)) {
            return Some(http::credentials_body(kept));
        }
        let obtained = credentials::obtain(ctx, None, self.duration);
        forget_files(ctx);
        match obtained {
            Ok((_, obtained)) => {
                let body = http::credentials_body(&obtained.credentials);
                if self.kept.is_some() {
                    self.kept = Some(obtained.credentials);
                }
                Some(body)
            }
            Err(failure) => {
                failure::report(&mut io::stderr().lock(), &failure);
                None
            }
        }
    }
}

/// The listening socket and its token.
struct Endpoint {
    listener: TcpListener,
    token: Arc<Token>,
}

impl Endpoint {
    /// Listens on 127.0.0.1, on a port the system chooses, with a fresh token.
    fn bind() -> io::Result<Endpoint> {
        let token = Token::generate().map_err(|e| io::Error::other(e.to_string()))?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        Ok(Endpoint {
            listener,
            token: Arc::new(token),
        })
    }

    /// `http://127.0.0.1:PORT/mfa/credentials`.
    fn uri(&self) -> String {
        let port = self.listener.local_addr().map(|a| a.port()).unwrap_or(0);
        format!("http://127.0.0.1:{port}{PATH}")
    }

    /// Accepts connections from a thread of its own, for as long as the process lives.
    fn serve(self, events: Sender<Event>) {
        let Endpoint { listener, token } = self;
        let active = Arc::new(AtomicUsize::new(0));
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                if active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
                    active.fetch_sub(1, Ordering::SeqCst);
                    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
                    let _ = http::respond(&mut stream, Status::Unavailable, None);
                    continue;
                }
                let (token, events, active) =
                    (Arc::clone(&token), events.clone(), Arc::clone(&active));
                thread::spawn(move || {
                    connection(stream, &token, &events);
                    active.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
    }
}

/// One connection: read and judge the request, then answer it (the credentials come from the
/// main thread).
fn connection(mut stream: TcpStream, token: &Token, events: &Sender<Event>) {
    if stream.set_read_timeout(Some(IO_TIMEOUT)).is_err()
        || stream.set_write_timeout(Some(IO_TIMEOUT)).is_err()
    {
        return;
    }
    let status = match http::read_head(&mut stream) {
        // Timed out or reset: nobody to answer.
        Err(_) => return,
        Ok(Err(status)) => status,
        Ok(Ok(head)) => http::judge(&head, PATH, token),
    };
    if status != Status::Ok {
        let _ = http::respond(&mut stream, status, None);
        return;
    }
    let (reply, answer) = mpsc::sync_channel(1);
    let body = events
        .send(Event::Credentials(reply))
        .ok()
        .and_then(|()| answer.recv().ok())
        .flatten();
    let _ = match body {
        Some(body) => http::respond(&mut stream, Status::Ok, Some(&body)),
        None => http::respond(&mut stream, Status::InternalError, None),
    };
}
