//! A desktop session without a desktop: a private D-Bus session bus (`dbus-daemon --session`,
//! what `dbus-run-session` starts), gnome-keyring's Secret Service on it with an unlocked login
//! keyring, and on request a notification server that records what it is sent. Every process
//! is started here and stopped by pid when the [`Desktop`] is dropped.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::announce::spawn_announcing;
use super::consumers::require;

/// Debian's Python, which has python3-dbus and python3-gi (a pyenv `python3` may not).
const SYSTEM_PYTHON: &str = "/usr/bin/python3";

/// A session bus with the Secret Service (and maybe a notification server) on it.
pub struct Desktop {
    runtime: tempfile::TempDir,
    home: PathBuf,
    address: String,
    children: Vec<Child>,
    notifications: Option<PathBuf>,
}

impl Desktop {
    /// A bus with gnome-keyring for the user whose home is `home` (its keyrings go to
    /// `home/.local/share/keyrings`).
    pub fn with_keyring(home: &Path) -> Desktop {
        let mut desktop = Desktop::bus(home);
        desktop.start_keyring();
        desktop
    }

    /// A bare session bus: nothing owns the Secret Service or the notifications names.
    pub fn bus(home: &Path) -> Desktop {
        require("/usr/bin/dbus-daemon", "dbus-daemon");
        let runtime = tempfile::tempdir().unwrap();
        let (bus, address) = spawn_announcing(
            Command::new("dbus-daemon")
                .args(["--session", "--nofork", "--nosyslog", "--print-address=1"])
                .env("HOME", home)
                .env("XDG_RUNTIME_DIR", runtime.path())
                .stderr(Stdio::null()),
        );
        Desktop {
            runtime,
            home: home.to_owned(),
            address,
            children: vec![bus],
            notifications: None,
        }
    }

    fn start_keyring(&mut self) {
        require("/usr/bin/gnome-keyring-daemon", "gnome-keyring");
        require("/usr/bin/secret-tool", "libsecret-tools");
        let mut keyring = self
            .command("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The login keyring's password, on stdin; closing it ends the input.
        keyring
            .stdin
            .take()
            .unwrap()
            .write_all(b"desktop-test")
            .unwrap();
        self.children.push(keyring);
        self.wait_for_name("org.freedesktop.secrets");
    }

    /// Starts the notification server (tests/desktop/notification_server.py); what it is sent
    /// is read back with [`Desktop::notifications`].
    pub fn start_notification_server(&mut self) {
        require(SYSTEM_PYTHON, "python3");
        let log = self.runtime.path().join("notifications.jsonl");
        std::fs::write(&log, "").unwrap();
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/desktop/notification_server.py"
        );
        let server = self
            .command(SYSTEM_PYTHON)
            .arg(script)
            .arg(&log)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        self.children.push(server);
        self.wait_for_name("org.freedesktop.Notifications");
        self.notifications = Some(log);
    }

    /// The notifications received so far.
    pub fn notifications(&self) -> Vec<serde_json::Value> {
        let log = self.notifications.as_ref().expect("no notification server");
        std::fs::read_to_string(log)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// The variables that put a process in this session.
    pub fn env(&self) -> [(&'static str, std::ffi::OsString); 2] {
        [
            ("DBUS_SESSION_BUS_ADDRESS", self.address.clone().into()),
            ("XDG_RUNTIME_DIR", self.runtime.path().into()),
        ]
    }

    /// `program` in this session (HOME is the user's).
    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("HOME", &self.home).envs(self.env());
        cmd
    }

    /// `secret-tool ARGS` in this session.
    pub fn secret_tool(&self, args: &[&str]) -> Output {
        self.command("secret-tool").args(args).output().unwrap()
    }

    /// Whether `name` has an owner on the bus.
    fn has_owner(&self, name: &str) -> bool {
        let out = self
            .command("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                &format!("string:{name}"),
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).contains("boolean true")
    }

    fn wait_for_name(&self, name: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !self.has_owner(name) {
            assert!(
                Instant::now() < deadline,
                "{name} never appeared on the bus"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        // The services first, the bus last.
        for child in self.children.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
