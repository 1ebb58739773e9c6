//! The command-line contract, driven through the real binary: the command tree, usage errors
//! (exit 2), commands not built yet (exit 2, "not implemented yet", nothing on stdout),
//! completions. `tests/snapshots.rs` pins the exact text of the same outputs.

mod common;

use common::Sandbox;
use common::output::{assert_two_line_failure, stdout_of};
use predicates::prelude::*;

#[test]
fn help_lists_every_command_of_the_spec() {
    let out = Sandbox::new().mfa().arg("--help").assert().success();
    let text = stdout_of(out.get_output());
    for command in [
        "yubi",
        "exec",
        "env",
        "credential-process",
        "shell",
        "login",
        "eks-token",
        "code",
        "accounts",
        "devices",
        "register",
        "deregister",
        "totp",
        "cache",
        "doctor",
        "completions",
    ] {
        assert!(
            text.contains(&format!("\n  {command} ")),
            "--help lacks `{command}`:\n{text}"
        );
    }
    for option in [
        "--profile",
        "--source",
        "--reader",
        "--serial",
        "--verbose",
        "--quiet",
        "--no-cache",
    ] {
        assert!(text.contains(option), "--help lacks `{option}`");
    }
}

#[test]
fn version_prints_the_crate_version() {
    Sandbox::new()
        .mfa()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::contains(env!("CARGO_PKG_VERSION")));
}

/// Commands that later issues build. Each must fail honestly: exit 2, the two-line message, and
/// nothing on stdout that a script could mistake for a result.
#[test]
fn commands_not_built_yet_say_so_and_exit_2() {
    let sandbox = Sandbox::new();
    for args in [&["register"][..], &["deregister"]] {
        let out = sandbox.mfa().args(args).output().unwrap();
        let [what, _] = assert_two_line_failure(&out, 2);
        assert!(what.contains("not implemented yet"), "{args:?}: {what}");
    }
}

#[test]
fn usage_errors_exit_2() {
    let sandbox = Sandbox::new();
    sandbox.mfa().arg("--bogus").assert().code(2);
    sandbox.mfa().arg("frobnicate").assert().code(2);
    sandbox.mfa().args(["yubi"]).assert().code(2); // no command to run
    // `mfa exec` without a command starts $SHELL (tests/shells.rs).
    sandbox.mfa().args(["login", "--force"]).assert().code(2); // --force needs --write-profile
    sandbox
        .mfa()
        .args(["exec", "--duration", "soon", "--", "true"])
        .assert()
        .code(2);
    sandbox
        .mfa()
        .args(["--source", "carrier-pigeon", "code"])
        .assert()
        .code(2);
    sandbox
        .mfa()
        .args(["--serial", "not-a-number", "code"])
        .assert()
        .code(2);
    sandbox.mfa().assert().code(2).stdout("");
}

#[test]
fn invalid_environment_values_are_usage_errors() {
    Sandbox::new()
        .mfa()
        .env("MFA_SOURCE", "smoke-signals")
        .arg("code")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("smoke-signals"));
}

#[test]
fn completions_for_each_shell() {
    let sandbox = Sandbox::new();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        sandbox
            .mfa()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("credential-process"));
    }
    sandbox.mfa().args(["completions", "tcsh"]).assert().code(2);
}
