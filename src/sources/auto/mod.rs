//! Choosing and chaining sources (docs/software-totp.md).
//!
//! [`plan`] is the pure mapping from the `--source` flag (or `MFA_SOURCE`, which clap folds into
//! it), the profile's `mfa_source` and whether `mfa_process` is set, to the kinds of source to
//! try, in order. `auto` means: YubiKey → the software secret for the `mfa_serial` →
//! `mfa_process` (only when set) → prompt.
//!
//! [`AutoSource`] tries boxed sources in order: a source answering
//! [`SourceError::Unavailable`] passes to the next, and each step is explained at `-v`
//! ("no YubiKey present: trying the software secret for arn:…"). Any other error stops the chain:
//! a touch timeout or a wrong OATH password must be reported, not papered over by a prompt.

use std::fmt;
use std::str::FromStr;

use super::{CodeRequest, CodeSource, MfaCode, SourceError, SourceKind};
use crate::terminal::Terminal;

/// A value of `--source`, `MFA_SOURCE` or `mfa_source`: the one model of "where the code comes
/// from", parsed by clap for the flag (its doc comments are the flag's help) and by
/// [`FromStr`] for the profile key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum SourceSetting {
    /// YubiKey if present, else a software secret, else `mfa_process`, else a prompt.
    Auto,
    /// The OATH application of a YubiKey.
    Yubikey,
    /// A software TOTP secret stored with `mfa totp add`.
    Totp,
    /// The profile's `mfa_process` command.
    Process,
    /// Ask for the code (terminal, else one line of stdin, else `MFA_CODE`).
    Prompt,
}

impl SourceSetting {
    /// Every setting, as it is written.
    pub const NAMES: [&'static str; 5] = ["auto", "yubikey", "totp", "process", "prompt"];

    /// How it is written.
    pub fn name(self) -> &'static str {
        match self {
            SourceSetting::Auto => "auto",
            SourceSetting::Yubikey => "yubikey",
            SourceSetting::Totp => "totp",
            SourceSetting::Process => "process",
            SourceSetting::Prompt => "prompt",
        }
    }
}

impl fmt::Display for SourceSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SourceSetting {
    type Err = ();

    /// One of [`SourceSetting::NAMES`], in any case, surrounding spaces ignored.
    fn from_str(text: &str) -> Result<Self, ()> {
        let text = text.trim();
        [
            SourceSetting::Auto,
            SourceSetting::Yubikey,
            SourceSetting::Totp,
            SourceSetting::Process,
            SourceSetting::Prompt,
        ]
        .into_iter()
        .find(|s| s.name().eq_ignore_ascii_case(text))
        .ok_or(())
    }
}

/// Where the setting in force came from, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingOrigin {
    /// `--source` or `MFA_SOURCE`.
    Flag,
    /// The profile's `mfa_source`.
    Profile,
    /// Neither: `auto`.
    Default,
}

impl fmt::Display for SettingOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SettingOrigin::Flag => "--source/MFA_SOURCE",
            SettingOrigin::Profile => "the profile's mfa_source",
            SettingOrigin::Default => "the default",
        })
    }
}

/// The sources to try, in order, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePlan {
    pub setting: SourceSetting,
    pub origin: SettingOrigin,
    pub kinds: Vec<SourceKind>,
}

/// Why no plan could be made: configuration errors (exit 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    #[error("mfa_source = {value:?} is not a code source")]
    UnknownSetting { value: String },
    #[error("{origin} says `process`, but the profile has no mfa_process")]
    NoProcess { origin: SettingOrigin },
}

/// The sources to try. `flag` (from `--source`/`MFA_SOURCE`) wins over `profile_setting` (the
/// profile's `mfa_source`, unparsed), which wins over `auto`. `has_process` says whether the
/// profile sets `mfa_process`.
pub fn plan(
    flag: Option<SourceSetting>,
    profile_setting: Option<&str>,
    has_process: bool,
) -> Result<SourcePlan, PlanError> {
    let (setting, origin) = match (flag, profile_setting.filter(|v| !v.trim().is_empty())) {
        (Some(setting), _) => (setting, SettingOrigin::Flag),
        (None, Some(value)) => (
            value.parse().map_err(|()| PlanError::UnknownSetting {
                value: value.to_owned(),
            })?,
            SettingOrigin::Profile,
        ),
        (None, None) => (SourceSetting::Auto, SettingOrigin::Default),
    };
    let kinds = match setting {
        SourceSetting::Auto => {
            let mut kinds = vec![SourceKind::Yubikey, SourceKind::Totp];
            if has_process {
                kinds.push(SourceKind::Process);
            }
            kinds.push(SourceKind::Prompt);
            kinds
        }
        SourceSetting::Yubikey => vec![SourceKind::Yubikey],
        SourceSetting::Totp => vec![SourceKind::Totp],
        SourceSetting::Process if has_process => vec![SourceKind::Process],
        SourceSetting::Process => return Err(PlanError::NoProcess { origin }),
        SourceSetting::Prompt => vec![SourceKind::Prompt],
    };
    Ok(SourcePlan {
        setting,
        origin,
        kinds,
    })
}

/// What trying a kind of source means, for `-v`: "the software secret for arn:…".
pub fn describe(kind: SourceKind, request: &CodeRequest<'_>) -> String {
    match kind {
        SourceKind::Yubikey => "the YubiKey".into(),
        SourceKind::Totp => format!("the software secret for {}", request.mfa_serial),
        SourceKind::Process => "mfa_process".into(),
        SourceKind::Prompt => "the prompt".into(),
    }
}

/// Sources tried in order until one gives a code.
pub struct AutoSource {
    sources: Vec<Box<dyn CodeSource>>,
    last: Option<SourceKind>,
}

impl AutoSource {
    /// A chain of `sources`, tried in this order.
    pub fn new(sources: Vec<Box<dyn CodeSource>>) -> Self {
        AutoSource {
            sources,
            last: None,
        }
    }

    /// The kinds in the chain, in order.
    pub fn kinds(&self) -> Vec<SourceKind> {
        self.sources.iter().map(|s| s.kind()).collect()
    }
}

impl CodeSource for AutoSource {
    /// The kind of the source that answered last (before any request: the first of the chain;
    /// an empty chain says `Prompt`).
    fn kind(&self) -> SourceKind {
        self.last
            .or_else(|| self.sources.first().map(|s| s.kind()))
            .unwrap_or(SourceKind::Prompt)
    }

    fn code(
        &mut self,
        request: &CodeRequest<'_>,
        terminal: &mut dyn Terminal,
    ) -> Result<MfaCode, SourceError> {
        let mut reasons: Vec<String> = Vec::new();
        let count = self.sources.len();
        for index in 0..count {
            let kind = self.sources[index].kind();
            if index == 0 {
                terminal.explain(1, &format!("trying {}", describe(kind, request)));
            }
            self.last = Some(kind);
            match self.sources[index].code(request, terminal) {
                // The only source: its own error says what to do.
                Err(SourceError::KeyAbsent(error)) if count == 1 => {
                    terminal.explain(1, &error.to_string());
                    return Err(SourceError::KeyAbsent(error));
                }
                Err(absent @ (SourceError::Unavailable { .. } | SourceError::KeyAbsent(_))) => {
                    let (kind, reason) = match absent {
                        SourceError::KeyAbsent(error) => (SourceKind::Yubikey, error.to_string()),
                        SourceError::Unavailable { kind, reason } => (kind, reason),
                        other => return Err(other),
                    };
                    match self.sources.get(index + 1) {
                        Some(next) => terminal.explain(
                            1,
                            &format!("{reason}: trying {}", describe(next.kind(), request)),
                        ),
                        None => terminal.explain(1, &reason),
                    }
                    reasons.push(reason);
                    if index + 1 == count {
                        return Err(SourceError::Unavailable {
                            kind,
                            reason: reasons.join("; "),
                        });
                    }
                }
                Ok(code) => {
                    terminal.explain(1, &format!("got the code from {}", code.source));
                    return Ok(code);
                }
                Err(other) => return Err(other),
            }
        }
        Err(SourceError::Unavailable {
            kind: SourceKind::Prompt,
            reason: "no code source to try".into(),
        })
    }
}

#[cfg(test)]
mod tests;
