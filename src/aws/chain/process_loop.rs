//! A `credential_process` that calls `mfa` back (docs/configuration.md, "A credential_process
//! that runs mfa").
//!
//! `mfa` runs a profile's `credential_process` to get long-term keys. When that command is `mfa`
//! itself for a profile whose resolution leads to the same `credential_process`, each `mfa`
//! would start the next one forever. Two checks stop it:
//!
//! - **The command line**, before anything runs: a `credential_process` whose first word is a
//!   program named `mfa` and whose subcommand resolves a profile (`exec`, `credential-process`,
//!   …) is followed to the profile it names (`-p`/`--profile`, else `AWS_PROFILE`, else
//!   `default`, as that `mfa` would choose); when that profile's chain meets one already being
//!   resolved, [`ChainError::ProcessCallsMfa`] names the loop.
//! - **The environment**, for what the command line hides (a script that runs `mfa`): every
//!   `credential_process` child gets [`CHAIN_VARIABLE`], the profiles being resolved above it;
//!   an `mfa` started under it refuses to resolve any of them again
//!   ([`ChainError::ProcessLoop`]). The variable passes through scripts and through `mfa exec`
//!   children, which are part of the same `credential_process` run.

use super::{ChainError, LongTermSource, ResolvedProfile, walk};
use crate::aws::profile::SharedFiles;

/// The variable that tells an `mfa` started (directly or not) by a `credential_process` which
/// profiles the `mfa` processes above it are resolving: names separated by `,`, each with `%`
/// and `,` written `%25` and `%2C`.
pub const CHAIN_VARIABLE: &str = "MFA_CREDENTIAL_PROCESS_CHAIN";

/// What the environment says about the `mfa` processes above this one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Nesting {
    /// The profiles being resolved by the `mfa` processes that started this one through a
    /// `credential_process`, outermost first ([`CHAIN_VARIABLE`]).
    pub callers: Vec<String>,
    /// `AWS_PROFILE`: the profile an `mfa` command without `-p` resolves (else `default`).
    pub aws_profile: Option<String>,
}

impl Nesting {
    /// From the values of [`CHAIN_VARIABLE`] and `AWS_PROFILE`.
    pub fn from_variables(chain: Option<&str>, aws_profile: Option<&str>) -> Nesting {
        Nesting {
            callers: chain.map(decode).unwrap_or_default(),
            aws_profile: aws_profile.map(str::to_owned),
        }
    }
}

/// The value of [`CHAIN_VARIABLE`] for `profiles`.
pub fn encode(profiles: &[String]) -> String {
    let escaped: Vec<String> = profiles
        .iter()
        .map(|p| p.replace('%', "%25").replace(',', "%2C"))
        .collect();
    escaped.join(",")
}

/// The profiles in a value of [`CHAIN_VARIABLE`].
fn decode(value: &str) -> Vec<String> {
    value
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.replace("%2C", ",")
                .replace("%2c", ",")
                .replace("%25", "%")
        })
        .collect()
}

/// Refuses `resolved` when it meets a profile the callers are resolving, or when its
/// `credential_process` is an `mfa` command that leads back into the chain.
pub(super) fn check(
    files: &SharedFiles,
    environment_has_keys: bool,
    nesting: &Nesting,
    resolved: &ResolvedProfile,
) -> Result<(), ChainError> {
    if let Some(cycle) = meeting(&nesting.callers, &resolved.path) {
        return Err(ChainError::ProcessLoop {
            profile: resolved.name.clone(),
            cycle,
        });
    }
    // Follow `mfa` commands as long as they lead to new profiles: each step adds at least one
    // profile to `chain`, so this ends.
    let mut chain = resolved.path.clone();
    let mut source = resolved.source.clone();
    while let LongTermSource::Process {
        profile, command, ..
    } = source
    {
        let Some(target) = mfa_target(&command, nesting.aws_profile.as_deref()) else {
            return Ok(());
        };
        // A target that does not resolve is that `mfa`'s failure to report, not a loop.
        let Ok(next) = walk(files, &target, environment_has_keys) else {
            return Ok(());
        };
        if let Some(cycle) = meeting(&chain, &next.path) {
            return Err(ChainError::ProcessCallsMfa { profile, cycle });
        }
        chain.extend(next.path);
        source = next.source;
    }
    Ok(())
}

/// Where the walk `path` (of an `mfa` started below `above`) first meets a profile of `above`:
/// the loop from that profile in `above`, through the rest of `above` and `path`, back to it.
fn meeting(above: &[String], path: &[String]) -> Option<Vec<String>> {
    path.iter().enumerate().find_map(|(i, name)| {
        let start = above.iter().position(|p| p == name)?;
        let mut cycle = above[start..].to_vec();
        cycle.extend(path[..=i].iter().cloned());
        Some(cycle)
    })
}

/// Subcommands of `mfa` that resolve a profile down to its long-term credentials.
const RESOLVING: &[&str] = &[
    "exec",
    "yubi",
    "env",
    "credential-process",
    "shell",
    "login",
    "eks-token",
];

/// Options of `mfa` that take a value as the next word (other than `-p`/`--profile`).
const WITH_VALUE: &[&str] = &[
    "--source",
    "--reader",
    "--serial",
    "--duration",
    "--format",
    "--write-profile",
    "--cluster",
    "--role",
];

/// The profile a `credential_process` command line resolves when it runs `mfa` with a
/// subcommand that resolves one; `None` when it is not such a command (or cannot be read
/// without a shell).
fn mfa_target(command: &str, aws_profile: Option<&str>) -> Option<String> {
    let words = split(command)?;
    let mut words = words.iter().map(String::as_str).peekable();
    let mut default = aws_profile.unwrap_or("default").to_owned();
    // Leading `NAME=value` assignments, as `sh -c` reads them; `AWS_PROFILE=x` changes the default.
    while let Some(word) = words.peek() {
        match word.split_once('=') {
            Some((name, value)) if is_variable_name(name) => {
                if name == "AWS_PROFILE" {
                    value.clone_into(&mut default);
                }
                words.next();
            }
            _ => break,
        }
    }
    if words.peek() == Some(&"exec") {
        words.next();
    }
    let program = words.next()?;
    if program.rsplit('/').next() != Some("mfa") {
        return None;
    }
    let mut profile = None;
    let mut subcommand = None;
    while let Some(word) = words.next() {
        if word == "--" {
            break;
        }
        if let Some(value) = word.strip_prefix("--profile=") {
            profile = Some(value.to_owned());
        } else if word == "--profile" {
            profile = words.next().map(str::to_owned);
        } else if WITH_VALUE.contains(&word) {
            words.next();
        } else if let Some(flags) = word.strip_prefix('-').filter(|f| !f.starts_with('-')) {
            // Short flags, possibly grouped: `-p NAME`, `-pNAME`, `-vp NAME`.
            if let Some(at) = flags.find('p') {
                let rest = &flags[at + 1..];
                profile = if rest.is_empty() {
                    words.next().map(str::to_owned)
                } else {
                    Some(rest.to_owned())
                };
            }
        } else if word.starts_with("--") {
            // A flag without a value (`--no-cache`, `--force`, `--server`) or `--opt=value`.
        } else if subcommand.is_none() {
            subcommand = Some(word);
        } else {
            // The command `exec` or `yubi` runs: what follows is its own.
            break;
        }
    }
    subcommand
        .filter(|s| RESOLVING.contains(s))
        .map(|_| profile.unwrap_or(default))
}

fn is_variable_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Splits a command line into words the way `sh` does for plain words, single and double
/// quotes and backslashes; `None` when it holds anything a shell would expand or interpret
/// (`$`, `` ` ``, `;`, `|`, `&`, redirections…), which this check does not try to follow.
fn split(command: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        other => word.push(other),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => word.push(chars.next()?),
                        '$' | '`' => return None,
                        other => word.push(other),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.push(chars.next()?);
            }
            '$' | '`' | ';' | '|' | '&' | '<' | '>' | '(' | ')' | '*' | '?' | '[' | '~' | '#' => {
                return None;
            }
            other => {
                in_word = true;
                word.push(other);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Some(words)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_variable_round_trips_any_name() {
        let names = vec!["a".to_owned(), "b,c".to_owned(), "100%".to_owned()];
        let value = encode(&names);
        assert_eq!(value, "a,b%2Cc,100%25");
        assert_eq!(decode(&value), names);
        assert_eq!(
            Nesting::from_variables(Some(""), None).callers,
            Vec::<String>::new()
        );
    }

    #[test]
    fn mfa_commands_name_their_profile() {
        let cases: [(&str, Option<&str>); 14] = [
            ("mfa credential-process -p work", Some("work")),
            ("mfa credential-process --profile=work", Some("work")),
            (
                "/usr/local/bin/mfa --profile work credential-process",
                Some("work"),
            ),
            ("mfa -vpwork credential-process", Some("work")),
            ("mfa credential-process", Some("from-env")),
            ("AWS_PROFILE=x mfa credential-process", Some("x")),
            ("exec mfa exec -p 'my prof' -- printf x", Some("my prof")),
            ("mfa exec --duration 1h -- aws -p other", Some("from-env")),
            ("mfa --source totp yubi kops -p other", Some("from-env")),
            ("mfa code -p work", None),
            ("aws-vault exec --no-session --json caktus", None),
            ("mfa-helper credential-process -p work", None),
            ("mfa credential-process -p $PROFILE", None),
            ("mfa credential-process -p \"unterminated", None),
        ];
        for (command, expected) in cases {
            assert_eq!(
                mfa_target(command, Some("from-env")).as_deref(),
                expected,
                "{command}"
            );
        }
        assert_eq!(
            mfa_target("mfa credential-process", None).as_deref(),
            Some("default")
        );
    }

    #[test]
    fn a_meeting_names_the_loop_from_the_first_repeated_profile() {
        let above = ["outer".to_owned(), "a".to_owned(), "b".to_owned()];
        let path = ["c".to_owned(), "a".to_owned(), "d".to_owned()];
        assert_eq!(
            meeting(&above, &path).unwrap(),
            ["a", "b", "c", "a"].map(String::from)
        );
        assert!(meeting(&above, &["x".to_owned()]).is_none());
    }
}
