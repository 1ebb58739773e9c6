//! The command line, defined once with clap: global options (docs/commands.md) and one variant per
//! command.
//!
//! Environment fallbacks (`AWS_PROFILE`, `MFA_SOURCE`, `MFA_READER`, `MFA_YUBIKEY_SERIAL`) are
//! declared here so `--help` shows them; the profile's own `mfa_source` is applied later, by the
//! command that reads the profile, because a flag or variable must win over it.

use std::ffi::OsString;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::sources::auto::SourceSetting;

/// AWS credentials that need MFA, from a YubiKey: one touch, then every tool just works.
#[derive(Debug, Parser)]
#[command(name = "mfa", version, propagate_version = true, max_term_width = 100)]
#[command(
    after_help = "Quick start: `mfa yubi kops get clusters` — touch the key, the command runs."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// AWS profile to use.
    #[arg(
        short,
        long,
        global = true,
        env = "AWS_PROFILE",
        default_value = "default",
        value_name = "NAME"
    )]
    pub profile: String,

    /// Where the MFA code comes from [default: the profile's `mfa_source`, else auto].
    #[arg(
        long,
        global = true,
        env = "MFA_SOURCE",
        value_enum,
        value_name = "SOURCE"
    )]
    pub source: Option<SourceSetting>,

    /// Use the PC/SC reader whose name contains SUBSTRING.
    #[arg(long, global = true, env = "MFA_READER", value_name = "SUBSTRING")]
    pub reader: Option<String>,

    /// Use the YubiKey with this serial number.
    #[arg(long, global = true, env = "MFA_YUBIKEY_SERIAL", value_name = "N")]
    pub serial: Option<u32>,

    /// Explain what happens on stderr (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Print nothing but results and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Neither read nor write the session cache.
    #[arg(long, global = true)]
    pub no_cache: bool,

    /// Print the APDUs exchanged with the key on stderr, secrets redacted (for bug reports).
    #[arg(long, global = true)]
    pub trace_apdu: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Touch-to-run: run CMD with credentials from a YubiKey code (`mfa yubi kops get clusters`).
    Yubi {
        /// The command to run, with its arguments.
        #[arg(
            required = true,
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "CMD"
        )]
        command: Vec<OsString>,
    },

    /// Run CMD (default: $SHELL) with temporary credentials in its environment; exit with its
    /// status.
    Exec(ExecArgs),

    /// Print the credentials as shell exports: `eval "$(mfa env)"`.
    Env {
        /// Output syntax.
        #[arg(long, value_enum, default_value_t = EnvFormat::Sh)]
        format: EnvFormat,
    },

    /// Print credentials for the AWS `credential_process` setting.
    CredentialProcess,

    /// Start $SHELL (else /bin/sh) with the credentials; exit with its status.
    Shell,

    /// Get (or reuse) the session and say until when; optionally store it as a credentials-file
    /// profile.
    Login {
        /// Write the session to the shared credentials file as profile NAME.
        #[arg(long, value_name = "NAME")]
        write_profile: Option<String>,
        /// Replace the section even when it is `default` or holds keys mfa did not write.
        #[arg(long, requires = "write_profile")]
        force: bool,
    },

    /// Print a Kubernetes ExecCredential with an EKS token, for kubectl.
    EksToken {
        /// EKS cluster name.
        #[arg(long, value_name = "NAME")]
        cluster: String,
        /// Assume this role for the token.
        #[arg(long, value_name = "ARN")]
        role: Option<String>,
    },

    /// Print the current code of an OATH account (or of the profile's source).
    Code {
        /// Account name, or a unique part of it.
        query: Option<String>,
    },

    /// List the OATH accounts on the YubiKey.
    Accounts {
        #[command(flatten)]
        output: JsonOutput,
        /// Remember the OATH password in the OS keyring.
        #[arg(long, conflicts_with = "forget_password")]
        remember_password: bool,
        /// Forget a remembered OATH password.
        #[arg(long)]
        forget_password: bool,
    },

    /// List PC/SC readers and YubiKeys.
    Devices {
        #[command(flatten)]
        output: JsonOutput,
    },

    /// Register a YubiKey (or a software secret, or a hardware token) as the IAM user's MFA device.
    Register(RegisterArgs),

    /// Deactivate and delete the IAM MFA device, and remove its OATH account from the key.
    Deregister {
        /// IAM user name [default: the caller].
        #[arg(long, value_name = "U")]
        user: Option<String>,
        /// Keep the OATH account (or software secret) instead of removing it.
        #[arg(long)]
        keep_account: bool,
    },

    /// Long-term keys out of plaintext: import, add, list, remove (docs/long-term-keys.md).
    #[command(subcommand)]
    Keys(KeysCommand),

    /// Manage software TOTP secrets.
    #[command(subcommand)]
    Totp(TotpCommand),

    /// Inspect or clear cached sessions.
    #[command(subcommand)]
    Cache(CacheCommand),

    /// Diagnose the setup: pcscd, readers, keys, profile chain, cache, clock skew.
    Doctor {
        #[command(flatten)]
        output: JsonOutput,
    },

    /// Print a shell completion script.
    Completions {
        /// Shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// `--json` for listing commands.
#[derive(Debug, Args)]
pub struct JsonOutput {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Session duration (seconds, or with a unit: 900s, 15m, 1h).
    #[arg(long, value_parser = crate::aws::duration::parse_duration, value_name = "D")]
    pub duration: Option<Duration>,

    /// Serve credentials on a local endpoint instead of static variables.
    #[arg(long)]
    pub server: bool,

    /// Run even inside another `mfa exec`.
    #[arg(long)]
    pub force: bool,

    /// The command to run, with its arguments [default: $SHELL, else /bin/sh].
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    pub command: Vec<OsString>,
}

#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// IAM user name [default: the caller].
    #[arg(long, value_name = "U")]
    pub user: Option<String>,
    /// Name of the virtual MFA device [default: the user name].
    #[arg(long, value_name = "N")]
    pub device_name: Option<String>,
    /// Require a touch for every code.
    #[arg(long)]
    pub touch: bool,
    /// Store the seed as a software TOTP secret instead of on a YubiKey.
    #[arg(long, conflicts_with = "hardware")]
    pub software: bool,
    /// With --software: also print the otpauth:// URI as a QR code, to scan into a phone app as
    /// a backup (it shows the seed: only on a screen nobody else sees).
    #[arg(long, requires = "software")]
    pub qr: bool,
    /// Register a physical TOTP token with this serial; the two codes are typed.
    #[arg(long, value_name = "SERIAL")]
    pub hardware: Option<String>,
    /// Set `mfa_serial` (and `mfa_oath_account`) on the profile in ~/.aws/config.
    #[arg(long)]
    pub write_config: bool,
    /// Overwrite an existing OATH account (or software secret) of the same name, and delete a
    /// virtual device of that name left unassigned by an earlier attempt.
    #[arg(long)]
    pub force: bool,
    /// Register another device for a user who already has one.
    #[arg(long)]
    pub add: bool,
}

#[derive(Debug, Subcommand)]
pub enum TotpCommand {
    /// Store a software TOTP secret (read from a prompt or stdin, never from arguments).
    ///
    /// The secret is a Base32 seed (spaces and lower case are fine) or an otpauth://totp/ URI.
    /// Piped stdin is read when there is one (`mfa totp add < seed.txt`), else it is asked for
    /// on the terminal without echo.
    Add {
        /// Name to store it under [default: the profile's `mfa_serial`].
        name: Option<String>,
        /// Where to keep it: `file` is a 0600 file under $XDG_DATA_HOME/mfa/totp (else
        /// ~/.local/share/mfa/totp) that survives reboots; `keyring` is the OS keyring, which
        /// on Linux is the kernel keyring and forgets the secret at reboot.
        #[arg(long, value_enum, default_value_t = TotpStoreArg::File, value_name = "STORE")]
        store: TotpStoreArg,
        /// Replace a secret already stored under NAME (the old seed is lost).
        #[arg(long)]
        force: bool,
    },
    /// List stored software secrets: names and parameters, never the secrets.
    List {
        #[command(flatten)]
        output: JsonOutput,
    },
    /// Remove a stored software secret.
    Remove {
        /// Name it was stored under.
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Move the profile's aws_access_key_id/aws_secret_access_key out of the credentials file
    /// into a store; every other byte of the file stays as it was.
    Import {
        /// Where to keep the keys.
        #[arg(long, value_enum, value_name = "STORE")]
        store: KeyStoreArg,
        /// With --store yubikey: a sealing credential created now needs a touch to unseal.
        #[arg(long)]
        touch: bool,
    },
    /// Store keys read from a prompt or piped stdin (the access key id, then the secret, one
    /// per line), never from arguments.
    Add {
        /// Where to keep the keys.
        #[arg(long, value_enum, value_name = "STORE")]
        store: KeyStoreArg,
        /// With --store yubikey: a sealing credential created now needs a touch to unseal.
        #[arg(long)]
        touch: bool,
    },
    /// Where each profile's long-term keys live; never a secret.
    List {
        #[command(flatten)]
        output: JsonOutput,
    },
    /// Delete the profile's stored keys (asks first).
    Remove {
        /// Do not ask.
        #[arg(long)]
        force: bool,
    },
}

/// Where `mfa keys` keeps long-term keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeyStoreArg {
    /// The desktop's Secret Service (never the kernel keyring, which forgets at reboot).
    Keyring,
    /// A file sealed by the YubiKey: useless without it.
    Yubikey,
}

/// Where `mfa totp add` keeps a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TotpStoreArg {
    /// A 0600 file under ~/.local/share/mfa/totp (survives reboots).
    File,
    /// The OS keyring (Linux: the kernel keyring, forgotten at reboot).
    Keyring,
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// List cached sessions (profile, kind, expiry; never a secret).
    List {
        #[command(flatten)]
        output: JsonOutput,
    },
    /// Delete cached sessions.
    Clear,
}

/// Output syntax of `mfa env`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EnvFormat {
    Sh,
    Fish,
    Powershell,
    Json,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn yubi_passes_child_flags_through() {
        let cli = Cli::try_parse_from(["mfa", "-p", "prod", "yubi", "kops", "get", "-o", "yaml"])
            .unwrap();
        assert_eq!(cli.global.profile, "prod");
        let Command::Yubi { command } = cli.command else {
            panic!("not yubi")
        };
        assert_eq!(command, ["kops", "get", "-o", "yaml"]);
    }

    #[test]
    fn exec_takes_the_command_after_double_dash() {
        let cli =
            Cli::try_parse_from(["mfa", "exec", "--duration", "1h", "--", "env", "-0"]).unwrap();
        let Command::Exec(exec) = cli.command else {
            panic!("not exec")
        };
        assert_eq!(exec.duration, Some(Duration::from_secs(3600)));
        assert_eq!(exec.command, ["env", "-0"]);
    }

    #[test]
    fn exec_without_a_command_is_allowed() {
        let cli = Cli::try_parse_from(["mfa", "exec"]).unwrap();
        let Command::Exec(exec) = cli.command else {
            panic!("not exec")
        };
        assert!(exec.command.is_empty());
    }
}
