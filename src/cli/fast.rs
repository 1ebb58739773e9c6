//! The fast path of the command line: the common forms of `mfa exec …` and
//! `mfa credential-process`, read without building clap's parser.
//!
//! terraform and kubectl start `mfa credential-process` hundreds of times a run, and a cached
//! `mfa exec` should cost next to nothing over the command it runs (docs/performance.md).
//! Building clap's whole command tree is the largest part of our own start-up work, so
//! [`parse`] reads the few forms those calls use — the global options `-p`/`--profile`,
//! `--source`, `--reader`, `-v`/`--verbose`, `-q`/`--quiet`, `--no-cache`, their variables
//! `AWS_PROFILE`, `MFA_SOURCE`, `MFA_READER`, `MFA_YUBIKEY_SERIAL`, and `--` — and gives the
//! same [`Cli`] clap would. Anything else, and anything it is not sure of (an empty value, an
//! option given twice, a value that looks like an option, text that is not UTF-8), is left to
//! clap, which then parses the whole command line as always. A test compares both readings over
//! a table of command lines and environments, so the fast path can never pick another profile.

use std::ffi::OsString;

use clap::ValueEnum;

use super::args::{Cli, Command, ExecArgs, GlobalArgs};
use crate::sources::auto::SourceSetting;

/// The command line `args` (program name first) as clap would read it, when it is one of the
/// forms above; `None` sends it to clap. `var` looks up an environment variable as it is set
/// (an empty value is not taken as unset here: clap is left to decide what it means).
pub fn parse(args: &[OsString], var: &dyn Fn(&str) -> Option<OsString>) -> Option<Cli> {
    let mut options = Options::default();
    let mut rest = args.iter().skip(1);
    let command = loop {
        let arg = rest.next()?.to_str()?;
        match arg {
            "exec" => break Sub::Exec,
            "credential-process" => break Sub::CredentialProcess,
            _ => options.read(arg, &mut rest)?,
        }
    };
    let command = match command {
        Sub::CredentialProcess => {
            while let Some(arg) = rest.next() {
                options.read(arg.to_str()?, &mut rest)?;
            }
            Command::CredentialProcess
        }
        Sub::Exec => {
            let mut command = Vec::new();
            while let Some(arg) = rest.next() {
                // The first word that is not an option starts the command: all that follows is
                // its own, as with clap's trailing arguments.
                match arg.to_str() {
                    Some("--") => {
                        command.extend(rest.by_ref().cloned());
                        break;
                    }
                    Some(text) if text.starts_with('-') => options.read(text, &mut rest)?,
                    _ => {
                        command.push(arg.clone());
                        command.extend(rest.by_ref().cloned());
                        break;
                    }
                }
            }
            Command::Exec(ExecArgs {
                duration: None,
                server: false,
                force: false,
                command,
            })
        }
    };
    Some(Cli {
        global: options.finish(var)?,
        command,
    })
}

enum Sub {
    Exec,
    CredentialProcess,
}

/// The global options seen so far.
#[derive(Default)]
struct Options {
    profile: Option<String>,
    source: Option<SourceSetting>,
    reader: Option<String>,
    verbose: u8,
    quiet: bool,
    no_cache: bool,
}

impl Options {
    /// Takes the option `arg` (and its value from `rest` when it is separate); `None` for any
    /// option or form this reader leaves to clap.
    fn read<'a>(&mut self, arg: &str, rest: &mut impl Iterator<Item = &'a OsString>) -> Option<()> {
        let mut separate = || -> Option<&'a str> { rest.next()?.to_str() };
        match arg {
            "--profile" | "-p" => set(&mut self.profile, value(separate()?)?),
            "--source" => set(&mut self.source, source(value(separate()?)?)?),
            "--reader" => set(&mut self.reader, value(separate()?)?),
            "--verbose" => self.count_verbose(1),
            "--quiet" | "-q" => set_flag(&mut self.quiet),
            "--no-cache" => set_flag(&mut self.no_cache),
            _ => {
                if let Some(v) = arg.strip_prefix("--profile=") {
                    set(&mut self.profile, value(v)?)
                } else if let Some(v) = arg.strip_prefix("--source=") {
                    set(&mut self.source, source(value(v)?)?)
                } else if let Some(v) = arg.strip_prefix("--reader=") {
                    set(&mut self.reader, value(v)?)
                } else if let Some(v) = arg.strip_prefix("-p") {
                    // `-pNAME`; clap reads `-p=NAME` as NAME: left to it.
                    if v.starts_with('=') {
                        return None;
                    }
                    set(&mut self.profile, value(v)?)
                } else if arg.len() > 1
                    && arg.starts_with('-')
                    && arg[1..].bytes().all(|b| b == b'v')
                {
                    self.count_verbose(arg.len() - 1)
                } else {
                    None
                }
            }
        }
    }

    fn count_verbose(&mut self, n: usize) -> Option<()> {
        self.verbose = self.verbose.checked_add(u8::try_from(n).ok()?)?;
        // clap's count stops somewhere; nobody types this many.
        (self.verbose <= 8).then_some(())
    }

    /// The options with their variables applied, as clap's `env` and `default_value` do.
    fn finish(self, var: &dyn Fn(&str) -> Option<OsString>) -> Option<GlobalArgs> {
        // `-q` and `-v` together are a usage error: clap says so.
        if self.quiet && self.verbose > 0 {
            return None;
        }
        let text = |name: &str| -> Option<Option<String>> {
            match var(name) {
                None => Some(None),
                Some(v) => Some(Some(value(v.to_str()?)?.to_owned())),
            }
        };
        // Every variable that is set must read well even when its option is given: clap checks
        // both (an invalid MFA_SOURCE is an error beside a valid --source).
        let env_profile = text("AWS_PROFILE")?;
        let env_source = match text("MFA_SOURCE")? {
            Some(v) => Some(source(&v)?),
            None => None,
        };
        let env_reader = text("MFA_READER")?;
        let serial = match text("MFA_YUBIKEY_SERIAL")? {
            Some(v) if v.bytes().all(|b| b.is_ascii_digit()) => Some(v.parse::<u32>().ok()?),
            Some(_) => return None,
            None => None,
        };
        let profile = self
            .profile
            .or(env_profile)
            .unwrap_or_else(|| "default".to_owned());
        let source = self.source.or(env_source);
        let reader = self.reader.or(env_reader);
        Some(GlobalArgs {
            profile,
            source,
            reader,
            serial,
            verbose: self.verbose,
            quiet: self.quiet,
            no_cache: self.no_cache,
            trace_apdu: false,
        })
    }
}

/// A value this reader takes as it is: not empty, not looking like an option.
fn value(text: &str) -> Option<&str> {
    (!text.is_empty() && !text.starts_with('-')).then_some(text)
}

/// A `--source` value, matched as clap matches it.
fn source(text: &str) -> Option<SourceSetting> {
    SourceSetting::from_str(text, false).ok()
}

/// Sets an option given once; a second time is left to clap.
fn set<T>(slot: &mut Option<T>, value: impl Into<T>) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(value.into());
    Some(())
}

fn set_flag(flag: &mut bool) -> Option<()> {
    if *flag {
        return None;
    }
    *flag = true;
    Some(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use clap::Parser;

    /// Command lines (after `mfa`), and whether the fast path should read them itself.
    const ARGV: &[(&str, bool)] = &[
        ("exec -- true", true),
        ("exec true", true),
        ("exec", true),
        ("exec --", true),
        ("credential-process", true),
        ("-p work exec -- true", true),
        ("-pwork exec -- true", true),
        ("-p=work exec -- true", false),
        ("--profile work exec -- true", true),
        ("--profile=work exec -- true", true),
        ("exec -p work -- true", true),
        ("exec --profile=work true -p other", true),
        ("exec -- -p other", true),
        ("exec true --no-cache", true),
        ("exec -- --help", true),
        ("exec -pv -- true", true),
        ("credential-process -p work", true),
        ("credential-process --profile=work --no-cache", true),
        ("--profile exec credential-process", true),
        ("-p work -p other exec -- true", false),
        ("-p work credential-process -p other", false),
        ("-p", false),
        ("-p -v exec", false),
        ("--profile= exec", false),
        ("-p '' exec", false),
        ("--profile=-x exec", false),
        ("--no-cache exec -- true", true),
        ("--no-cache exec --no-cache -- true", false),
        ("-v exec -- true", true),
        ("-vv credential-process", true),
        ("-v --verbose -vvv exec", true),
        ("-q exec -- true", true),
        ("--quiet credential-process", true),
        ("-q -v exec", false),
        ("-qv exec", false),
        ("-vq exec", false),
        ("--source yubikey exec -- true", true),
        ("--source=prompt credential-process", true),
        ("--source YubiKey exec", false),
        ("--source bogus exec", false),
        ("--reader Virtual exec -- true", true),
        ("--reader=Virtual credential-process", true),
        ("--serial 5 exec -- true", false),
        ("--trace-apdu exec -- true", false),
        ("exec --duration 1h -- true", false),
        ("exec --server -- true", false),
        ("exec --force -- true", false),
        ("exec --unknown", false),
        ("exec -x", false),
        ("exec -", false),
        ("credential-process extra", false),
        ("credential-process --", false),
        ("-vp work exec", false),
        ("-vpwork exec", false),
        ("-ppp exec", true),
        ("--profile", false),
        ("--no-cache=true exec", false),
        ("--verbose=2 exec", false),
        ("exec -v -- true", true),
        ("exec -q true", true),
        ("--help", false),
        ("exec --help", false),
        ("credential-process -h", false),
        ("--version", false),
        ("-V exec", false),
        ("yubi true", false),
        ("code", false),
        ("", false),
        ("-- exec", false),
        ("execute", false),
        ("credential", false),
    ];

    /// Environments (the four variables the fast path reads), and whether the fast path reads
    /// the command lines above under them. clap checks a variable that is set even where its
    /// option is given, so the fast path leaves every command line to clap under a variable it
    /// is not sure of.
    const ENVIRONMENTS: &[(&[(&str, &str)], bool)] = &[
        (&[], true),
        (&[("AWS_PROFILE", "envprofile")], true),
        (&[("AWS_PROFILE", "")], false),
        (&[("AWS_PROFILE", "-x")], false),
        (&[("MFA_SOURCE", "yubikey")], true),
        (&[("MFA_SOURCE", "Yubikey")], false),
        (&[("MFA_SOURCE", "bogus")], false),
        (&[("MFA_SOURCE", "")], false),
        (&[("MFA_READER", "Virtual PCD 00 00")], true),
        (&[("MFA_READER", "")], false),
        (&[("MFA_YUBIKEY_SERIAL", "12345678")], true),
        (&[("MFA_YUBIKEY_SERIAL", "+5")], false),
        (&[("MFA_YUBIKEY_SERIAL", "4294967296")], false),
        (&[("MFA_YUBIKEY_SERIAL", "abc")], false),
        (
            &[
                ("AWS_PROFILE", "envprofile"),
                ("MFA_SOURCE", "totp"),
                ("MFA_READER", "Virtual"),
                ("MFA_YUBIKEY_SERIAL", "7"),
            ],
            true,
        ),
    ];

    const VARIABLES: [&str; 4] = [
        "AWS_PROFILE",
        "MFA_SOURCE",
        "MFA_READER",
        "MFA_YUBIKEY_SERIAL",
    ];

    /// The command line of a table row, split on spaces (`''` is an empty argument).
    fn argv(line: &str) -> Vec<OsString> {
        std::iter::once("mfa")
            .chain(line.split_whitespace())
            .map(|word| OsString::from(if word == "''" { "" } else { word }))
            .collect()
    }

    /// Every command line of [`ARGV`] under this process's environment: where the fast path
    /// reads one, clap reads it to the same value; it reads exactly the rows marked fast when
    /// `fast_environment` (a row of [`ENVIRONMENTS`] it may read), and none otherwise.
    /// `fast_environment` is `None` for an environment not in the table: then only agreement is
    /// checked.
    fn compare_here(fast_environment: Option<bool>) {
        let var = |name: &str| std::env::var_os(name);
        for (line, fast) in ARGV {
            let args = argv(line);
            let ours = parse(&args, &var);
            if let Some(fast_environment) = fast_environment {
                assert_eq!(
                    ours.is_some(),
                    *fast && fast_environment,
                    "fast path on `mfa {line}`: {ours:?}"
                );
            }
            if let Some(ours) = ours {
                let clap = Cli::try_parse_from(&args)
                    .unwrap_or_else(|e| panic!("clap refuses `mfa {line}`: {e}"));
                assert_eq!(format!("{ours:?}"), format!("{clap:?}"), "`mfa {line}`");
            }
        }
    }

    /// The comparison in this process: under a row of [`ENVIRONMENTS`] when this is a child of
    /// the test below, else under whatever environment the tests run in.
    #[test]
    fn the_fast_path_reads_argv_as_clap_does() {
        let set: Vec<_> = VARIABLES
            .iter()
            .filter_map(|name| std::env::var(name).ok().map(|v| (*name, v)))
            .collect();
        let expected = match std::env::var("MFA_FAST_TEST_ENVIRONMENT") {
            Ok(row) => Some(ENVIRONMENTS[row.parse::<usize>().unwrap()].1),
            // A developer's own AWS_PROFILE, say: agreement is still checked.
            Err(_) if !set.is_empty() => None,
            Err(_) => Some(true),
        };
        compare_here(expected);
    }

    /// Clap reads the variables from the process, and setting them in this process is unsafe:
    /// each environment runs the test above in a child test process.
    #[test]
    fn the_fast_path_reads_the_environment_as_clap_does() {
        let exe = std::env::current_exe().unwrap();
        for (row, (vars, _)) in ENVIRONMENTS.iter().enumerate() {
            let mut child = std::process::Command::new(&exe);
            child.args([
                "--exact",
                "cli::fast::tests::the_fast_path_reads_argv_as_clap_does",
                "--test-threads=1",
            ]);
            for name in VARIABLES {
                child.env_remove(name);
            }
            child.envs(vars.iter().copied());
            child.env("MFA_FAST_TEST_ENVIRONMENT", row.to_string());
            let output = child.output().unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(
                output.status.success(),
                "environment {vars:?}:\n{stdout}{}",
                String::from_utf8_lossy(&output.stderr)
            );
            // The child ran the test rather than matching nothing.
            assert!(
                stdout.contains("1 passed"),
                "environment {vars:?}:\n{stdout}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_non_utf8_argument_goes_to_clap_except_in_the_command() {
        use std::os::unix::ffi::OsStringExt;
        let odd = OsString::from_vec(vec![b'x', 0xff]);
        let none = |_: &str| None;
        let mut args = argv("exec --");
        args.push(odd.clone());
        let cli = parse(&args, &none).unwrap();
        assert!(
            matches!(cli.command, Command::Exec(ExecArgs { command, .. }) if command == [odd.clone()])
        );
        let args = vec!["mfa".into(), "-p".into(), odd, "exec".into()];
        assert!(parse(&args, &none).is_none());
    }
}
