//! Unit tests of the resolver: roles, inherited settings, aws-vault's layout, loops.

#![allow(clippy::unwrap_used)]

use super::*;

const CREDENTIALS: &str = "\
[default]
aws_access_key_id = AKIAALICE
aws_secret_access_key = s
[selfish]
aws_access_key_id = AKIASELF
aws_secret_access_key = s
";
const CONFIG: &str = "\
[default]
region = eu-west-1
mfa_serial = arn:aws:iam::1:mfa/alice
mfa_source = yubikey
[profile admin]
role_arn = arn:aws:iam::2:role/Admin
source_profile = default
external_id = ext
duration_seconds = 7200
[profile deep]
role_arn = arn:aws:iam::3:role/Deep
source_profile = admin
region = us-east-1
mfa_serial = arn:aws:iam::1:mfa/other
[profile a]
role_arn = arn:aws:iam::1:role/A
source_profile = b
[profile b]
role_arn = arn:aws:iam::1:role/B
source_profile = a
[profile env]
role_arn = arn:aws:iam::1:role/Env
credential_source = Environment
[profile ec2]
role_arn = arn:aws:iam::1:role/E
credential_source = Ec2InstanceMetadata
[profile orphan]
role_arn = arn:aws:iam::1:role/O
[profile dangling]
role_arn = arn:aws:iam::1:role/D
source_profile = nobody
[profile selfish]
role_arn = arn:aws:iam::1:role/S
source_profile = selfish
[profile proc]
credential_process = /usr/bin/get-keys --json
mfa_serial = arn:aws:iam::1:mfa/proc
[profile bare]
region = x
[profile badnum]
role_arn = arn:aws:iam::1:role/N
source_profile = default
duration_seconds = 1h
";

fn files() -> SharedFiles {
    SharedFiles::from_text(CONFIG, CREDENTIALS)
}

#[test]
fn long_term_profile() {
    let r = resolve(&files(), "default", false).unwrap();
    assert_eq!(
        r.source,
        LongTermSource::Static {
            profile: "default".into()
        }
    );
    assert!(r.roles.is_empty());
    assert_eq!(r.mfa_serial.as_deref(), Some("arn:aws:iam::1:mfa/alice"));
    assert_eq!(r.mfa_source.as_deref(), Some("yubikey"));
}

#[test]
fn role_inherits_mfa_serial_and_region_from_its_source() {
    let r = resolve(&files(), "admin", false).unwrap();
    assert_eq!(
        r.source,
        LongTermSource::Static {
            profile: "default".into()
        }
    );
    assert_eq!(r.path, ["admin", "default"]);
    assert_eq!(r.roles.len(), 1);
    assert_eq!(r.roles[0].external_id.as_deref(), Some("ext"));
    assert_eq!(r.roles[0].duration_seconds, Some(7200));
    assert_eq!(r.mfa_serial.as_deref(), Some("arn:aws:iam::1:mfa/alice"));
    assert_eq!(r.region.as_deref(), Some("eu-west-1"));
}

#[test]
fn nested_roles_are_assumed_innermost_first_and_nearest_setting_wins() {
    let r = resolve(&files(), "deep", false).unwrap();
    let arns: Vec<&str> = r.roles.iter().map(|s| s.role_arn.as_str()).collect();
    assert_eq!(
        arns,
        ["arn:aws:iam::2:role/Admin", "arn:aws:iam::3:role/Deep"]
    );
    assert_eq!(r.mfa_serial.as_deref(), Some("arn:aws:iam::1:mfa/other"));
    assert_eq!(r.region.as_deref(), Some("us-east-1"));
}

#[test]
fn cycles_are_named() {
    let err = resolve(&files(), "a", false).unwrap_err();
    assert_eq!(
        err,
        ChainError::Cycle {
            cycle: vec!["a".into(), "b".into(), "a".into()]
        }
    );
    assert_eq!(err.to_string(), "the source_profile chain loops: a → b → a");
}

#[test]
fn self_sourced_role_uses_its_own_keys() {
    let r = resolve(&files(), "selfish", false).unwrap();
    assert_eq!(
        r.source,
        LongTermSource::Static {
            profile: "selfish".into()
        }
    );
    assert_eq!(r.roles.len(), 1);
}

#[test]
fn other_long_term_sources() {
    let r = resolve(&files(), "env", false).unwrap();
    assert_eq!(r.source, LongTermSource::Environment);
    let r = resolve(&files(), "proc", false).unwrap();
    assert!(
        matches!(r.source, LongTermSource::Process { ref command, .. } if command == "/usr/bin/get-keys --json")
    );
    let r = resolve(&files(), "bare", true).unwrap();
    assert_eq!(r.source, LongTermSource::Environment);
}

#[test]
fn errors_say_what_is_missing() {
    let f = files();
    let unknown = resolve(&f, "nope", false).unwrap_err();
    assert!(
        matches!(unknown, ChainError::UnknownProfile { ref known, .. } if known.contains(&"admin".to_owned()))
    );
    assert!(matches!(
        resolve(&f, "orphan", false),
        Err(ChainError::RoleWithoutSource { .. })
    ));
    assert!(matches!(
        resolve(&f, "dangling", false),
        Err(ChainError::MissingSourceProfile { ref source_profile, .. }) if source_profile == "nobody"
    ));
    assert!(matches!(
        resolve(&f, "ec2", false),
        Err(ChainError::UnsupportedCredentialSource { .. })
    ));
    let none = resolve(&f, "bare", false).unwrap_err();
    let ChainError::NoLongTermCredentials { searched, .. } = none else {
        panic!()
    };
    assert!(searched.iter().any(|s| s.contains("AWS_ACCESS_KEY_ID")));
    assert!(searched.iter().any(|s| s.contains("credentials")));
    assert!(matches!(
        resolve(&f, "badnum", false),
        Err(ChainError::BadNumber {
            key: "duration_seconds",
            ..
        })
    ));
}

/// Seed 003's layout, as aws-vault users write it: keys from a `credential_process`, an MFA
/// profile over them with no `role_arn`, and roles on top of that.
const AWS_VAULT: &str = "\
[profile caktus]
credential_process=aws-vault exec --no-session --json caktus

[profile caktus-mfa]
mfa_serial=arn:aws:iam::1:mfa/alice
source_profile=caktus
region=us-east-1
mfa_source=totp

[profile saguaro-cluster]
role_arn=arn:aws:iam::2:role/Admins
source_profile=caktus-mfa
region=us-west-2

[profile short-mfa]
source_profile=caktus-mfa
mfa_session_duration=900

[profile saguaro-north]
source_profile=saguaro-cluster
region=eu-north-1

[profile keyed-mfa]
source_profile=default
mfa_serial=arn:aws:iam::1:mfa/alice

[profile own-keys]
source_profile=default
credential_process=/usr/bin/own-keys

[profile mfa-a]
source_profile=mfa-b
[profile mfa-b]
source_profile=mfa-a
[profile mfa-self]
source_profile=mfa-self
[profile role-over-loop]
role_arn=arn:aws:iam::2:role/R
source_profile=mfa-a
";

fn aws_vault() -> SharedFiles {
    SharedFiles::from_text(AWS_VAULT, CREDENTIALS)
}

fn process_of(profile: &str, command: &str, resolving: &[&str]) -> LongTermSource {
    LongTermSource::Process {
        profile: profile.into(),
        command: command.into(),
        resolving: resolving.iter().map(|p| (*p).to_owned()).collect(),
    }
}

#[test]
fn source_profile_without_role_arn_takes_the_source_profiles_keys() {
    let r = resolve(&aws_vault(), "caktus-mfa", false).unwrap();
    assert_eq!(
        r.source,
        process_of(
            "caktus",
            "aws-vault exec --no-session --json caktus",
            &["caktus-mfa", "caktus"]
        )
    );
    assert!(r.roles.is_empty(), "a GetSessionToken profile adds no role");
    assert_eq!(r.path, ["caktus-mfa", "caktus"]);
    assert_eq!(r.mfa_serial.as_deref(), Some("arn:aws:iam::1:mfa/alice"));
    assert_eq!(r.region.as_deref(), Some("us-east-1"));

    // Static keys under it work the same way.
    let r = resolve(&aws_vault(), "keyed-mfa", false).unwrap();
    assert_eq!(
        r.source,
        LongTermSource::Static {
            profile: "default".into()
        }
    );
    assert!(r.roles.is_empty());
    assert_eq!(r.mfa_serial.as_deref(), Some("arn:aws:iam::1:mfa/alice"));
}

#[test]
fn two_such_profiles_stack_and_the_nearest_setting_wins() {
    let r = resolve(&aws_vault(), "short-mfa", false).unwrap();
    assert_eq!(r.path, ["short-mfa", "caktus-mfa", "caktus"]);
    assert!(matches!(r.source, LongTermSource::Process { ref profile, .. } if profile == "caktus"));
    assert!(r.roles.is_empty());
    assert_eq!(r.mfa_session_duration, Some(900));
    assert_eq!(r.mfa_serial.as_deref(), Some("arn:aws:iam::1:mfa/alice"));
    assert_eq!(r.mfa_source.as_deref(), Some("totp"));
}

#[test]
fn roles_on_top_are_assumed_with_the_mfa_session_of_the_profile_below() {
    let r = resolve(&aws_vault(), "saguaro-cluster", false).unwrap();
    assert_eq!(r.path, ["saguaro-cluster", "caktus-mfa", "caktus"]);
    let arns: Vec<&str> = r.roles.iter().map(|s| s.role_arn.as_str()).collect();
    assert_eq!(arns, ["arn:aws:iam::2:role/Admins"]);
    assert!(matches!(r.source, LongTermSource::Process { ref profile, .. } if profile == "caktus"));
    assert_eq!(r.mfa_serial.as_deref(), Some("arn:aws:iam::1:mfa/alice"));
    assert_eq!(r.region.as_deref(), Some("us-west-2"));

    // A profile without role_arn over a role profile gets that role, with its own settings.
    let r = resolve(&aws_vault(), "saguaro-north", false).unwrap();
    assert_eq!(r.roles.len(), 1);
    assert_eq!(r.roles[0].profile, "saguaro-cluster");
    assert_eq!(r.region.as_deref(), Some("eu-north-1"));
}

#[test]
fn a_profile_with_keys_of_its_own_does_not_follow_source_profile() {
    let r = resolve(&aws_vault(), "own-keys", false).unwrap();
    assert!(
        matches!(r.source, LongTermSource::Process { ref profile, .. } if profile == "own-keys")
    );
    assert_eq!(r.path, ["own-keys"]);
}

#[test]
fn a_source_profile_cycle_without_roles_is_still_named() {
    let err = resolve(&aws_vault(), "mfa-a", false).unwrap_err();
    assert_eq!(
        err,
        ChainError::Cycle {
            cycle: vec!["mfa-a".into(), "mfa-b".into(), "mfa-a".into()]
        }
    );
    assert_eq!(
        err.to_string(),
        "the source_profile chain loops: mfa-a → mfa-b → mfa-a"
    );
    assert_eq!(
        resolve(&aws_vault(), "mfa-self", false).unwrap_err(),
        ChainError::Cycle {
            cycle: vec!["mfa-self".into(), "mfa-self".into()]
        }
    );
    assert_eq!(
        resolve(&aws_vault(), "role-over-loop", false).unwrap_err(),
        ChainError::Cycle {
            cycle: vec!["mfa-a".into(), "mfa-b".into(), "mfa-a".into()]
        }
    );
}

/// Profiles whose `credential_process` runs `mfa` again.
const CALLS_BACK: &str = "\
[profile self]
credential_process = mfa credential-process --profile self
mfa_serial = arn:aws:iam::1:mfa/alice
[profile implicit]
credential_process = mfa credential-process
[profile over-self]
source_profile = self
[profile via-exec]
credential_process = /opt/bin/mfa exec -p via-exec-mfa -- printf '{}'
[profile via-exec-mfa]
source_profile = via-exec
mfa_serial = arn:aws:iam::1:mfa/alice
[profile ping]
credential_process = mfa credential-process -p pong
[profile pong]
credential_process = mfa credential-process -p ping
[profile wrapper]
credential_process = mfa credential-process -p default
[profile script]
credential_process = $HOME/bin/keys.sh
";

fn calls_back() -> SharedFiles {
    SharedFiles::from_text(CALLS_BACK, CREDENTIALS)
}

#[test]
fn a_credential_process_running_mfa_for_its_own_chain_is_refused() {
    let f = calls_back();
    let err = resolve(&f, "self", false).unwrap_err();
    assert_eq!(
        err,
        ChainError::ProcessCallsMfa {
            profile: "self".into(),
            cycle: vec!["self".into(), "self".into()]
        }
    );
    assert_eq!(
        err.to_string(),
        "the credential_process of profile `self` runs mfa for a profile it serves: self → self"
    );
    // Through an MFA profile on top, through `mfa exec`, and through two profiles.
    for (name, process, cycle) in [
        ("over-self", "self", vec!["self", "self"]),
        (
            "via-exec-mfa",
            "via-exec",
            vec!["via-exec-mfa", "via-exec", "via-exec-mfa"],
        ),
        ("ping", "pong", vec!["ping", "pong", "ping"]),
    ] {
        assert_eq!(
            resolve(&f, name, false).unwrap_err(),
            ChainError::ProcessCallsMfa {
                profile: process.into(),
                cycle: cycle.into_iter().map(String::from).collect()
            },
            "{name}"
        );
    }
}

#[test]
fn an_mfa_command_without_a_profile_runs_for_aws_profile_else_default() {
    let f = calls_back();
    // `mfa credential-process` alone resolves `default` there: no loop for `implicit`…
    let r = resolve(&f, "implicit", false).unwrap();
    assert!(matches!(r.source, LongTermSource::Process { .. }));
    // …but a loop when AWS_PROFILE names `implicit` itself.
    let nesting = Nesting::from_variables(None, Some("implicit"));
    assert_eq!(
        resolve_nested(&f, "implicit", false, &nesting).unwrap_err(),
        ChainError::ProcessCallsMfa {
            profile: "implicit".into(),
            cycle: vec!["implicit".into(), "implicit".into()]
        }
    );
    // mfa for another profile with keys of its own is fine, and so is a command this check
    // cannot read.
    assert!(resolve(&f, "wrapper", false).is_ok());
    assert!(resolve(&f, "script", false).is_ok());
}

#[test]
fn a_profile_the_callers_are_resolving_is_refused() {
    let f = aws_vault();
    // An mfa resolving saguaro-cluster ran caktus's credential_process, which ran mfa for
    // caktus-mfa.
    let nesting = Nesting::from_variables(Some("saguaro-cluster,caktus-mfa,caktus"), None);
    let err = resolve_nested(&f, "caktus-mfa", false, &nesting).unwrap_err();
    assert_eq!(
        err,
        ChainError::ProcessLoop {
            profile: "caktus-mfa".into(),
            cycle: vec!["caktus-mfa".into(), "caktus".into(), "caktus-mfa".into()]
        }
    );
    assert_eq!(
        err.to_string(),
        "a credential_process started mfa for profile `caktus-mfa` while resolving it: \
         caktus-mfa → caktus → caktus-mfa"
    );
    // Meeting the chain lower down is the same loop.
    let nesting = Nesting::from_variables(Some("caktus"), None);
    assert!(matches!(
        resolve_nested(&f, "saguaro-cluster", false, &nesting),
        Err(ChainError::ProcessLoop { ref cycle, .. }) if cycle.join(",") == "caktus,saguaro-cluster,caktus-mfa,caktus"
    ));
    // Other profiles resolve, and their credential_process carries the whole chain.
    let nesting = Nesting::from_variables(Some("outer"), None);
    let r = resolve_nested(&f, "caktus-mfa", false, &nesting).unwrap();
    assert!(matches!(
        r.source,
        LongTermSource::Process { ref resolving, .. } if resolving.join(",") == "outer,caktus-mfa,caktus"
    ));
}
