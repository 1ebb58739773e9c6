//! Yubico's `ykman` against a bench reader: the independent client the tests compare `mfa` with
//! and set keys up with (see docs/test-bench.md on ykman's quirks).

use std::process::{Command, Output, Stdio};

use super::CardSlot;

/// Runs `ykman -r READER ARGS…` and returns what it did. ykman runs with a private HOME (no
/// remembered passwords) and no stdin (it would wait for a password).
pub fn output(reader: &str, args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    Command::new("ykman")
        .arg("-r")
        .arg(reader)
        .args(args)
        .env("HOME", home.path())
        .stdin(Stdio::null())
        .output()
        .expect("ykman is not installed: run scripts/test, which installs yubikey-manager")
}

/// Runs `ykman -r READER ARGS…`; panics with its output on failure, else returns its stdout.
pub fn run(reader: &str, args: &[&str]) -> String {
    let output = output(reader, args);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "ykman -r {reader:?} {args:?} failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// `ykman oath accounts add -f [OPTIONS] NAME SECRET` on the key in `reader`.
pub fn add_in(reader: &str, options: &[&str], name: &str, secret: &str) {
    let mut args = vec!["oath", "accounts", "add", "-f"];
    args.extend_from_slice(options);
    args.extend_from_slice(&[name, secret]);
    run(reader, &args);
}

/// `ykman oath accounts code -s [EXTRA…] QUERY` on the key in `reader`: the code alone.
pub fn code_in(reader: &str, query: &str, extra: &[&str]) -> String {
    let mut args = vec!["oath", "accounts", "code", "-s"];
    args.extend_from_slice(extra);
    args.push(query);
    run(reader, &args).trim().to_owned()
}

/// Adds an account with `ykman oath accounts add -f [OPTIONS] NAME SECRET` to the slot's card.
pub fn ykman_add(slot: &CardSlot, options: &[&str], name: &str, secret: &str) {
    add_in(slot.reader(), options, name, secret);
}

/// `ykman oath accounts code -s [EXTRA…] QUERY` on the slot's card: the code alone.
pub fn ykman_code(slot: &CardSlot, query: &str, extra: &[&str]) -> String {
    code_in(slot.reader(), query, extra)
}
