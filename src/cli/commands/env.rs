//! `mfa env [--format sh|fish|powershell|json]`: the profile's temporary credentials as shell
//! code that sets the variables `mfa exec` gives a child and removes the ones it takes away
//! (`cli/child.rs`), for `eval "$(mfa env)"` (docs/get-session-token.md).
//!
//! Every value is quoted for its shell, whatever it holds:
//! - `sh` (bash, zsh, dash): `'…'`, a `'` written as `'\''`;
//! - `fish`: `'…'`, with `\'` and `\\` (the only escapes fish reads inside single quotes);
//! - `powershell`: `'…'`, each quote doubled — also the typographic quotes `‘ ’ ‚ ‛`, which
//!   PowerShell takes for `'`;
//! - `json`: one flat object of the same variables, `null` for those to remove (for programs:
//!   `jq`, CI systems), rather than `credential_process`'s shape, which `mfa credential-process`
//!   already prints.
//!
//! The text is built in a buffer sized up front and wiped afterwards.

use zeroize::Zeroizing;

use crate::cli::args::EnvFormat;
use crate::cli::output::{push_json_string, write_out};
use crate::cli::{Context, Exit, Failure, child, credentials};

/// `mfa env`, on the process's stdout.
pub fn run(ctx: &mut Context, format: EnvFormat) -> Result<Exit, Failure> {
    let (profile, obtained) = credentials::obtain(ctx, None, None)?;
    let creds = &obtained.credentials;
    let expiration = creds.expiration_rfc3339();
    let vars = child::variables(&child::ChildCredentials {
        profile: &profile.name,
        access_key_id: &creds.access_key_id,
        secret_access_key: &creds.secret_access_key,
        session_token: &creds.session_token,
        expiration: &expiration,
        region: profile.region.as_deref(),
    });
    let unset: Vec<&str> = child::unset().collect();
    let text = render(format, &vars, &unset);
    write_out(&mut std::io::stdout().lock(), text.as_bytes())?;
    Ok(Exit::Success)
}

/// The code that sets `vars` and removes `unset`, in `format`.
pub fn render(format: EnvFormat, vars: &[(&str, &str)], unset: &[&str]) -> Zeroizing<String> {
    let capacity = capacity(vars, unset);
    let mut out = Zeroizing::new(String::with_capacity(capacity));
    match format {
        EnvFormat::Sh => {
            if !unset.is_empty() {
                out.push_str("unset");
                for name in unset {
                    out.push(' ');
                    out.push_str(name);
                }
                out.push('\n');
            }
            for (name, value) in vars {
                out.push_str("export ");
                out.push_str(name);
                out.push('=');
                push_sh_quoted(&mut out, value);
                out.push('\n');
            }
        }
        EnvFormat::Fish => {
            // `set -e` of a missing variable fails (status 4), and fish's `set -gx` passes the
            // status on: erase only what is there, so sourcing the whole text ends with 0.
            for name in unset {
                out.push_str("if set -q ");
                out.push_str(name);
                out.push_str("; set -e ");
                out.push_str(name);
                out.push_str("; end\n");
            }
            for (name, value) in vars {
                out.push_str("set -gx ");
                out.push_str(name);
                out.push(' ');
                push_fish_quoted(&mut out, value);
                out.push('\n');
            }
        }
        EnvFormat::Powershell => {
            for name in unset {
                out.push_str("Remove-Item -Path Env:");
                out.push_str(name);
                out.push_str(" -ErrorAction SilentlyContinue\n");
            }
            for (name, value) in vars {
                out.push_str("$Env:");
                out.push_str(name);
                out.push_str(" = ");
                push_powershell_quoted(&mut out, value);
                out.push('\n');
            }
        }
        EnvFormat::Json => {
            out.push('{');
            let mut first = true;
            let mut comma = |out: &mut String| {
                out.push_str(if first { "\n  " } else { ",\n  " });
                first = false;
            };
            for (name, value) in vars {
                comma(&mut out);
                push_json_string(&mut out, name);
                out.push_str(": ");
                push_json_string(&mut out, value);
            }
            for name in unset {
                comma(&mut out);
                push_json_string(&mut out, name);
                out.push_str(": null");
            }
            out.push_str("\n}\n");
        }
    }
    debug_assert!(out.len() <= capacity);
    out
}

/// Enough for any format: quoting at most multiplies a value by four (sh's `'\''`), JSON by
/// six (`\u00XX`). Sized up front so that no reallocation leaves a copy of a secret behind.
fn capacity(vars: &[(&str, &str)], unset: &[&str]) -> usize {
    64 + vars
        .iter()
        .map(|(k, v)| k.len() + 6 * v.len() + 32)
        .sum::<usize>()
        + unset.iter().map(|k| 2 * k.len() + 64).sum::<usize>()
}

/// POSIX shell single quotes: nothing inside is special; a `'` closes, is escaped, reopens.
fn push_sh_quoted(out: &mut String, value: &str) {
    out.push('\'');
    for c in value.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
}

/// fish single quotes: only `\'` and `\\` are escapes inside.
fn push_fish_quoted(out: &mut String, value: &str) {
    out.push('\'');
    for c in value.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
}

/// PowerShell verbatim strings: a quote is written twice. PowerShell accepts `‘ ’ ‚ ‛` as
/// single quotes too, so they are doubled as well.
fn push_powershell_quoted(out: &mut String, value: &str) {
    out.push('\'');
    for c in value.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Values a shell could misread: quotes of every kind, `$`, backticks, backslashes,
    /// newlines, globs, `;`, and non-ASCII.
    pub const NASTY: &[&str] = &[
        "plain",
        "",
        "it's",
        "''",
        "a'\\''b",
        "$HOME $(id) `id` ${x}",
        "back\\slash\\",
        "two\nlines\n",
        "glob * ? [a] ~ !x",
        "semi; colon & amp | pipe > redirect",
        "\"double\"",
        "‘curly’ ‚low‛",
        "é€😀",
        "\t tab",
    ];

    /// A tiny reader for each quoting, following the shell's rules for single-quoted words;
    /// the shells themselves read the output in `tests/env.rs`.
    fn sh_unquote(word: &str) -> String {
        let mut out = String::new();
        let mut chars = word.chars();
        while let Some(c) = chars.next() {
            match c {
                '\'' => {
                    for c in chars.by_ref() {
                        if c == '\'' {
                            break;
                        }
                        out.push(c);
                    }
                }
                '\\' => out.extend(chars.next()),
                c => out.push(c),
            }
        }
        out
    }

    fn fish_unquote(word: &str) -> String {
        let inner = word.strip_prefix('\'').unwrap().strip_suffix('\'').unwrap();
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                let next = chars.next().unwrap();
                assert!(next == '\'' || next == '\\', "stray escape");
                out.push(next);
            } else {
                assert_ne!(c, '\'', "unescaped quote");
                out.push(c);
            }
        }
        out
    }

    fn powershell_unquote(word: &str) -> String {
        let is_quote =
            |c: char| matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}');
        let inner: Vec<char> = word.chars().collect();
        assert!(is_quote(inner[0]) && is_quote(inner[inner.len() - 1]));
        let inner = &inner[1..inner.len() - 1];
        let mut out = String::new();
        let mut i = 0;
        while i < inner.len() {
            if is_quote(inner[i]) {
                assert!(i + 1 < inner.len() && is_quote(inner[i + 1]), "lone quote");
                out.push(inner[i + 1]);
                i += 2;
            } else {
                out.push(inner[i]);
                i += 1;
            }
        }
        out
    }

    #[test]
    fn nasty_values_survive_each_quoting() {
        for value in NASTY {
            let mut sh = String::new();
            push_sh_quoted(&mut sh, value);
            assert_eq!(sh_unquote(&sh), *value, "sh: {sh}");
            let mut fish = String::new();
            push_fish_quoted(&mut fish, value);
            assert_eq!(fish_unquote(&fish), *value, "fish: {fish}");
            let mut ps = String::new();
            push_powershell_quoted(&mut ps, value);
            assert_eq!(powershell_unquote(&ps), *value, "powershell: {ps}");
        }
    }

    #[test]
    fn each_format_sets_and_unsets() {
        let vars = [("AWS_ACCESS_KEY_ID", "ASIA"), ("MFA_PROFILE", "it's")];
        let unset = ["AWS_PROFILE", "AWS_SECURITY_TOKEN"];
        assert_eq!(
            *render(EnvFormat::Sh, &vars, &unset),
            "unset AWS_PROFILE AWS_SECURITY_TOKEN\nexport AWS_ACCESS_KEY_ID='ASIA'\n\
             export MFA_PROFILE='it'\\''s'\n"
        );
        assert_eq!(
            *render(EnvFormat::Fish, &vars, &unset),
            "if set -q AWS_PROFILE; set -e AWS_PROFILE; end\n\
             if set -q AWS_SECURITY_TOKEN; set -e AWS_SECURITY_TOKEN; end\n\
             set -gx AWS_ACCESS_KEY_ID 'ASIA'\nset -gx MFA_PROFILE 'it\\'s'\n"
        );
        assert_eq!(
            *render(EnvFormat::Powershell, &vars, &unset),
            "Remove-Item -Path Env:AWS_PROFILE -ErrorAction SilentlyContinue\n\
             Remove-Item -Path Env:AWS_SECURITY_TOKEN -ErrorAction SilentlyContinue\n\
             $Env:AWS_ACCESS_KEY_ID = 'ASIA'\n$Env:MFA_PROFILE = 'it''s'\n"
        );
        let json: serde_json::Value =
            serde_json::from_str(&render(EnvFormat::Json, &vars, &unset)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "AWS_ACCESS_KEY_ID": "ASIA",
                "MFA_PROFILE": "it's",
                "AWS_PROFILE": null,
                "AWS_SECURITY_TOKEN": null,
            })
        );
    }

    #[test]
    fn the_buffer_is_never_reallocated() {
        let quotes = "'".repeat(1000);
        let controls = "\u{1}".repeat(500);
        let vars = [("K", quotes.as_str()), ("J", controls.as_str())];
        for format in [
            EnvFormat::Sh,
            EnvFormat::Fish,
            EnvFormat::Powershell,
            EnvFormat::Json,
        ] {
            let out = render(format, &vars, &["X"]);
            // A reallocation would have grown the capacity.
            assert_eq!(out.capacity(), capacity(&vars, &["X"]), "{format:?}");
        }
    }
}
