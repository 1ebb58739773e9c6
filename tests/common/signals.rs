//! Ctrl-C for a running command: SIGINT sent by pid, as the terminal would send it.

/// Sends SIGINT to the process `pid` (with kill(1)); panics if it cannot be sent.
pub fn interrupt(pid: u32) {
    let killed = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success(), "kill -INT {pid} failed");
}
