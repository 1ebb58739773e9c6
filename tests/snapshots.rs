//! Snapshot tests of what users see: stdout, stderr and the exit code of `mfa --help`, every
//! command's `--help`, `mfa --version`, and the two-line failures (`mfa: …` then `  hint: …`)
//! of configuration and usage mistakes. A change to any of them fails here until the snapshot is
//! updated on purpose.
//!
//! - `tests/cmd/NAME.toml`: one case run by `trycmd` — the arguments, the exit status, and
//!   `[env] inherit = false`. `NAME.stdout` and `NAME.stderr` beside it are the expected output
//!   (an empty file means nothing may be printed there). The AWS files every case reads are
//!   `tests/cmd/aws/{config,credentials}`.
//! - `tests/snapshots/*.stderr`: cases that need the virtual YubiKey (see docs/test-bench.md),
//!   run with `snapbox`.
//!
//! Every case runs with the caller's environment cleared and only what
//! `common::snapshot::clean_env` sets: PATH, a private HOME, the fixture AWS files, and
//! `COLUMNS=100` so `--help` is wrapped the same on any terminal.
//!
//! # Updating the snapshots after an intended change (also in docs/test-bench.md)
//!
//! A new global flag, for instance, changes every `--help`. Rewrite the snapshots, then read
//! every changed file before committing it — the diff is the review of the change:
//!
//! ```sh
//! eval "$(scripts/testbench env)"   # the card case needs the bench (docs/test-bench.md)
//! TRYCMD=overwrite SNAPSHOTS=overwrite cargo test --test snapshots
//! git diff tests/cmd tests/snapshots
//! cargo test --test snapshots       # passes as it stands
//! ```
//!
//! `TRYCMD=overwrite` rewrites `tests/cmd/*.stdout|stderr`; `SNAPSHOTS=overwrite` rewrites
//! `tests/snapshots/`. Neither rewrites an exit status: change `status` in the `.toml` (or
//! `.code(…)` below) by hand. A new case is a new `tests/cmd/NAME.toml` (copy one) with empty
//! `NAME.stdout` and `NAME.stderr` files, filled by the overwrite run; a case without them would
//! check nothing, and `every_case_pins_stdout_stderr_and_a_clean_environment` fails.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::snapshot::clean_env;
use common::ykman::ykman_add;
use common::yubikey::{SEED_SHA1, SEED_SHA256};
use common::{CardConfig, insert_card};

const CASES: &str = "tests/cmd";

/// The `trycmd` cases of `tests/cmd`: help, version, configuration and usage errors.
#[test]
fn cli_output() {
    let home = tempfile::tempdir().unwrap();
    let cases = trycmd::TestCases::new();
    cases
        .register_bin("mfa", Path::new(env!("CARGO_BIN_EXE_mfa")))
        .default_bin_name("mfa");
    for (key, value) in clean_env(home.path(), false) {
        cases.env(key, value.into_string().unwrap());
    }
    cases.case(format!("{CASES}/*.toml"));
    cases.run();
}

/// A case without its `.stdout`/`.stderr` file would leave that stream unchecked, and one that
/// inherits the caller's environment would depend on it (an `AWS_PROFILE` shows in `--help`).
#[test]
fn every_case_pins_stdout_stderr_and_a_clean_environment() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(CASES);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        count += 1;
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.lines().any(|l| l.trim() == "inherit = false"),
            "{}: no `[env] inherit = false`",
            path.display()
        );
        assert!(
            text.lines().any(|l| l.starts_with("status")),
            "{}: no exit status",
            path.display()
        );
        for stream in ["stdout", "stderr"] {
            assert!(
                path.with_extension(stream).exists(),
                "{}: no .{stream} file, so {stream} is not checked",
                path.display()
            );
        }
    }
    assert!(count >= 30, "only {count} cases in {}", dir.display());
}

/// `mfa code QUERY` with a query that is part of two accounts on the key, and nobody to ask:
/// the two-line failure lists both, exit 2. Needs the bench (docs/test-bench.md).
#[test]
fn an_ambiguous_code_query() {
    let slot = insert_card(CardConfig::default());
    ykman_add(&slot, &["-i", "GitHub"], "alice", SEED_SHA1);
    ykman_add(&slot, &["-i", "GitLab"], "alice", SEED_SHA256);
    let home = tempfile::tempdir().unwrap();
    // No controlling terminal (`setsid -w`), so `mfa` cannot ask which account is meant.
    snapbox::cmd::Command::new("setsid")
        .arg("-w")
        .arg(env!("CARGO_BIN_EXE_mfa"))
        .args(["code", "git"])
        .env_clear()
        .envs(clean_env(home.path(), true))
        .assert()
        .code(2)
        .stdout_eq("")
        .stderr_eq(snapbox::file!["snapshots/code-ambiguous.stderr"]);
}

/// Runs `mfa ARGS` in `home` with the snapshot environment (and the PC/SC stack when `pcscd`),
/// once with `NO_COLOR=1` and once without: a listing is plain text either way (no escape
/// sequence: `mfa` prints no colours), so both runs print the same. Returns stdout.
fn plain_listing(home: &Path, pcscd: bool, args: &[&str]) -> String {
    let run = |no_color: bool| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mfa"));
        cmd.args(args).env_clear().envs(clean_env(home, pcscd));
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "mfa {args:?}: {out:?}");
        assert!(out.stderr.is_empty(), "mfa {args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let (plain, no_color) = (run(false), run(true));
    assert_eq!(plain, no_color, "mfa {args:?} depends on NO_COLOR");
    assert!(!plain.contains('\u{1b}'), "mfa {args:?}: {plain:?}");
    plain
}

/// `mfa totp list` as a table and as `--json`: pinned, plain, the same with `NO_COLOR`.
#[test]
fn totp_listings_are_plain_and_json_on_request() {
    let home = tempfile::tempdir().unwrap();
    for (name, seed) in [("github", SEED_SHA1), ("work", SEED_SHA256)] {
        snapbox::cmd::Command::new(env!("CARGO_BIN_EXE_mfa"))
            .args(["totp", "add", name])
            .env_clear()
            .envs(clean_env(home.path(), false))
            .stdin(format!("{seed}\n"))
            .assert()
            .success();
    }
    snapbox::assert_data_eq!(
        plain_listing(home.path(), false, &["totp", "list"]),
        snapbox::file!["snapshots/totp-list.stdout"]
    );
    snapbox::assert_data_eq!(
        plain_listing(home.path(), false, &["totp", "list", "--json"]),
        snapbox::file!["snapshots/totp-list-json.stdout"]
    );
}

/// `mfa accounts` as a table and as `--json` on the virtual key: pinned, plain, the same with
/// `NO_COLOR`. Needs the bench (docs/test-bench.md).
#[test]
fn account_listings_are_plain_and_json_on_request() {
    let slot = insert_card(CardConfig::default());
    ykman_add(&slot, &["-i", "GitHub"], "alice", SEED_SHA1);
    ykman_add(
        &slot,
        &["-i", "Amazon Web Services", "-t", "-a", "SHA256", "-d", "8"],
        "alice@123456789012",
        SEED_SHA256,
    );
    let home = tempfile::tempdir().unwrap();
    snapbox::assert_data_eq!(
        plain_listing(home.path(), true, &["accounts"]),
        snapbox::file!["snapshots/accounts.stdout"]
    );
    snapbox::assert_data_eq!(
        plain_listing(home.path(), true, &["accounts", "--json"]),
        snapbox::file!["snapshots/accounts-json.stdout"]
    );
}
