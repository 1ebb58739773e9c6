//! `vyubikey`: a virtual YubiKey inserted into a vpcd reader until the process is killed.
//!
//! ```text
//! vyubikey [--port 35963] [--touch approve|deny|delay:MS] [--serial N]
//!          [--firmware X.Y.Z] [--control PATH] [-v]
//! ```
//!
//! With `--control PATH` it listens on a Unix socket for one-line commands, one answer line
//! each: `reset` (factory reset, counters cleared), `touch approve|deny|delay:MS`, `stats`
//! (`{"apdu_count":N,"touch_count":N,"accounts":N,"password":false}`). It exits with status 1
//! when the link to vpcd ends (pcscd stopped).

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use mfa_vcard::{CardConfig, RunningCard, TouchMode};

const USAGE: &str = "usage: vyubikey [--port 35963] [--touch approve|deny|delay:MS] [--serial N] \
                     [--firmware X.Y.Z] [--control PATH] [-v]";

struct Args {
    port: u16,
    config: CardConfig,
    control: Option<PathBuf>,
    verbosity: u8,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        port: 35963,
        config: CardConfig::default(),
        control: None,
        verbosity: 0,
    };
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg, None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--port" => parsed.port = value()?.parse().map_err(|e| format!("--port: {e}"))?,
            "--touch" => parsed.config.touch = value()?.parse()?,
            "--serial" => {
                parsed.config.serial = value()?.parse().map_err(|e| format!("--serial: {e}"))?;
            }
            "--firmware" => parsed.config.version = parse_version(&value()?)?,
            "--control" => parsed.control = Some(PathBuf::from(value()?)),
            "-v" | "--verbose" => parsed.verbosity += 1,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    Ok(parsed)
}

fn parse_version(text: &str) -> Result<[u8; 3], String> {
    let parts: Vec<u8> = text
        .split('.')
        .map(str::parse)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("--firmware `{text}`: {e}"))?;
    parts
        .try_into()
        .map_err(|_| format!("--firmware `{text}`: expected X.Y.Z"))
}

/// Answers one control command.
fn command(card: &RunningCard, line: &str) -> String {
    let mut words = line.split_whitespace();
    match (words.next(), words.next(), words.next()) {
        (Some("reset"), None, _) => {
            card.reset();
            "ok".to_owned()
        }
        (Some("touch"), Some(mode), None) => match mode.parse::<TouchMode>() {
            Ok(mode) => {
                card.set_touch(mode);
                "ok".to_owned()
            }
            Err(e) => format!("error: {e}"),
        },
        (Some("stats"), None, _) => {
            let (accounts, password) = card.with_card(|c| (c.accounts().len(), c.has_password()));
            format!(
                "{{\"apdu_count\":{},\"touch_count\":{},\"accounts\":{accounts},\"password\":{password}}}",
                card.apdu_count(),
                card.touch_count()
            )
        }
        _ => format!("error: unknown command `{line}`: use reset, touch MODE or stats"),
    }
}

fn serve_client(card: &RunningCard, stream: UnixStream) -> std::io::Result<()> {
    let mut writer = stream.try_clone()?;
    for line in BufReader::new(stream).lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        writeln!(writer, "{}", command(card, line.trim()))?;
    }
    Ok(())
}

fn listen(card: Arc<RunningCard>, path: &PathBuf) -> std::io::Result<()> {
    // Replace a socket left by an earlier, killed run; refuse to delete anything else.
    if let Ok(meta) = std::fs::symlink_metadata(path)
        && meta.file_type().is_socket()
    {
        std::fs::remove_file(path)?;
    }
    let listener = UnixListener::bind(path)?;
    std::thread::Builder::new()
        .name("control".to_owned())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                let card = Arc::clone(&card);
                let _ = std::thread::Builder::new()
                    .name("control-client".to_owned())
                    .spawn(move || {
                        if let Err(e) = serve_client(&card, stream) {
                            log::warn!("control client: {e}");
                        }
                    });
            }
        })?;
    Ok(())
}

struct StderrLogger(log::LevelFilter);

impl log::Log for StderrLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= self.0
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            eprintln!("vyubikey: {}: {}", record.level(), record.args());
        }
    }

    fn flush(&self) {}
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let level = match args.verbosity {
        0 => log::LevelFilter::Warn,
        1 => log::LevelFilter::Info,
        _ => log::LevelFilter::Debug,
    };
    let logger: &'static StderrLogger = Box::leak(Box::new(StderrLogger(level)));
    if log::set_logger(logger).is_ok() {
        log::set_max_level(level);
    }

    let serial = args.config.serial;
    let card = match RunningCard::insert(args.port, args.config) {
        Ok(card) => Arc::new(card),
        Err(e) => {
            eprintln!(
                "vyubikey: cannot connect to vpcd on 127.0.0.1:{}: {e}\n\
                 Is pcscd running with the vsmartcard-vpcd driver?",
                args.port
            );
            return ExitCode::FAILURE;
        }
    };
    if let Some(path) = &args.control
        && let Err(e) = listen(Arc::clone(&card), path)
    {
        eprintln!(
            "vyubikey: cannot listen on {}: {e}\nChoose another --control path.",
            path.display()
        );
        return ExitCode::FAILURE;
    }
    eprintln!(
        "vyubikey: card with serial {serial} inserted into the vpcd reader on port {}",
        args.port
    );
    while card.is_connected() {
        std::thread::sleep(Duration::from_millis(200));
    }
    eprintln!("vyubikey: vpcd closed the link (pcscd stopped?)");
    ExitCode::FAILURE
}
