//! Ctrl-C while `mfa code` waits for a touch: exit 130 with the two-line message, and the key
//! serves the next command.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use common::signals::interrupt;
use common::yubikey::*;
use common::{CardConfig, Sandbox, TouchMode, insert_card};

#[test]
fn ctrl_c_during_a_touch_exits_130_and_leaves_the_key_usable() {
    let slot = insert_card(CardConfig::default());
    let sandbox = Sandbox::new();
    add_aws_account(&slot, &["-t"]);
    slot.card()
        .set_touch(TouchMode::Delay(Duration::from_secs(3)));

    let mut child = sandbox
        .mfa_std_without_tty()
        .args(["code", AWS_ID])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines, received) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap();
            let _ = lines.send(line);
        }
    });
    // Wait for the touch notice: the command is now inside the CALCULATE.
    let notice = received.recv_timeout(Duration::from_secs(20)).unwrap();
    assert!(notice.contains("Touch your YubiKey"), "{notice}");
    interrupt(child.id());
    let status = child.wait().unwrap();
    reader.join().unwrap();
    let rest: Vec<String> = received.try_iter().collect();
    assert_eq!(status.code(), Some(130), "{status:?} {rest:?}");
    assert_eq!(
        rest,
        [
            "mfa: interrupted",
            "  hint: nothing was changed; run the command again when ready"
        ]
    );
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    assert_eq!(stdout, "");

    // The next command gets the key (once it has finished the interrupted request) and its
    // code.
    slot.card().set_touch(TouchMode::Approve);
    assert_eq!(mfa_code(&sandbox, &["code", AWS_ID]).len(), 6);
    let (mfa, ykman) = codes_in_one_step(&slot, &sandbox, &["code", AWS_ID], AWS_ID, &[], 30);
    assert_eq!(mfa, ykman);
}
