//! `mfa cache list [--json]` and `mfa cache clear`: the cached sessions (docs/commands.md,
//! docs/sessions.md).
//!
//! Both commands look at every place a session can be cached, whatever the profile's
//! `mfa_cache` says: a session stored by another profile (or before `mfa_cache` changed) is
//! still a session on this machine, and `clear` is what a user runs to be sure none is left.
//!
//! - the **file** cache: the directory of `MFA_CACHE_DIR`, else `$XDG_CACHE_HOME/mfa`, else
//!   `~/.cache/mfa`. A directory that does not exist yet holds nothing (it is not created).
//! - the **OS keyring**: its `mfa:session:*` entries (`mfa_cache = keyring`). A keyring that
//!   cannot be used (not supported here, or refused) is skipped; `-v` says why.
//!
//! `list` shows the profile, kind, role ARN, MFA serial and expiry of each session — never a
//! credential. Entries that are not trusted (corrupt, not ours, open to other users) are listed
//! on stderr with the reason at `-v`. `clear` removes the sessions — spent-code records and
//! lock files stay, so a code already spent is still not reused — and says how many it removed
//! on stderr.

use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;

use crate::aws::cache::{CacheDir, CacheError, Ignored, SessionCache, Summary, default_location};
use crate::aws::credentials::rfc3339;
use crate::cli::args::CacheCommand;
use crate::cli::context::unix_now;
use crate::cli::output::{self, json_text, write_out};
use crate::cli::{Context, Exit, Failure, advice};
use crate::keystore::{KeystoreError, SecretStore};

/// What the handlers need.
pub struct CacheIo<'a> {
    /// The file cache directory; `None` when there is no place for one (no `HOME`).
    pub dir: Option<PathBuf>,
    /// The keyring that may hold `session:*` entries.
    pub keyring: Option<Box<dyn SecretStore + Send + Sync>>,
    /// Now, Unix seconds.
    pub now: u64,
    /// The result (`list` only).
    pub out: &'a mut dyn Write,
    /// Counts, notes and `-v` explanations.
    pub err: &'a mut dyn Write,
    /// `-v` level.
    pub verbosity: u8,
    /// `--quiet`: no count after `clear`.
    pub quiet: bool,
}

/// `mfa cache …`, with the process's environment, clock, keyring, stdout and stderr.
pub fn run(ctx: &mut Context, command: &CacheCommand) -> Result<Exit, Failure> {
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    run_with(
        command,
        CacheIo {
            dir: default_location(ctx.env.lookup(), ctx.env.home()),
            keyring: Some(Box::new(ctx.keyring())),
            now: unix_now()?,
            out: &mut out,
            err: &mut err,
            verbosity: ctx.verbosity(),
            quiet: ctx.global.quiet,
        },
    )
}

/// Runs one `mfa cache` command.
pub fn run_with(command: &CacheCommand, io: CacheIo<'_>) -> Result<Exit, Failure> {
    match command {
        CacheCommand::List { output } => list(output.json, io),
        CacheCommand::Clear => clear(io),
    }
}

/// Where an entry is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Store {
    File,
    Keyring,
}

/// One session, as `mfa cache list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub profile: String,
    /// `session-token` or `role`.
    pub kind: String,
    pub role_arn: Option<String>,
    pub mfa_serial: Option<String>,
    /// RFC 3339, UTC.
    pub expiration: String,
    /// Seconds until expiry; 0 once expired.
    pub expires_in_secs: u64,
    pub expired: bool,
    /// Whether the next command would use it (more than 5 minutes left).
    pub fresh: bool,
    pub store: Store,
    /// The entry's opaque id (its file name without `.json`).
    pub id: String,
    /// Unix seconds.
    #[serde(skip)]
    pub expiration_unix: u64,
}

impl Row {
    fn new(summary: Summary, store: Store, now: u64) -> Row {
        Row {
            profile: summary.profile,
            kind: summary.kind.to_string(),
            role_arn: summary.role_arn,
            mfa_serial: summary.mfa_serial,
            expiration: rfc3339::format(summary.expiration),
            expires_in_secs: summary.expiration.saturating_sub(now),
            expired: summary.expiration <= now,
            fresh: summary.fresh,
            store,
            id: summary.id,
            expiration_unix: summary.expiration,
        }
    }
}

/// Every cache that exists, with where it is.
struct Caches {
    file: Option<(SessionCache, PathBuf)>,
    keyring: Option<SessionCache>,
}

/// Opens the caches that exist; never creates the directory.
fn caches(io: &mut CacheIo<'_>) -> Result<Caches, Failure> {
    let file = match io.dir.clone() {
        Some(path) if path.exists() => {
            let dir = CacheDir::open(&path).map_err(|e| advice::aws::cache(&e))?;
            if let Some(mode) = dir.repaired_from() {
                explain(
                    io,
                    &format!(
                        "the cache directory {} had mode {mode:04o}: made it 0700",
                        path.display()
                    ),
                );
            }
            Some((SessionCache::file(dir), path))
        }
        Some(path) => {
            explain(io, &format!("no cache directory at {} yet", path.display()));
            None
        }
        None => {
            explain(
                io,
                "no place for a cache directory (set MFA_CACHE_DIR, XDG_CACHE_HOME or HOME)",
            );
            None
        }
    };
    let keyring = io
        .keyring
        .take()
        .map(|store| SessionCache::keyring(store, None));
    Ok(Caches { file, keyring })
}

fn list(json: bool, mut io: CacheIo<'_>) -> Result<Exit, Failure> {
    let caches = caches(&mut io)?;
    let mut rows = Vec::new();
    let mut ignored: Vec<Ignored> = Vec::new();
    if let Some((cache, _)) = &caches.file {
        let listing = cache.list(io.now).map_err(|e| advice::aws::cache(&e))?;
        rows.extend(
            listing
                .entries
                .into_iter()
                .map(|s| Row::new(s, Store::File, io.now)),
        );
        ignored.extend(listing.ignored);
    }
    if let Some(cache) = &caches.keyring {
        match cache.list(io.now) {
            Ok(listing) => {
                rows.extend(
                    listing
                        .entries
                        .into_iter()
                        .map(|s| Row::new(s, Store::Keyring, io.now)),
                );
                ignored.extend(listing.ignored);
            }
            Err(error) => keyring_skipped(&mut io, &error, "listed"),
        }
    }
    rows.sort_by(|a, b| {
        (&a.profile, &a.kind, a.expiration_unix, &a.id).cmp(&(
            &b.profile,
            &b.kind,
            b.expiration_unix,
            &b.id,
        ))
    });
    for entry in &ignored {
        explain(&mut io, &entry.to_string());
    }
    let text = if json {
        json_text(&rows, "cached sessions")?
    } else if rows.is_empty() {
        String::new()
    } else {
        table(&rows, io.now)
    };
    write_out(io.out, text.as_bytes())?;
    if rows.is_empty() && !json && !io.quiet {
        let _ = writeln!(io.err, "No cached sessions.");
    }
    Ok(Exit::Success)
}

fn clear(mut io: CacheIo<'_>) -> Result<Exit, Failure> {
    let caches = caches(&mut io)?;
    let mut places = Vec::new();
    let mut total = 0;
    let mut failures = Vec::new();
    if let Some((cache, path)) = &caches.file {
        // Every entry that can go goes; the ones that cannot are reported after.
        let (removed, failed) = cache.clear_all().map_err(|e| advice::aws::cache(&e))?;
        total += removed;
        places.push(format!("{removed} from {}", path.display()));
        failures = failed;
    }
    if let Some(cache) = &caches.keyring {
        match cache.clear() {
            Ok(removed) => {
                total += removed;
                places.push(format!("{removed} from the OS keyring"));
            }
            Err(error) => keyring_skipped(&mut io, &error, "cleared"),
        }
    }
    if !io.quiet {
        let noun = if total == 1 { "session" } else { "sessions" };
        let detail = if places.is_empty() {
            String::new()
        } else {
            format!(" ({})", places.join(", "))
        };
        // A closed stderr leaves nothing better to do.
        let _ = writeln!(io.err, "Removed {total} cached {noun}{detail}.");
    }
    match failures.as_slice() {
        [] => Ok(Exit::Success),
        [first, rest @ ..] => {
            let more = match rest.len() {
                0 => String::new(),
                n => format!(" (and {n} more)"),
            };
            let failure = advice::aws::cache(first);
            Err(Failure::runtime(
                format!("{}{more}", failure.what()),
                "remove it by hand; the other entries were removed",
            ))
        }
    }
}

/// A keyring that cannot be used holds no session we can reach: say so at `-v` (on a platform
/// without one, say nothing).
fn keyring_skipped(io: &mut CacheIo<'_>, error: &CacheError, what: &str) {
    if !matches!(error, CacheError::Keyring(KeystoreError::Unsupported)) {
        explain(
            io,
            &format!("sessions in the OS keyring were not {what}: {error}"),
        );
    }
}

/// An explanation for `-v`, on stderr.
fn explain(io: &mut CacheIo<'_>, text: &str) {
    if io.verbosity >= 1 {
        let _ = writeln!(io.err, "mfa: {text}");
    }
}

/// "in 3h12m", "in 4m (too close to expiry to be used)", "expired".
pub fn expires_in(expiration: u64, fresh: bool, now: u64) -> String {
    if expiration <= now {
        return "expired".to_owned();
    }
    let left = expiration - now;
    let (hours, minutes, seconds) = (left / 3600, left % 3600 / 60, left % 60);
    let span = if hours > 0 {
        format!("in {hours}h{minutes:02}m")
    } else if minutes > 0 {
        format!("in {minutes}m")
    } else {
        format!("in {seconds}s")
    };
    if fresh {
        span
    } else {
        format!("{span} (too close to expiry to be used)")
    }
}

fn table(rows: &[Row], now: u64) -> String {
    let dash = || "-".to_owned();
    let mut table = vec![
        ["PROFILE", "KIND", "ROLE", "MFA SERIAL", "EXPIRES", "STORE"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for row in rows {
        table.push(vec![
            row.profile.clone(),
            row.kind.clone(),
            row.role_arn.clone().unwrap_or_else(dash),
            row.mfa_serial.clone().unwrap_or_else(dash),
            format!(
                "{} ({})",
                row.expiration,
                expires_in(row.expiration_unix, row.fresh, now)
            ),
            match row.store {
                Store::File => "file",
                Store::Keyring => "keyring",
            }
            .to_owned(),
        ]);
    }
    output::table(&table)
}

#[cfg(test)]
mod tests;
