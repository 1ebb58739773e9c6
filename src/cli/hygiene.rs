//! Process hygiene before any secret is read (docs/security.md): no core dump, and no
//! ptrace attach or `/proc/PID/mem` read by other processes of the same user.
//!
//! `PR_SET_DUMPABLE 0` makes the process non-dumpable: no core file whatever the limits, and
//! `/proc/PID/{mem,environ,…}` owned by root. The soft `RLIMIT_CORE` is also set to 0, in case
//! something sets the process dumpable again. The hard limit is left alone: an unprivileged
//! process cannot raise it back, and the command `mfa exec`, `mfa shell` or `exec --server`
//! runs must get the user's own limits — [`restore_for_child`] gives the soft limit back just
//! before it starts (`execve` makes a process dumpable again by itself).
//!
//! Secret buffers are also locked in RAM (never swapped) and every freed block is wiped:
//! `src/memory.rs`, docs/security.md#memory.

use std::sync::OnceLock;

use rustix::process::{
    DumpableBehavior, Resource, Rlimit, getrlimit, set_dumpable_behavior, setrlimit,
};

/// The user's core limit when `mfa` started.
static USER_CORE_LIMIT: OnceLock<Rlimit> = OnceLock::new();

/// Makes the process non-dumpable and its soft core limit 0. Failures are ignored: hardening
/// is best effort, and a platform without it still works.
pub fn harden() {
    let _ = set_dumpable_behavior(DumpableBehavior::NotDumpable);
    crate::memory::start();
    let user = getrlimit(Resource::Core);
    let _ = USER_CORE_LIMIT.set(user);
    let _ = setrlimit(
        Resource::Core,
        Rlimit {
            current: Some(0),
            maximum: user.maximum,
        },
    );
}

/// Gives the user's soft core limit back, for the command about to be started. The process
/// stays non-dumpable.
pub fn restore_for_child() {
    if let Some(user) = USER_CORE_LIMIT.get() {
        let _ = setrlimit(Resource::Core, *user);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_process_holding_secrets_was_dumpable() {
        // Changes this test process, which is harmless: it only makes it non-dumpable.
        let before = getrlimit(Resource::Core);
        harden();
        assert_eq!(
            rustix::process::dumpable_behavior().unwrap(),
            DumpableBehavior::NotDumpable
        );
        let hardened = getrlimit(Resource::Core);
        assert_eq!(hardened.current, Some(0));
        assert_eq!(
            hardened.maximum, before.maximum,
            "the hard limit is the user's"
        );
        restore_for_child();
        assert_eq!(getrlimit(Resource::Core), before);
    }
}
