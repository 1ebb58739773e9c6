//! Helper processes the tests start — a Python server, a proxy, a D-Bus daemon — that say where
//! to reach them on the first line of their stdout.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Spawns `command` with its stdout piped and returns it with the first line it printed
/// (trimmed). The caller stops the child (by PID, when dropped).
pub fn spawn_announcing(command: &mut Command) -> (Child, String) {
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line.trim().to_owned())
}
