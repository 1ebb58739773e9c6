//! Long-term keys out of plaintext (`mfa keys`, docs/long-term-keys.md): sealing and opening
//! keys with the YubiKey, and the keyring store.

use super::sources;
use crate::aws::credentials::sealed::SealError;
use crate::cli::Failure;
use crate::oath::OathError;
use crate::sources::yubikey::{SEALING_ACCOUNT, YubikeyError};

/// What to do when sealed keys cannot be opened for good.
const LOST: &str = "plug in the YubiKey the keys were sealed with; if it is lost or was reset, \
                    deactivate the keys in IAM and create new ones (docs/long-term-keys.md)";

/// A sealed file that cannot be written, read or opened.
pub fn sealed(error: &SealError) -> Failure {
    match error {
        SealError::Card(card) => match card.downcast_ref::<YubikeyError>() {
            Some(YubikeyError::Oath(OathError::NoSuchAccount { .. })) => Failure::runtime(
                format!(
                    "this YubiKey has no sealing credential `{SEALING_ACCOUNT}`: the sealed \
                     keys cannot be opened with it"
                ),
                LOST,
            ),
            Some(yubikey) => sources::yubikey(yubikey),
            None => Failure::runtime(format!("the sealed keys cannot be opened: {card}"), LOST),
        },
        SealError::NotFound { profile, path } => Failure::usage(
            format!(
                "profile `{profile}` says its keys are sealed (mfa_keys = yubikey), but {} does \
                 not exist",
                path.display()
            ),
            format!(
                "store them with `mfa keys add -p {profile} --store yubikey`, or remove \
                 mfa_keys from the profile"
            ),
        ),
        SealError::WrongKey { profile } => Failure::runtime(
            format!(
                "the sealed keys of profile `{profile}` do not open with this YubiKey (another \
                 key, a sealing credential created anew, or a file changed on disk)"
            ),
            LOST,
        ),
        SealError::Corrupt { path, reason } => Failure::runtime(
            format!(
                "{} is not a usable sealed-keys file: {reason}",
                path.display()
            ),
            "restore it from a backup, or remove it with `mfa keys remove` and add the keys \
             again with `mfa keys add`",
        ),
        SealError::Io { path, source } => Failure::runtime(
            format!("cannot read or write {}: {source}", path.display()),
            "check the directory's permissions and free space",
        ),
        SealError::Random(reason) => Failure::runtime(
            format!("no randomness available to seal the keys: {reason}"),
            "check that the system's random source (getrandom) works, then try again",
        ),
    }
}

/// `--store keyring` where no desktop Secret Service answers.
pub fn no_secret_service() -> Failure {
    Failure::runtime(
        "no desktop Secret Service answers, and the kernel keyring would lose the keys at the \
         next reboot",
        "seal them with the YubiKey instead: `mfa keys import --store yubikey`",
    )
}
