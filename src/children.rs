//! The helper processes running for us (`mfa_process`, `credential_process`), so that an
//! interrupted or timed-out `mfa` stops them — and whatever they started — instead of leaving
//! them behind (docs/bad-input.md, "Orphans").
//!
//! Helpers are started with [`spawn`], which registers them for as long as they run. A helper
//! gets a process group of its own when `mfa` is not the foreground job of a terminal (no
//! terminal, or run in the background): signalling that group reaches every process it started,
//! even those its shell left behind. When `mfa` is the terminal's foreground job, the helper
//! stays in `mfa`'s group, because a helper may ask something on the terminal (a password
//! manager's prompt) and a background group that reads the terminal is stopped by the kernel
//! (SIGTTIN); there the terminal's own Ctrl-C reaches the whole group. Either way, [`stop_all`]
//! (the cli's handler for Ctrl-C, SIGTERM and SIGHUP) and a time limit signal the helper and
//! every descendant found in `/proc`, so a grandchild is not left sleeping.

use std::collections::HashMap;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

use rustix::process::{Pid, Signal};

static RUNNING: Mutex<Vec<Helper>> = Mutex::new(Vec::new());

/// Set by [`stop_all`]: the helpers were stopped because `mfa` is going away, so what the
/// waiting code sees (a helper killed by a signal) is not the failure to report.
static STOPPING: AtomicBool = AtomicBool::new(false);

/// Called before the first helper starts (the cli installs its signal handler there, so a
/// helper is stopped even on the paths that ask no code).
static ON_SPAWN: OnceLock<fn()> = OnceLock::new();

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Helper {
    pid: u32,
    /// Whether the helper leads a process group of its own.
    own_group: bool,
}

/// Registered while alive: dropping it (the child was waited for) unregisters the helper.
#[must_use = "the helper is unregistered when this is dropped"]
#[derive(Debug)]
pub struct Tracked(Helper);

/// Sets the function called once before a helper is started (the cli's signal handler).
pub fn on_spawn(hook: fn()) {
    let _ = ON_SPAWN.set(hook);
}

/// Starts `command` as a helper: in a process group of its own unless `mfa` is the
/// foreground job of a terminal (see the module's notes), and registered until the returned
/// guard is dropped.
pub fn spawn(command: &mut Command) -> std::io::Result<(Child, Tracked)> {
    if let Some(hook) = ON_SPAWN.get() {
        hook();
    }
    let own_group = !in_terminal_foreground();
    if own_group {
        std::os::unix::process::CommandExt::process_group(command, 0);
    }
    let child = command.spawn()?;
    let helper = Helper {
        pid: child.id(),
        own_group,
    };
    lock().push(helper);
    Ok((child, Tracked(helper)))
}

/// Registers `pid` (a child in our own process group) as a helper until the returned guard is
/// dropped.
pub fn track(pid: u32) -> Tracked {
    let helper = Helper {
        pid,
        own_group: false,
    };
    lock().push(helper);
    Tracked(helper)
}

impl Tracked {
    /// Kills the helper and everything it started (SIGKILL): for a helper past its time limit.
    /// The caller still reaps its direct child.
    pub fn kill(&self) {
        signal(self.0, Signal::KILL);
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        let me = self.0;
        lock().retain(|helper| *helper != me);
    }
}

/// Sends SIGTERM to every helper still registered and to all they started; the pids of the
/// helpers signalled.
pub fn stop_all() -> Vec<u32> {
    STOPPING.store(true, Ordering::SeqCst);
    let helpers: Vec<Helper> = lock().clone();
    for &helper in &helpers {
        signal(helper, Signal::TERM);
    }
    helpers.iter().map(|helper| helper.pid).collect()
}

/// Whether [`stop_all`] was called: the process is about to exit on a signal, and a failure
/// the helpers' end caused must not be reported in its place.
pub fn stopping() -> bool {
    STOPPING.load(Ordering::SeqCst)
}

/// Sends `sig` to `helper`, its descendants and, when it has one, its process group. The
/// descendants are found before any is signalled: once the helper is gone, its children belong
/// to init and cannot be told from anyone else's.
fn signal(helper: Helper, sig: Signal) {
    let descendants = descendants_of(helper.pid);
    if helper.own_group
        && let Some(group) = pid(helper.pid)
    {
        // Already gone is fine.
        let _ = rustix::process::kill_process_group(group, sig);
    }
    for target in std::iter::once(helper.pid).chain(descendants) {
        if let Some(target) = pid(target) {
            let _ = rustix::process::kill_process(target, sig);
        }
    }
}

fn pid(raw: u32) -> Option<Pid> {
    i32::try_from(raw).ok().and_then(Pid::from_raw)
}

/// The processes descended from `root`, read from `/proc` (empty where there is none).
fn descendants_of(root: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some(parent) = parent_of(pid) {
            children.entry(parent).or_default().push(pid);
        }
    }
    let mut found = Vec::new();
    let mut next = vec![root];
    while let Some(pid) = next.pop() {
        for &child in children.get(&pid).map(Vec::as_slice).unwrap_or_default() {
            if !found.contains(&child) {
                found.push(child);
                next.push(child);
            }
        }
    }
    found
}

/// The parent of `pid` from `/proc/PID/stat` (the field after the state, past the command
/// name, which may hold anything).
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(") ")?;
    rest.split(' ').nth(1)?.parse().ok()
}

/// Whether `mfa` is the foreground job of its controlling terminal.
fn in_terminal_foreground() -> bool {
    let Ok(tty) = std::fs::File::open("/dev/tty") else {
        return false;
    };
    rustix::termios::tcgetpgrp(&tty).is_ok_and(|group| group == rustix::process::getpgrp())
}

fn lock() -> std::sync::MutexGuard<'static, Vec<Helper>> {
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
        assert!(!lock().iter().any(|h| h.pid == tracked.id()));
        assert!(
            untracked.try_wait().unwrap().is_none(),
            "an untracked child was stopped"
        );
        untracked.kill().unwrap();
        untracked.wait().unwrap();
    }

    #[test]
    fn a_helpers_grandchild_outlived_it() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("grandchild");
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!("sleep 60 & echo $! > {}; wait", pid_file.display()));
        let (mut child, guard) = spawn(&mut command).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let grandchild = loop {
            let text = std::fs::read_to_string(&pid_file).unwrap_or_default();
            if text.ends_with('\n') {
                break text.trim().parse::<u32>().unwrap();
            }
            assert!(std::time::Instant::now() < deadline, "the helper never ran");
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        guard.kill();
        child.wait().unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::time::Instant::now() < deadline {
            match std::fs::read_to_string(format!("/proc/{grandchild}/stat")) {
                Err(_) => return,
                Ok(stat)
                    if stat
                        .rsplit_once(") ")
                        .is_some_and(|(_, r)| r.starts_with('Z')) =>
                {
                    return;
                }
                Ok(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
            }
        }
        panic!("the helper's grandchild {grandchild} is still running");
    }
}
