//! The helper processes running for us (`mfa_process`, `credential_process`), so that an
//! interrupted `mfa` stops them instead of leaving them behind (docs/bad-input.md).
//!
//! A spawner registers the child's pid for as long as it runs ([`track`]); the Ctrl-C handler
//! of the cli calls [`stop_all`] before it exits. Only the direct child is signalled: a shell
//! command's own children are its business (most end with it, since their pipe closes).

use std::sync::Mutex;

static RUNNING: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// Registered while alive: dropping it (the child was waited for) unregisters the pid.
#[must_use = "the pid is unregistered when this is dropped"]
pub struct Tracked(u32);

/// Registers `pid` as a helper process of ours until the returned guard is dropped.
pub fn track(pid: u32) -> Tracked {
    lock().push(pid);
    Tracked(pid)
}

impl Drop for Tracked {
    fn drop(&mut self) {
        lock().retain(|&pid| pid != self.0);
    }
}

/// Sends SIGTERM to every helper process still registered; the pids it signalled.
pub fn stop_all() -> Vec<u32> {
    let pids: Vec<u32> = lock().clone();
    for &pid in &pids {
        if let Some(pid) = i32::try_from(pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        {
            // Already gone is fine.
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
    }
    pids
}

fn lock() -> std::sync::MutexGuard<'static, Vec<u32>> {
    RUNNING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_tracked_child_is_stopped_and_an_untracked_one_is_not() {
        let mut tracked = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let mut untracked = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let guard = track(tracked.id());
        assert!(stop_all().contains(&tracked.id()));
        let status = tracked.wait().unwrap();
        assert!(!status.success());
        drop(guard);
        assert!(!lock().contains(&tracked.id()));
        assert!(
            untracked.try_wait().unwrap().is_none(),
            "an untracked child was stopped"
        );
        untracked.kill().unwrap();
        untracked.wait().unwrap();
    }
}
