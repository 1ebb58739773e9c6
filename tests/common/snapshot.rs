//! The environment of the snapshot tests (`tests/snapshots.rs`): everything else is cleared, so
//! no AWS_PROFILE, MFA_* or terminal width of the person running the tests reaches a snapshot.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::fixtures::NO_PCSCD;

/// The AWS files every snapshot case reads: `tests/cmd/aws/{config,credentials}`.
pub fn aws_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cmd/aws")
}

/// The whole environment of a snapshot case, to set after clearing the caller's: PATH (kept, for
/// `mfa exec` to find commands), a private HOME, the fixture AWS files, a terminal width of 100
/// columns for `--help` (clap reads `COLUMNS`; tests are not on a terminal), and, when `pcscd` is
/// false, a pcscd socket that does not exist.
pub fn clean_env(home: &Path, pcscd: bool) -> Vec<(&'static str, OsString)> {
    let aws = aws_fixtures();
    let mut env = vec![
        ("PATH", std::env::var_os("PATH").unwrap_or_default()),
        ("HOME", home.into()),
        ("AWS_CONFIG_FILE", aws.join("config").into()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            aws.join("credentials").into(),
        ),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("COLUMNS", "100".into()),
    ];
    if !pcscd {
        env.push((NO_PCSCD.0, NO_PCSCD.1.into()));
    }
    env
}
