#![allow(clippy::unwrap_used)]

use std::path::Path;

use super::*;
use crate::aws::profile::FileLocations;
use crate::cli::args::JsonOutput;
use crate::cli::failure::Exit;
use crate::keystore::MemoryStore;
use crate::terminal::ScriptedTerminal;

const ARN: &str = "arn:aws:iam::123456789012:mfa/alice";
const SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

struct Harness {
    dir: tempfile::TempDir,
    store: TotpStore,
    terminal: ScriptedTerminal,
    stdin: Option<&'static str>,
    out: Vec<u8>,
    err: Vec<u8>,
    quiet: bool,
    profile: String,
}

impl Harness {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = TotpStore::new(
            FileStore::new(dir.path().join("totp")),
            Box::new(MemoryStore::default()),
        );
        Harness {
            dir,
            store,
            terminal: ScriptedTerminal::headless(),
            stdin: None,
            out: Vec::new(),
            err: Vec::new(),
            quiet: false,
            profile: "default".into(),
        }
    }

    fn config(self, text: &str) -> Self {
        std::fs::create_dir_all(self.dir.path().join(".aws")).unwrap();
        std::fs::write(self.dir.path().join(".aws/config"), text).unwrap();
        self
    }

    fn run(&mut self, command: TotpCommand) -> Result<Exit, Failure> {
        self.out.clear();
        self.err.clear();
        let home: &Path = self.dir.path();
        let mut files = Files::new(FileLocations::from_env(|_| None, home));
        let io = TotpIo {
            store: &self.store,
            aws_files: &mut files,
            profile: &self.profile,
            stdin: self
                .stdin
                .take()
                .map(|s| Box::new(s.as_bytes()) as Box<dyn Read>),
            terminal: &mut self.terminal,
            out: &mut self.out,
            err: &mut self.err,
            quiet: self.quiet,
        };
        run_with(command, io)
    }

    fn stdout(&self) -> String {
        String::from_utf8(self.out.clone()).unwrap()
    }

    fn stderr(&self) -> String {
        String::from_utf8(self.err.clone()).unwrap()
    }
}

fn add(name: Option<&str>) -> TotpCommand {
    TotpCommand::Add {
        name: name.map(str::to_owned),
        store: TotpStoreArg::File,
        force: false,
    }
}

fn list(json: bool) -> TotpCommand {
    TotpCommand::List {
        output: JsonOutput { json },
    }
}

#[test]
fn add_reads_piped_stdin_and_prints_nothing_on_stdout() {
    let mut h = Harness::new();
    h.stdin = Some("gezd gnbv gy3t qojq gezd gnbv gy3t qojq\n");
    assert_eq!(h.run(add(Some("work"))).unwrap(), Exit::Success);
    assert_eq!(h.stdout(), "");
    let stderr = h.stderr();
    assert!(
        stderr.starts_with("stored the software TOTP secret for work (SHA1, 6 digits, 30 s) in "),
        "{stderr}"
    );
    assert!(!stderr.to_uppercase().contains("GEZD"), "{stderr}");
    assert!(h.terminal.prompts.is_empty());
    let stored = h.store.get("work").unwrap().unwrap();
    assert_eq!(stored.store, StoreKind::File);
    assert_eq!(stored.secret, TotpSecret::parse(SEED).unwrap());
}

#[test]
fn add_asks_on_the_terminal_without_echo_when_nothing_is_piped() {
    let mut h = Harness::new();
    h.terminal = ScriptedTerminal::answering([format!(
        "otpauth://totp/Amazon%20Web%20Services:alice@123456789012?secret={SEED}"
    )]);
    h.run(TotpCommand::Add {
        name: Some(ARN.into()),
        store: TotpStoreArg::Keyring,
        force: false,
    })
    .unwrap();
    assert_eq!(
        h.terminal.prompts,
        [format!(
            "Base32 secret or otpauth:// URI for {ARN} (not shown): "
        )]
    );
    let stored = h.store.get(ARN).unwrap().unwrap();
    assert_eq!(stored.store, StoreKind::Keyring);
    assert_eq!(
        stored.secret.params().account.as_deref(),
        Some("alice@123456789012")
    );
    assert!(
        h.stderr().contains("the OS keyring (item totp:"),
        "{}",
        h.stderr()
    );
}

#[test]
fn add_defaults_to_the_profiles_mfa_serial() {
    let mut h = Harness::new().config(&format!(
        "[default]\nregion = eu-west-1\nmfa_serial = {ARN}\n\
         [profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = default\n\
         [profile bare]\nregion = us-east-1\n"
    ));
    h.stdin = Some(SEED);
    h.run(add(None)).unwrap();
    assert!(h.store.get(ARN).unwrap().is_some());

    // A role profile names its source's device.
    h.profile = "admin".into();
    h.stdin = Some(SEED);
    let err = h.run(add(None)).unwrap_err();
    assert_eq!(err.exit(), Exit::Usage);
    assert!(err.what().contains("already stored"), "{}", err.what());

    h.profile = "bare".into();
    h.stdin = Some(SEED);
    let err = h.run(add(None)).unwrap_err();
    assert_eq!(err.exit(), Exit::Usage);
    assert_eq!(
        err.what(),
        "profile `bare` has no mfa_serial to name the secret after"
    );
    assert!(err.fix().contains("mfa totp add arn:aws:iam::"));

    h.profile = "nope".into();
    h.stdin = Some(SEED);
    let err = h.run(add(None)).unwrap_err();
    assert!(
        err.what().contains("profile `nope` is not in"),
        "{}",
        err.what()
    );
}

#[test]
fn add_refuses_bad_secrets_as_usage_errors_without_echoing_them() {
    let mut h = Harness::new();
    for (input, what) in [
        (
            "not base32 at all!",
            "the secret is not usable: the secret is not Base32",
        ),
        (
            "otpauth://hotp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=1",
            "the secret is not usable: this is an HOTP",
        ),
        ("   \n", "no secret given: stdin is empty"),
    ] {
        h.stdin = Some(input);
        let err = h.run(add(Some("x"))).unwrap_err();
        assert_eq!(err.exit(), Exit::Usage, "{input}");
        assert!(err.what().starts_with(what), "{}", err.what());
        assert!(!err.what().contains("base32 at all"));
        assert!(!err.fix().is_empty());
    }
    assert!(h.store.list().unwrap().is_empty());
    // Nothing piped and nobody at a terminal.
    let err = h.run(add(Some("x"))).unwrap_err();
    assert_eq!(err.exit(), Exit::Usage);
    assert!(err.what().contains("no terminal"), "{}", err.what());
    assert!(err.fix().contains("never put it on the command line"));
}

#[test]
fn add_refuses_to_replace_before_asking_unless_forced() {
    let mut h = Harness::new();
    h.stdin = Some(SEED);
    h.run(add(Some("work"))).unwrap();
    h.terminal = ScriptedTerminal::answering(["never asked"]);
    let err = h.run(add(Some("work"))).unwrap_err();
    assert_eq!(err.exit(), Exit::Usage);
    assert!(err.fix().contains("--force"));
    assert!(h.terminal.prompts.is_empty());

    h.stdin = Some("otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8");
    h.run(TotpCommand::Add {
        name: Some("work".into()),
        store: TotpStoreArg::File,
        force: true,
    })
    .unwrap();
    assert_eq!(
        h.store.get("work").unwrap().unwrap().secret.params().digits,
        8
    );
}

#[test]
fn an_interrupted_prompt_exits_130() {
    let mut h = Harness::new();
    h.terminal = ScriptedTerminal::answering(Vec::<String>::new());
    let err = h.run(add(Some("x"))).unwrap_err();
    assert_eq!(err.exit(), Exit::Interrupted);
}

#[test]
fn list_shows_parameters_never_secrets() {
    let mut h = Harness::new();
    h.run(list(false)).unwrap();
    assert_eq!(h.stdout(), "");
    assert!(h.stderr().contains("no software TOTP secrets stored"));
    h.run(list(true)).unwrap();
    assert_eq!(h.stdout(), "[]\n");

    h.stdin = Some(SEED);
    h.run(add(Some(ARN))).unwrap();
    h.stdin = Some(
        "otpauth://totp/Example:bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=SHA256&digits=8&period=60",
    );
    h.run(TotpCommand::Add {
        name: Some("bob".into()),
        store: TotpStoreArg::Keyring,
        force: false,
    })
    .unwrap();

    h.run(list(false)).unwrap();
    let table = h.stdout();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].starts_with("NAME "), "{table}");
    assert!(
        lines[1].starts_with(&format!("{ARN}  file     SHA1 ")),
        "{table}"
    );
    assert!(lines[2].starts_with("bob "), "{table}");
    assert!(
        lines[2].contains("keyring") && lines[2].contains("SHA256"),
        "{table}"
    );
    assert!(lines[2].ends_with("Example  bob"), "{table}");
    assert!(!table.contains("GEZD"));
    assert_eq!(h.stderr(), "");

    h.run(list(true)).unwrap();
    let json: serde_json::Value = serde_json::from_str(&h.stdout()).unwrap();
    assert_eq!(
        json,
        serde_json::json!([
            {"name": ARN, "store": "file", "issuer": null, "account": null,
             "algorithm": "SHA1", "digits": 6, "period": 30},
            {"name": "bob", "store": "keyring", "issuer": "Example", "account": "bob",
             "algorithm": "SHA256", "digits": 8, "period": 60},
        ])
    );
}

#[test]
fn list_flags_an_exposed_file_instead_of_failing() {
    use std::os::unix::fs::PermissionsExt;
    let mut h = Harness::new();
    h.stdin = Some(SEED);
    h.run(add(Some("loose"))).unwrap();
    let path = h.store.file_store().path_of("loose");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    h.run(list(false)).unwrap();
    assert!(h.stdout().contains("unusable: "), "{}", h.stdout());
    h.run(list(true)).unwrap();
    let json: serde_json::Value = serde_json::from_str(&h.stdout()).unwrap();
    assert!(json[0]["error"].as_str().unwrap().contains("mode 644"));
}

#[test]
fn remove_known_and_unknown_names() {
    let mut h = Harness::new();
    h.stdin = Some(SEED);
    h.run(add(Some("work"))).unwrap();
    h.run(TotpCommand::Remove {
        name: "work".into(),
    })
    .unwrap();
    assert_eq!(h.stdout(), "");
    assert!(
        h.stderr()
            .starts_with("removed the software TOTP secret for work from ")
    );
    assert!(h.store.get("work").unwrap().is_none());

    let err = h
        .run(TotpCommand::Remove {
            name: "work".into(),
        })
        .unwrap_err();
    assert_eq!(err.exit(), Exit::Usage);
    assert_eq!(err.what(), "no software TOTP secret is stored as `work`");
    assert!(err.fix().contains("mfa totp list"));
}

#[test]
fn quiet_says_nothing_on_success() {
    let mut h = Harness::new();
    h.quiet = true;
    h.stdin = Some(SEED);
    h.run(add(Some("work"))).unwrap();
    h.run(list(false)).unwrap();
    h.run(TotpCommand::Remove {
        name: "work".into(),
    })
    .unwrap();
    h.run(list(false)).unwrap();
    assert_eq!((h.stdout(), h.stderr()), (String::new(), String::new()));
}
