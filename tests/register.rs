//! `mfa register` and `mfa deregister` against moto (IAM and STS) with every MFA code checked
//! against the seed moto created (`tests/iam/moto_mfa.py`), and the virtual YubiKey.
//!
//! Each rollback test shows that nothing is left on the card or in IAM afterwards.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Output;

use common::iam::MotoMfa;
use common::yubikey::AWS_ISSUER;
use common::{CardConfig, Fault, INS_PUT, insert_card};

fn run(cmd: &mut std::process::Command, args: &[&str]) -> Output {
    cmd.args(args).output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn alice_account(moto: &MotoMfa) -> String {
    format!("{AWS_ISSUER}:alice@{}", moto.account)
}

/// Fills the card with 32 accounts (its capacity): the next PUT answers 6A84.
fn fill(card: &common::RunningCard) {
    for i in 0..32u8 {
        let name = format!("filler-{i:02}");
        let mut data = vec![0x71, name.len() as u8];
        data.extend_from_slice(name.as_bytes());
        data.extend_from_slice(&[0x73, 16, 0x21, 6]);
        data.extend_from_slice(&[7u8; 14]);
        let mut apdu = vec![0x00, 0x01, 0x00, 0x00, data.len() as u8];
        apdu.extend_from_slice(&data);
        card.with_card(|c| {
            c.execute(&[
                0x00, 0xA4, 0x04, 0x00, 0x07, 0xA0, 0x00, 0x00, 0x05, 0x27, 0x21, 0x01,
            ]);
            let answer = c.execute(&apdu);
            assert_eq!(&answer[answer.len() - 2..], [0x90, 0x00], "filler {i}");
        });
    }
}

#[test]
fn register_programs_the_key_enables_the_device_and_the_next_exec_gets_a_session() {
    let moto = MotoMfa::start(&[]);
    let slot = insert_card(CardConfig::default());
    let sandbox = moto.sandbox();
    let out = run(&mut moto.mfa(&sandbox), &["register", "--write-config"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let serial = moto.serial("alice");
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{serial}\n"));
    assert!(
        slot.card()
            .with_card(|c| c.accounts())
            .contains(&alice_account(&moto)),
        "the account is on the key"
    );
    assert_eq!(moto.alice_devices(), std::slice::from_ref(&serial));
    assert_eq!(
        moto.checked(),
        [("EnableMFADevice".to_owned(), "ok".to_owned())],
        "the two codes were checked against moto's seed"
    );
    // --write-config: mfa_serial and mfa_oath_account on [default], the comment kept.
    let config = std::fs::read_to_string(sandbox.path(".aws/config")).unwrap();
    assert_eq!(
        config,
        format!(
            "# alice's\n[default]\nregion = us-east-1\nmfa_serial = {serial}\n\
             mfa_oath_account = {}\n",
            alice_account(&moto)
        )
    );
    // The next session: a code of a fresh step (not one of registration), checked by the
    // wrapper against the seed IAM created.
    let out = run(
        &mut moto.mfa(&sandbox),
        &["exec", "--", "printenv", "AWS_SESSION_TOKEN"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!out.stdout.is_empty());
    assert_eq!(
        moto.checked(),
        [
            ("EnableMFADevice".to_owned(), "ok".to_owned()),
            ("GetSessionToken".to_owned(), "ok".to_owned())
        ]
    );
}

#[test]
fn an_existing_account_on_the_key_is_refused_before_anything_is_created() {
    let moto = MotoMfa::start(&[]);
    let slot = insert_card(CardConfig::default());
    let sandbox = moto.sandbox();
    slot.ykman(&[
        "oath",
        "accounts",
        "add",
        "-i",
        AWS_ISSUER,
        &format!("alice@{}", moto.account),
        "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
    ]);
    let out = run(&mut moto.mfa(&sandbox), &["register"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert!(moto.virtual_devices().is_empty());
}

#[test]
fn rejected_codes_roll_back_the_card_and_iam() {
    let moto = MotoMfa::start(&[]);
    let slot = insert_card(CardConfig::default());
    let sandbox = moto.sandbox();
    moto.control("reject-enable", "POST");
    let out = run(&mut moto.mfa(&sandbox), &["register"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("EnableMFADevice"), "{}", stderr(&out));
    assert!(slot.card().with_card(|c| c.accounts()).is_empty());
    assert!(moto.virtual_devices().is_empty());
    assert!(moto.alice_devices().is_empty());
}

#[test]
fn a_full_card_rolls_back_iam() {
    let moto = MotoMfa::start(&[]);
    let slot = insert_card(CardConfig::default());
    fill(slot.card());
    let sandbox = moto.sandbox();
    let out = run(&mut moto.mfa(&sandbox), &["register"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(slot.card().with_card(|c| c.accounts()).len(), 32);
    assert!(
        !slot
            .card()
            .with_card(|c| c.accounts())
            .contains(&alice_account(&moto))
    );
    assert!(moto.virtual_devices().is_empty(), "{:?}", moto.state());
}

#[test]
fn the_network_down_after_creation_is_recorded_and_finished_by_the_next_register() {
    let moto = MotoMfa::start(&[]);
    let slot = insert_card(CardConfig::default());
    let sandbox = moto.sandbox();
    moto.control("outage?after=CreateVirtualMFADevice", "POST");
    let out = run(&mut moto.mfa(&sandbox), &["register"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("recorded"), "{}", stderr(&out));
    // EnableMFADevice was sent and its fate is unknown (the connection closed): the seed stays
    // on the key, the device in IAM, both recorded.
    assert_eq!(
        slot.card().with_card(|c| c.accounts()),
        [alice_account(&moto)]
    );
    assert_eq!(moto.virtual_devices(), [moto.serial("alice")]);
    assert!(moto.alice_devices().is_empty());
    let record = std::fs::read_to_string(sandbox.path(".cache/mfa/register-pending.json")).unwrap();
    assert!(record.contains(&alice_account(&moto)), "{record}");
    moto.control("outage-off", "POST");
    // The next register finishes the rollback first (IAM: not enabled, so the device is
    // deleted and the account removed — or the new registration would be refused without
    // --force), then registers.
    let out = run(&mut moto.mfa(&sandbox), &["register"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("finished undoing the registration"),
        "{}",
        stderr(&out)
    );
    assert!(!sandbox.path(".cache/mfa/register-pending.json").exists());
    assert_eq!(moto.seeds().len(), 2);
    assert_eq!(moto.virtual_devices(), [moto.serial("alice")]);
    assert_eq!(ykman_accounts(&slot), [alice_account(&moto)]);
    assert_eq!(moto.alice_devices(), [moto.serial("alice")]);
}

#[test]
fn a_user_with_a_device_gets_another_only_with_add_and_deregister_removes_both() {
    let moto = MotoMfa::start(&[]);
    let slot = insert_card(CardConfig::default());
    let sandbox = moto.sandbox();
    let out = run(&mut moto.mfa(&sandbox), &["register", "--write-config"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(
        &mut moto.mfa(&sandbox),
        &["register", "--device-name", "spare"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--add"), "{}", stderr(&out));
    assert_eq!(moto.virtual_devices().len(), 1);
    // deregister: with the profile's MFA session (a fresh step's code), then the key.
    let out = run(&mut moto.mfa(&sandbox), &["deregister"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(moto.virtual_devices().is_empty());
    assert!(moto.alice_devices().is_empty());
    assert!(slot.card().with_card(|c| c.accounts()).is_empty());
}

/// The OATH accounts on the card as Yubico's ykman lists them (not our own listing).
fn ykman_accounts(slot: &common::CardSlot) -> Vec<String> {
    slot.ykman(&["oath", "accounts", "list"])
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_put_refused_by_the_card_rolls_back_iam() {
    let moto = MotoMfa::start(&[]);
    let slot = insert_card(CardConfig {
        fault: Some(Fault::Refuse {
            ins: INS_PUT,
            sw: 0x6A80,
        }),
        ..CardConfig::default()
    });
    let sandbox = moto.sandbox();
    let out = run(&mut moto.mfa(&sandbox), &["register"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("undone"), "{}", stderr(&out));
    // The device was created, then deleted; the key holds nothing; no code was sent.
    assert_eq!(moto.seeds().len(), 1);
    assert!(moto.virtual_devices().is_empty(), "{:?}", moto.state());
    assert!(moto.alice_devices().is_empty());
    assert!(moto.checked().is_empty());
    assert!(ykman_accounts(&slot).is_empty());
    assert!(!sandbox.path(".cache/mfa/register-pending.json").exists());
}

#[test]
fn the_card_pulled_during_the_put_is_recorded_and_finished_by_doctor() {
    let moto = MotoMfa::start(&[]);
    let mut slot = insert_card(CardConfig {
        fault: Some(Fault::Pull { ins: INS_PUT }),
        ..CardConfig::default()
    });
    let sandbox = moto.sandbox();
    let out = run(&mut moto.mfa(&sandbox), &["register"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("recorded"), "{}", stderr(&out));
    assert!(stderr(&out).contains("mfa doctor"), "{}", stderr(&out));
    // IAM was reachable: its device is gone already. The card left with the seed stored.
    assert!(moto.virtual_devices().is_empty(), "{:?}", moto.state());
    assert!(moto.alice_devices().is_empty());
    assert_eq!(
        slot.card().with_card(|c| c.accounts()),
        [alice_account(&moto)]
    );
    // The record names what is left, and holds no secret.
    let record = std::fs::read_to_string(sandbox.path(".cache/mfa/register-pending.json")).unwrap();
    assert!(record.contains(&alice_account(&moto)), "{record}");
    let seeds = moto.seeds();
    assert_eq!(seeds.len(), 1);
    for seed in &seeds {
        assert!(
            !record.to_uppercase().contains(seed.trim_end_matches('=')),
            "{record}"
        );
    }
    // The key back in: `mfa doctor` finishes the rollback.
    slot.replug();
    let out = run(&mut moto.mfa(&sandbox), &["doctor"]);
    assert!(
        stderr(&out).contains("earlier registration"),
        "{}",
        stderr(&out)
    );
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report
            .lines()
            .any(|l| l.starts_with("ok") && l.contains("registration  finished undoing")),
        "{report}"
    );
    assert!(!sandbox.path(".cache/mfa/register-pending.json").exists());
    assert!(ykman_accounts(&slot).is_empty());
    assert!(moto.virtual_devices().is_empty());
}

#[test]
fn ctrl_c_while_the_key_waits_for_a_touch_rolls_back_and_exits_130() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::sync::mpsc;
    use std::time::Duration;

    let moto = MotoMfa::start(&[]);
    let slot = insert_card(CardConfig {
        touch: common::TouchMode::Delay(Duration::from_secs(2)),
        ..CardConfig::default()
    });
    let sandbox = moto.sandbox();
    let mut child = moto
        .mfa(&sandbox)
        .args(["register", "--touch"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines, received) = mpsc::channel();
    let stderr_pipe = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr_pipe).lines() {
            let _ = lines.send(line.unwrap());
        }
    });
    // Between steps: the device is created, the seed is on the key, the first code waits for
    // its touch, EnableMFADevice is not sent yet.
    let mut before = Vec::new();
    loop {
        let line = received
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("no touch request: {before:?}"));
        let touch = line.contains("Touch your YubiKey");
        before.push(line);
        if touch {
            break;
        }
    }
    assert_eq!(moto.virtual_devices(), [moto.serial("alice")]);
    common::signals::interrupt(child.id());
    slot.card().set_touch(common::TouchMode::Approve);
    let status = child.wait().unwrap();
    reader.join().unwrap();
    let after: Vec<String> = received.try_iter().collect();
    assert_eq!(status.code(), Some(130), "{before:?} {after:?}");
    let text = after.join("\n");
    assert!(text.contains("undoing"), "{text}");
    assert!(text.contains("undone"), "{text}");
    assert!(text.contains("mfa: interrupted"), "{text}");
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    assert_eq!(stdout, "");
    // Nothing left: no code was sent to IAM, the device is deleted, the key holds nothing.
    assert!(moto.checked().is_empty(), "{:?}", moto.checked());
    assert!(moto.virtual_devices().is_empty(), "{:?}", moto.state());
    assert!(moto.alice_devices().is_empty());
    assert!(ykman_accounts(&slot).is_empty());
    assert!(!sandbox.path(".cache/mfa/register-pending.json").exists());
}

#[test]
fn a_lost_enable_reply_with_the_device_enabled_keeps_everything_and_says_so() {
    let moto = MotoMfa::start(&[]);
    let slot = insert_card(CardConfig::default());
    let sandbox = moto.sandbox();
    moto.control("lose-enable-reply", "POST");
    let out = run(&mut moto.mfa(&sandbox), &["register"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let serial = moto.serial("alice");
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{serial}\n"));
    assert!(
        stderr(&out).contains("the answer to EnableMFADevice was lost"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("list-mfa-devices"),
        "{}",
        stderr(&out)
    );
    // IAM enabled it (the wrapper checked the codes); nothing was deleted.
    assert_eq!(
        moto.checked(),
        [("EnableMFADevice".to_owned(), "ok".to_owned())]
    );
    assert_eq!(moto.alice_devices(), std::slice::from_ref(&serial));
    assert_eq!(moto.virtual_devices(), std::slice::from_ref(&serial));
    // The seed stays on the key: its code (as ykman reads it) is IAM's seed's code.
    let seeds = moto.seeds();
    let account = alice_account(&moto);
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    let before = now();
    let listed = slot.ykman(&["oath", "accounts", "code", "-s", &account]);
    let after = now();
    let expected = [
        mfa_sts::StsDouble::totp(&seeds[0], before),
        mfa_sts::StsDouble::totp(&seeds[0], after),
    ];
    assert!(
        expected.contains(&listed.trim().to_owned()),
        "{listed} {expected:?}"
    );
    assert!(!sandbox.path(".cache/mfa/register-pending.json").exists());
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn software_registration_stores_the_seed_and_the_next_exec_gets_a_session() {
    let moto = MotoMfa::start(&[]);
    // No key in the readers: `auto` must find the software secret.
    let _readers = common::hold_empty_readers();
    let sandbox = moto.sandbox();
    let out = run(
        &mut moto.mfa(&sandbox),
        &["register", "--software", "--write-config"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let serial = moto.serial("alice");
    // Without --qr nothing but the serial is printed, and the seed nowhere.
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{serial}\n"));
    let seed = &moto.seeds()[0];
    assert!(!stderr(&out).contains(seed.as_str()), "{}", stderr(&out));
    assert_eq!(moto.alice_devices(), std::slice::from_ref(&serial));
    let out = run(&mut moto.mfa(&sandbox), &["totp", "list"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&serial),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // The next session: the software secret's code of a fresh step, checked against IAM's seed.
    let out = run(
        &mut moto.mfa(&sandbox),
        &["exec", "--", "printenv", "AWS_SESSION_TOKEN"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!out.stdout.is_empty());
    assert_eq!(
        moto.checked(),
        [
            ("EnableMFADevice".to_owned(), "ok".to_owned()),
            ("GetSessionToken".to_owned(), "ok".to_owned())
        ]
    );
}

#[test]
fn hardware_registration_takes_two_typed_codes_and_creates_no_virtual_device() {
    use std::io::Write;
    const TOKEN: &str = "GAHT12345678";
    let seed = common::fixtures::SEED_SHA1;
    let moto = MotoMfa::start(&[&format!("--hardware={TOKEN}={seed}")]);
    let sandbox = moto.sandbox();
    // What the token shows: the code of the previous step, then the current one.
    let now = unix_now();
    let codes = format!(
        "{}\n{}\n",
        mfa_sts::StsDouble::totp(seed, now - 30),
        mfa_sts::StsDouble::totp(seed, now)
    );
    let mut child = moto
        .mfa(&sandbox)
        .args(["register", "--hardware", TOKEN, "--write-config"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(codes.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{TOKEN}\n"));
    assert_eq!(
        moto.checked(),
        [("EnableMFADevice".to_owned(), "ok".to_owned())],
        "the typed codes were checked against the token's seed"
    );
    assert_eq!(moto.alice_devices(), [TOKEN]);
    assert!(moto.virtual_devices().is_empty());
    let config = std::fs::read_to_string(sandbox.path(".aws/config")).unwrap();
    assert!(
        config.contains(&format!("mfa_serial = {TOKEN}\n")),
        "{config}"
    );
    assert!(!config.contains("mfa_oath_account"), "{config}");
}

#[test]
fn hardware_codes_refused_leave_nothing_behind() {
    use std::io::Write;
    const TOKEN: &str = "GAHT12345678";
    let moto = MotoMfa::start(&[&format!(
        "--hardware={TOKEN}={}",
        common::fixtures::SEED_SHA1
    )]);
    let sandbox = moto.sandbox();
    let mut child = moto
        .mfa(&sandbox)
        .args(["register", "--hardware", TOKEN])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"000000\n000001\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        moto.checked(),
        [("EnableMFADevice".to_owned(), "invalid codes".to_owned())]
    );
    assert!(moto.alice_devices().is_empty());
    assert!(moto.virtual_devices().is_empty());
}

/// Reads back a QR code drawn with half blocks (a block is a light module), with rqrr.
fn decode_qr(text: &str) -> String {
    const SCALE: usize = 4;
    let rows: Vec<Vec<bool>> = text
        .lines()
        .flat_map(|line| {
            let halves: Vec<(bool, bool)> = line
                .chars()
                .map(|c| match c {
                    '\u{2588}' => (true, true),
                    '\u{2580}' => (true, false),
                    '\u{2584}' => (false, true),
                    ' ' => (false, false),
                    other => panic!("not a QR half block: {other:?}"),
                })
                .collect();
            [
                halves.iter().map(|h| h.0).collect::<Vec<bool>>(),
                halves.iter().map(|h| h.1).collect(),
            ]
        })
        .collect();
    let (width, height) = (rows[0].len(), rows.len());
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(width * SCALE, height * SCALE, |x, y| {
            if rows[y / SCALE][x / SCALE] { 255 } else { 0 }
        });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    grids[0].decode().unwrap().1
}

#[test]
fn software_registration_with_qr_prints_the_otpauth_uri_as_a_qr_code() {
    let moto = MotoMfa::start(&[]);
    let _readers = common::hold_empty_readers();
    let sandbox = moto.sandbox();
    let out = run(&mut moto.mfa(&sandbox), &["register", "--software", "--qr"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    let serial = moto.serial("alice");
    let qr = stdout
        .strip_suffix(&format!("{serial}\n"))
        .unwrap_or_else(|| panic!("the serial comes last: {stdout}"));
    let uri = decode_qr(qr);
    let seed = moto.seeds()[0].trim_end_matches('=').to_owned();
    assert_eq!(
        uri,
        format!(
            "otpauth://totp/Amazon%20Web%20Services:alice@{}?secret={seed}\
             &issuer=Amazon%20Web%20Services&algorithm=SHA1&digits=6&period=30",
            moto.account
        )
    );
    // Never on stderr.
    assert!(!stderr(&out).contains(&seed), "{}", stderr(&out));
    // --qr without --software is refused before anything happens.
    let out = run(&mut moto.mfa(&sandbox), &["register", "--qr"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(moto.virtual_devices(), [serial]);
}

#[test]
fn a_leftover_device_is_reported_and_replaced_only_with_force() {
    let moto = MotoMfa::start(&[]);
    let slot = insert_card(CardConfig::default());
    let sandbox = moto.sandbox();
    let serial = moto.serial("alice");
    moto.control("leftover?name=alice", "POST");
    // No terminal to ask on: the flag that deletes it is named, nothing is changed.
    let out = run(&mut moto.mfa(&sandbox), &["register"]);
    assert_eq!(
        common::output::assert_two_line_failure(&out, 2),
        [
            format!(
                "mfa: the virtual MFA device {serial} is left from an earlier attempt (assigned \
                 to nobody)"
            ),
            "  hint: run again with --force to delete it and register anew".to_owned()
        ]
    );
    assert_eq!(moto.virtual_devices(), std::slice::from_ref(&serial));
    assert!(ykman_accounts(&slot).is_empty());
    let out = run(&mut moto.mfa(&sandbox), &["register", "--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("deleted the leftover device"),
        "{}",
        stderr(&out)
    );
    assert_eq!(moto.alice_devices(), std::slice::from_ref(&serial));
    assert_eq!(ykman_accounts(&slot), [alice_account(&moto)]);
}

#[test]
fn a_lost_enable_reply_with_iam_unreachable_keeps_the_seed_until_iam_answers() {
    let moto = MotoMfa::start(&[]);
    let mut slot = insert_card(CardConfig::default());
    let sandbox = moto.sandbox();
    // EnableMFADevice takes effect, its answer is lost, and the network stays down.
    moto.control("lose-enable-reply", "POST");
    moto.control("outage?after=EnableMFADevice", "POST");
    let out = run(&mut moto.mfa(&sandbox), &["register"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the seed stays on"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("recorded"), "{}", stderr(&out));
    // The device is enabled in IAM: removing the seed from the key would lock alice out.
    let serial = moto.serial("alice");
    assert_eq!(moto.alice_devices(), std::slice::from_ref(&serial));
    assert_eq!(
        slot.card().with_card(|c| c.accounts()),
        [alice_account(&moto)]
    );
    let record = std::fs::read_to_string(sandbox.path(".cache/mfa/register-pending.json")).unwrap();
    assert!(record.contains(&alice_account(&moto)), "{record}");
    // While IAM stays unreachable, doctor says the rollback is still pending and keeps it.
    let out = run(&mut moto.mfa(&sandbox), &["doctor"]);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report
            .lines()
            .any(|l| l.starts_with("warn  registration  an interrupted registration is recorded")),
        "{report}"
    );
    assert!(sandbox.path(".cache/mfa/register-pending.json").exists());
    assert_eq!(slot.card().with_card(|c| c.accounts()).len(), 1);
    // The network back (and the key re-plugged): doctor asks IAM, which lists the device
    // enabled, so nothing is removed and the record is done.
    moto.control("outage-off", "POST");
    slot.replug();
    let out = run(&mut moto.mfa(&sandbox), &["doctor"]);
    assert!(
        stderr(&out).contains("that registration did complete"),
        "{}",
        stderr(&out)
    );
    assert!(!sandbox.path(".cache/mfa/register-pending.json").exists());
    assert_eq!(moto.alice_devices(), std::slice::from_ref(&serial));
    assert_eq!(ykman_accounts(&slot), [alice_account(&moto)]);
}
