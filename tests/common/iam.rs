//! moto with MFA codes checked (`tests/iam/moto_mfa.py`): IAM and STS on loopback for the
//! `mfa register` tests, one per test, stopped by PID when dropped.

use std::process::{Child, Command, Stdio};

use super::Sandbox;
use super::announce::spawn_announcing;

/// A running wrapper and alice's keys in it.
pub struct MotoMfa {
    child: Child,
    pub url: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub account: String,
}

impl MotoMfa {
    /// Starts the wrapper with `args` (e.g. `--hardware=SERIAL=SEED`).
    pub fn start(args: &[&str]) -> MotoMfa {
        let venv = std::env::var("MFA_BENCH_VENV").unwrap_or_else(|_| {
            panic!(
                "MFA_BENCH_VENV is not set: start the test bench (`scripts/testbench up` and \
                 `eval \"$(scripts/testbench env)\"`)"
            )
        });
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/iam/moto_mfa.py");
        let (child, line) = spawn_announcing(
            Command::new(format!("{venv}/bin/python"))
                .arg(script)
                .args(args)
                .stderr(Stdio::inherit()),
        );
        let info: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("moto_mfa.py did not start ({e}): {line:?}"));
        let text = |key: &str| info[key].as_str().unwrap().to_owned();
        MotoMfa {
            url: text("url"),
            access_key_id: text("access_key_id"),
            secret_access_key: text("secret_access_key"),
            account: text("account"),
            child,
        }
    }

    /// The wrapper's state: virtual devices, users' devices, code checks.
    pub fn state(&self) -> serde_json::Value {
        self.control("state", "GET")
    }

    /// A control request (`reject-enable`, `outage?after=…`, …).
    pub fn control(&self, path: &str, method: &str) -> serde_json::Value {
        let out = Command::new("curl")
            .args(["-sf", "-X", method, &format!("{}/__mfa/{path}", self.url)])
            .output()
            .unwrap();
        assert!(out.status.success(), "control {path} failed");
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Serials of the virtual devices in IAM.
    pub fn virtual_devices(&self) -> Vec<String> {
        self.state()["virtual_devices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["serial"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Serials enabled for alice.
    pub fn alice_devices(&self) -> Vec<String> {
        self.state()["user_devices"]["alice"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap().to_owned())
            .collect()
    }

    /// The outcome of each checked code: `[action, serial, outcome]`.
    pub fn checked(&self) -> Vec<(String, String)> {
        self.state()["checked"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c[0].as_str().unwrap().to_owned(),
                    c[2].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    /// Every seed moto created so far (Base32), to look for where it must not be.
    pub fn seeds(&self) -> Vec<String> {
        self.state()["seeds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect()
    }

    /// A sandbox with alice's keys as `[default]` and a region.
    pub fn sandbox(&self) -> Sandbox {
        let sandbox = Sandbox::new();
        sandbox.write_credentials(&format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            self.access_key_id, self.secret_access_key
        ));
        sandbox.write_config("# alice's\n[default]\nregion = us-east-1\n");
        sandbox
    }

    /// `mfa` in `sandbox` pointed at the wrapper for IAM and STS, with the real PC/SC stack.
    pub fn mfa(&self, sandbox: &Sandbox) -> std::process::Command {
        let mut cmd = sandbox.mfa_std_without_tty();
        cmd.env("AWS_ENDPOINT_URL", &self.url)
            .env("AWS_REGION", "us-east-1");
        cmd
    }

    /// alice's virtual device serial for `name`.
    pub fn serial(&self, name: &str) -> String {
        format!("arn:aws:iam::{}:mfa/{name}", self.account)
    }
}

impl Drop for MotoMfa {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
