//! One fetch per session: an advisory lock (`flock`) on `ID.lock` in the cache directory.
//!
//! The first invocation takes the lock, fetches and stores the session, and releases the lock
//! when its guard drops (or its process dies: the kernel releases `flock`s with the file). The
//! others block on the lock, then read the entry the first one stored. The lock file holds the
//! holder's pid, only so that a waiter can say whom it waits for; lock files are never removed
//! (removing one while held would let a newcomer lock a fresh file).

use std::fs::{File, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};

use super::CacheError;
use super::dir::CacheDir;

/// Held while a session is fetched; dropping it releases the lock.
#[derive(Debug)]
pub struct SessionLock {
    file: Option<File>,
    waited: bool,
}

impl SessionLock {
    /// A guard that locks nothing (no cache directory).
    pub(crate) fn none() -> SessionLock {
        SessionLock {
            file: None,
            waited: false,
        }
    }

    /// Takes the lock `name` in `dir`. When another process holds it, `on_wait` is called once
    /// with the holder's pid (when known) before blocking until it is released.
    pub(crate) fn acquire(
        dir: &CacheDir,
        name: &str,
        on_wait: &mut dyn FnMut(Option<u32>),
    ) -> Result<SessionLock, CacheError> {
        let mut file = dir.open_lock_file(name)?;
        let lock_error = |source| CacheError::Lock {
            path: dir.file(name),
            source,
        };
        let waited = match file.try_lock() {
            Ok(()) => false,
            Err(TryLockError::WouldBlock) => {
                on_wait(holder_pid(&mut file));
                file.lock().map_err(lock_error)?;
                true
            }
            Err(TryLockError::Error(source)) => return Err(lock_error(source)),
        };
        // Informational only: a failure to note our pid does not matter.
        let _ = write_pid(&mut file);
        Ok(SessionLock {
            file: Some(file),
            waited,
        })
    }

    /// Whether another invocation held the lock first: it has probably stored the session, so
    /// read the cache again before fetching.
    pub fn waited(&self) -> bool {
        self.waited
    }
}

impl Drop for SessionLock {
    fn drop(&mut self) {
        if let Some(file) = self.file.take() {
            let _ = file.unlock();
        }
    }
}

fn holder_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    Read::by_ref(file).take(32).read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

fn write_pid(file: &mut File) -> std::io::Result<()> {
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    writeln!(file, "{}", std::process::id())
}
