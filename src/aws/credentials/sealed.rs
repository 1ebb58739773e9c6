//! Long-term keys sealed by a YubiKey (`mfa keys import --store yubikey`, docs/long-term-keys.md).
//!
//! The secret access key is encrypted with ChaCha20-Poly1305 (RFC 8439) under a key derived with
//! HKDF-SHA256 (RFC 5869) from an HMAC the key's OATH application computes over a random
//! challenge, with a credential whose key was generated at import and never leaves the card.
//! The file holds the challenge, the nonce, the ciphertext and, in clear, the profile and the
//! access key id (not a secret; the session cache is keyed by it, so a cached session needs no
//! unsealing). Profile and access key id are authenticated data: neither can be changed
//! without the file failing to open.
//!
//! The card is reached through [`SealingCard`], so this module knows no card, and its tests run
//! with a software HMAC. Files are JSON, 0600, in a 0700 directory, written atomically.

use std::ffi::OsStr;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hkdf::Hkdf;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::secret::{SecretBytes, SecretString};
use crate::transport::hex::parse_hex;

/// The format version written, and the only one read.
pub const VERSION: u32 = 1;
/// Length of the random challenge sent to the card.
pub const CHALLENGE_LENGTH: usize = 32;
/// HKDF's `info`: binds the derived key to this use and format.
const INFO: &[u8] = b"mfa sealed long-term keys v1";
/// The file name's extension.
const EXTENSION: &str = ".sealed";

/// What the card layer reports (in the binary, the YubiKey source's error).
pub type CardError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The card's part: the full HMAC of the sealing credential over a challenge.
pub trait SealingCard {
    /// The HMAC of the credential `account` over `challenge` (20 to 64 bytes).
    fn hmac(&mut self, account: &str, challenge: &[u8]) -> Result<SecretBytes, CardError>;
}

/// A sealed file's contents. Only `secret_access_key` is secret, and it is encrypted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedKeys {
    pub version: u32,
    /// The profile the keys belong to.
    pub profile: String,
    /// The access key id, in clear.
    pub access_key_id: String,
    /// The OATH credential on the card that computes the HMAC.
    pub account: String,
    /// Hex: the challenge sent to the card.
    pub challenge: String,
    /// Hex: ChaCha20-Poly1305 nonce (12 bytes).
    pub nonce: String,
    /// Hex: the encrypted secret access key with its 16-byte tag.
    pub ciphertext: String,
}

/// Why sealing or opening failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// The card could not compute the HMAC (missing credential, no card, touch timeout…).
    #[error("the YubiKey could not unseal the keys: {0}")]
    Card(#[source] CardError),
    /// The profile's keys are to be sealed (`mfa_keys = yubikey`) and there is no file.
    #[error("profile `{profile}` has no sealed keys in {}", path.display())]
    NotFound { profile: String, path: PathBuf },
    /// The file does not open with the card's HMAC: another YubiKey, a sealing credential
    /// replaced since, or a file altered on disk.
    #[error("the sealed keys of profile `{profile}` do not open with this YubiKey")]
    WrongKey { profile: String },
    /// The file is not a sealed-keys file of this version.
    #[error("{path} is not a sealed-keys file: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    /// Reading or writing the file failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The operating system gave no randomness.
    #[error("no randomness available: {0}")]
    Random(String),
}

/// Lowercase hex without separators.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn random<const N: usize>() -> Result<[u8; N], SealError> {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes).map_err(|e| SealError::Random(e.to_string()))?;
    Ok(bytes)
}

/// The AEAD key: HKDF-SHA256 with the challenge as salt and the card's HMAC as input key.
fn derive(hmac: &SecretBytes, challenge: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut okm = Zeroizing::new([0u8; 32]);
    let hkdf = Hkdf::<Sha256>::new(Some(challenge), hmac.expose());
    // 32 bytes is far below HKDF's 255 × 32 limit: this cannot fail.
    let _ = hkdf.expand(INFO, &mut okm[..]);
    okm
}

/// The authenticated data: what stays in clear must stay as it was.
fn aad(profile: &str, access_key_id: &str, account: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for part in [profile, access_key_id, account] {
        out.extend_from_slice(&(part.len() as u64).to_be_bytes());
        out.extend_from_slice(part.as_bytes());
    }
    out
}

/// Encrypts `secret` with the card's HMAC of `challenge` (and `nonce`): the pure part of
/// [`seal`], for tests with fixed values.
pub fn seal_with(
    hmac: &SecretBytes,
    challenge: [u8; CHALLENGE_LENGTH],
    nonce: [u8; 12],
    profile: &str,
    access_key_id: &str,
    account: &str,
    secret: &SecretString,
) -> SealedKeys {
    let key = derive(hmac, &challenge);
    let cipher = ChaCha20Poly1305::new(Key::from_slice(&key[..]));
    let aad = aad(profile, access_key_id, account);
    // Encryption into a fresh Vec fails only for inputs of gigabytes.
    let ciphertext = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: secret.expose().as_bytes(),
                aad: &aad,
            },
        )
        .unwrap_or_default();
    SealedKeys {
        version: VERSION,
        profile: profile.into(),
        access_key_id: access_key_id.into(),
        account: account.into(),
        challenge: hex(&challenge),
        nonce: hex(&nonce),
        ciphertext: hex(&ciphertext),
    }
}

/// Seals `secret` with a fresh random challenge and nonce: one HMAC from the card.
pub fn seal<C: SealingCard>(
    card: &mut C,
    profile: &str,
    access_key_id: &str,
    account: &str,
    secret: &SecretString,
) -> Result<(SealedKeys, SecretBytes), SealError> {
    let challenge = random::<CHALLENGE_LENGTH>()?;
    let nonce = random::<12>()?;
    let hmac = card.hmac(account, &challenge).map_err(SealError::Card)?;
    let sealed = seal_with(
        &hmac,
        challenge,
        nonce,
        profile,
        access_key_id,
        account,
        secret,
    );
    Ok((sealed, hmac))
}

impl SealedKeys {
    /// Decrypts with the card's HMAC of the stored challenge (already computed).
    pub fn open_with(&self, hmac: &SecretBytes) -> Result<SecretString, SealError> {
        let corrupt = |reason: String| SealError::Corrupt {
            path: PathBuf::from(&self.profile),
            reason,
        };
        let challenge = parse_hex(&self.challenge).map_err(corrupt)?;
        let nonce = parse_hex(&self.nonce).map_err(corrupt)?;
        let ciphertext = parse_hex(&self.ciphertext).map_err(corrupt)?;
        if nonce.len() != 12 || challenge.len() != CHALLENGE_LENGTH {
            return Err(corrupt("a challenge or nonce of the wrong length".into()));
        }
        let key = derive(hmac, &challenge);
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&key[..]));
        let aad = aad(&self.profile, &self.access_key_id, &self.account);
        let plain = Zeroizing::new(
            cipher
                .decrypt(
                    Nonce::from_slice(&nonce),
                    Payload {
                        msg: &ciphertext,
                        aad: &aad,
                    },
                )
                .map_err(|_| SealError::WrongKey {
                    profile: self.profile.clone(),
                })?,
        );
        let text = std::str::from_utf8(&plain).map_err(|_| SealError::WrongKey {
            profile: self.profile.clone(),
        })?;
        Ok(SecretString::new(text.to_owned()))
    }

    /// Asks the card for the HMAC of the stored challenge and decrypts.
    pub fn open<C: SealingCard>(&self, card: &mut C) -> Result<SecretString, SealError> {
        let challenge = parse_hex(&self.challenge).map_err(|reason| SealError::Corrupt {
            path: PathBuf::from(&self.profile),
            reason,
        })?;
        let hmac = card
            .hmac(&self.account, &challenge)
            .map_err(SealError::Card)?;
        self.open_with(&hmac)
    }
}

/// `$XDG_DATA_HOME/mfa/keys` when `xdg_data_home` is absolute, else `HOME/.local/share/mfa/keys`.
pub fn default_dir(xdg_data_home: Option<&OsStr>, home: &Path) -> PathBuf {
    let base = match xdg_data_home.map(Path::new) {
        Some(path) if path.is_absolute() => path.to_owned(),
        _ => home.join(".local").join("share"),
    };
    base.join("mfa").join("keys")
}

/// The file of `profile` in `dir`: the name with every byte outside `[A-Za-z0-9._-]`
/// percent-encoded (and a leading dot encoded too), so no name escapes the directory.
pub fn path_of(dir: &Path, profile: &str) -> PathBuf {
    let mut name = String::with_capacity(profile.len() + EXTENSION.len());
    for (index, b) in profile.bytes().enumerate() {
        let plain = b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || (b == b'.' && index > 0);
        if plain {
            name.push(char::from(b));
        } else {
            name.push_str(&format!("%{b:02X}"));
        }
    }
    name.push_str(EXTENSION);
    dir.join(name)
}

/// Reads the sealed file of `profile`; `None` when there is none.
pub fn read(dir: &Path, profile: &str) -> Result<Option<SealedKeys>, SealError> {
    let path = path_of(dir, profile);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(SealError::Io { path, source }),
    };
    let sealed: SealedKeys = serde_json::from_str(&text).map_err(|e| SealError::Corrupt {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    if sealed.version != VERSION || sealed.profile != profile {
        return Err(SealError::Corrupt {
            path,
            reason: format!(
                "version {} for profile `{}`",
                sealed.version, sealed.profile
            ),
        });
    }
    Ok(Some(sealed))
}

/// Writes `sealed` atomically as a 0600 file in `dir` (created 0700); returns its path.
pub fn write(dir: &Path, sealed: &SealedKeys) -> Result<PathBuf, SealError> {
    let path = path_of(dir, &sealed.profile);
    let io_error = |source| SealError::Io {
        path: path.clone(),
        source,
    };
    let mut text = serde_json::to_string_pretty(sealed)
        .map_err(|e| io_error(io::Error::other(e.to_string())))?;
    text.push('\n');
    crate::aws::write_profile::write_atomic(&path, text.as_bytes()).map_err(io_error)?;
    Ok(path)
}

/// Deletes the sealed file of `profile`; `false` when there was none.
pub fn remove(dir: &Path, profile: &str) -> Result<bool, SealError> {
    let path = path_of(dir, profile);
    match fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(SealError::Io { path, source }),
    }
}

/// Every profile with a sealed file in `dir` (file names that decode), sorted.
pub fn list(dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            decode(name.strip_suffix(EXTENSION)?)
        })
        .collect();
    names.sort();
    names
}

fn decode(encoded: &str) -> Option<String> {
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let pair = std::str::from_utf8(bytes.get(index + 1..index + 3)?).ok()?;
            out.push(u8::from_str_radix(pair, 16).ok()?);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use hmac::{Hmac, Mac};
    use std::os::unix::fs::PermissionsExt;

    /// A software stand-in for the card: HMAC-SHA256 with a fixed key, per account.
    struct SoftCard {
        key: Vec<u8>,
        calls: usize,
    }

    impl SealingCard for SoftCard {
        fn hmac(&mut self, account: &str, challenge: &[u8]) -> Result<SecretBytes, CardError> {
            self.calls += 1;
            if account != "mfa:sealed-keys" {
                return Err(format!("no account {account}").into());
            }
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).unwrap();
            mac.update(challenge);
            Ok(SecretBytes::new(mac.finalize().into_bytes().to_vec()))
        }
    }

    fn card(key: u8) -> SoftCard {
        SoftCard {
            key: vec![key; 32],
            calls: 0,
        }
    }

    const PINNED: &str = "2f61ba1a88fd8ecdc615f75dd32ad99b92";

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    #[test]
    fn sealed_keys_open_with_the_same_card_only() {
        let secret = SecretString::new(SECRET.into());
        let (sealed, _) = seal(
            &mut card(1),
            "work",
            "AKIAEXAMPLE",
            "mfa:sealed-keys",
            &secret,
        )
        .unwrap();
        assert!(!sealed.ciphertext.contains(&hex(SECRET.as_bytes())));
        let opened = sealed.open(&mut card(1)).unwrap();
        assert_eq!(opened.expose(), SECRET);
        let error = sealed.open(&mut card(2)).unwrap_err();
        assert!(matches!(error, SealError::WrongKey { .. }), "{error:?}");
        let missing = SealedKeys {
            account: "other".into(),
            ..sealed.clone()
        };
        assert!(matches!(
            missing.open(&mut card(1)).unwrap_err(),
            SealError::Card(_)
        ));
    }

    #[test]
    fn the_clear_fields_are_authenticated() {
        let secret = SecretString::new(SECRET.into());
        let (sealed, hmac) =
            seal(&mut card(1), "work", "AKIAONE", "mfa:sealed-keys", &secret).unwrap();
        for changed in [
            SealedKeys {
                access_key_id: "AKIATWO".into(),
                ..sealed.clone()
            },
            SealedKeys {
                profile: "play".into(),
                ..sealed.clone()
            },
        ] {
            let error = changed.open_with(&hmac).unwrap_err();
            assert!(matches!(error, SealError::WrongKey { .. }), "{error:?}");
        }
        let mut flipped = parse_hex(&sealed.ciphertext).unwrap();
        flipped[0] ^= 1;
        let flipped = SealedKeys {
            ciphertext: hex(&flipped),
            ..sealed
        };
        assert!(matches!(
            flipped.open_with(&hmac).unwrap_err(),
            SealError::WrongKey { .. }
        ));
    }

    #[test]
    fn hkdf_and_chacha20poly1305_give_a_fixed_answer_for_fixed_inputs() {
        // Pins the construction: a change of KDF, info, AAD or cipher breaks every file.
        let hmac = SecretBytes::new(vec![7u8; 32]);
        let sealed = seal_with(
            &hmac,
            [1u8; 32],
            [2u8; 12],
            "p",
            "AKIA",
            "mfa:sealed-keys",
            &SecretString::new("s".into()),
        );
        assert_eq!(sealed.ciphertext.len(), 2 * (1 + 16));
        let again = seal_with(
            &hmac,
            [1u8; 32],
            [2u8; 12],
            "p",
            "AKIA",
            "mfa:sealed-keys",
            &SecretString::new("s".into()),
        );
        assert_eq!(sealed, again);
        // RFC 5869 test case 1 checks our use of the hkdf crate.
        let ikm = [0x0bu8; 22];
        let salt: Vec<u8> = (0u8..=0x0c).collect();
        let info: Vec<u8> = (0xf0u8..=0xf9).collect();
        let mut okm = [0u8; 42];
        Hkdf::<Sha256>::new(Some(&salt), &ikm)
            .expand(&info, &mut okm)
            .unwrap();
        assert_eq!(
            hex(&okm),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
        );
        // And the exact ciphertext of the fixed inputs, so the format cannot drift (the same
        // bytes as Python's `cryptography` HKDF + ChaCha20Poly1305 give for these inputs).
        assert_eq!(sealed.ciphertext, PINNED);
    }

    #[test]
    fn files_are_0600_in_a_0700_directory_and_read_back() {
        let home = tempfile::tempdir().unwrap();
        let dir = default_dir(None, home.path());
        let secret = SecretString::new(SECRET.into());
        let (sealed, _) =
            seal(&mut card(3), "a/../b", "AKIAX", "mfa:sealed-keys", &secret).unwrap();
        let path = write(&dir, &sealed).unwrap();
        assert_eq!(path.parent().unwrap(), dir);
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(read(&dir, "a/../b").unwrap(), Some(sealed));
        assert_eq!(list(&dir), ["a/../b"]);
        let text = fs::read_to_string(&path).unwrap();
        assert!(!text.contains(SECRET));
        fs::write(&path, "{").unwrap();
        assert!(matches!(
            read(&dir, "a/../b").unwrap_err(),
            SealError::Corrupt { .. }
        ));
        assert!(remove(&dir, "a/../b").unwrap());
        assert!(!remove(&dir, "a/../b").unwrap());
        assert_eq!(read(&dir, "a/../b").unwrap(), None);
    }
}
