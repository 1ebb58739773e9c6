//! What `mfa code`, `mfa accounts` and `mfa devices` share: the YubiKey source built from the
//! global options, the environment and the profile; the clock; plain tables.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::aws::chain::{self, ChainError};
use crate::aws::profile::{FileLocations, SharedFiles};
use crate::cli::Failure;
use crate::cli::advice;
use crate::cli::args::GlobalArgs;
use crate::secret::SecretString;
use crate::sources::yubikey::YubikeyOptions;
use crate::terminal::Terminal;
use crate::transport::DeviceQuery;

/// What a profile says about the MFA device.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileDevice {
    /// `mfa_serial`.
    pub mfa_serial: Option<String>,
    /// `mfa_oath_account`.
    pub oath_account: Option<String>,
    /// `mfa_yubikey_serial`, as written.
    pub yubikey_serial: Option<String>,
}

/// How strictly the profile is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileUse {
    /// The profile chooses the account (`mfa code` without QUERY): a profile named with
    /// -p/AWS_PROFILE must exist.
    Account,
    /// The profile may only choose the key (`mfa_yubikey_serial`): any problem is explained at
    /// `-v` and ignored.
    KeyOnly,
}

/// The MFA settings of profile `name`, with `mfa_*` keys inherited along `source_profile`.
///
/// Long-term credentials do not matter for a code, so a profile without them still counts; a
/// chain that does not resolve (a loop, a missing source profile) falls back to the profile's
/// own keys. The `default` profile may be missing.
pub fn profile_device(
    files: &SharedFiles,
    name: &str,
    usage: ProfileUse,
    terminal: &mut dyn Terminal,
) -> Result<ProfileDevice, Failure> {
    // `true`: resolve as if the environment held keys, so none are required.
    match chain::resolve(files, name, true) {
        Ok(resolved) => Ok(ProfileDevice {
            mfa_serial: resolved.mfa_serial,
            oath_account: resolved.mfa_oath_account,
            yubikey_serial: resolved.mfa_yubikey_serial,
        }),
        Err(error @ ChainError::UnknownProfile { .. })
            if usage == ProfileUse::Account && name != "default" =>
        {
            Err(advice::chain(&error))
        }
        Err(error @ ChainError::UnknownProfile { .. }) => {
            terminal.explain(1, &format!("{error}: going on without a profile"));
            Ok(ProfileDevice::default())
        }
        Err(error) => {
            terminal.explain(
                1,
                &format!("{error}: using the mfa_* settings of profile `{name}` alone"),
            );
            let own = files.profile(name);
            let get = |key: &str| own.as_ref().and_then(|p| p.get(key)).map(str::to_owned);
            Ok(ProfileDevice {
                mfa_serial: get("mfa_serial"),
                oath_account: get("mfa_oath_account"),
                yubikey_serial: get("mfa_yubikey_serial"),
            })
        }
    }
}

/// An environment variable of the process; an empty one counts as unset.
pub fn var(name: &str) -> Option<OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}

/// The home directory: `$HOME`, else the system's record of it.
pub fn home() -> Option<PathBuf> {
    var("HOME").map(PathBuf::from).or_else(std::env::home_dir)
}

/// Reads the AWS shared files where the AWS CLI would (`AWS_CONFIG_FILE`, …, `~/.aws`).
pub fn load_shared_files(terminal: &mut dyn Terminal) -> SharedFiles {
    let locations = FileLocations::from_env(var, &home().unwrap_or_default());
    match SharedFiles::load(locations) {
        Ok(files) => files,
        Err(error) => {
            terminal.explain(1, &format!("{error}: going on without profiles"));
            SharedFiles::from_text("", "")
        }
    }
}

/// The source's options: `--serial` (else the profile's `mfa_yubikey_serial`), `--reader`,
/// and `MFA_OATH_PASSWORD`.
pub fn options(
    global: &GlobalArgs,
    profile_name: &str,
    profile: &ProfileDevice,
) -> Result<YubikeyOptions, Failure> {
    let profile_serial = match &profile.yubikey_serial {
        None => None,
        Some(text) => Some(text.trim().parse::<u32>().map_err(|_| {
            Failure::usage(
                format!(
                    "mfa_yubikey_serial = {text:?} in profile `{profile_name}` is not a serial \
                     number"
                ),
                "set it to the serial printed on the key (see `mfa devices`)",
            )
        })?),
    };
    let password = std::env::var("MFA_OATH_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
        .map(SecretString::new);
    Ok(YubikeyOptions {
        device: DeviceQuery {
            serial: global.serial.or(profile_serial),
            reader: global.reader.clone(),
        },
        password,
        ..YubikeyOptions::default()
    })
}

/// `-v` level for the terminal (none with `--quiet`).
pub fn verbosity(global: &GlobalArgs) -> u8 {
    if global.quiet { 0 } else { global.verbose }
}

/// Now, in Unix seconds.
pub fn unix_now() -> Result<u64, Failure> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .map_err(|_| {
            Failure::runtime(
                "the system clock is set before 1970",
                "set the clock (TOTP codes depend on it), e.g. with `timedatectl set-ntp true`",
            )
        })
}

/// Rows as columns separated by two spaces, each as wide as its widest cell; the last column
/// is not padded.
pub fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|row| row.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 < row.len() {
                let pad = widths[c] - cell.chars().count();
                line.push_str(cell);
                line.push_str(&" ".repeat(pad + 2));
            } else {
                line.push_str(cell);
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::terminal::ScriptedTerminal;

    #[test]
    fn tables_align_columns() {
        let rows = vec![
            vec!["A".to_owned(), "BB".to_owned(), "C".to_owned()],
            vec!["long".to_owned(), "x".to_owned(), "y".to_owned()],
        ];
        assert_eq!(table(&rows), "A     BB  C\nlong  x   y\n");
    }

    #[test]
    fn profiles_give_the_device_settings_with_inheritance() {
        let files = SharedFiles::from_text(
            "[profile base]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n\
             mfa_yubikey_serial = 42\n\
             [profile role]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\n\
             mfa_oath_account = I:n\n",
            "",
        );
        let mut terminal = ScriptedTerminal::headless();
        let device = profile_device(&files, "role", ProfileUse::Account, &mut terminal).unwrap();
        assert_eq!(
            device.mfa_serial.as_deref(),
            Some("arn:aws:iam::123456789012:mfa/alice")
        );
        assert_eq!(device.oath_account.as_deref(), Some("I:n"));
        assert_eq!(device.yubikey_serial.as_deref(), Some("42"));

        let missing = profile_device(&files, "default", ProfileUse::Account, &mut terminal);
        assert_eq!(missing.unwrap(), ProfileDevice::default());
        let error = profile_device(&files, "nope", ProfileUse::Account, &mut terminal).unwrap_err();
        assert_eq!(error.exit().code(), 2);
        assert!(error.fix().contains("`base`, `role`"), "{}", error.fix());
        assert!(profile_device(&files, "nope", ProfileUse::KeyOnly, &mut terminal).is_ok());
    }
}
