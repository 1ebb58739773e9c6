//! `mfa env` read by real shells (bash, fish), and `mfa shell` / `mfa exec` without a command:
//! the same variables `mfa exec` gives a child, values quoted so that no shell misreads them,
//! nesting refused, the shell's exit status passed through.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::process::Stdio;

use common::aws::{ACCESS_KEY, SECRET_KEY, World, aws_vars};
use common::consumers::{AWS_CLI_V2, mfa_path, require};
use common::fixtures::ARN;
use common::output::{assert_two_line_failure, stderr_of, stdout_of};
use mfa::cli::args::EnvFormat;
use mfa::cli::commands::env::render;

const FISH: &str = "/usr/bin/fish";

/// Values a shell could misread: every kind of quote, `$`, command substitution, backslashes,
/// newlines, globs, separators, non-ASCII.
const NASTY: &[&str] = &[
    "plain",
    "",
    "it's",
    "''",
    "a'\\''b",
    "$HOME $(id) `id` ${x} $((1+1))",
    "back\\slash\\",
    "two\nlines\n",
    "\nleading newline",
    "glob * ? [a] ~ !x {a,b}",
    "semi; colon & amp | pipe > redirect < in",
    "\"double\" \\\"",
    "‘curly’ ‚low‛",
    "é€😀",
    "\t tab \r cr",
    "--option",
    "-e",
];

/// Runs `shell -c SCRIPT` with none of the caller's AWS variables; its stdout.
fn run(shell: &str, script: &str) -> String {
    let out = std::process::Command::new(shell)
        .arg("-c")
        .arg(script)
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    assert!(out.status.success(), "{shell}: {}", stderr_of(&out));
    stdout_of(&out)
}

/// Evaluates `mfa env`'s rendering of NASTY values in the real shell and reads every value
/// back, NUL-separated.
fn values_read_back(format: EnvFormat, shell: &str, print: &str) -> Vec<String> {
    let names: Vec<String> = (0..NASTY.len()).map(|i| format!("MFA_TEST_{i}")).collect();
    let vars: Vec<(&str, &str)> = names
        .iter()
        .map(String::as_str)
        .zip(NASTY.iter().copied())
        .collect();
    let code = render(format, &vars, &["MFA_TEST_GONE"]);
    let mut script = String::from(&*code);
    for name in &names {
        script.push_str(&print.replace("NAME", name));
        script.push('\n');
    }
    let shown = run(
        shell,
        &format!("MFA_TEST_GONE=x\n{script}printf %s \"$MFA_TEST_GONE\""),
    );
    let mut values: Vec<String> = shown.split('\0').map(str::to_owned).collect();
    let gone = values.pop().unwrap();
    assert_eq!(gone, "", "{shell} kept a variable that was unset");
    values
}

#[test]
fn bash_reads_every_value_back_exactly() {
    let values = values_read_back(EnvFormat::Sh, "bash", "printf '%s\\0' \"$NAME\"");
    assert_eq!(values, NASTY);
    // And dash, the /bin/sh of Debian.
    let values = values_read_back(EnvFormat::Sh, "/bin/sh", "printf '%s\\0' \"$NAME\"");
    assert_eq!(values, NASTY);
}

#[test]
fn fish_reads_every_value_back_exactly() {
    require(FISH, "fish");
    let names: Vec<String> = (0..NASTY.len()).map(|i| format!("MFA_TEST_{i}")).collect();
    let vars: Vec<(&str, &str)> = names
        .iter()
        .map(String::as_str)
        .zip(NASTY.iter().copied())
        .collect();
    let code = render(EnvFormat::Fish, &vars, &["MFA_TEST_GONE"]);
    let mut script = format!("set -gx MFA_TEST_GONE x\n{}", &*code);
    for name in &names {
        // The exported value, as a child process sees it.
        script.push_str(&format!("printenv {name}; printf '\\0'\n"));
    }
    script.push_str("if set -q MFA_TEST_GONE; printf kept; end");
    let shown = run(FISH, &script);
    let mut values: Vec<String> = shown.split('\0').map(str::to_owned).collect();
    assert_eq!(
        values.pop().unwrap(),
        "",
        "fish kept a variable that was unset"
    );
    // printenv adds a newline after each value.
    let values: Vec<&str> = values
        .iter()
        .map(|v| v.strip_suffix('\n').unwrap())
        .collect();
    assert_eq!(values, NASTY);
}

fn world_with_nasty_profile() -> World {
    let world = World::with_config(&format!(
        "[profile it's $HOME `x`]\nmfa_serial = {ARN}\nregion = eu'west\"$(false)`x`\\\n"
    ));
    world.sandbox.write_credentials(&format!(
        "[default]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n\n\
         [it's $HOME `x`]\naws_access_key_id = {ACCESS_KEY}\n\
         aws_secret_access_key = {SECRET_KEY}\n"
    ));
    // The session (alice's keys + serial) is cached through `default`, so the odd region never
    // reaches the SDK, which would refuse it as a host name.
    world
        .mfa()
        .arg("credential-process")
        .env("MFA_CODE", world.code_now())
        .assert()
        .success();
    world
}

/// The variables bash has after `eval "$(mfa env)"`, and what the session is.
fn bash_after_eval(world: &World, profile: &str, before: &str) -> BTreeMap<String, String> {
    let script = format!(
        "{before}\neval \"$({} -p \"$P\" env)\" || exit 9\nenv",
        mfa_path()
    );
    let out = world
        .command("bash")
        .args(["-c", &script])
        .env("P", profile)
        .env("MFA_CODE", world.code_now())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let mut vars = aws_vars(&out.stdout);
    // The test's own MFA_CODE stays in the shell (`exec` keeps it from a child).
    vars.remove("MFA_CODE");
    vars
}

#[test]
fn eval_in_bash_gives_the_shell_the_session_like_exec() {
    let world = World::new();
    let vars = bash_after_eval(
        &world,
        "default",
        "export AWS_PROFILE=default AWS_DEFAULT_PROFILE=x AWS_SECURITY_TOKEN=stale \
         AWS_SESSION_TOKEN=stale",
    );
    assert!(vars["AWS_ACCESS_KEY_ID"].starts_with("ASIA"), "{vars:?}");
    assert!(!vars["AWS_SECRET_ACCESS_KEY"].is_empty());
    assert_ne!(vars["AWS_SESSION_TOKEN"], "stale");
    assert!(vars["AWS_CREDENTIAL_EXPIRATION"].ends_with('Z'));
    assert_eq!(vars["AWS_REGION"], "eu-west-1");
    assert_eq!(vars["AWS_DEFAULT_REGION"], "eu-west-1");
    assert_eq!(vars["MFA_PROFILE"], "default");
    for gone in ["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SECURITY_TOKEN"] {
        assert!(!vars.contains_key(gone), "{gone} left: {vars:?}");
    }
    // Exactly what `mfa exec` gives a child (from the cache now).
    let out = world.mfa().args(["exec", "--", "env"]).assert().success();
    let exec_vars = aws_vars(&out.get_output().stdout);
    assert_eq!(vars, exec_vars);
    assert_eq!(world.sts.mfa_calls(), 1);
}

#[test]
fn the_aws_cli_v2_works_after_eval() {
    require(AWS_CLI_V2, "awscli");
    let world = World::new();
    let script = format!(
        "eval \"$({} env)\" && {AWS_CLI_V2} sts get-caller-identity --output text \
         --query Arn --endpoint-url \"$URL\"",
        mfa_path()
    );
    let out = world
        .command("bash")
        .args(["-c", &script])
        .env("URL", world.sts.url())
        .env("MFA_CODE", world.code_now())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out), "arn:aws:iam::123456789012:user/alice\n");
    let calls = world.sts.calls();
    assert_eq!(calls.len(), 2);
    assert!(
        calls[1]
            .access_key_id
            .as_deref()
            .unwrap()
            .starts_with("ASIA")
    );
}

#[test]
fn a_profile_name_and_region_full_of_shell_syntax_stay_values() {
    let world = world_with_nasty_profile();
    let profile = "it's $HOME `x`";
    let vars = bash_after_eval(&world, profile, "");
    assert_eq!(vars["MFA_PROFILE"], profile);
    assert_eq!(vars["AWS_REGION"], "eu'west\"$(false)`x`\\");

    require(FISH, "fish");
    let script = format!(
        "{} -p $P env --format fish | source; or exit 9; env",
        mfa_path()
    );
    let out = world
        .command(FISH)
        .args(["-c", &script])
        .env("P", profile)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let fish_vars = aws_vars(&out.stdout);
    assert_eq!(fish_vars, vars, "fish and bash disagree");
}

#[test]
fn json_is_a_flat_object_of_the_same_variables() {
    let world = World::new();
    let out = world
        .mfa()
        .args(["env", "--format", "json"])
        .env("MFA_CODE", world.code_now())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        json["AWS_ACCESS_KEY_ID"]
            .as_str()
            .unwrap()
            .starts_with("ASIA")
    );
    assert_eq!(json["MFA_PROFILE"], "default");
    assert_eq!(json["AWS_PROFILE"], serde_json::Value::Null);
    assert_eq!(json.as_object().unwrap().len(), 10);
}

#[test]
fn env_failures_print_nothing_for_eval() {
    let world = World::new();
    let out = world.mfa().arg("env").output().unwrap();
    assert_two_line_failure(&out, 1);
}

/// A `$SHELL` that writes its environment to `$ENV_OUT` and exits with `$STATUS`.
fn recording_shell(world: &World) -> std::path::PathBuf {
    let path = world.sandbox.path("recording-shell");
    std::fs::write(
        &path,
        "#!/bin/sh\nenv > \"$ENV_OUT\"\nexit \"${STATUS:-0}\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    path
}

#[test]
fn shell_and_exec_without_a_command_start_shell_with_the_session() {
    let world = World::new();
    let shell = recording_shell(&world);
    let record = world.sandbox.path("env.txt");
    for args in [&["shell"][..], &["exec"], &["exec", "--"]] {
        let out = world
            .mfa()
            .args(args)
            .env("SHELL", &shell)
            .env("ENV_OUT", &record)
            .env("STATUS", "7")
            .env("AWS_PROFILE", "default")
            .env("MFA_CODE", world.code_now())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(7), "{args:?}: {}", stderr_of(&out));
        let vars = aws_vars(&std::fs::read(&record).unwrap());
        assert!(vars["AWS_ACCESS_KEY_ID"].starts_with("ASIA"), "{vars:?}");
        assert_eq!(vars["MFA_PROFILE"], "default");
        assert!(!vars.contains_key("AWS_PROFILE"));
    }
    assert_eq!(world.sts.mfa_calls(), 1);
}

#[test]
fn without_shell_it_is_bin_sh() {
    let world = World::new();
    // Cache the session first, so nothing reads stdin but the shell.
    world
        .mfa()
        .arg("credential-process")
        .env("MFA_CODE", world.code_now())
        .assert()
        .success();
    let mut cmd = world.mfa_std();
    cmd.arg("shell")
        .env_remove("SHELL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"echo \"profile=$MFA_PROFILE\"\nexit 3\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(stdout_of(&out), "profile=default\n");
}

#[test]
fn shell_refuses_to_nest() {
    let world = World::new();
    let out = world
        .mfa()
        .arg("shell")
        .env("MFA_PROFILE", "default")
        .env("MFA_CODE", world.code_now())
        .output()
        .unwrap();
    let [what, hint] = assert_two_line_failure(&out, 2);
    assert!(what.contains("already running under `mfa exec`"), "{what}");
    assert!(hint.contains("exec --force"), "{hint}");
    // `mfa exec` without a command refuses the same way, unless forced.
    let out = world
        .mfa()
        .arg("exec")
        .env("MFA_PROFILE", "default")
        .output()
        .unwrap();
    assert_two_line_failure(&out, 2);
    assert_eq!(world.sts.calls().len(), 0);
}
