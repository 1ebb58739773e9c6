//! Providers, and the cache around each of them (docs/sessions.md, "The cache").
//!
//! A [`Provider`] yields temporary credentials; a [`Fetch`] makes them with one STS call (and
//! whatever it needs first: a code, the long-term keys, its parent's credentials). [`Cached`]
//! turns a fetch into a provider the way aws-vault's cached session provider wraps its session
//! provider: the cache is read first, and the fetch runs only on a miss, under the cache lock
//! for its key ([`SessionCache::get_or_fetch`]), so parallel invocations fetch once.
//!
//! What the cache did is explained at `-v`: where the credentials came from, and anything it
//! skipped or could not do (an ignored or stale entry, a wait for another invocation, a lock or
//! a store that failed — none of which stops the fetch).

use super::{FlowContext, FlowError, Obtained};
use crate::aws::cache::{CacheEvent, CachedSession, Origin, SessionCache, SessionKey};
use crate::terminal::Terminal;

/// Something that yields temporary credentials: the session, or a role.
pub(super) trait Provider {
    /// The credentials, from the cache or fetched. Notices, explanations and questions go to
    /// `terminal`.
    fn retrieve(&mut self, terminal: &mut dyn Terminal) -> Result<Obtained, FlowError>;
}

/// Makes fresh credentials, to be cached.
pub(super) trait Fetch {
    fn fetch(&mut self, terminal: &mut dyn Terminal) -> Result<CachedSession, FlowError>;
}

/// A fetch behind the cache, under the key `key`.
pub(super) struct Cached<'a, F> {
    ctx: &'a FlowContext<'a>,
    key: SessionKey,
    /// What `-v` calls these credentials: `the MFA session`, `role ARN`.
    what: String,
    inner: F,
}

impl<'a, F: Fetch> Cached<'a, F> {
    pub(super) fn new(ctx: &'a FlowContext<'a>, key: SessionKey, what: String, inner: F) -> Self {
        Cached {
            ctx,
            key,
            what,
            inner,
        }
    }
}

impl<F: Fetch> Provider for Cached<'_, F> {
    fn retrieve(&mut self, terminal: &mut dyn Terminal) -> Result<Obtained, FlowError> {
        let cache: &SessionCache = self.ctx.cache;
        let now = (self.ctx.clock)();
        let (what, inner) = (&self.what, &mut self.inner);
        // The terminal is lent in turn to the cache's events (`-v` lines) and to the fetch
        // (which may ask for a code or a touch).
        let (session, origin) = cache.get_or_fetch(
            &self.key,
            now,
            terminal,
            &mut |terminal, event| {
                // A wait without a word looks like a hang, and a cache that cannot be written
                // costs a code on every run: those two are told without -v.
                let noticed = matches!(
                    event,
                    CacheEvent::Waiting { .. }
                        | CacheEvent::StoreFailed(_)
                        | CacheEvent::LockFailed(_)
                );
                let text = describe(event, what);
                if noticed {
                    terminal.notice(&text);
                } else {
                    terminal.explain(1, &text);
                }
            },
            |terminal| inner.fetch(terminal),
        )?;
        terminal.explain(
            1,
            &match origin {
                Origin::Cache => format!("{what}: from the cache"),
                Origin::CacheAfterWait => {
                    format!("{what}: from the cache, fetched by the other one")
                }
                Origin::Fetched => format!("{what}: fetched"),
            },
        );
        Ok(Obtained {
            credentials: session.credentials,
            kind: session.kind,
            origin,
        })
    }
}

/// The `-v` line for something the cache did on the way.
fn describe(event: CacheEvent, what: &str) -> String {
    match event {
        CacheEvent::Ignored(ignored) => format!("{what}: cache entry ignored: {ignored}"),
        CacheEvent::Stale { .. } => format!("{what}: the cached one expires within 5 minutes"),
        CacheEvent::Waiting { holder: Some(pid) } => {
            format!("another mfa is getting the session (pid {pid}): waiting… ({what})")
        }
        CacheEvent::Waiting { holder: None } => {
            format!("another mfa is getting the session: waiting… ({what})")
        }
        CacheEvent::LockFailed(e) => format!(
            "{what}: fetching without the cache lock ({e}); parallel runs may each spend a code"
        ),
        CacheEvent::StoreFailed(e) => {
            format!("{what}: could not be cached ({e}); the next run will ask for a code again")
        }
    }
}
