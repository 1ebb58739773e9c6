//! Which OATH account a code is for: a typed query (`mfa code QUERY`) or what a profile says
//! (`mfa_oath_account`, the `mfa_serial` ARN). Pure functions over the listed accounts, so the
//! rules are tested without a card.

use crate::oath::{Credential, CredentialId, OathType};

/// The issuer `mfa register` and the AWS console use for the accounts they create.
pub const AWS_ISSUER: &str = "Amazon Web Services";

/// How the account is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountSelector<'a> {
    /// A typed query: the exact id (`60/Issuer:name`), `issuer:name` or name; else a unique
    /// case-insensitive part of the id. A query may name an HOTP account (that is an explicit
    /// choice, and calculating it advances the key's counter).
    Query(&'a str),
    /// What a profile says: `mfa_oath_account` exactly; else the TOTP account whose name ends
    /// with the `user@account` of the `mfa_serial` ARN; else the only TOTP account. HOTP
    /// accounts are never chosen this way.
    Profile {
        /// The profile's `mfa_oath_account`.
        oath_account: Option<&'a str>,
        /// The profile's `mfa_serial`.
        mfa_serial: Option<&'a str>,
        /// With several TOTP accounts and nothing to choose by, ask on the terminal (when
        /// interactive) instead of failing.
        ask: bool,
    },
}

impl AccountSelector<'_> {
    /// The id to try with one CALCULATE before listing anything, so that a code for a known
    /// account costs SELECT + CALCULATE: the query itself, the configured account, or the
    /// name `mfa register` gives (`Amazon Web Services:user@account`).
    pub fn direct_guess(&self) -> Option<CredentialId> {
        let text = match *self {
            AccountSelector::Query(query) => query.to_owned(),
            AccountSelector::Profile {
                oath_account: Some(account),
                ..
            } => account.to_owned(),
            AccountSelector::Profile {
                mfa_serial: Some(serial),
                ..
            } => format!("{AWS_ISSUER}:{}", mfa_serial_suffix(serial)?),
            AccountSelector::Profile { .. } => return None,
        };
        let usable = !text.is_empty()
            && text.len() <= crate::oath::credential::MAX_ID_LENGTH
            && !super::seal::is_reserved_text(&text);
        usable.then(|| CredentialId::from_raw(text.as_bytes(), OathType::Totp))
    }
}

/// The outcome of [`choose`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// This account.
    Chosen(Credential),
    /// Several accounts fit and the selector allows asking: let the user pick one.
    Ask(Vec<Credential>),
}

/// Why no account could be chosen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AccountError {
    /// The query matches no account.
    #[error("no account on the YubiKey matches `{query}`")]
    NotFound {
        /// What was typed.
        query: String,
        /// Every account on the key (ids).
        accounts: Vec<String>,
    },
    /// The query (or the `mfa_serial`'s `user@account`) matches several accounts.
    #[error("`{query}` matches several accounts on the YubiKey")]
    Ambiguous {
        /// What was looked for.
        query: String,
        /// The ids that match.
        matches: Vec<String>,
    },
    /// The profile's `mfa_oath_account` is not on the key.
    #[error("the account `{account}` (mfa_oath_account) is not on the YubiKey")]
    ConfiguredNotFound {
        /// The configured id.
        account: String,
        /// Every account on the key (ids).
        accounts: Vec<String>,
    },
    /// The key holds no TOTP account.
    #[error("the YubiKey holds no TOTP account")]
    NoTotpAccount {
        /// The accounts it does hold (HOTP), if any.
        accounts: Vec<String>,
    },
    /// Several TOTP accounts, and nothing says which one.
    #[error("the YubiKey holds several TOTP accounts and nothing says which one to use")]
    Unchosen {
        /// The TOTP accounts.
        accounts: Vec<String>,
    },
}

/// The `user@account` of an IAM MFA device ARN (`arn:aws:iam::123456789012:mfa/alice` →
/// `alice@123456789012`; a path before the name is dropped). `None` for anything else, such as
/// a hardware token's serial.
pub fn mfa_serial_suffix(mfa_serial: &str) -> Option<String> {
    let mut parts = mfa_serial.splitn(6, ':');
    let (Some("arn"), Some(_partition), Some("iam"), Some(_region), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let user = resource.strip_prefix("mfa/")?.rsplit('/').next()?;
    let valid = !account.is_empty() && account.bytes().all(|b| b.is_ascii_digit());
    (valid && !user.is_empty()).then(|| format!("{user}@{account}"))
}

/// `issuer:name` (or the name), without the `period/` prefix: how people write an account.
pub fn display_name(id: &CredentialId) -> String {
    match id.issuer() {
        Some(issuer) => format!("{issuer}:{}", id.name()),
        None => id.name().to_owned(),
    }
}

fn ids(accounts: &[&Credential]) -> Vec<String> {
    accounts.iter().map(|c| c.id.to_string()).collect()
}

fn only(matches: Vec<&Credential>) -> Option<Credential> {
    match matches.as_slice() {
        [one] => Some((*one).clone()),
        _ => None,
    }
}

/// Chooses among the listed `accounts` as `selector` says.
pub fn choose(
    selector: &AccountSelector<'_>,
    accounts: &[Credential],
) -> Result<Choice, AccountError> {
    // The sealing credential is never a code account (docs/long-term-keys.md).
    let all: Vec<&Credential> = accounts
        .iter()
        .filter(|c| !super::seal::is_reserved(&c.id))
        .collect();
    match *selector {
        AccountSelector::Query(query) => by_query(query, &all).map(Choice::Chosen),
        AccountSelector::Profile {
            oath_account,
            mfa_serial,
            ask,
        } => by_profile(oath_account, mfa_serial, ask, &all),
    }
}

fn by_query(query: &str, all: &[&Credential]) -> Result<Credential, AccountError> {
    let id_match = |c: &&&Credential| c.id.as_bytes() == query.as_bytes();
    if let Some(found) = all.iter().find(id_match) {
        return Ok((*found).clone());
    }
    let exact: Vec<&Credential> = all
        .iter()
        .copied()
        .filter(|c| display_name(&c.id) == query || c.id.name() == query)
        .collect();
    let ambiguous = |matches: &[&Credential]| AccountError::Ambiguous {
        query: query.to_owned(),
        matches: ids(matches),
    };
    if exact.len() > 1 {
        return Err(ambiguous(&exact));
    }
    if let Some(found) = only(exact) {
        return Ok(found);
    }
    let lower = query.to_lowercase();
    let partial: Vec<&Credential> = all
        .iter()
        .copied()
        .filter(|c| c.id.to_string().to_lowercase().contains(&lower))
        .collect();
    match partial.len() {
        0 => Err(AccountError::NotFound {
            query: query.to_owned(),
            accounts: ids(all),
        }),
        1 => Ok(partial[0].clone()),
        _ => Err(ambiguous(&partial)),
    }
}

fn by_profile(
    oath_account: Option<&str>,
    mfa_serial: Option<&str>,
    ask: bool,
    all: &[&Credential],
) -> Result<Choice, AccountError> {
    if let Some(account) = oath_account {
        let exact = all
            .iter()
            .find(|c| c.id.as_bytes() == account.as_bytes())
            .or_else(|| {
                let by_display: Vec<&&Credential> = all
                    .iter()
                    .filter(|c| display_name(&c.id) == account)
                    .collect();
                match by_display.as_slice() {
                    [one] => Some(*one),
                    _ => None,
                }
            });
        return match exact {
            Some(found) => Ok(Choice::Chosen((*found).clone())),
            None => Err(AccountError::ConfiguredNotFound {
                account: account.to_owned(),
                accounts: ids(all),
            }),
        };
    }
    let totp: Vec<&Credential> = all
        .iter()
        .copied()
        .filter(|c| c.oath_type == OathType::Totp)
        .collect();
    if let Some(suffix) = mfa_serial.and_then(mfa_serial_suffix) {
        let lower = suffix.to_lowercase();
        let matches: Vec<&Credential> = totp
            .iter()
            .copied()
            .filter(|c| display_name(&c.id).to_lowercase().ends_with(&lower))
            .collect();
        if matches.len() > 1 {
            let aws: Vec<&Credential> = matches
                .iter()
                .copied()
                .filter(|c| c.id.issuer() == Some(AWS_ISSUER))
                .collect();
            return only(aws)
                .map(Choice::Chosen)
                .ok_or(AccountError::Ambiguous {
                    query: suffix,
                    matches: ids(&matches),
                });
        }
        if let Some(found) = only(matches) {
            return Ok(Choice::Chosen(found));
        }
    }
    match totp.len() {
        0 => Err(AccountError::NoTotpAccount { accounts: ids(all) }),
        1 => Ok(Choice::Chosen(totp[0].clone())),
        _ if ask => Ok(Choice::Ask(totp.into_iter().cloned().collect())),
        _ => Err(AccountError::Unchosen {
            accounts: ids(&totp),
        }),
    }
}

#[cfg(test)]
mod tests;
