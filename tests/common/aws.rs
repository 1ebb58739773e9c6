//! An AWS world for the credential tests: a sandboxed HOME with `~/.aws` files for alice, and an
//! in-process STS double that knows her keys and her MFA device's seed.

use std::collections::BTreeMap;

use mfa_sts::{Config, Mfa, Role, StsDouble, User};

use super::Sandbox;
pub use super::fixtures::{ACCESS_KEY, ADMIN_ROLE, LONG_ROLE, SECRET_KEY};
use super::fixtures::{ACCOUNT, ARN, AWS_ID, NO_PCSCD, SEED_SHA1, now};

/// An STS double that knows alice (her keys, her MFA device with [`SEED_SHA1`]) and `roles`.
pub fn alice_sts(roles: Vec<Role>) -> StsDouble {
    StsDouble::start(Config {
        users: vec![User {
            name: "alice".into(),
            account: ACCOUNT.into(),
            access_key_id: ACCESS_KEY.into(),
            secret_access_key: SECRET_KEY.into(),
            mfa: Some(Mfa {
                serial: ARN.into(),
                seed_base32: SEED_SHA1.into(),
            }),
        }],
        roles,
        ..Config::default()
    })
    .unwrap()
}

/// A sandbox with alice's long-term keys as `[default]` in `~/.aws/credentials`, and `config` as
/// `~/.aws/config`.
pub fn alice_sandbox(config: &str) -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.write_credentials(&format!(
        "[default]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n"
    ));
    sandbox.write_config(config);
    sandbox
}

/// The sandbox, the STS double, and alice's profiles:
/// `[default]` (keys + mfa_serial), `[profile admin]` (role via default),
/// `[profile long]` (role with duration_seconds = 7200).
pub struct World {
    pub sandbox: Sandbox,
    pub sts: StsDouble,
}

impl World {
    pub fn new() -> World {
        World::with_config("")
    }

    /// Alice's world with `extra` appended to `~/.aws/config`.
    pub fn with_config(extra: &str) -> World {
        let sts = alice_sts(vec![
            Role {
                arn: ADMIN_ROLE.into(),
                require_mfa: true,
                external_id: None,
                max_duration: 3600,
            },
            Role {
                arn: LONG_ROLE.into(),
                require_mfa: true,
                external_id: None,
                max_duration: 43200,
            },
        ]);
        let sandbox = alice_sandbox(&format!(
            "[default]\nregion = eu-west-1\nmfa_serial = {ARN}\n\n\
             [profile admin]\nrole_arn = {ADMIN_ROLE}\nsource_profile = default\n\n\
             [profile long]\nrole_arn = {LONG_ROLE}\nsource_profile = default\n\
             duration_seconds = 7200\n\n{extra}"
        ));
        World { sandbox, sts }
    }

    /// `mfa` without a terminal, pointed at the STS double, and with no PC/SC (so `auto` finds
    /// no YubiKey and never touches a virtual card another test inserted).
    pub fn mfa(&self) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.mfa_std())
    }

    /// The same as a std command (for spawning several at once).
    pub fn mfa_std(&self) -> std::process::Command {
        let mut cmd = self.mfa_std_with_card();
        cmd.env(NO_PCSCD.0, NO_PCSCD.1);
        cmd
    }

    /// `mfa` pointed at the STS double, with the real PC/SC stack (for tests holding a card).
    pub fn mfa_std_with_card(&self) -> std::process::Command {
        let mut cmd = self.sandbox.mfa_std_without_tty();
        cmd.env("AWS_ENDPOINT_URL_STS", self.sts.url());
        cmd
    }

    /// `program` (the AWS CLI, python, a shell) in the sandbox without a terminal, with the STS
    /// double's endpoint and no PC/SC, like [`World::mfa_std`]: the `mfa` it runs gets both.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
        let mut cmd = self.sandbox.command_without_tty(program);
        cmd.env("AWS_ENDPOINT_URL_STS", self.sts.url())
            .env(NO_PCSCD.0, NO_PCSCD.1);
        cmd
    }

    /// The code alice's device shows now.
    pub fn code_now(&self) -> String {
        StsDouble::totp(SEED_SHA1, now())
    }
}

/// The OATH account name of alice's device on a YubiKey.
pub const OATH_ACCOUNT: &str = AWS_ID;

/// The `AWS_*` and `MFA_*` variables in the output of `env`.
pub fn aws_vars(stdout: &[u8]) -> BTreeMap<String, String> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter_map(|line| line.split_once('='))
        .filter(|(k, _)| k.starts_with("AWS_") || k.starts_with("MFA_"))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}
