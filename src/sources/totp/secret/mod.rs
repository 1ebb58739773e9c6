//! A software TOTP secret: the seed and its parameters, parsed from what a user pastes — a Base32
//! seed (spaces and lower case allowed) or an `otpauth://totp/…` URI — and rendered back as a
//! canonical `otpauth://` URI, which is how both stores keep it.
//!
//! Codes are computed with the `totp-rs` crate. Every intermediate that holds the seed (decoded
//! bytes, percent-decoded URI values, the rendered URI) is wiped on drop, and no error message
//! ever quotes the secret: errors name a position or a parameter, never a value of `secret=`.

use std::fmt;
use std::str::FromStr;

use zeroize::Zeroizing;

use super::encoding::{decode_base32, decode_text, encode, encode_base32};
use crate::oath::HashAlgorithm;
use crate::secret::{SecretBytes, SecretString};

/// The period of a secret whose URI gives none (and of every AWS virtual MFA device).
pub const DEFAULT_PERIOD: u64 = 30;
/// The longest period accepted, in seconds.
pub const MAX_PERIOD: u64 = 3600;
/// The shortest seed accepted: 80 bits, the shortest widely issued. Anything shorter is far more
/// likely a paste mistake (a code instead of the seed) than a real seed.
pub const MIN_SEED_BYTES: usize = 10;
/// The longest seed accepted (an HMAC key longer than this is not a TOTP seed anyone issues).
pub const MAX_SEED_BYTES: usize = 128;

/// How codes are computed from a seed, and what the seed is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpParams {
    pub algorithm: HashAlgorithm,
    /// 6 or 8: AWS takes 6 digit codes; 8 is accepted for other verifiers.
    pub digits: u8,
    /// Seconds per step.
    pub period: u64,
    /// The issuer of the URI (`Amazon Web Services`), when it had one.
    pub issuer: Option<String>,
    /// The account of the URI's label (`alice@123456789012`), when it had one.
    pub account: Option<String>,
}

impl Default for TotpParams {
    /// SHA1, 6 digits, 30 s: the parameters of a bare Base32 seed (and of AWS).
    fn default() -> Self {
        TotpParams {
            algorithm: HashAlgorithm::Sha1,
            digits: 6,
            period: DEFAULT_PERIOD,
            issuer: None,
            account: None,
        }
    }
}

/// Why a pasted secret was refused. Messages never contain the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    #[error("the secret is empty")]
    Empty,
    #[error("the secret is not Base32: character {position} is not a letter A-Z or a digit 2-7")]
    NotBase32 { position: usize },
    #[error("the secret has {chars} Base32 characters, a length no whole number of bytes encodes")]
    BadLength { chars: usize },
    #[error("the secret is too short: {bits} bits, at least {} are needed", MIN_SEED_BYTES * 8)]
    TooShort { bits: usize },
    #[error("the secret is too long: {bytes} bytes, at most {MAX_SEED_BYTES} are accepted")]
    TooLong { bytes: usize },
    #[error("this is an HOTP (counter-based) URI; AWS MFA needs a TOTP (time-based) secret")]
    Hotp,
    #[error("only otpauth:// URIs are accepted, not `{scheme}://`")]
    NotOtpauth { scheme: String },
    #[error("the otpauth URI is of type `{kind}`; only `totp` is supported")]
    UnknownType { kind: String },
    #[error("the otpauth URI has no `secret=` parameter")]
    MissingSecret,
    #[error("the otpauth URI gives `{name}` more than once")]
    Duplicate { name: String },
    #[error("unsupported algorithm `{value}`: SHA1, SHA256 and SHA512 are")]
    Algorithm { value: String },
    #[error("unsupported digits `{value}`: codes must have 6 (or 8) digits")]
    Digits { value: String },
    #[error("unsupported period `{value}`: a whole number of seconds from 1 to {MAX_PERIOD} is")]
    Period { value: String },
    #[error("the otpauth URI is malformed: {detail}")]
    Malformed { detail: String },
}

/// A seed with its parameters. `Debug` shows the parameters only.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret {
    seed: SecretBytes,
    params: TotpParams,
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TotpSecret")
            .field("seed", &"[redacted]")
            .field("params", &self.params)
            .finish()
    }
}

impl TotpSecret {
    /// A secret from raw seed bytes (as `CreateVirtualMFADevice` gives them, decoded) and its
    /// parameters, checked: seed length, 6 or 8 digits, a period from 1 to 3600 s.
    pub fn new(seed: SecretBytes, params: TotpParams) -> Result<Self, SecretError> {
        check_seed_length(seed.len())?;
        if !matches!(params.digits, 6 | 8) {
            return Err(SecretError::Digits {
                value: params.digits.to_string(),
            });
        }
        if !(1..=MAX_PERIOD).contains(&params.period) {
            return Err(SecretError::Period {
                value: params.period.to_string(),
            });
        }
        Ok(TotpSecret { seed, params })
    }

    /// Parses what a user pasted: an `otpauth://totp/…` URI, else a Base32 seed (whitespace,
    /// lower case and `=` padding allowed) with the default parameters.
    pub fn parse(input: &str) -> Result<Self, SecretError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(SecretError::Empty);
        }
        // Compared as bytes: pasted text may hold a multi-byte character across byte 8, where
        // slicing the `str` would panic (and a panic message quotes the string, the seed).
        const SCHEME: &[u8] = b"otpauth:";
        if let Some(after) = text
            .as_bytes()
            .get(..SCHEME.len())
            .filter(|prefix| prefix.eq_ignore_ascii_case(SCHEME))
            .and_then(|_| text.get(SCHEME.len()..))
        {
            return match after.strip_prefix("//") {
                Some(rest) => parse_uri(rest),
                None => Err(SecretError::Malformed {
                    detail: "it must start with otpauth://totp/".into(),
                }),
            };
        }
        if let Some((scheme, _)) = text.split_once("://")
            && !scheme.is_empty()
            && scheme.len() <= 16
            && scheme.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(SecretError::NotOtpauth {
                scheme: scheme.to_owned(),
            });
        }
        Self::new(decode_base32(text)?, TotpParams::default())
    }

    /// The parameters.
    pub fn params(&self) -> &TotpParams {
        &self.params
    }

    /// The seed, for the one place that must hand it on (`mfa register --software`).
    pub fn seed(&self) -> &SecretBytes {
        &self.seed
    }

    /// The step `unix_time` falls in: `unix_time / period`.
    pub fn step_at(&self, unix_time: u64) -> u64 {
        unix_time / self.params.period
    }

    /// The code for `unix_time`, computed by `totp-rs`.
    pub fn code_at(&self, unix_time: u64) -> SecretString {
        let algorithm = match self.params.algorithm {
            HashAlgorithm::Sha1 => totp_rs::Algorithm::SHA1,
            HashAlgorithm::Sha256 => totp_rs::Algorithm::SHA256,
            HashAlgorithm::Sha512 => totp_rs::Algorithm::SHA512,
        };
        // `to_vec` allocates exactly the length, so the boxed slice is that allocation; totp-rs
        // (feature `zeroize`) wipes it when `totp` drops. The parameters were checked in `new`,
        // which is what `build` would check (except its 128-bit seed minimum, see
        // MIN_SEED_BYTES).
        let totp = totp_rs::Builder::new()
            .with_algorithm(algorithm)
            .with_digits(self.params.digits)
            .with_skew(0)
            .with_step_duration(self.params.period)
            .with_secret(totp_rs::Secret::new(
                self.seed.expose().to_vec().into_boxed_slice(),
            ))
            .build_noncompliant();
        SecretString::new(totp.generate(unix_time).to_string())
    }

    /// The canonical URI: `otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=…&algorithm=…&digits=…
    /// &period=…`, every parameter spelled out.
    pub fn to_uri(&self) -> SecretString {
        let p = &self.params;
        let label = match (&p.issuer, &p.account) {
            (Some(issuer), Some(account)) => format!("{}:{}", encode(issuer), encode(account)),
            (Some(issuer), None) => format!("{}:", encode(issuer)),
            (None, Some(account)) => encode(account),
            (None, None) => String::new(),
        };
        let mut tail = String::new();
        if let Some(issuer) = &p.issuer {
            tail.push_str(&format!("&issuer={}", encode(issuer)));
        }
        tail.push_str(&format!(
            "&algorithm={}&digits={}&period={}",
            p.algorithm, p.digits, p.period
        ));
        let seed = encode_base32(self.seed.expose());
        let head = "otpauth://totp/";
        // One allocation of the final size: growing the string would leave copies of the seed.
        let mut uri = String::with_capacity(head.len() + label.len() + 8 + seed.len() + tail.len());
        uri.push_str(head);
        uri.push_str(&label);
        uri.push_str("?secret=");
        uri.push_str(&seed);
        uri.push_str(&tail);
        SecretString::new(uri)
    }
}

fn check_seed_length(bytes: usize) -> Result<(), SecretError> {
    if bytes < MIN_SEED_BYTES {
        return Err(SecretError::TooShort { bits: bytes * 8 });
    }
    if bytes > MAX_SEED_BYTES {
        return Err(SecretError::TooLong { bytes });
    }
    Ok(())
}

/// Parses the part of an otpauth URI after `otpauth://`.
fn parse_uri(rest: &str) -> Result<TotpSecret, SecretError> {
    let rest = rest.split('#').next().unwrap_or_default();
    let type_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let kind = &rest[..type_end];
    if kind.eq_ignore_ascii_case("hotp") {
        return Err(SecretError::Hotp);
    }
    if !kind.eq_ignore_ascii_case("totp") {
        return Err(SecretError::UnknownType {
            kind: shorten(kind),
        });
    }
    let after = &rest[type_end..];
    let (label, query) = match after.split_once('?') {
        Some((label, query)) => (label, query),
        None => (after, ""),
    };
    let label = decode_text(label.strip_prefix('/').unwrap_or(label), false)?;
    let (label_issuer, account) = match label.split_once(':') {
        Some((issuer, account)) => (non_empty(issuer), non_empty(account.trim_start())),
        None => (None, non_empty(&label)),
    };

    let mut params = TotpParams {
        issuer: label_issuer,
        account,
        ..TotpParams::default()
    };
    let mut seed = None;
    let mut seen: Vec<&'static str> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let Some(key) = ["secret", "algorithm", "digits", "period", "issuer"]
            .into_iter()
            .find(|k| k.eq_ignore_ascii_case(key))
        else {
            continue; // image=, counter=, lock=… say nothing about the code
        };
        if seen.contains(&key) {
            return Err(SecretError::Duplicate {
                name: key.to_owned(),
            });
        }
        seen.push(key);
        match key {
            "secret" => {
                let text = Zeroizing::new(decode_text(value, true)?);
                seed = Some(decode_base32(&text)?);
            }
            "algorithm" => {
                let value = decode_text(value, true)?;
                params.algorithm =
                    HashAlgorithm::from_str(&value).map_err(|_| SecretError::Algorithm {
                        value: shorten(&value),
                    })?;
            }
            "digits" => {
                let value = decode_text(value, true)?;
                params.digits = value
                    .parse()
                    .ok()
                    .filter(|d| matches!(d, 6 | 8))
                    .ok_or_else(|| SecretError::Digits {
                        value: shorten(&value),
                    })?;
            }
            "period" => {
                let value = decode_text(value, true)?;
                params.period = value
                    .parse()
                    .ok()
                    .filter(|p| (1..=MAX_PERIOD).contains(p))
                    .ok_or_else(|| SecretError::Period {
                        value: shorten(&value),
                    })?;
            }
            _ => params.issuer = non_empty(&decode_text(value, true)?),
        }
    }
    let seed = seed.ok_or(SecretError::MissingSecret)?;
    TotpSecret::new(seed, params)
}

fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

/// At most 32 characters of a (non-secret) value, for a message.
fn shorten(text: &str) -> String {
    let mut short: String = text.chars().take(32).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests;
