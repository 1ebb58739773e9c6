//! The programs that consume the credentials, as users run them: the AWS CLI v2 (Debian's
//! `awscli` at `/usr/bin/aws`; the `aws` first on PATH may be a v1), botocore/boto3 from the
//! bench's venv, bash and fish. Each is installed by the bench (docs/test-bench.md); a missing
//! one fails the test with the fix.

use std::path::{Path, PathBuf};

use super::aws::World;

/// Debian's AWS CLI v2.
pub const AWS_CLI_V2: &str = "/usr/bin/aws";

/// Panics with the fix unless `program` exists.
pub fn require(program: &str, package: &str) {
    assert!(
        Path::new(program).exists(),
        "{program} is missing: install Debian's `{package}` (scripts/testbench up does)"
    );
}

/// The bench venv's python (boto3, botocore).
pub fn bench_python() -> PathBuf {
    let venv = std::env::var("MFA_BENCH_VENV").unwrap_or_default();
    let python = Path::new(&venv).join("bin/python");
    assert!(
        !venv.is_empty() && python.exists(),
        "no bench venv (MFA_BENCH_VENV={venv:?}): run `scripts/testbench up` and \
         `eval \"$(scripts/testbench env)\"`"
    );
    python
}

/// `mfa`'s path, for `credential_process` lines and shell scripts.
pub fn mfa_path() -> &'static str {
    env!("CARGO_BIN_EXE_mfa")
}

/// A config profile `name` whose credentials come from `mfa credential-process --profile
/// profile`, as docs/credential-process.md shows it.
pub fn credential_process_profile(name: &str, profile: &str) -> String {
    format!(
        "[profile {name}]\nregion = eu-west-1\ncredential_process = {} credential-process \
         --profile {profile}\n\n",
        mfa_path()
    )
}

/// `aws sts get-caller-identity --profile PROFILE` (AWS CLI v2) against the world's STS double,
/// without a terminal.
pub fn aws_caller_identity(world: &World, profile: &str) -> std::process::Command {
    require(AWS_CLI_V2, "awscli");
    let mut cmd = world.command(AWS_CLI_V2);
    cmd.args([
        "sts",
        "get-caller-identity",
        "--output",
        "json",
        "--profile",
    ])
    .arg(profile)
    .arg("--endpoint-url")
    .arg(world.sts.url());
    cmd
}
