//! Accounts ("credentials"): ids, what LIST and CALCULATE ALL tell about them, and the data
//! PUT stores.
//!
//! An id is `[period/][issuer:]name` as bytes on the key: the `period/` prefix appears only for
//! TOTP accounts whose period is not 30 s, and the whole id is at most 64 bytes. A
//! [`CredentialId`] keeps the exact bytes the key returned (they are what CALCULATE must send
//! back) beside their parsed parts.

use std::fmt;
use std::str::FromStr;

use super::OathError;
use super::code::Code;
use super::kind::{HashAlgorithm, OathType};
use crate::secret::SecretBytes;

/// The period of a TOTP account whose id has no `period/` prefix.
pub const DEFAULT_PERIOD: u32 = 30;
/// The longest id the key stores, in bytes.
pub const MAX_ID_LENGTH: usize = 64;

/// An account id: the bytes on the key, and their parts.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CredentialId {
    raw: Vec<u8>,
    issuer: Option<String>,
    name: String,
    period: u32,
}

impl CredentialId {
    /// The id of a new account: `[period/][issuer:]name`, the prefix only for TOTP with a
    /// period other than 30. Fails when the name is empty, the period is zero, or the id is
    /// longer than 64 bytes.
    pub fn new(
        oath_type: OathType,
        issuer: Option<&str>,
        name: &str,
        period: u32,
    ) -> Result<Self, OathError> {
        if name.is_empty() {
            return Err(OathError::invalid("the account name is empty"));
        }
        if oath_type == OathType::Totp && period == 0 {
            return Err(OathError::invalid("the period must be at least 1 second"));
        }
        let mut text = String::new();
        if oath_type == OathType::Totp && period != DEFAULT_PERIOD {
            text.push_str(&format!("{period}/"));
        }
        if let Some(issuer) = issuer.filter(|issuer| !issuer.is_empty()) {
            text.push_str(issuer);
            text.push(':');
        }
        text.push_str(name);
        if text.len() > MAX_ID_LENGTH {
            return Err(OathError::invalid(format!(
                "the account id `{text}` is {} bytes; the key allows {MAX_ID_LENGTH}",
                text.len()
            )));
        }
        Ok(Self::from_raw(text.as_bytes(), oath_type))
    }

    /// A TOTP id, see [`CredentialId::new`].
    pub fn totp(issuer: Option<&str>, name: &str, period: u32) -> Result<Self, OathError> {
        Self::new(OathType::Totp, issuer, name, period)
    }

    /// Parses an id as the key returned it. Never fails: bytes that are not UTF-8 are shown
    /// with replacement characters but kept exactly for CALCULATE.
    ///
    /// TOTP: `digits/` is the period when a name follows and the number is not zero; `issuer:`
    /// splits at the first colon when both sides are non-empty. HOTP: no period; splits at the
    /// first colon unless the id starts with one.
    pub fn from_raw(raw: &[u8], oath_type: OathType) -> Self {
        let text = String::from_utf8_lossy(raw);
        let (issuer, name, period) = match oath_type {
            OathType::Totp => {
                let (period, rest) = split_period(&text);
                let (issuer, name) = match rest.split_once(':') {
                    Some((issuer, name)) if !issuer.is_empty() && !name.is_empty() => {
                        (Some(issuer), name)
                    }
                    _ => (None, rest),
                };
                (issuer, name, period)
            }
            OathType::Hotp => match text.split_once(':') {
                Some((issuer, name)) if !issuer.is_empty() => (Some(issuer), name, 0),
                _ => (None, &*text, 0),
            },
        };
        Self {
            raw: raw.to_vec(),
            issuer: issuer.map(str::to_owned),
            name: name.to_owned(),
            period,
        }
    }

    /// The exact bytes of the id on the key.
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw
    }

    /// The issuer (`Amazon Web Services`), if the id has one.
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// The name (`alice@123456789012`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The TOTP period in seconds (30 unless the id says otherwise); 0 for an HOTP id.
    pub fn period(&self) -> u32 {
        self.period
    }
}

/// Splits a `digits/` prefix off a TOTP id when a non-empty rest follows and the period is a
/// non-zero `u32`.
fn split_period(text: &str) -> (u32, &str) {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0
        && let Some(rest) = text[digits..].strip_prefix('/')
        && !rest.is_empty()
        && let Ok(period) = text[..digits].parse::<u32>()
        && period > 0
    {
        return (period, rest);
    }
    (DEFAULT_PERIOD, text)
}

impl FromStr for CredentialId {
    type Err = std::convert::Infallible;

    /// Reads a typed id (`60/Issuer:name`) as a TOTP id.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Self::from_raw(text.as_bytes(), OathType::Totp))
    }
}

impl fmt::Display for CredentialId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.raw))
    }
}

impl fmt::Debug for CredentialId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CredentialId({:?})", String::from_utf8_lossy(&self.raw))
    }
}

/// An account on the key, with what the listing instructions told about it.
///
/// LIST gives the algorithm; CALCULATE ALL gives the digits and whether touch is required;
/// [`super::OathSession::accounts`] combines both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// The id.
    pub id: CredentialId,
    /// HOTP or TOTP.
    pub oath_type: OathType,
    /// The hash algorithm, when known (from LIST).
    pub algorithm: Option<HashAlgorithm>,
    /// The number of digits, when known (from CALCULATE ALL).
    pub digits: Option<u8>,
    /// Whether a calculation needs a touch, when known (from CALCULATE ALL).
    pub touch: Option<bool>,
}

impl Credential {
    /// The TOTP period in seconds, `None` for HOTP.
    pub fn period(&self) -> Option<u32> {
        (self.oath_type == OathType::Totp).then_some(self.id.period())
    }
}

/// One account of a CALCULATE ALL, and its code when the key calculated one (not for HOTP or
/// touch accounts: calculate those one by one when asked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calculated {
    /// The account.
    pub credential: Credential,
    /// Its code for the requested time, if calculated.
    pub code: Option<Code>,
}

/// A new account for PUT. The secret is the raw key (Base32-decoded), wiped on drop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialData {
    /// The name (`alice@123456789012`).
    pub name: String,
    /// The issuer (`Amazon Web Services`).
    pub issuer: Option<String>,
    /// HOTP or TOTP.
    pub oath_type: OathType,
    /// The HMAC hash.
    pub algorithm: HashAlgorithm,
    /// The shared secret.
    pub secret: SecretBytes,
    /// Code length: 6, 7 or 8.
    pub digits: u8,
    /// TOTP period in seconds.
    pub period: u32,
    /// HOTP initial counter (IMF); 0 sends none.
    pub counter: u32,
}

impl CredentialData {
    /// A TOTP account with the defaults AWS uses: SHA1, 6 digits, 30 s.
    pub fn totp(issuer: Option<&str>, name: &str, secret: SecretBytes) -> Self {
        Self {
            name: name.to_owned(),
            issuer: issuer.map(str::to_owned),
            oath_type: OathType::Totp,
            algorithm: HashAlgorithm::Sha1,
            secret,
            digits: 6,
            period: DEFAULT_PERIOD,
            counter: 0,
        }
    }

    /// The id PUT will store.
    pub fn id(&self) -> Result<CredentialId, OathError> {
        CredentialId::new(
            self.oath_type,
            self.issuer.as_deref(),
            &self.name,
            self.period,
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Issuer, name and period.
    type Parts<'a> = (Option<&'a str>, &'a str, u32);

    fn parts(id: &CredentialId) -> Parts<'_> {
        (id.issuer(), id.name(), id.period())
    }

    #[test]
    fn parses_totp_ids() {
        let cases: &[(&str, Parts<'_>)] = &[
            ("name", (None, "name", 30)),
            ("Issuer:name", (Some("Issuer"), "name", 30)),
            ("60/Issuer:name", (Some("Issuer"), "name", 60)),
            ("15/name", (None, "name", 15)),
            (
                "Amazon Web Services:alice@123456789012",
                (Some("Amazon Web Services"), "alice@123456789012", 30),
            ),
            ("a:b:c", (Some("a"), "b:c", 30)),
            (":name", (None, ":name", 30)),
            ("issuer:", (None, "issuer:", 30)),
            ("60/", (None, "60/", 30)),
            ("0/name", (None, "0/name", 30)),
            ("99999999999/name", (None, "99999999999/name", 30)),
            ("/name", (None, "/name", 30)),
            ("060/x", (None, "x", 60)),
            ("60/:x", (None, ":x", 60)),
            ("", (None, "", 30)),
        ];
        for (text, expected) in cases {
            let id = CredentialId::from_raw(text.as_bytes(), OathType::Totp);
            assert_eq!(parts(&id), *expected, "{text:?}");
            assert_eq!(id.as_bytes(), text.as_bytes());
            assert_eq!(id.to_string(), *text);
        }
    }

    #[test]
    fn parses_hotp_ids() {
        let cases: &[(&str, Parts<'_>)] = &[
            ("name", (None, "name", 0)),
            ("Issuer:name", (Some("Issuer"), "name", 0)),
            ("60/name", (None, "60/name", 0)),
            (":name", (None, ":name", 0)),
            ("issuer:", (Some("issuer"), "", 0)),
        ];
        for (text, expected) in cases {
            let id = CredentialId::from_raw(text.as_bytes(), OathType::Hotp);
            assert_eq!(parts(&id), *expected, "{text:?}");
        }
    }

    #[test]
    fn keeps_non_utf8_ids_exactly() {
        let raw = b"Issuer:caf\xE9";
        let id = CredentialId::from_raw(raw, OathType::Totp);
        assert_eq!(id.as_bytes(), raw);
        assert_eq!(id.name(), "caf\u{FFFD}");
    }

    #[test]
    fn formats_ids() {
        let id = CredentialId::totp(Some("Amazon Web Services"), "alice@123", 30).unwrap();
        assert_eq!(id.as_bytes(), b"Amazon Web Services:alice@123");
        let id = CredentialId::totp(Some("I"), "n", 60).unwrap();
        assert_eq!(id.as_bytes(), b"60/I:n");
        assert_eq!(id.period(), 60);
        let id = CredentialId::new(OathType::Hotp, None, "n", 60).unwrap();
        assert_eq!(id.as_bytes(), b"n", "HOTP ids have no period");
        let id = CredentialId::totp(Some(""), "n", 30).unwrap();
        assert_eq!(id.as_bytes(), b"n", "an empty issuer is no issuer");
    }

    #[test]
    fn formatting_round_trips_through_parsing() {
        for (issuer, name, period) in [
            (None, "a", 30),
            (Some("I"), "a@b", 60),
            (Some("x y"), "z", 15),
        ] {
            let id = CredentialId::totp(issuer, name, period).unwrap();
            let parsed: CredentialId = id.to_string().parse().unwrap();
            assert_eq!(parsed, id);
        }
    }

    #[test]
    fn rejects_ids_the_key_cannot_store() {
        let long = "n".repeat(61);
        assert!(
            CredentialId::totp(Some("abc"), &long, 30).is_err(),
            "65 bytes"
        );
        assert!(
            CredentialId::totp(Some("ab"), &long, 30).is_ok(),
            "64 bytes"
        );
        assert!(CredentialId::totp(None, "", 30).is_err());
        assert!(CredentialId::totp(None, "n", 0).is_err());
    }

    #[test]
    fn credential_data_debug_hides_the_secret() {
        let data = CredentialData::totp(None, "n", SecretBytes::new(b"hunter2hunter2".to_vec()));
        let debug = format!("{data:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("104, 117"),
            "{debug}"
        );
    }
}
