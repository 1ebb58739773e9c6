//! Bad input and faults met through the real binary (docs/bad-input.md): each test is named after
//! what broke before it was fixed, and checks what the user sees — the two lines, the exit status,
//! no secret — and what the STS double saw (no code spent when none should be).

#![allow(clippy::unwrap_used)]

mod common;

use common::Sandbox;
use common::aws::{SECRET_KEY, World, aws_vars};
use common::fixtures::{ARN, SEED_SHA1};
use common::output::{assert_two_line_failure, stderr_of, stdout_of};
use mfa_sts::Fault;

#[test]
fn the_child_inherited_mfa_code_and_mfa_oath_password() {
    let world = World::new();
    let out = world
        .mfa()
        .args(["exec", "--", "env"])
        .env("MFA_CODE", world.code_now())
        .env("MFA_OATH_PASSWORD", "oath-password-of-the-test")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let vars = aws_vars(&out.stdout);
    assert!(vars["AWS_ACCESS_KEY_ID"].starts_with("ASIA"), "{vars:?}");
    assert!(!vars.contains_key("MFA_CODE"), "{vars:?}");
    assert!(!vars.contains_key("MFA_OATH_PASSWORD"), "{vars:?}");
    assert!(!stdout_of(&out).contains("oath-password-of-the-test"));
}

#[test]
fn the_server_child_inherited_mfa_code_and_mfa_oath_password() {
    let world = World::new();
    let out = world
        .mfa()
        .args(["exec", "--server", "--", "env"])
        .env("MFA_CODE", world.code_now())
        .env("MFA_OATH_PASSWORD", "oath-password-of-the-test")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let vars = aws_vars(&out.stdout);
    assert!(
        vars.contains_key("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
        "{vars:?}"
    );
    assert!(!vars.contains_key("MFA_CODE"), "{vars:?}");
    assert!(!vars.contains_key("MFA_OATH_PASSWORD"), "{vars:?}");
}

/// No spent-code record in the sandbox's cache directory.
fn assert_nothing_spent(world: &World) {
    let dir = world.sandbox.path(".cache/mfa");
    let spent: Vec<_> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("spent-") && !name.ends_with(".lock"))
        .collect();
    assert!(spent.is_empty(), "a code was recorded as spent: {spent:?}");
}

/// What a run must never show: alice's long-term secret, and the code it was given.
fn assert_no_secret(out: &std::process::Output, code: &str) {
    let all = format!("{}{}", stdout_of(out), stderr_of(out));
    assert!(!all.contains(SECRET_KEY), "{all}");
    assert!(!all.contains(code), "the code {code} was shown: {all}");
    assert!(!all.contains("panicked"), "{all}");
}

#[test]
fn a_control_byte_in_aws_access_key_id_panicked_after_the_code_was_taken() {
    let world = World::new();
    world.sandbox.write_credentials(&format!(
        "[default]\naws_access_key_id = AKIA\u{1}ALICE\naws_secret_access_key = {SECRET_KEY}\n"
    ));
    let code = world.code_now();
    let out = world
        .mfa()
        .args(["exec", "--", "true"])
        .env("MFA_CODE", &code)
        .output()
        .unwrap();
    let [what, _] = assert_two_line_failure(&out, 2);
    assert!(what.contains("aws_access_key_id"), "{what}");
    assert!(what.contains("profile `default`"), "{what}");
    assert_no_secret(&out, &code);
    assert_eq!(world.sts.calls().len(), 0);
    // Nothing recorded as spent: the next run with good keys is not kept waiting.
    assert_nothing_spent(&world);
}

#[test]
fn a_control_byte_in_a_credential_process_answer_panicked() {
    let world = World::with_config(&format!(
        "[profile proc]\nmfa_serial = {ARN}\ncredential_process = printf \
         '{{\"Version\":1,\"AccessKeyId\":\"AKIA\\\\u0007X\",\"SecretAccessKey\":\"{SECRET_KEY}\"}}'\n"
    ));
    let code = world.code_now();
    let out = world
        .mfa()
        .args(["-p", "proc", "exec", "--", "true"])
        .env("MFA_CODE", &code)
        .output()
        .unwrap();
    let [what, _] = assert_two_line_failure(&out, 2);
    assert!(
        what.contains("credential_process of profile `proc`"),
        "{what}"
    );
    assert!(what.contains("AccessKeyId"), "{what}");
    assert_no_secret(&out, &code);
    assert_eq!(world.sts.calls().len(), 0);
}

#[test]
fn a_session_token_with_a_newline_in_the_environment_panicked() {
    let world = World::with_config(&format!(
        "[profile env]\ncredential_source = Environment\nmfa_serial = {ARN}\n"
    ));
    let code = world.code_now();
    let out = world
        .mfa()
        .args(["-p", "env", "exec", "--", "true"])
        .env("AWS_ACCESS_KEY_ID", common::fixtures::ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_SESSION_TOKEN", "token\nwith a line break")
        .env("MFA_CODE", &code)
        .output()
        .unwrap();
    let [what, _] = assert_two_line_failure(&out, 2);
    assert!(what.contains("AWS_SESSION_TOKEN"), "{what}");
    assert_no_secret(&out, &code);
    assert_eq!(world.sts.calls().len(), 0);
}

#[test]
fn pasted_unicode_made_totp_add_panic_and_print_the_seed() {
    let world = World::new();
    for pasted in ["GEZDGNBé", "GEZDGNBéVGY3TQOJQGEZDGNBVGY3TQOJQ", "ééééé"] {
        let out = world
            .mfa()
            .args(["totp", "add"])
            .write_stdin(format!("{pasted}\n"))
            .output()
            .unwrap();
        let [what, _] = assert_two_line_failure(&out, 2);
        assert!(!what.contains("GEZDGNB"), "{what}");
        assert!(!stderr_of(&out).contains("panicked"));
    }
}

#[test]
fn a_panic_printed_its_payload() {
    // Debug builds panic on MFA_TEST_PANIC, to reach the hook through the real binary.
    let out = Sandbox::new()
        .mfa()
        .arg("--version")
        .env("MFA_TEST_PANIC", SEED_SHA1)
        .output()
        .unwrap();
    let [what, _] = assert_two_line_failure(&out, 1);
    assert!(what.contains("internal error"), "{what}");
    assert!(!stderr_of(&out).contains(SEED_SHA1));
    assert!(!stderr_of(&out).contains("src/"), "the location was shown");
}

#[test]
fn an_invalid_aws_endpoint_url_printed_the_mfa_code() {
    let world = World::new();
    let code = world.code_now();
    for (variable, url) in [
        ("AWS_ENDPOINT_URL", "ht tp://x"),
        ("AWS_ENDPOINT_URL_STS", "localhost:4566"),
    ] {
        let out = world
            .mfa()
            .args(["exec", "--", "true"])
            .env_remove("AWS_ENDPOINT_URL_STS")
            .env(variable, url)
            .env("MFA_CODE", &code)
            .output()
            .unwrap();
        let [what, hint] = assert_two_line_failure(&out, 2);
        assert!(what.contains("is not a URL"), "{what}");
        assert!(hint.contains("AWS_ENDPOINT_URL"), "{hint}");
        assert_no_secret(&out, &code);
    }
    assert_eq!(world.sts.calls().len(), 0);
}

#[test]
fn an_invalid_region_failed_with_1_after_the_code_was_taken() {
    let world = World::new();
    let code = world.code_now();
    let sandbox_config = std::fs::read_to_string(world.sandbox.path(".aws/config")).unwrap();
    world
        .sandbox
        .write_config(&sandbox_config.replace("region = eu-west-1", "region = eu west 1"));
    let out = world
        .mfa()
        .args(["exec", "--", "true"])
        .env("MFA_CODE", &code)
        .output()
        .unwrap();
    let [what, _] = assert_two_line_failure(&out, 2);
    assert!(
        what.contains("\"eu west 1\" is not a region name"),
        "{what}"
    );
    assert_no_secret(&out, &code);
    assert_eq!(world.sts.calls().len(), 0);
    assert_nothing_spent(&world);
}

#[test]
fn the_mfa_process_command_line_with_a_seed_was_printed() {
    let world = World::with_config(&format!(
        "[profile proc]\nmfa_serial = {ARN}\nsource_profile = default\n\
         mfa_process = oathtool --totp {SEED_SHA1} --nosuchoption 2>/dev/null\n"
    ));
    let out = world
        .mfa()
        .args([
            "-vv", "-p", "proc", "--source", "process", "exec", "--", "true",
        ])
        .output()
        .unwrap();
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("mfa_process `oathtool`"), "{stderr}");
    assert!(!stderr.contains(SEED_SHA1), "{stderr}");
    assert!(!stderr.contains("--totp"), "{stderr}");
}

#[test]
fn an_escape_sequence_in_a_profile_name_reached_the_terminal() {
    let world = World::new();
    let out = world
        .mfa()
        .args(["-p", "x\u{1b}]0;owned\u{7}\u{1b}[2J", "exec", "--", "true"])
        .output()
        .unwrap();
    let [what, _] = assert_two_line_failure(&out, 2);
    assert!(!stderr_of(&out).contains('\u{1b}'), "{what}");
    assert!(what.contains("x\\x1b]0;owned\\x07\\x1b[2J"), "{what}");
}

#[test]
fn an_escape_sequence_in_an_sts_error_message_reached_the_terminal() {
    let world = World::new();
    // C1's CSI (U+009B) starts an escape sequence on many terminals; unlike ESC, XML allows
    // it, so STS's answer carries it as it is.
    world.sts.fail_always(Fault::AccessDeniedWith(
        "denied \u{9b}31mred\u{9b}0m \u{9b}2J".into(),
    ));
    let code = world.code_now();
    let out = world
        .mfa()
        .args(["exec", "--", "true"])
        .env("MFA_CODE", &code)
        .output()
        .unwrap();
    let [what, _] = assert_two_line_failure(&out, 1);
    let stderr = stderr_of(&out);
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\u{9b}'),
        "{stderr:?}"
    );
    assert!(what.contains("denied \\u{9b}31mred"), "{what}");
}

#[test]
fn a_spent_record_from_the_future_made_mfa_wait_for_years() {
    let world = World::new();
    // Written while the clock was a year ahead.
    let cache = common::cache::file_cache(&world.sandbox.path(".cache/mfa"));
    let year_ahead = common::fixtures::now() / 30 + 365 * 24 * 120;
    cache
        .spent_codes()
        .unwrap()
        .record(ARN, year_ahead)
        .unwrap();
    let started = std::time::Instant::now();
    let out = world
        .mfa()
        .args(["-v", "exec", "--", "true"])
        .env("MFA_CODE", world.code_now())
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .unwrap();
    let stderr = stderr_of(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(started.elapsed().as_secs() < 15, "it waited");
    assert!(stderr.contains("ahead of the clock"), "{stderr}");
    assert_eq!(world.sts.mfa_calls(), 1);
    // The record now holds the step just spent, not the future one.
    let last = cache.spent_codes().unwrap().last(ARN).unwrap();
    assert!(last <= common::fixtures::now() / 30 + 1, "{last}");
}

#[test]
fn a_run_waiting_on_the_fetch_lock_said_nothing_without_v() {
    let world = World::new();
    // The first run holds the lock for 3 s inside STS.
    world
        .sts
        .fail_next(Fault::Slow(std::time::Duration::from_secs(3)), 1);
    let first = world
        .mfa_std()
        .args(["exec", "--", "true"])
        .env("MFA_CODE", world.code_now())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let first_pid = first.id();
    // Time for the first run to take the lock and reach STS (it starts in milliseconds).
    std::thread::sleep(std::time::Duration::from_secs(1));
    let second = world
        .mfa()
        .args(["exec", "--", "true"])
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .unwrap();
    let first = first.wait_with_output().unwrap();
    assert!(first.status.success(), "{}", stderr_of(&first));
    let stderr = stderr_of(&second);
    assert!(second.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "another mfa is getting the session (pid {first_pid}): waiting…"
        )),
        "{stderr}"
    );
    assert_eq!(world.sts.mfa_calls(), 1);
}

#[test]
fn one_unreadable_shared_file_dropped_both_and_said_profile_not_found() {
    let world = World::new();
    let credentials = world.sandbox.path(".aws/credentials");
    // Root reads any file whatever its mode: a directory is unreadable for everyone.
    std::fs::remove_file(&credentials).unwrap();
    std::fs::create_dir(&credentials).unwrap();
    let out = world
        .mfa()
        .args(["exec", "--", "true"])
        .env("MFA_CODE", world.code_now())
        .output()
        .unwrap();
    let [what, _] = assert_two_line_failure(&out, 2);
    assert!(what.contains(&credentials.display().to_string()), "{what}");
    assert!(what.contains("not a regular file"), "{what}");
    assert_eq!(world.sts.calls().len(), 0);
}

#[test]
fn a_shared_file_that_never_ends_hung_or_grew() {
    let world = World::new();
    let fifo = world.sandbox.path("fifo");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    for path in [fifo.as_path(), std::path::Path::new("/dev/zero")] {
        let out = world
            .mfa()
            .args(["exec", "--", "true"])
            .env("AWS_CONFIG_FILE", path)
            .env("MFA_CODE", world.code_now())
            .timeout(std::time::Duration::from_secs(10))
            .output()
            .unwrap();
        let [what, _] = assert_two_line_failure(&out, 2);
        assert!(what.contains("is not a regular file"), "{what}");
    }
    let big = world.sandbox.path("big-config");
    std::fs::write(&big, "#".repeat(2 << 20)).unwrap();
    let out = world
        .mfa()
        .args(["exec", "--", "true"])
        .env("AWS_CONFIG_FILE", &big)
        .output()
        .unwrap();
    let [what, _] = assert_two_line_failure(&out, 2);
    assert!(what.contains("is larger than 1048576 bytes"), "{what}");
    assert_eq!(world.sts.calls().len(), 0);
}

#[test]
fn cache_clear_stopped_at_the_first_odd_entry() {
    use mfa::aws::cache::{SessionKey, SessionKind};
    let sandbox = Sandbox::new();
    let dir = sandbox.path(".cache/mfa");
    let cache = common::cache::file_cache(&dir);
    let planted = common::cache::Planted {
        access_key_id: "ASIAPLANTED",
        secret_access_key: "planted-secret",
        session_token: "planted-token",
    };
    let t = common::fixtures::now();
    for (id, profile) in [("AKIAONE", "one"), ("AKIATWO", "two"), ("AKIATRE", "three")] {
        let session =
            common::cache::cached_session(SessionKind::SessionToken, profile, &planted, t + 3600);
        cache
            .put(&SessionKey::session_token(id, ARN), &session)
            .unwrap();
    }
    let entries = || -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json"))
            .collect();
        names.sort();
        names
    };
    let names = entries();
    assert_eq!(names.len(), 3);
    // The first entry in any order becomes a directory with something in it.
    for name in &names[..1] {
        std::fs::remove_file(dir.join(name)).unwrap();
        std::fs::create_dir(dir.join(name)).unwrap();
        std::fs::write(dir.join(name).join("x"), "x").unwrap();
    }
    let out = sandbox.mfa().args(["cache", "clear"]).output().unwrap();
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!(
        "Removed 2 cached sessions (2 from {}",
        dir.display()
    )));
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    assert!(
        lines[1].starts_with("mfa: ") && lines[1].contains(&names[0]),
        "{stderr}"
    );
    assert!(lines[2].starts_with("  hint: "), "{stderr}");
    assert_eq!(entries(), names[..1]);
}

#[test]
fn a_cache_directory_problem_exited_1_instead_of_2() {
    let world = World::new();
    let file = world.sandbox.path("not-a-dir");
    std::fs::write(&file, "").unwrap();
    let out = world
        .mfa()
        .args(["exec", "--", "true"])
        .env("MFA_CACHE_DIR", &file)
        .env("MFA_CODE", world.code_now())
        .output()
        .unwrap();
    let [what, _] = assert_two_line_failure(&out, 2);
    assert!(what.contains("is not a directory"), "{what}");

    // A directory of someone else's.
    let foreign = world.sandbox.path("foreign");
    std::fs::create_dir(&foreign).unwrap();
    std::os::unix::fs::chown(&foreign, Some(65534), Some(65534)).unwrap();
    let out = world
        .mfa()
        .args(["exec", "--", "true"])
        .env("MFA_CACHE_DIR", &foreign)
        .env("MFA_CODE", world.code_now())
        .output()
        .unwrap();
    let [what, _] = assert_two_line_failure(&out, 2);
    assert!(what.contains("owned by uid 65534"), "{what}");

    // A loose mode mfa may not repair: the directory holds something that is not ours.
    let loose = world.sandbox.path("loose");
    std::fs::create_dir(&loose).unwrap();
    std::fs::write(loose.join("photo.jpg"), "x").unwrap();
    std::fs::set_permissions(&loose, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let out = world
        .mfa()
        .args(["exec", "--", "true"])
        .env("MFA_CACHE_DIR", &loose)
        .env("MFA_CODE", world.code_now())
        .output()
        .unwrap();
    let [what, _] = assert_two_line_failure(&out, 2);
    assert!(what.contains("photo.jpg"), "{what}");
    assert_eq!(world.sts.calls().len(), 0);
}

#[test]
fn sigterm_while_the_code_was_in_flight_recorded_no_spent_step() {
    let world = World::new();
    world
        .sts
        .fail_always(Fault::Slow(std::time::Duration::from_secs(4)));
    let code = world.code_now();
    let mut child = world
        .mfa_std()
        .args(["exec", "--", "true"])
        .env("MFA_CODE", &code)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The request is with STS (it waits 4 s before looking at it) when the signal comes.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let _ = child.wait().unwrap();
    let cache = common::cache::file_cache(&world.sandbox.path(".cache/mfa"));
    let last = cache.spent_codes().unwrap().last(ARN);
    assert!(
        last.is_some_and(|step| step >= common::fixtures::now() / 30 - 1),
        "the code in flight was not recorded: {last:?}"
    );
}

#[test]
fn an_impossible_duration_recorded_a_spent_step() {
    let world = World::new();
    for duration in ["5", "100h"] {
        let out = world
            .mfa()
            .args(["exec", "--duration", duration, "--", "true"])
            .env("MFA_CODE", world.code_now())
            .output()
            .unwrap();
        let [what, _] = assert_two_line_failure(&out, 2);
        assert!(what.contains("GetSessionToken cannot last"), "{what}");
    }
    let out = world
        .mfa()
        .args(["-p", "admin", "exec", "--duration", "13h", "--", "true"])
        .env("MFA_CODE", world.code_now())
        .output()
        .unwrap();
    let [what, _] = assert_two_line_failure(&out, 2);
    assert!(what.contains("AssumeRole cannot last 46800 s"), "{what}");
    assert_eq!(world.sts.calls().len(), 0);
    assert_nothing_spent(&world);
}

#[test]
fn mfa_process_waited_without_a_word() {
    let code = mfa_sts::StsDouble::totp(SEED_SHA1, common::fixtures::now() + 4);
    // A command that takes 4 s, as a password manager's prompt would.
    let world = World::with_config(&format!(
        "[profile proc]\nmfa_serial = {ARN}\nsource_profile = default\n\
         mfa_process = sleep 4; echo {code}\n"
    ));
    let out = world
        .mfa()
        .args(["-p", "proc", "--source", "process", "exec", "--", "true"])
        .output()
        .unwrap();
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("waiting for mfa_process `sleep` to print the code (at most 297 s more)…"),
        "{stderr}"
    );
    assert!(!stderr.contains(&code), "{stderr}");
}

/// Whether process `pid` is gone (or a zombie nobody reaped yet).
fn is_gone(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z') || rest.starts_with('X')),
    }
}

#[test]
fn ctrl_c_left_the_mfa_process_running() {
    let pid_file = tempfile::NamedTempFile::new().unwrap();
    let world = World::with_config(&format!(
        "[profile proc]\nmfa_serial = {ARN}\nsource_profile = default\n\
         mfa_process = echo $$ > {}; exec sleep 60\n",
        pid_file.path().display()
    ));
    let mut mfa = world
        .mfa_std()
        .args(["-p", "proc", "--source", "process", "exec", "--", "true"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let helper = loop {
        let text = std::fs::read_to_string(pid_file.path()).unwrap();
        if text.ends_with('\n') {
            break text.trim().to_owned();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "mfa_process never ran"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(!is_gone(&helper));
    common::signals::interrupt(mfa.id());
    let status = mfa.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !is_gone(&helper) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let gone = is_gone(&helper);
    if !gone {
        let _ = std::process::Command::new("kill").arg(&helper).status();
    }
    assert!(gone, "mfa_process (pid {helper}) outlived mfa");
}

/// The soft "Max core file size" of process `pid` ("0", "unlimited", …).
fn soft_core_limit(pid: &str) -> String {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap();
    line["Max core file size".len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// The soft core limit the user has in [`with_core_limit`], in POSIX 512-byte blocks (not 0, so that a
/// limit of 0 in `mfa` is its own doing).
const USER_CORE_BLOCKS: u64 = 2048;

/// `mfa ARGS…` as [`World::mfa_std`] runs it, with a soft core limit of [`USER_CORE_BLOCKS`]
/// (the hard limit must allow it: `ulimit -Hc`).
fn with_core_limit(world: &World) -> std::process::Command {
    let mut cmd = world.command("sh");
    cmd.args([
        "-c",
        &format!("ulimit -S -c {USER_CORE_BLOCKS} && exec \"$0\" \"$@\""),
        env!("CARGO_BIN_EXE_mfa"),
    ]);
    cmd
}

#[test]
fn a_waiting_mfa_could_dump_core_and_its_child_lost_the_users_core_limit() {
    let pid_file = tempfile::NamedTempFile::new().unwrap();
    let world = World::with_config(&format!(
        "[profile proc]\nmfa_serial = {ARN}\nsource_profile = default\n\
         mfa_process = echo $PPID > {}; exec sleep 60\n",
        pid_file.path().display()
    ));
    let mut mfa = with_core_limit(&world)
        .args(["-p", "proc", "--source", "process", "exec", "--", "true"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let parent = loop {
        let text = std::fs::read_to_string(pid_file.path()).unwrap();
        if text.ends_with('\n') {
            break text.trim().to_owned();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "mfa_process never ran"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    // The mfa waiting for its mfa_process holds the long-term keys: no core file.
    assert_eq!(parent, mfa.id().to_string());
    assert_eq!(soft_core_limit(&parent), "0");
    common::signals::interrupt(mfa.id());
    mfa.wait().unwrap();

    // The command mfa exec runs gets the user's own limit back.
    let out = with_core_limit(&world)
        .args(["exec", "--", "sh", "-c", "cat /proc/$$/limits"])
        .env("MFA_CODE", world.code_now())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let ours = (USER_CORE_BLOCKS * 512).to_string();
    let child_line = stdout_of(&out)
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap()
        .to_owned();
    assert_eq!(
        child_line["Max core file size".len()..]
            .split_whitespace()
            .next()
            .unwrap(),
        ours,
        "{child_line}"
    );
}

// ---------------------------------------------------------------------------------------------
// The matrix, continued: configuration files, codes, STS and the network, the cache directory,
// the clock, signals and helpers. Each run is bounded (`timeout`), so a hang fails the test.

const BOUND: std::time::Duration = std::time::Duration::from_secs(30);

/// `mfa exec -- true` in `world` with alice's code and `envs`; what it did.
fn exec_true(world: &World, envs: &[(&str, &str)]) -> std::process::Output {
    world
        .mfa()
        .args(["exec", "--", "true"])
        .env("MFA_CODE", world.code_now())
        .envs(envs.iter().copied())
        .timeout(BOUND)
        .output()
        .unwrap()
}

/// No file in the cache directory but whole entries, records and locks: nothing written half
/// (a temporary file left behind, an empty entry).
fn assert_nothing_half_written(dir: &std::path::Path) {
    for entry in std::fs::read_dir(dir).into_iter().flatten() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            !name.starts_with('.') && !name.contains(".tmp"),
            "a temporary file was left: {name}"
        );
        let meta = entry.metadata().unwrap();
        if name.ends_with(".json") {
            assert!(meta.len() > 0, "an empty cache entry: {name}");
        }
    }
}

#[test]
fn a_binary_config_file_was_met_with_chmod_600() {
    let world = World::new();
    let config = world.sandbox.path(".aws/config");
    std::fs::write(&config, b"\x7fELF\x02\x01\x01\0\0\0\xff\xfe[default]\n").unwrap();
    let out = exec_true(&world, &[]);
    let [what, hint] = assert_two_line_failure(&out, 2);
    assert!(what.contains(&config.display().to_string()), "{what}");
    assert!(what.contains("not UTF-8"), "{what}");
    // Not "make the file readable (`chmod 600`)", which it was.
    assert!(hint.contains("save it as UTF-8"), "{hint}");
    assert_eq!(world.sts.calls().len(), 0);
}

#[test]
fn a_credentials_file_in_latin_1_was_misread() {
    let world = World::new();
    world.sandbox.write_credentials(&format!(
        "[default]\naws_access_key_id = {}\n",
        common::fixtures::ACCESS_KEY
    ));
    let path = world.sandbox.path(".aws/credentials");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"aws_secret_access_key = caf\xe9\n");
    std::fs::write(&path, bytes).unwrap();
    let out = exec_true(&world, &[]);
    let [what, _] = assert_two_line_failure(&out, 2);
    assert!(
        what.contains("credentials") && what.contains("not UTF-8"),
        "{what}"
    );
    assert!(
        !stderr_of(&out).contains("caf"),
        "the secret's text was shown"
    );
    assert_eq!(world.sts.calls().len(), 0);
}

#[test]
fn a_section_header_without_its_bracket_gave_its_keys_to_the_section_before() {
    let world = World::new();
    let text = std::fs::read_to_string(world.sandbox.path(".aws/config")).unwrap();
    world
        .sandbox
        .write_config(&text.replace("[profile admin]", "[profile admin"));
    let out = world
        .mfa()
        .args(["-p", "admin", "exec", "--", "true"])
        .env("MFA_CODE", world.code_now())
        .timeout(BOUND)
        .output()
        .unwrap();
    let [what, hint] = assert_two_line_failure(&out, 2);
    assert!(
        what.ends_with("a section header without its closing `]`"),
        "{what}"
    );
    assert!(what.contains(".aws/config, line "), "{what}");
    assert!(hint.contains("AWS CLI refuses"), "{hint}");
    // The same for any profile: the file is refused, not read past the broken line (where
    // `role_arn` would have become the previous section's).
    let out = exec_true(&world, &[]);
    assert_two_line_failure(&out, 2);
    assert_eq!(world.sts.calls().len(), 0);
}

#[test]
fn a_huge_credentials_file_was_read_whole() {
    let world = World::new();
    let path = world.sandbox.path(".aws/credentials");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&format!("[junk]\nx = {}\n", "a".repeat(3 << 20)));
    std::fs::write(&path, text).unwrap();
    let out = exec_true(&world, &[]);
    let [what, _] = assert_two_line_failure(&out, 2);
    assert!(what.contains("is larger than 1048576 bytes"), "{what}");
    assert_eq!(world.sts.calls().len(), 0);
}

#[test]
fn a_source_profile_cycle_looped() {
    let world = World::with_config(
        "[profile one]\nrole_arn = arn:aws:iam::123456789012:role/One\nsource_profile = two\n\n\
         [profile two]\nrole_arn = arn:aws:iam::123456789012:role/Two\nsource_profile = one\n",
    );
    let out = world
        .mfa()
        .args(["-p", "one", "exec", "--", "true"])
        .env("MFA_CODE", world.code_now())
        .timeout(BOUND)
        .output()
        .unwrap();
    let [what, _] = assert_two_line_failure(&out, 2);
    assert!(what.contains("one") && what.contains("two"), "{what}");
    assert_eq!(world.sts.calls().len(), 0);
    assert_nothing_spent(&world);
}

#[test]
fn a_source_profile_naming_no_profile_was_not_named() {
    let world = World::with_config(
        "[profile lost]\nrole_arn = arn:aws:iam::123456789012:role/Admin\nsource_profile = nowhere\n",
    );
    let out = world
        .mfa()
        .args(["-p", "lost", "exec", "--", "true"])
        .env("MFA_CODE", world.code_now())
        .timeout(BOUND)
        .output()
        .unwrap();
    let [what, _] = assert_two_line_failure(&out, 2);
    assert!(what.contains("nowhere"), "{what}");
    assert_eq!(world.sts.calls().len(), 0);
}

#[test]
fn a_missing_secret_key_was_found_only_by_sts() {
    let world = World::new();
    world.sandbox.write_credentials(&format!(
        "[default]\naws_access_key_id = {}\n",
        common::fixtures::ACCESS_KEY
    ));
    let out = exec_true(&world, &[]);
    let [what, hint] = assert_two_line_failure(&out, 2);
    assert!(
        what.contains("no long-term credentials for profile `default`"),
        "{what}"
    );
    assert!(hint.contains("aws_secret_access_key"), "{hint}");
    assert_eq!(world.sts.calls().len(), 0);
    assert_nothing_spent(&world);
}

#[test]
fn a_code_of_the_wrong_length_or_with_letters_was_sent() {
    let world = World::new();
    for code in ["12345", "1234567", "12a456", "１２３４５６", " "] {
        let out = world
            .mfa()
            .args(["exec", "--", "true"])
            .env("MFA_CODE", code)
            .timeout(BOUND)
            .output()
            .unwrap();
        let [what, _] = assert_two_line_failure(&out, 2);
        assert!(what.contains("MFA_CODE"), "{code:?}: {what}");
    }
    // Piped to the prompt (no terminal): the same refusal, not a code sent.
    for line in ["12345\n", "abcdef\n", "123 456 7\n"] {
        let out = world
            .mfa()
            .args(["--source", "prompt", "exec", "--", "true"])
            .write_stdin(line)
            .timeout(BOUND)
            .output()
            .unwrap();
        let [what, _] = assert_two_line_failure(&out, 2);
        assert!(
            !what.contains(line.trim()) || line.trim().len() < 3,
            "{what}"
        );
    }
    assert_eq!(world.sts.calls().len(), 0);
    assert_nothing_spent(&world);
}

#[test]
fn sts_access_denied_was_not_explained() {
    let world = World::new();
    world.sts.fail_always(Fault::AccessDenied);
    let out = exec_true(&world, &[]);
    let [what, hint] = assert_two_line_failure(&out, 1);
    assert!(what.contains("STS denied access"), "{what}");
    assert!(hint.contains("permissions"), "{hint}");
}

#[test]
fn sts_server_errors_were_not_told_apart() {
    let world = World::new();
    world.sts.fail_always(Fault::ServerError);
    let out = exec_true(&world, &[]);
    let [what, hint] = assert_two_line_failure(&out, 1);
    assert!(what.contains("failed on its side (HTTP 500)"), "{what}");
    assert!(hint.contains("try again"), "{hint}");
}

#[test]
fn sts_throttling_spent_a_code() {
    let world = World::new();
    world.sts.fail_always(Fault::Throttling);
    let out = exec_true(&world, &[]);
    let [what, hint] = assert_two_line_failure(&out, 1);
    assert!(what.contains("throttling"), "{what}");
    assert!(hint.contains("wait a moment"), "{hint}");
    // Throttled before the code was looked at: the record made before sending is taken back.
    assert_nothing_spent(&world);
}

#[test]
fn a_slow_sts_hung_the_command() {
    let world = World::new();
    world
        .sts
        .fail_always(Fault::Slow(std::time::Duration::from_secs(25)));
    let started = std::time::Instant::now();
    let out = exec_true(&world, &[]);
    let [what, hint] = assert_two_line_failure(&out, 1);
    assert!(what.contains("did not answer in time"), "{what}");
    assert!(hint.contains("check the network"), "{hint}");
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
}

#[test]
fn sts_closing_the_connection_gave_no_hint() {
    let world = World::new();
    world.sts.fail_always(Fault::Drop);
    let out = exec_true(&world, &[]);
    let [what, hint] = assert_two_line_failure(&out, 1);
    assert!(what.contains("STS"), "{what}");
    assert!(hint.contains("try again"), "{hint}");
}

/// A server on 127.0.0.1 answering every request with `answer` (raw HTTP), until dropped: what
/// a proxy, a captive portal or a broken endpoint sends instead of STS.
struct RawServer {
    url: String,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    addr: std::net::SocketAddr,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RawServer {
    fn start(answer: Vec<u8>) -> RawServer {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = std::sync::Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(2)));
                // The request head and body (the SDK sends a Content-Length).
                let mut request = Vec::new();
                let mut buffer = [0u8; 4096];
                while let Ok(n) = stream.read(&mut buffer) {
                    if n == 0 {
                        break;
                    }
                    request.extend_from_slice(&buffer[..n]);
                    let text = String::from_utf8_lossy(&request);
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text[..end]
                            .lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case("content-length")
                                    .then(|| v.trim().parse::<usize>().ok())?
                            })
                            .unwrap_or(0);
                        if request.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                let _ = stream.write_all(&answer);
            }
        });
        RawServer {
            url: format!("http://{addr}"),
            stop,
            addr,
            thread: Some(thread),
        }
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = std::net::TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn http_answer(status: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[test]
fn a_malformed_sts_answer_said_no_message_run_with_v() {
    let page = "<html>\n<head><title>Hotel WiFi</title></head>\n<body>Please \u{1b}[2J log in \
                to continue</body></html>";
    for (status, content_type, body, seen) in [
        (
            "200 OK",
            "text/html",
            page,
            "HTTP 200, text/html: \"<html> <head><title>Hotel WiFi",
        ),
        (
            "403 Forbidden",
            "text/html",
            page,
            "HTTP 403, text/html: \"<html>",
        ),
        (
            "400 Bad Request",
            "text/plain",
            "",
            "HTTP 400, text/plain, empty body",
        ),
        (
            "500 Internal Server Error",
            "application/json",
            "{\"oops\": 1}",
            "HTTP 500, application/json: \"{\"oops\": 1}\"",
        ),
    ] {
        let server = RawServer::start(http_answer(status, content_type, body));
        // A world per run: the code of each is recorded as spent (STS may have seen it).
        let world = World::new();
        let out = world
            .mfa()
            .args(["-vv", "exec", "--", "true"])
            .env("AWS_ENDPOINT_URL_STS", &server.url)
            .env("MFA_CODE", world.code_now())
            .timeout(BOUND)
            .output()
            .unwrap();
        let stderr = stderr_of(&out);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(!stderr.contains("no message"), "{stderr}");
        assert!(stderr.contains(seen), "{status}: {stderr}");
        assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
        assert!(
            stderr.contains("  hint: something between you and STS"),
            "{stderr}"
        );
        // Without -v: the same two lines.
        let world = World::new();
        let out = world
            .mfa()
            .args(["exec", "--", "true"])
            .env("AWS_ENDPOINT_URL_STS", &server.url)
            .env("MFA_CODE", world.code_now())
            .timeout(BOUND)
            .output()
            .unwrap();
        let [what, _] = assert_two_line_failure(&out, 1);
        assert!(what.contains(seen), "{what}");
    }
}

#[test]
fn a_truncated_sts_answer_would_have_shown_its_credentials() {
    let world = World::new();
    let body = "<GetSessionTokenResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
                <GetSessionTokenResult><Credentials><AccessKeyId>ASIATRUNCATED</AccessKeyId>\
                <SecretAccessKey>truncated-secret-of-the-test</SecretAccessKey><SessionTo";
    let server = RawServer::start(http_answer("200 OK", "text/xml", body));
    let out = world
        .mfa()
        .args(["-vvv", "exec", "--", "true"])
        .env("AWS_ENDPOINT_URL_STS", &server.url)
        .env("MFA_CODE", world.code_now())
        .timeout(BOUND)
        .output()
        .unwrap();
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("truncated-secret-of-the-test"), "{stderr}");
    assert!(!stderr.contains("ASIATRUNCATED"), "{stderr}");
}

#[test]
fn an_sts_endpoint_that_resolves_nowhere_was_not_named() {
    let world = World::new();
    let out = exec_true(
        &world,
        &[("AWS_ENDPOINT_URL_STS", "https://sts.nowhere.invalid")],
    );
    let [what, hint] = assert_two_line_failure(&out, 1);
    assert!(what.contains("sts.nowhere.invalid"), "{what}");
    assert!(hint.contains("check the network"), "{hint}");
    // Nothing reached STS: the code may still be used.
    assert_nothing_spent(&world);
}

#[test]
fn a_clock_far_off_was_reported_as_a_wrong_code() {
    let world = World::new();
    // STS's clock (and so its idea of the current code) is 20 minutes ahead of ours.
    world.sts.set_clock_offset(20 * 60);
    let out = exec_true(&world, &[]);
    let [what, hint] = assert_two_line_failure(&out, 1);
    assert!(
        what.contains("STS's clock is 20 min ahead of ours"),
        "{what}"
    );
    assert!(hint.contains("clock"), "{hint}");
    let world = World::new();
    world.sts.set_clock_offset(-3 * 3600);
    let out = exec_true(&world, &[]);
    let [what, _] = assert_two_line_failure(&out, 1);
    assert!(what.contains("STS's clock is 3 h behind ours"), "{what}");
}

#[test]
fn a_fido_mfa_serial_was_sent_to_sts() {
    let fido = "arn:aws:iam::123456789012:u2f/user/alice/MyKey-ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let world = World::with_config(&format!(
        "[profile fido]\nmfa_serial = {fido}\nsource_profile = default\n"
    ));
    let out = world
        .mfa()
        .args(["-p", "fido", "exec", "--", "true"])
        .env("MFA_CODE", world.code_now())
        .timeout(BOUND)
        .output()
        .unwrap();
    let [what, hint] = assert_two_line_failure(&out, 2);
    assert!(what.contains("FIDO security key"), "{what}");
    assert!(
        hint.contains("STS cannot use a FIDO key from a command line"),
        "{hint}"
    );
    assert_eq!(world.sts.calls().len(), 0);
    assert_nothing_spent(&world);
}

/// A tiny tmpfs mounted on a fresh directory (the tests run as root), unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(options: &str) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(
            status.success(),
            "mount -t tmpfs -o {options} failed (root needed)"
        );
        Tmpfs { dir }
    }

    fn path(&self) -> &std::path::Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

#[test]
fn a_full_cache_directory_left_half_written_entries() {
    let world = World::new();
    let fs = Tmpfs::mount("size=8k,mode=0700");
    let cache = fs.path().join("mfa");
    std::fs::create_dir(&cache).unwrap();
    std::fs::set_permissions(&cache, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    // Fill it up.
    let filler = std::fs::write(fs.path().join("filler"), vec![b'x'; 64 << 10]);
    assert!(filler.is_err(), "the tmpfs is not full");
    let out = world
        .mfa()
        .args(["exec", "--", "true"])
        .env("MFA_CACHE_DIR", &cache)
        .env("MFA_CODE", world.code_now())
        .timeout(BOUND)
        .output()
        .unwrap();
    let stderr = stderr_of(&out);
    // The session is used, and the user told it was not kept.
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("could not be cached"), "{stderr}");
    assert!(
        stderr.contains("next run will ask for a code again"),
        "{stderr}"
    );
    assert_nothing_half_written(&cache);
    assert!(!stderr.contains(SECRET_KEY));
}

#[test]
fn a_read_only_cache_directory_failed_silently() {
    let world = World::new();
    let fs = Tmpfs::mount("size=64k,mode=0700");
    let cache = fs.path().join("mfa");
    std::fs::create_dir(&cache).unwrap();
    std::fs::set_permissions(&cache, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let status = std::process::Command::new("mount")
        .args(["-o", "remount,ro"])
        .arg(fs.path())
        .status()
        .unwrap();
    assert!(status.success());
    let out = world
        .mfa()
        .args(["exec", "--", "true"])
        .env("MFA_CACHE_DIR", &cache)
        .env("MFA_CODE", world.code_now())
        .timeout(BOUND)
        .output()
        .unwrap();
    let stderr = stderr_of(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("could not be cached"), "{stderr}");
    assert!(
        stderr.contains("could not record the spent code"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 0);
}

/// Waits until `path` holds a complete line (a pid written by a helper); its text.
fn wait_for_line(path: &std::path::Path, what: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.lines().count() >= 1 && text.ends_with('\n') {
            return text;
        }
        assert!(std::time::Instant::now() < deadline, "{what} never ran");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Waits up to 5 s for each of `pids` to be gone; the ones still running (which it kills).
fn survivors(pids: &[String]) -> Vec<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while pids.iter().any(|p| !is_gone(p)) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let left: Vec<String> = pids.iter().filter(|p| !is_gone(p)).cloned().collect();
    for pid in &left {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", pid])
            .status();
    }
    left
}

/// A shell command for a helper that starts a grandchild sleeping, writes both pids (its own,
/// then the grandchild's) to `file`, and waits.
fn helper_with_grandchild(file: &std::path::Path) -> String {
    format!("sleep 120 & echo $$ $! > {}; wait", file.display())
}

/// Runs `mfa ARGS` in `world`, waits for the helper to write its pids to `pid_file`, sends
/// `signal`; the exit status, stderr, and the helper's processes still running afterwards.
fn signal_while_a_helper_runs(
    world: &World,
    args: &[&str],
    pid_file: &std::path::Path,
    signal: &str,
) -> (Option<i32>, String, Vec<String>) {
    let mfa = world
        .mfa_std()
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pids: Vec<String> = wait_for_line(pid_file, "the helper")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    assert_eq!(pids.len(), 2, "{pids:?}");
    let killed = std::process::Command::new("kill")
        .args([signal, &mfa.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = mfa.wait_with_output().unwrap();
    (out.status.code(), stderr_of(&out), survivors(&pids))
}

#[test]
fn sigterm_left_the_mfa_process_and_its_grandchild_running() {
    let pid_file = tempfile::NamedTempFile::new().unwrap();
    let world = World::with_config(&format!(
        "[profile proc]\nmfa_serial = {ARN}\nsource_profile = default\nmfa_process = {}\n",
        helper_with_grandchild(pid_file.path())
    ));
    for signal in ["-TERM", "-INT"] {
        std::fs::write(pid_file.path(), "").unwrap();
        let (code, stderr, left) = signal_while_a_helper_runs(
            &world,
            &["-p", "proc", "--source", "process", "exec", "--", "true"],
            pid_file.path(),
            signal,
        );
        assert_eq!(code, Some(130), "{signal}: {stderr}");
        assert!(
            stderr.ends_with(
                "mfa: interrupted\n  hint: nothing was changed; run the command again when ready\n"
            ),
            "{stderr}"
        );
        assert!(left.is_empty(), "{signal}: still running: {left:?}");
    }
}

#[test]
fn ctrl_c_during_a_credential_process_left_it_and_its_grandchild_running() {
    let pid_file = tempfile::NamedTempFile::new().unwrap();
    let world = World::with_config(&format!(
        "[profile proc]\nmfa_serial = {ARN}\ncredential_process = {}\n",
        helper_with_grandchild(pid_file.path())
    ));
    for signal in ["-INT", "-TERM", "-HUP"] {
        std::fs::write(pid_file.path(), "").unwrap();
        let (code, stderr, left) = signal_while_a_helper_runs(
            &world,
            &["-p", "proc", "exec", "--", "true"],
            pid_file.path(),
            signal,
        );
        assert_eq!(code, Some(130), "{signal}: {stderr}");
        assert!(left.is_empty(), "{signal}: still running: {left:?}");
    }
    assert_eq!(world.sts.calls().len(), 0);
}

#[test]
fn a_credential_process_past_its_time_limit_left_its_grandchild() {
    let pid_file = tempfile::NamedTempFile::new().unwrap();
    let world = World::with_config(&format!(
        "[profile proc]\nmfa_serial = {ARN}\ncredential_process = {}\n",
        helper_with_grandchild(pid_file.path())
    ));
    let mfa = world
        .mfa_std()
        .args(["-p", "proc", "exec", "--", "true"])
        .env("MFA_CODE", world.code_now())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pids: Vec<String> = wait_for_line(pid_file.path(), "the credential_process")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let out = mfa.wait_with_output().unwrap();
    let [what, _] = assert_two_line_failure(&out, 1);
    assert!(what.contains("credential_process"), "{what}");
    assert!(survivors(&pids).is_empty(), "left running: {pids:?}");
}

#[test]
fn sigint_at_the_code_prompt_gave_no_two_lines() {
    let world = World::new();
    // No terminal: the prompt reads a line from stdin, which stays open and empty.
    let mfa = world
        .mfa_std()
        .args(["--source", "prompt", "exec", "--", "true"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    common::signals::interrupt(mfa.id());
    let out = mfa.wait_with_output().unwrap();
    let [what, _] = assert_two_line_failure(&out, 130);
    assert_eq!(what, "mfa: interrupted");
    assert_eq!(world.sts.calls().len(), 0);
    assert_nothing_spent(&world);
}

#[test]
fn sigterm_during_the_sts_call_gave_no_two_lines() {
    let world = World::new();
    world
        .sts
        .fail_always(Fault::Slow(std::time::Duration::from_secs(6)));
    let mfa = world
        .mfa_std()
        .args(["exec", "--", "true"])
        .env("MFA_CODE", world.code_now())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let status = std::process::Command::new("kill")
        .args(["-TERM", &mfa.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = mfa.wait_with_output().unwrap();
    let [what, _] = assert_two_line_failure(&out, 130);
    assert_eq!(what, "mfa: interrupted");
    assert_no_secret(&out, &world.code_now());
}

#[test]
fn sigterm_during_exec_server_left_the_child_running() {
    let pid_file = tempfile::NamedTempFile::new().unwrap();
    let world = World::new();
    let mfa = world
        .mfa_std()
        .args(["exec", "--server", "--", "sh", "-c"])
        .arg(format!(
            "echo $$ > {}; exec sleep 120",
            pid_file.path().display()
        ))
        .env("MFA_CODE", world.code_now())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let child = wait_for_line(pid_file.path(), "the child")
        .trim()
        .to_owned();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &mfa.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = mfa.wait_with_output().unwrap();
    // The child got the signal and its status is mfa's (128 + 15), with nothing more said.
    assert_eq!(out.status.code(), Some(143), "{}", stderr_of(&out));
    assert!(survivors(&[child]).is_empty());
}

// The YubiKey failing while `mfa exec` asks it for the code: no STS call, no step spent, the
// two lines. (`mfa code` meets the same faults in tests/yubikey_devices.rs and
// tests/yubikey_code.rs.)

/// `mfa --source yubikey exec -- true` in `world` with the bench's PC/SC, spawned with stderr
/// piped, plus `envs`.
fn exec_with_the_card(world: &World, envs: &[(&str, &str)]) -> std::process::Child {
    world
        .mfa_std_with_card()
        .args(["--source", "yubikey", "exec", "--", "true"])
        .envs(envs.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits (at most 20 s) for `child` to end; its output. A run that hangs is killed and fails.
fn bounded_output(child: std::process::Child) -> std::process::Output {
    let pid = child.id();
    let (done, finished) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let out = child.wait_with_output().unwrap();
        let _ = done.send(());
        out
    });
    if finished.recv_timeout(BOUND).is_err() {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
        panic!("mfa hung");
    }
    waiter.join().unwrap()
}

/// The first line `child` writes on stderr (the touch request); the rest is read later.
fn first_stderr_line(
    child: &mut std::process::Child,
) -> (String, std::io::BufReader<std::process::ChildStderr>) {
    use std::io::BufRead;
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    (line, stderr)
}

#[test]
fn pcscd_stopped_during_exec_said_plug_in_your_yubikey() {
    let world = World::new();
    let out = exec_with_the_card(&world, &[common::fixtures::NO_PCSCD]);
    let out = bounded_output(out);
    let [what, hint] = assert_two_line_failure(&out, 1);
    assert!(what.starts_with("mfa: pcscd is not running"), "{what}");
    assert!(hint.contains("systemctl start pcscd"), "{hint}");
    assert_eq!(world.sts.calls().len(), 0);
    assert_nothing_spent(&world);
}

#[test]
fn a_reader_held_exclusively_hung_exec() {
    let slot = common::insert_card(common::CardConfig::default());
    common::yubikey::add_aws_account(&slot, &[]);
    let context = pcsc::Context::establish(pcsc::Scope::User).unwrap();
    let reader = std::ffi::CString::new(slot.reader()).unwrap();
    let held = context
        .connect(&reader, pcsc::ShareMode::Exclusive, pcsc::Protocols::ANY)
        .unwrap();
    let world = World::new();
    let out = bounded_output(exec_with_the_card(&world, &[]));
    drop(held);
    let [what, hint] = assert_two_line_failure(&out, 1);
    assert!(what.contains("is in use by another program"), "{what}");
    assert!(hint.contains("scdaemon"), "{hint}");
    assert_eq!(world.sts.calls().len(), 0);
    assert_nothing_spent(&world);
}

#[test]
fn a_touch_timeout_during_exec_spent_a_code() {
    let slot = common::insert_card(common::CardConfig {
        touch: common::TouchMode::Deny,
        ..common::CardConfig::default()
    });
    common::yubikey::add_aws_account(&slot, &["-t"]);
    let world = World::new();
    let out = bounded_output(exec_with_the_card(&world, &[]));
    let stderr = stderr_of(&out);
    // The touch request, then the two lines.
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(lines.len() >= 2, "{stderr}");
    assert!(
        lines[lines.len() - 2].starts_with("mfa: touch timed out"),
        "{stderr}"
    );
    assert!(lines[lines.len() - 1].starts_with("  hint: "), "{stderr}");
    assert_eq!(stdout_of(&out), "");
    assert_eq!(world.sts.calls().len(), 0);
    assert_nothing_spent(&world);
}

#[test]
fn a_wrong_oath_password_during_exec_was_tried_again() {
    let slot = common::insert_card(common::CardConfig::default());
    common::yubikey::add_aws_account(&slot, &[]);
    slot.ykman(&["oath", "access", "change", "-n", "hunter2"]);
    let world = World::new();
    let start = slot.card().apdu_count();
    let out = bounded_output(exec_with_the_card(
        &world,
        &[("MFA_OATH_PASSWORD", "not-the-password")],
    ));
    let [what, hint] = assert_two_line_failure(&out, 1);
    assert!(what.contains("wrong OATH password"), "{what}");
    assert!(hint.contains("MFA_OATH_PASSWORD"), "{hint}");
    assert!(!stderr_of(&out).contains("not-the-password"));
    // One VALIDATE: a wrong password is not tried again.
    let validates = slot.card().instructions()[start..]
        .iter()
        .filter(|&&ins| ins == common::yubikey::ins::VALIDATE)
        .count();
    assert_eq!(validates, 1);
    assert_eq!(world.sts.calls().len(), 0);
    assert_nothing_spent(&world);
}

#[test]
fn the_card_pulled_out_during_the_touch_in_exec_spent_a_code() {
    let mut slot = common::insert_card(common::CardConfig::default());
    common::yubikey::add_aws_account(&slot, &["-t"]);
    slot.card()
        .set_touch(common::TouchMode::Delay(std::time::Duration::from_secs(3)));
    let world = World::new();
    let mut child = exec_with_the_card(&world, &[]);
    let (notice, mut rest) = first_stderr_line(&mut child);
    assert!(notice.contains("Touch your YubiKey"), "{notice}");
    slot.remove();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut rest, &mut stderr).unwrap();
    let out = bounded_output(child);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines[0].contains("was removed during the operation"),
        "{stderr}"
    );
    assert!(lines[1].starts_with("  hint: plug it back in"), "{stderr}");
    assert_eq!(world.sts.calls().len(), 0);
    assert_nothing_spent(&world);
}

#[test]
fn ctrl_c_during_the_touch_in_exec_spent_a_code() {
    let slot = common::insert_card(common::CardConfig::default());
    common::yubikey::add_aws_account(&slot, &["-t"]);
    slot.card()
        .set_touch(common::TouchMode::Delay(std::time::Duration::from_secs(4)));
    let world = World::new();
    let mut child = exec_with_the_card(&world, &[]);
    let (notice, mut rest) = first_stderr_line(&mut child);
    assert!(notice.contains("Touch your YubiKey"), "{notice}");
    common::signals::interrupt(child.id());
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut rest, &mut stderr).unwrap();
    let out = bounded_output(child);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert_eq!(
        stderr,
        "mfa: interrupted\n  hint: nothing was changed; run the command again when ready\n"
    );
    assert_eq!(world.sts.calls().len(), 0);
    assert_nothing_spent(&world);
}

#[test]
fn sigterm_in_a_terminal_left_the_mfa_process_and_its_grandchild_running() {
    // In the foreground of a terminal (a pty from script(1)) the helper shares mfa's process
    // group, so that it may prompt: the helper and its grandchild are found in /proc instead.
    let pid_file = tempfile::NamedTempFile::new().unwrap();
    // The helper and its grandchild ignore SIGHUP, as a `nohup`ed one does: when mfa ends, the
    // pty's session ends too, and its SIGHUP must not do the work of the test.
    let world = World::with_config(&format!(
        "[profile proc]\nmfa_serial = {ARN}\nsource_profile = default\n\
         mfa_process = trap '' HUP; {}\n",
        helper_with_grandchild(pid_file.path())
    ));
    let command = format!(
        "{} -p proc --source process exec -- true",
        env!("CARGO_BIN_EXE_mfa")
    );
    let mut script = world
        .command("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pids: Vec<String> = wait_for_line(pid_file.path(), "the helper")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    assert_eq!(pids.len(), 2, "{pids:?}");
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pids[0])).unwrap();
    let mfa = stat
        .rsplit_once(") ")
        .unwrap()
        .1
        .split(' ')
        .nth(1)
        .unwrap()
        .to_owned();
    let exe = std::fs::read_link(format!("/proc/{mfa}/exe")).unwrap();
    assert!(exe.ends_with("mfa"), "{exe:?}");
    // The helper is in mfa's group, as a foreground job's child is.
    let group = |pid: &str| {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        stat.rsplit_once(") ")
            .unwrap()
            .1
            .split(' ')
            .nth(2)
            .unwrap()
            .to_owned()
    };
    assert_eq!(group(&pids[0]), group(&mfa));
    let status = std::process::Command::new("kill")
        .args(["-TERM", &mfa])
        .status()
        .unwrap();
    assert!(status.success());
    let left = survivors(&pids);
    drop(script.stdin.take());
    let out = script.wait_with_output().unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(left.is_empty(), "still running: {left:?}; {shown}");
    assert!(shown.contains("mfa: interrupted"), "{shown}");
}
