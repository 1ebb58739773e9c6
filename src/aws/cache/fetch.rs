//! The cache's one-fetch protocol as a single call: read; on a miss take the lock, read again
//! (someone may have stored the session meanwhile), and only then fetch and store.
//!
//! The cache never stands in the way of a session: a lock that cannot be taken or an entry that
//! cannot be stored is reported as a [`CacheEvent`] and the fetch goes on.

use super::{CacheError, CachedSession, Ignored, Lookup, SessionCache, SessionKey};

/// Something the caller may want to explain at `-v`.
#[derive(Debug)]
#[non_exhaustive]
pub enum CacheEvent {
    /// A stored entry was not trusted.
    Ignored(Ignored),
    /// The stored session expires too soon (or has expired).
    Stale { expiration: u64 },
    /// Another invocation is fetching this session (its pid, when known); waiting for it.
    Waiting { holder: Option<u32> },
    /// The fetch lock could not be taken; fetching without it.
    LockFailed(CacheError),
    /// The fetched session could not be stored.
    StoreFailed(CacheError),
}

/// Where the session came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// From the cache, no code spent.
    Cache,
    /// From the cache, stored by another invocation this one waited for.
    CacheAfterWait,
    /// Fetched now (and stored, unless the cache is off or storing failed).
    Fetched,
}

impl SessionCache {
    /// The session for `key`: a fresh cached one, or the one `fetch` makes, fetched under the
    /// key's lock so that parallel invocations fetch once. `now` is Unix seconds.
    ///
    /// `state` (the caller's terminal, say) is lent in turn to `events`, which hears what the
    /// cache skipped or waited for, and to `fetch`: both may need it, never at the same time.
    pub fn get_or_fetch<S: ?Sized, E>(
        &self,
        key: &SessionKey,
        now: u64,
        state: &mut S,
        events: &mut dyn FnMut(&mut S, CacheEvent),
        fetch: impl FnOnce(&mut S) -> Result<CachedSession, E>,
    ) -> Result<(CachedSession, Origin), E> {
        match self.get(key, now) {
            Lookup::Fresh(session) => return Ok((session, Origin::Cache)),
            Lookup::Missing => {}
            Lookup::Stale { expiration } => events(state, CacheEvent::Stale { expiration }),
            Lookup::Ignored(ignored) => events(state, CacheEvent::Ignored(ignored)),
        }
        let waiting = &mut |holder| events(&mut *state, CacheEvent::Waiting { holder });
        let lock = match self.lock(key, waiting) {
            Ok(lock) => Some(lock),
            Err(e) => {
                events(state, CacheEvent::LockFailed(e));
                None
            }
        };
        if lock.is_some()
            && let Lookup::Fresh(session) = self.get(key, now)
        {
            let origin = if lock.as_ref().is_some_and(|l| l.waited()) {
                Origin::CacheAfterWait
            } else {
                Origin::Cache
            };
            return Ok((session, origin));
        }
        let session = fetch(state)?;
        if let Err(e) = self.put(key, &session) {
            events(state, CacheEvent::StoreFailed(e));
        }
        drop(lock);
        Ok((session, Origin::Fetched))
    }
}
