//! Handing credentials to a child process (docs/sessions.md): its environment, the refusal to nest,
//! and `exec`.
//!
//! The child starts from our environment minus every variable that could make an AWS SDK pick
//! other credentials or another profile, plus the temporary credentials, their expiry, the
//! profile's region and `MFA_PROFILE`. Credentials travel in the environment, never in argv.
//! On Unix the child replaces this process (`exec`), so signals reach it directly and its exit
//! status is ours.

use std::ffi::{OsStr, OsString};
use std::process::Command;

use crate::cli::Failure;
use crate::secret::SecretString;

/// Variables removed from the child's environment before the credentials are set.
pub const REMOVED: [&str; 7] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CREDENTIAL_EXPIRATION",
];

/// Our own inputs that may hold a secret (an OATH password, an MFA code): never passed to a child,
/// whether it gets static credentials or the endpoint of `exec --server` (docs/sessions.md).
/// `mfa env` does not unset them: they belong to the user's shell, which is not our child.
pub const SECRET_INPUTS: [&str; 2] = ["MFA_OATH_PASSWORD", "MFA_CODE"];

/// Whether `key` is one of [`SECRET_INPUTS`].
fn is_secret_input(key: &OsStr) -> bool {
    SECRET_INPUTS.iter().any(|r| OsStr::new(r) == key)
}

/// The variable that marks a process as running under `mfa exec`, naming the profile.
pub const MARKER: &str = "MFA_PROFILE";

/// What the child gets.
pub struct ChildCredentials<'a> {
    pub profile: &'a str,
    pub access_key_id: &'a str,
    pub secret_access_key: &'a SecretString,
    pub session_token: &'a SecretString,
    /// RFC 3339, e.g. `2026-11-21T12:00:00Z`.
    pub expiration: &'a str,
    pub region: Option<&'a str>,
}

/// The child's environment: `current` without [`REMOVED`] (and without region variables when the
/// profile has a region), plus the credentials. The secret values are copied into the returned
/// list because `Command::envs` needs them; the list lives only until `exec`.
pub fn environment(
    current: impl IntoIterator<Item = (OsString, OsString)>,
    creds: &ChildCredentials<'_>,
) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = current
        .into_iter()
        .filter(|(k, _)| !REMOVED.iter().any(|r| OsStr::new(r) == k))
        .filter(|(k, _)| !is_secret_input(k))
        .filter(|(k, _)| creds.region.is_none() || (k != "AWS_REGION" && k != "AWS_DEFAULT_REGION"))
        .filter(|(k, _)| k != MARKER)
        .collect();
    env.extend(
        variables(creds)
            .into_iter()
            .map(|(k, v)| (k.into(), v.into())),
    );
    env
}

/// Variables removed from the child of `mfa exec --server` besides [`REMOVED`]: other container
/// endpoints (a relative URI or a token file would win over ours) and the shared credentials
/// file, which the SDKs read before the endpoint (see [`server_environment`]).
pub const REMOVED_FOR_SERVER: [&str; 5] = [
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
];

/// An empty file: where the child of `mfa exec --server` finds its shared credentials file.
#[cfg(unix)]
pub const EMPTY_FILE: &str = "/dev/null";
#[cfg(not(unix))]
pub const EMPTY_FILE: &str = "NUL";

/// What the child of `mfa exec --server` gets instead of the credentials.
pub struct ChildEndpoint<'a> {
    pub profile: &'a str,
    /// `http://127.0.0.1:PORT/PATH`.
    pub uri: &'a str,
    pub token: &'a str,
    pub region: Option<&'a str>,
}

/// The environment of the child of `mfa exec --server` (docs/terraform.md): the same removals,
/// region and `MFA_PROFILE` as [`environment`], no credentials, and the container endpoint
/// (`AWS_CONTAINER_CREDENTIALS_FULL_URI`, `AWS_CONTAINER_AUTHORIZATION_TOKEN`).
///
/// The SDKs look for credentials in the `default` profile of the shared credentials file before
/// the container endpoint, and that is where long-term keys usually are: the child's
/// `AWS_SHARED_CREDENTIALS_FILE` is an empty file, so its SDKs cannot take them instead.
pub fn server_environment(
    current: impl IntoIterator<Item = (OsString, OsString)>,
    endpoint: &ChildEndpoint<'_>,
) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = current
        .into_iter()
        .filter(|(k, _)| {
            !REMOVED
                .iter()
                .chain(&REMOVED_FOR_SERVER)
                .any(|r| OsStr::new(r) == k)
        })
        .filter(|(k, _)| !is_secret_input(k))
        .filter(|(k, _)| {
            endpoint.region.is_none() || (k != "AWS_REGION" && k != "AWS_DEFAULT_REGION")
        })
        .filter(|(k, _)| k != MARKER)
        .collect();
    let mut set = |k: &str, v: &str| env.push((k.into(), v.into()));
    set("AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint.uri);
    set("AWS_CONTAINER_AUTHORIZATION_TOKEN", endpoint.token);
    set("AWS_SHARED_CREDENTIALS_FILE", EMPTY_FILE);
    if let Some(region) = endpoint.region {
        set("AWS_REGION", region);
        set("AWS_DEFAULT_REGION", region);
    }
    set(MARKER, endpoint.profile);
    env
}

/// The variables the child gets, in order: the credentials, their expiry, the region (when the
/// profile has one) and [`MARKER`]. `mfa env` prints the same list as exports.
pub fn variables<'a>(creds: &ChildCredentials<'a>) -> Vec<(&'static str, &'a str)> {
    let mut vars = vec![
        ("AWS_ACCESS_KEY_ID", creds.access_key_id),
        ("AWS_SECRET_ACCESS_KEY", creds.secret_access_key.expose()),
        ("AWS_SESSION_TOKEN", creds.session_token.expose()),
        ("AWS_CREDENTIAL_EXPIRATION", creds.expiration),
    ];
    if let Some(region) = creds.region {
        vars.push(("AWS_REGION", region));
        vars.push(("AWS_DEFAULT_REGION", region));
    }
    vars.push((MARKER, creds.profile));
    vars
}

/// The variables of [`REMOVED`] that [`variables`] does not set again: what `mfa env` unsets.
pub fn unset() -> impl Iterator<Item = &'static str> {
    REMOVED.into_iter().filter(|name| {
        !matches!(
            *name,
            "AWS_ACCESS_KEY_ID"
                | "AWS_SECRET_ACCESS_KEY"
                | "AWS_SESSION_TOKEN"
                | "AWS_CREDENTIAL_EXPIRATION"
        )
    })
}

/// The shell `mfa shell` (and `mfa exec` without a command) starts: `$SHELL`, else `/bin/sh`.
pub fn shell(var_shell: Option<OsString>) -> Vec<OsString> {
    vec![
        var_shell
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "/bin/sh".into()),
    ]
}

/// Refuses to run inside another `mfa exec` (whose credentials would be used as long-term keys)
/// unless `force`.
pub fn refuse_nesting(marker: Option<OsString>, force: bool) -> Result<(), Failure> {
    match marker {
        Some(profile) if !force && !profile.is_empty() => Err(Failure::usage(
            format!(
                "already running under `mfa exec` for profile `{}`",
                profile.to_string_lossy()
            ),
            "exit that shell first, or pass --force to nest anyway",
        )),
        _ => Ok(()),
    }
}

/// Replaces this process with `command` in `env`. Returns only on failure: not found (127),
/// not executable (126), or anything else (1).
#[cfg(unix)]
pub fn exec(command: &[OsString], env: Vec<(OsString, OsString)>) -> Failure {
    use std::os::unix::process::CommandExt;
    let Some((program, args)) = command.split_first() else {
        return Failure::usage("no command to run", "give one: mfa exec -- COMMAND [ARGS…]");
    };
    #[cfg(target_os = "linux")]
    super::hygiene::restore_for_child();
    // Lent, not given: `envs` would free the values (the credentials) unwiped. `exec` copies
    // them once more for `execve`; that copy is std's, and is wiped by the binary's allocator
    // if `exec` fails (docs/security.md#memory).
    let error = Command::new(program)
        .args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .exec();
    for (_, value) in env {
        drop(zeroize::Zeroizing::new(
            std::os::unix::ffi::OsStringExt::into_vec(value),
        ));
    }
    spawn_failure(program, &error)
}

/// Runs `command` in `env` and waits; its exit status becomes ours (non-Unix fallback).
#[cfg(not(unix))]
pub fn exec(command: &[OsString], env: Vec<(OsString, OsString)>) -> Failure {
    let Some((program, args)) = command.split_first() else {
        return Failure::usage("no command to run", "give one: mfa exec -- COMMAND [ARGS…]");
    };
    match Command::new(program)
        .args(args)
        .env_clear()
        .envs(env)
        .status()
    {
        Ok(status) => std::process::exit(status.code().unwrap_or(1)),
        Err(error) => spawn_failure(program, &error),
    }
}

/// The failure to start `program`: not found (127), not executable (126), or anything else (1).
pub fn spawn_failure(program: &OsStr, error: &std::io::Error) -> Failure {
    let name = program.to_string_lossy();
    match error.kind() {
        std::io::ErrorKind::NotFound => Failure::with_status(
            127,
            format!("command not found: {name}"),
            "check the spelling, or that it is on your PATH",
        ),
        std::io::ErrorKind::PermissionDenied => Failure::with_status(
            126,
            format!("cannot run {name}: permission denied"),
            "check that it is an executable file",
        ),
        _ => Failure::runtime(
            format!("cannot run {name}: {error}"),
            "check the command and try again",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds<'a>(secret: &'a SecretString, token: &'a SecretString) -> ChildCredentials<'a> {
        ChildCredentials {
            profile: "prod",
            access_key_id: "ASIAEXAMPLE",
            secret_access_key: secret,
            session_token: token,
            expiration: "2026-11-21T12:00:00Z",
            region: Some("eu-west-1"),
        }
    }

    fn get<'a>(env: &'a [(OsString, OsString)], key: &str) -> Vec<&'a OsStr> {
        env.iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_os_str())
            .collect()
    }

    #[test]
    fn child_environment_follows_the_spec() {
        let secret = SecretString::new("s".into());
        let token = SecretString::new("t".into());
        let current = [
            ("PATH", "/bin"),
            ("AWS_ACCESS_KEY_ID", "AKIALONGTERM"),
            ("AWS_SECRET_ACCESS_KEY", "long"),
            ("AWS_SESSION_TOKEN", "old"),
            ("AWS_SECURITY_TOKEN", "old"),
            ("AWS_PROFILE", "prod"),
            ("AWS_DEFAULT_PROFILE", "prod"),
            ("AWS_CREDENTIAL_EXPIRATION", "old"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1"),
        ]
        .map(|(k, v)| (OsString::from(k), OsString::from(v)));
        let env = environment(current, &creds(&secret, &token));
        assert_eq!(get(&env, "PATH"), ["/bin"]);
        assert_eq!(get(&env, "AWS_ACCESS_KEY_ID"), ["ASIAEXAMPLE"]);
        assert_eq!(get(&env, "AWS_SECRET_ACCESS_KEY"), ["s"]);
        assert_eq!(get(&env, "AWS_SESSION_TOKEN"), ["t"]);
        assert!(get(&env, "AWS_SECURITY_TOKEN").is_empty());
        assert!(get(&env, "AWS_PROFILE").is_empty());
        assert!(get(&env, "AWS_DEFAULT_PROFILE").is_empty());
        assert_eq!(
            get(&env, "AWS_CREDENTIAL_EXPIRATION"),
            ["2026-11-21T12:00:00Z"]
        );
        assert_eq!(get(&env, "AWS_REGION"), ["eu-west-1"]);
        assert_eq!(get(&env, "AWS_DEFAULT_REGION"), ["eu-west-1"]);
        assert_eq!(get(&env, "MFA_PROFILE"), ["prod"]);
        assert_eq!(get(&env, "AWS_ENDPOINT_URL_STS"), ["http://127.0.0.1:1"]);
    }

    #[test]
    fn what_is_unset_is_what_is_removed_and_not_set_again() {
        let unset: Vec<_> = unset().collect();
        assert_eq!(
            unset,
            ["AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"]
        );
        let secret = SecretString::new("s".into());
        let token = SecretString::new("t".into());
        let set: Vec<_> = variables(&creds(&secret, &token))
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        for name in REMOVED {
            assert!(set.contains(&name) != unset.contains(&name), "{name}");
        }
    }

    #[test]
    fn the_shell_is_shell_else_bin_sh() {
        assert_eq!(shell(Some("/usr/bin/fish".into())), ["/usr/bin/fish"]);
        assert_eq!(shell(Some("".into())), ["/bin/sh"]);
        assert_eq!(shell(None), ["/bin/sh"]);
    }

    #[test]
    fn region_variables_stay_when_the_profile_has_none() {
        let secret = SecretString::new("s".into());
        let token = SecretString::new("t".into());
        let mut c = creds(&secret, &token);
        c.region = None;
        let env = environment([("AWS_REGION".into(), "ap-south-1".into())], &c);
        assert_eq!(get(&env, "AWS_REGION"), ["ap-south-1"]);
    }

    #[test]
    fn mfa_code_and_oath_password_never_reach_a_child() {
        let secret = SecretString::new("s".into());
        let token = SecretString::new("t".into());
        let current = || {
            [
                ("PATH", "/bin"),
                ("MFA_CODE", "123456"),
                ("MFA_OATH_PASSWORD", "hunter2"),
            ]
            .map(|(k, v)| (OsString::from(k), OsString::from(v)))
        };
        let endpoint = ChildEndpoint {
            profile: "prod",
            uri: "http://127.0.0.1:1234/x",
            token: "abcd",
            region: None,
        };
        for env in [
            environment(current(), &creds(&secret, &token)),
            server_environment(current(), &endpoint),
        ] {
            assert_eq!(get(&env, "PATH"), ["/bin"]);
            for gone in SECRET_INPUTS {
                assert!(get(&env, gone).is_empty(), "{gone}");
            }
        }
        // `mfa env` leaves the user's own shell variables alone.
        assert!(unset().all(|name| !SECRET_INPUTS.contains(&name)));
    }

    #[test]
    fn the_server_child_gets_the_endpoint_and_no_credentials() {
        let current = [
            ("PATH", "/bin"),
            ("AWS_ACCESS_KEY_ID", "AKIALONGTERM"),
            ("AWS_SECRET_ACCESS_KEY", "long"),
            ("AWS_SESSION_TOKEN", "old"),
            ("AWS_PROFILE", "prod"),
            ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials"),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/t"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/home/u/.aws/credentials"),
            ("AWS_CONFIG_FILE", "/home/u/.aws/config"),
            ("MFA_PROFILE", "other"),
        ]
        .map(|(k, v)| (OsString::from(k), OsString::from(v)));
        let env = server_environment(
            current,
            &ChildEndpoint {
                profile: "prod",
                uri: "http://127.0.0.1:1234/x",
                token: "abcd",
                region: Some("eu-west-1"),
            },
        );
        for gone in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_CREDENTIAL_EXPIRATION",
            "AWS_PROFILE",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        ] {
            assert!(get(&env, gone).is_empty(), "{gone}");
        }
        assert_eq!(get(&env, "PATH"), ["/bin"]);
        assert_eq!(get(&env, "AWS_CONFIG_FILE"), ["/home/u/.aws/config"]);
        assert_eq!(get(&env, "AWS_SHARED_CREDENTIALS_FILE"), [EMPTY_FILE]);
        assert_eq!(
            get(&env, "AWS_CONTAINER_CREDENTIALS_FULL_URI"),
            ["http://127.0.0.1:1234/x"]
        );
        assert_eq!(get(&env, "AWS_CONTAINER_AUTHORIZATION_TOKEN"), ["abcd"]);
        assert_eq!(get(&env, "AWS_REGION"), ["eu-west-1"]);
        assert_eq!(get(&env, "MFA_PROFILE"), ["prod"]);
    }

    #[test]
    fn nesting_is_refused_unless_forced() {
        assert!(refuse_nesting(None, false).is_ok());
        let err = refuse_nesting(Some("prod".into()), false).unwrap_err();
        assert!(err.what().contains("prod"));
        assert_eq!(err.exit().code(), 2);
        assert!(refuse_nesting(Some("prod".into()), true).is_ok());
    }

    #[test]
    fn missing_and_unexecutable_commands() {
        let missing = exec(&["/nonexistent/mfa-test-command".into()], vec![]);
        assert_eq!(missing.exit().code(), 127);
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        std::fs::write(&plain, "not a program").unwrap();
        let denied = exec(&[plain.into_os_string()], vec![]);
        assert_eq!(denied.exit().code(), 126);
    }
}
