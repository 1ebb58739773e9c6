//! Code sources: where an MFA code comes from — the YubiKey's OATH application, a software TOTP
//! secret, an `mfa_process` command, or a prompt (docs/software-totp.md).
//!
//! Every source implements [`CodeSource`]. The caller (the credential flow in the aws layer, or
//! `mfa code`) says which device the code is for and for which moment ([`CodeRequest`]); sources
//! that compute codes (YubiKey, software TOTP) compute them for that moment's 30 s step, so the
//! caller can avoid a step whose code was already spent. Sources that only relay a code (process,
//! prompt) return what they were given, validated as 6 or 8 digits.
//!
//! Time and the terminal are inputs: a source never reads the clock or opens `/dev/tty` itself.

pub mod auto;
pub mod process;
pub mod prompt;
pub mod totp;
pub mod yubikey;

use std::fmt;

use crate::secret::SecretString;
use crate::terminal::Terminal;

/// Which kind of source produced a code, for messages and `-v` explanations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Yubikey,
    Totp,
    Process,
    Prompt,
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SourceKind::Yubikey => "YubiKey",
            SourceKind::Totp => "software TOTP secret",
            SourceKind::Process => "mfa_process",
            SourceKind::Prompt => "prompt",
        })
    }
}

/// What a code is needed for.
#[derive(Debug, Clone, Copy)]
pub struct CodeRequest<'a> {
    /// The MFA device: `arn:aws:iam::123456789012:mfa/alice`, or a hardware token's serial.
    pub mfa_serial: &'a str,
    /// The profile's `mfa_oath_account`, when set.
    pub oath_account: Option<&'a str>,
    /// The moment the code must be valid at (Unix seconds). Computing sources use its step.
    pub unix_time: u64,
}

/// A one-time code, with where it came from and, for computed TOTP codes, its time step.
#[derive(Clone, PartialEq, Eq)]
pub struct MfaCode {
    value: SecretString,
    /// The 30 s step (`unix_time / 30`) the code belongs to, when the source knows it.
    pub step: Option<u64>,
    pub source: SourceKind,
}

impl MfaCode {
    /// Validates `digits` as a code (6 or 8 ASCII digits) — anything else is refused before it is
    /// ever sent to AWS.
    pub fn new(
        digits: SecretString,
        step: Option<u64>,
        source: SourceKind,
    ) -> Result<Self, SourceError> {
        if !is_code(digits.expose()) {
            return Err(SourceError::InvalidCode { kind: source });
        }
        Ok(MfaCode {
            value: digits,
            step,
            source,
        })
    }

    /// The digits, for the one place that sends them.
    pub fn expose(&self) -> &str {
        self.value.expose()
    }
}

impl fmt::Debug for MfaCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MfaCode")
            .field("value", &"[redacted]")
            .field("step", &self.step)
            .field("source", &self.source)
            .finish()
    }
}

/// Whether `text` is an MFA code: exactly 6 or 8 ASCII digits.
pub fn is_code(text: &str) -> bool {
    matches!(text.len(), 6 | 8) && text.bytes().all(|b| b.is_ascii_digit())
}

/// Why a source gave no code. Structured (facts only) so the cli layer can say what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// This source has nothing for the request (no key plugged in, no secret stored, no
    /// `mfa_process` set, no terminal): `auto` moves on to the next source.
    #[error("{kind} is not available: {reason}")]
    Unavailable { kind: SourceKind, reason: String },
    /// No usable YubiKey here (pcscd down, no reader, no card, no OATH application, not this
    /// account): like [`SourceError::Unavailable`], `auto` moves on; when the YubiKey was the
    /// only source, its own error is what the user needs (start pcscd rather than plug a key).
    #[error("YubiKey is not available: {0}")]
    KeyAbsent(Box<yubikey::YubikeyError>),
    /// The source gave something that is not 6 or 8 digits.
    #[error("the {kind} gave something that is not a 6 or 8 digit code")]
    InvalidCode { kind: SourceKind },
    /// The user pressed Ctrl-C or closed the prompt.
    #[error("interrupted")]
    Interrupted,
    /// A YubiKey was found and failed (touch timeout, wrong password, card removed…).
    #[error(transparent)]
    Yubikey(#[from] yubikey::YubikeyError),
    /// The software secret exists but cannot be used (exposed file, unreadable keyring…).
    #[error(transparent)]
    Totp(#[from] totp::StoreError),
    /// `mfa_process` could not be run, or did not print a code.
    #[error(transparent)]
    Process(#[from] process::ProcessError),
    /// The prompt could not read a code.
    #[error(transparent)]
    Prompt(#[from] prompt::PromptError),
}

/// A place a code can come from.
pub trait CodeSource {
    /// Which kind of source this is.
    fn kind(&self) -> SourceKind;

    /// A code for `request`. Notices (touch, prompts) go to `terminal`.
    fn code(
        &mut self,
        request: &CodeRequest<'_>,
        terminal: &mut dyn Terminal,
    ) -> Result<MfaCode, SourceError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_six_or_eight_digits_are_codes() {
        for good in ["123456", "00000000"] {
            assert!(is_code(good), "{good}");
        }
        for bad in [
            "",
            "12345",
            "1234567",
            "123456789",
            "12345a",
            " 123456",
            "１２３４５６",
        ] {
            assert!(!is_code(bad), "{bad}");
        }
        let err = MfaCode::new("12 456".to_owned().into(), None, SourceKind::Prompt).unwrap_err();
        assert!(matches!(
            err,
            SourceError::InvalidCode {
                kind: SourceKind::Prompt
            }
        ));
    }

    #[test]
    fn debug_hides_the_code() {
        let code = MfaCode::new("123456".to_owned().into(), Some(7), SourceKind::Totp).unwrap();
        assert!(!format!("{code:?}").contains("123456"));
        assert_eq!(code.expose(), "123456");
    }
}
