//! `mfa keys import|add|list|remove`: long-term keys out of plaintext (docs/long-term-keys.md).
//!
//! - `import -p P --store S`: the keys of `[P]` in the credentials file go into the store; the
//!   store is written, read back and compared first, and only then is the credentials file
//!   rewritten without the two lines (atomically, every other byte kept), and `mfa_keys = S`
//!   set on the profile in the config file.
//! - `add -p P --store S`: the same with keys read from piped stdin or a prompt.
//! - `list [--json]`: where each profile's long-term keys live; plaintext ones get a warning.
//! - `remove -p P [--force]`: deletes the stored keys (the sealing credential stays on the
//!   YubiKey: other profiles may be sealed with it).
//!
//! The keyring store goes through [`KeysKeyring`], one small interface, so the desktop Secret
//! Service can be wired in without touching this file's logic.

use std::cell::RefCell;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::aws::credentials::sealed::{self, CardError, SealError, SealedKeys, SealingCard};
use crate::aws::credentials::{CredentialsError, LongTermCredentials, Unsealer, mask_key_id};
use crate::aws::ini::IniDocument;
use crate::aws::write_profile::{self, config_section};
use crate::cli::args::{KeyStoreArg, KeysCommand};
use crate::cli::output::{json_text, write_out};
use crate::cli::sources::{self, ProfileUse};
use crate::cli::{Context, Exit, Failure, advice};
use crate::secret::{Bounded, SecretBytes, SecretString};
use crate::sources::yubikey::{
    Connector, PcscConnector, SEALING_ACCOUNT, SealingAccount, YubikeySource,
};
use crate::terminal::{SystemTerminal, Terminal};
use crate::transport::Device;

/// The config key naming the store (docs/configuration.md).
pub const MFA_KEYS: &str = "mfa_keys";
const ID_KEY: &str = "aws_access_key_id";
const SECRET_KEY: &str = "aws_secret_access_key";

/// The keyring half of the stores: the desktop's Secret Service only, never the kernel
/// keyring (it forgets at reboot, and would lose the only copy of the keys).
pub trait KeysKeyring {
    /// Whether a Secret Service answers.
    fn available(&self) -> bool;
    /// Stores the keys of `profile`.
    fn put(&self, profile: &str, access_key_id: &str, secret: &SecretString) -> Result<(), String>;
    /// The keys of `profile`, if stored.
    fn get(&self, profile: &str) -> Result<Option<(String, SecretString)>, String>;
    /// Deletes the keys of `profile`; whether there were any.
    fn delete(&self, profile: &str) -> Result<bool, String>;
}

/// The keyring as built today: no Secret Service client is linked yet, so no Secret Service
/// answers and `--store keyring` is refused with advice to seal the keys instead.
pub struct SecretServiceKeys;

impl KeysKeyring for SecretServiceKeys {
    fn available(&self) -> bool {
        false
    }
    fn put(&self, _: &str, _: &str, _: &SecretString) -> Result<(), String> {
        Err("no Secret Service".into())
    }
    fn get(&self, _: &str) -> Result<Option<(String, SecretString)>, String> {
        Ok(None)
    }
    fn delete(&self, _: &str) -> Result<bool, String> {
        Ok(false)
    }
}

/// The directory of sealed files: `$XDG_DATA_HOME/mfa/keys`, else `~/.local/share/mfa/keys`.
pub fn sealed_dir(ctx: &Context) -> Result<PathBuf, Failure> {
    let home = ctx.env.require_home()?;
    Ok(sealed::default_dir(
        ctx.env.var("XDG_DATA_HOME").as_deref(),
        home,
    ))
}

/// The card, for sealing and opening: the YubiKey source on one chosen device.
pub struct CardSeal<'a, C: Connector> {
    pub source: &'a mut YubikeySource<'static, C>,
    pub device: Device,
    pub terminal: &'a mut dyn Terminal,
}

impl<C: Connector> SealingCard for CardSeal<'_, C> {
    fn hmac(&mut self, account: &str, challenge: &[u8]) -> Result<SecretBytes, CardError> {
        self.source
            .sealing_hmac(&self.device, account, challenge, self.terminal)
            .map_err(|e| Box::new(e) as CardError)
    }
}

/// Opens sealed keys for the credential flow, with the YubiKey the profile names: the file is
/// read for the access key id alone (a cached session needs nothing more), and the card is
/// asked only by [`Unsealer::unseal`], when a session must be fetched.
pub struct CardUnsealer {
    /// `None` without a home directory: then no profile can have sealed keys.
    dir: Option<PathBuf>,
    source: RefCell<YubikeySource<'static, PcscConnector>>,
    verbosity: u8,
}

impl CardUnsealer {
    /// The unsealer for the profile's device settings. Nothing is read and nothing touches the
    /// card yet, and it never fails: a profile without sealed keys must not pay for it (a
    /// device setting that does not parse is left to the code source to report).
    pub fn new(ctx: &mut Context) -> Self {
        let dir = sealed_dir(ctx).ok();
        let options = sources::context_device(ctx, ProfileUse::KeyOnly)
            .and_then(|device| sources::yubikey_options(ctx, &device))
            .unwrap_or_default();
        CardUnsealer {
            dir,
            source: RefCell::new(sources::yubikey_source(ctx, options)),
            verbosity: ctx.verbosity(),
        }
    }
}

impl Unsealer for CardUnsealer {
    fn access_key_id(&self, profile: &str) -> Option<String> {
        sealed::read(self.dir.as_deref()?, profile)
            .ok()
            .flatten()
            .map(|s| s.access_key_id)
    }

    fn unseal(&self, profile: &str) -> Result<LongTermCredentials, CredentialsError> {
        let fail = |source| CredentialsError::Sealed {
            profile: profile.to_owned(),
            source,
        };
        let dir = self.dir.clone().unwrap_or_default();
        let file = sealed::read(&dir, profile).map_err(fail)?.ok_or_else(|| {
            fail(SealError::NotFound {
                profile: profile.to_owned(),
                path: sealed::path_of(&dir, profile),
            })
        })?;
        // Its own handle on /dev/tty: the flow holds the context's for the code source.
        let mut terminal = SystemTerminal::open(self.verbosity);
        let mut source = self.source.borrow_mut();
        let device = source
            .device(&mut terminal)
            .map_err(|e| fail(SealError::Card(Box::new(e))))?;
        let mut card = CardSeal {
            source: &mut source,
            device,
            terminal: &mut terminal,
        };
        let secret = file.open(&mut card).map_err(fail)?;
        Ok(LongTermCredentials {
            access_key_id: file.access_key_id,
            secret_access_key: secret,
            session_token: None,
            expiration: None,
        })
    }
}

/// `mfa keys …`.
pub fn run(ctx: &mut Context, command: KeysCommand) -> Result<Exit, Failure> {
    let profile = ctx.global.profile.clone();
    match command {
        KeysCommand::Import { store, touch } => {
            let (doc_path, doc) = credentials_doc(ctx)?;
            let id = doc.get(&profile, ID_KEY).map(str::to_owned);
            let secret = doc
                .get(&profile, SECRET_KEY)
                .map(|s| SecretString::new(s.to_owned()));
            let (Some(id), Some(secret)) = (id, secret) else {
                return Err(Failure::usage(
                    format!(
                        "profile `{profile}` has no aws_access_key_id and aws_secret_access_key \
                         in {}",
                        doc_path.display()
                    ),
                    "name the profile whose keys to move with -p, or store keys with \
                     `mfa keys add`",
                ));
            };
            if doc.get(&profile, "aws_session_token").is_some() {
                return Err(Failure::usage(
                    format!("profile `{profile}` holds temporary credentials (a session token)"),
                    "import long-term keys (AKIA…) only; temporary ones expire by themselves",
                ));
            }
            drop(doc);
            store_keys(ctx, &profile, store, touch, &id, &secret)?;
            remove_plaintext(&doc_path, &profile)?;
            say(
                ctx,
                &format!(
                    "moved the keys of profile `{profile}` out of {}",
                    doc_path.display()
                ),
            );
            say(
                ctx,
                &format!(
                    "tools that read the profile directly (the AWS CLI, terraform) no longer \
                     find them; give them sessions with:\n  credential_process = mfa \
                     credential-process --profile {profile}"
                ),
            );
            Ok(Exit::Success)
        }
        KeysCommand::Add { store, touch } => {
            let (doc_path, doc) = credentials_doc(ctx)?;
            if doc.get(&profile, SECRET_KEY).is_some() {
                return Err(Failure::usage(
                    format!(
                        "profile `{profile}` already has keys in {}, which would win",
                        doc_path.display()
                    ),
                    format!("move them with `mfa keys import -p {profile} --store …`"),
                ));
            }
            drop(doc);
            let (id, secret) = read_keys(ctx)?;
            store_keys(ctx, &profile, store, touch, &id, &secret)?;
            Ok(Exit::Success)
        }
        KeysCommand::List { output } => list(ctx, output.json),
        KeysCommand::Remove { force } => remove(ctx, &profile, force),
    }
}

/// The credentials file, parsed for editing.
fn credentials_doc(ctx: &Context) -> Result<(PathBuf, IniDocument), Failure> {
    let path = ctx.env.file_locations().credentials;
    write_profile::read(&path).map_err(|e| advice::aws::write_profile(&e))
}

/// Writes the keys to `store`, reads them back and compares; then sets `mfa_keys` on the
/// profile in the config file.
fn store_keys(
    ctx: &mut Context,
    profile: &str,
    store: KeyStoreArg,
    touch: bool,
    id: &str,
    secret: &SecretString,
) -> Result<(), Failure> {
    let value = match store {
        KeyStoreArg::Yubikey => {
            seal_keys(ctx, profile, touch, id, secret)?;
            "yubikey"
        }
        KeyStoreArg::Keyring => {
            keyring_keys(&SecretServiceKeys, profile, id, secret)?;
            "keyring"
        }
    };
    let config = ctx.env.file_locations().config;
    write_profile::set_config_keys(&config, &config_section(profile), &[(MFA_KEYS, value)])
        .map_err(|e| advice::aws::write_profile(&e))?;
    Ok(())
}

/// `--store keyring`: the Secret Service, read back and compared.
fn keyring_keys(
    keyring: &dyn KeysKeyring,
    profile: &str,
    id: &str,
    secret: &SecretString,
) -> Result<(), Failure> {
    if !keyring.available() {
        return Err(advice::keys::no_secret_service());
    }
    let failed = |e: String| {
        Failure::runtime(
            format!("cannot store the keys of `{profile}` in the Secret Service: {e}"),
            "unlock the desktop keyring and try again, or use `--store yubikey`",
        )
    };
    keyring.put(profile, id, secret).map_err(failed)?;
    match keyring.get(profile).map_err(failed)? {
        Some((read_id, read_secret)) if read_id == id && read_secret == *secret => Ok(()),
        _ => Err(failed(
            "the keys read back differ from those written".into(),
        )),
    }
}

/// `--store yubikey`: the sealing credential on the key (created when missing), the keys
/// sealed with one HMAC, the file written, read back, and opened with the same HMAC.
fn seal_keys(
    ctx: &mut Context,
    profile: &str,
    touch: bool,
    id: &str,
    secret: &SecretString,
) -> Result<(), Failure> {
    let dir = sealed_dir(ctx)?;
    if sealed::read(&dir, profile)
        .map_err(|e| advice::keys::sealed(&e))?
        .is_some()
    {
        return Err(Failure::usage(
            format!("profile `{profile}` already has sealed keys"),
            format!("remove them first with `mfa keys remove -p {profile}`"),
        ));
    }
    let device_settings = sources::context_device(ctx, ProfileUse::KeyOnly)?;
    let options = sources::yubikey_options(ctx, &device_settings)?;
    let mut source = sources::yubikey_source(ctx, options);
    let terminal = &mut ctx.terminal;
    let device = source
        .device(terminal)
        .map_err(|e| advice::sources::yubikey(&e))?;
    let created = source
        .ensure_sealing_account(&device, touch, terminal)
        .map_err(|e| advice::sources::yubikey(&e))?;
    if created == SealingAccount::Existing && touch {
        terminal.notice(&format!(
            "the sealing credential `{SEALING_ACCOUNT}` was already on the key: its touch \
             setting is kept"
        ));
    }
    let mut card = CardSeal {
        source: &mut source,
        device: device.clone(),
        terminal,
    };
    let (written, hmac) = match sealed::seal(&mut card, profile, id, SEALING_ACCOUNT, secret) {
        Ok(sealed) => sealed,
        Err(error) => {
            if created == SealingAccount::Created {
                // Nothing depends on a credential created just now: a token that gives no
                // full HMAC (or a touch that never came) does not keep a useless account.
                let id = crate::oath::CredentialId::from_raw(
                    SEALING_ACCOUNT.as_bytes(),
                    crate::oath::OathType::Totp,
                );
                let _ = source.delete_account(&device, &id, &mut ctx.terminal);
            }
            return Err(advice::keys::sealed(&error));
        }
    };
    sealed::write(&dir, &written).map_err(|e| advice::keys::sealed(&e))?;
    let read_back = sealed::read(&dir, profile).map_err(|e| advice::keys::sealed(&e))?;
    let opened = read_back
        .as_ref()
        .filter(|r| **r == written)
        .map(|r| r.open_with(&hmac))
        .transpose()
        .map_err(|e| advice::keys::sealed(&e))?;
    if opened.as_ref() != Some(secret) {
        return Err(Failure::runtime(
            format!("the sealed keys of `{profile}` read back differ from those written"),
            "nothing was removed from the credentials file; check the disk and try again",
        ));
    }
    ctx.terminal.explain(
        1,
        &format!("sealed the keys of `{profile}` in {}", dir.display()),
    );
    Ok(())
}

/// Rewrites the credentials file without the two keys of `[profile]`: atomically, every other
/// byte kept; a section left empty stays (harmless, and keeps the user's comments in place).
fn remove_plaintext(path: &Path, profile: &str) -> Result<(), Failure> {
    let (path, mut doc) = write_profile::read(path).map_err(|e| advice::aws::write_profile(&e))?;
    doc.remove_key(profile, ID_KEY);
    doc.remove_key(profile, SECRET_KEY);
    let text = Zeroizing::new(doc.render());
    write_profile::write_atomic(&path, text.as_bytes()).map_err(|source| {
        advice::aws::write_profile(&write_profile::WriteProfileError::Write {
            path: path.clone(),
            source,
        })
    })
}

/// The keys from piped stdin (two lines: id, secret) or the terminal (the secret hidden).
fn read_keys(ctx: &mut Context) -> Result<(String, SecretString), Failure> {
    let how = "pipe them (the access key id, then the secret, one per line) or run the \
               command in a terminal; never put them on the command line";
    let stdin = std::io::stdin();
    let (id, secret) = if !stdin.is_terminal() {
        // Into wiped storage that wipes what it leaves when it grows.
        let read = SecretBytes::read_bounded(&mut stdin.lock(), 128, 4096)
            .map_err(|e| Failure::runtime(format!("cannot read stdin: {e}"), how))?;
        let Bounded::Complete(bytes) = read else {
            return Err(Failure::usage(
                "stdin holds more than 4 KiB: not a key pair",
                how,
            ));
        };
        let text = std::str::from_utf8(bytes.expose())
            .map_err(|_| Failure::usage("the keys on stdin are not text", how))?;
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        match (lines.next(), lines.next()) {
            (Some(id), Some(secret)) => (id.to_owned(), SecretString::new(secret.to_owned())),
            _ => {
                return Err(Failure::usage(
                    "stdin holds no access key id and secret",
                    how,
                ));
            }
        }
    } else {
        let terminal = &mut ctx.terminal;
        let asked = |e: std::io::Error| Failure::runtime(format!("cannot ask: {e}"), how);
        let id = terminal.ask("AWS access key id: ").map_err(asked)?;
        let secret = terminal
            .ask_secret("AWS secret access key: ")
            .map_err(asked)?;
        match (id, secret) {
            (Some(id), Some(secret)) => (id.trim().to_owned(), secret),
            _ => return Err(Failure::usage("no keys given: no terminal to ask", how)),
        }
    };
    let plausible = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic());
    if !plausible(&id) || !plausible(secret.expose()) {
        return Err(Failure::usage(
            "the access key id or the secret is empty or holds spaces or control characters",
            how,
        ));
    }
    Ok((id, secret))
}

/// One row of `mfa keys list`.
#[derive(Debug, serde::Serialize)]
struct Row {
    profile: String,
    store: &'static str,
    access_key_id: Option<String>,
}

fn list(ctx: &mut Context, json: bool) -> Result<Exit, Failure> {
    let dir = sealed_dir(ctx)?;
    let sealed_profiles = sealed::list(&dir);
    let files = ctx.files.or_empty(&mut ctx.terminal);
    let mut names = files.profile_names();
    for name in &sealed_profiles {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    names.sort();
    let mut rows = Vec::new();
    for name in names {
        let profile = files.profile(&name);
        let get = |key: &str| profile.as_ref().and_then(|p| p.get(key)).map(str::to_owned);
        let (store, id) = if get(SECRET_KEY).is_some() {
            ("file", get(ID_KEY))
        } else if sealed_profiles.contains(&name) {
            let id = sealed::read(&dir, &name)
                .ok()
                .flatten()
                .map(|s: SealedKeys| s.access_key_id);
            ("yubikey", id)
        } else if get(MFA_KEYS).as_deref() == Some("keyring") {
            ("keyring", None)
        } else if get("credential_process").is_some() {
            ("credential_process", None)
        } else if get("credential_source").is_some_and(|v| v.eq_ignore_ascii_case("Environment")) {
            ("environment", None)
        } else {
            continue;
        };
        rows.push(Row {
            profile: name,
            store,
            access_key_id: id.map(|id| mask_key_id(&id)),
        });
    }
    let text = if json {
        json_text(&rows, "list")?
    } else {
        let mut text = String::new();
        if !rows.is_empty() {
            text.push_str(&format!(
                "{:<24} {:<20} ACCESS KEY ID\n",
                "PROFILE", "STORE"
            ));
        }
        for row in &rows {
            text.push_str(&format!(
                "{:<24} {:<20} {}\n",
                row.profile,
                row.store,
                row.access_key_id.as_deref().unwrap_or("-")
            ));
        }
        text
    };
    write_out(&mut std::io::stdout().lock(), text.as_bytes())?;
    for row in rows.iter().filter(|r| r.store == "file") {
        ctx.terminal.notice(&format!(
            "warning: profile `{}` keeps its long-term keys in plain text; move them with \
             `mfa keys import -p {} --store yubikey`",
            row.profile, row.profile
        ));
    }
    Ok(Exit::Success)
}

fn remove(ctx: &mut Context, profile: &str, force: bool) -> Result<Exit, Failure> {
    let dir = sealed_dir(ctx)?;
    let sealed_here = sealed::read(&dir, profile)
        .map(|s| s.is_some())
        .unwrap_or(true);
    let keyring = SecretServiceKeys;
    let in_keyring = keyring.available() && keyring.get(profile).ok().flatten().is_some();
    if !sealed_here && !in_keyring {
        return Err(Failure::usage(
            format!("profile `{profile}` has no stored keys"),
            "see `mfa keys list` for where each profile's keys live",
        ));
    }
    if !force {
        let question = format!(
            "Delete the stored keys of `{profile}`? Without a copy elsewhere they are gone. [y/N] "
        );
        let answer = ctx.terminal.ask(&question).ok().flatten();
        if !answer.is_some_and(|a| a.trim().eq_ignore_ascii_case("y")) {
            return Err(Failure::usage(
                "nothing removed",
                "answer y on a terminal, or pass --force in scripts",
            ));
        }
    }
    if sealed_here {
        sealed::remove(&dir, profile).map_err(|e| advice::keys::sealed(&e))?;
    }
    if in_keyring {
        keyring.delete(profile).map_err(|e| {
            Failure::runtime(
                format!("cannot delete the keys of `{profile}` from the Secret Service: {e}"),
                "unlock the desktop keyring and try again",
            )
        })?;
    }
    let config = ctx.env.file_locations().config;
    let (config, mut doc) =
        write_profile::read(&config).map_err(|e| advice::aws::write_profile(&e))?;
    if doc.remove_key(&config_section(profile), MFA_KEYS) {
        write_profile::write_atomic(&config, doc.render().as_bytes()).map_err(|source| {
            advice::aws::write_profile(&write_profile::WriteProfileError::Write {
                path: config.clone(),
                source,
            })
        })?;
    }
    say(
        ctx,
        &format!("removed the stored keys of profile `{profile}`"),
    );
    Ok(Exit::Success)
}

/// A line for humans on the terminal, unless `--quiet`.
fn say(ctx: &mut Context, text: &str) {
    if !ctx.global.quiet {
        ctx.terminal.notice(text);
    }
}
