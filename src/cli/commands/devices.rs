//! `mfa devices [--json]`: every PC/SC reader, and for each one holding a card its kind
//! (YubiKey, Nitrokey, other YKOATH token), serial, firmware, OATH version and whether the OATH
//! application has a password. Nothing needs a touch or a password.
//!
//! The kind comes from what the card says, never from the reader's name: a YubiKey answers its
//! Management (or OTP) application with a firmware version; Nitrokey's secrets app puts a serial
//! number (tag `8F`) in its answer to SELECT, which a YubiKey never does (docs/nitrokey.md); any
//! other card with an OATH application is a YKOATH token.
//!
//! No reader at all is not an error: the list is empty (`[]` with `--json`), a note says so on
//! the terminal, and the exit status is 0. pcscd not running is an error (exit 1).

use std::io::Write;

use serde::Serialize;

use crate::cli::output::{self, json_text, write_out};
use crate::cli::sources;
use crate::cli::{Context, Exit, Failure, advice, interrupt};
use crate::oath::OathSession;
use crate::sources::yubikey::Connector;
use crate::terminal::Terminal;
use crate::transport::Version;

/// `mfa devices`, on the process's PC/SC service, terminal and stdout.
pub fn run(ctx: &mut Context, json: bool) -> Result<Exit, Failure> {
    interrupt::install();
    list(
        json,
        &mut sources::connector(ctx),
        &mut ctx.terminal,
        &mut std::io::stdout().lock(),
    )
}

/// What kind of token a card is, from what it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// The Management or OTP application answered (Yubico's own).
    Yubikey,
    /// The OATH application's SELECT answer carries a serial (Nitrokey's secrets app).
    Nitrokey,
    /// Some other card with a YKOATH application.
    Ykoath,
}

impl TokenKind {
    /// The kind from the card's answers: whether the Management/OTP application gave a firmware
    /// version, and the OATH application's SELECT (`None`: no OATH application).
    pub fn of(management: bool, select_serial: Option<Option<u32>>) -> Option<Self> {
        match (management, select_serial) {
            (true, _) => Some(Self::Yubikey),
            (false, Some(Some(_))) => Some(Self::Nitrokey),
            (false, Some(None)) => Some(Self::Ykoath),
            (false, None) => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Yubikey => "YubiKey",
            Self::Nitrokey => "Nitrokey",
            Self::Ykoath => "YKOATH",
        }
    }
}

/// One reader, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReaderRow {
    /// The reader's name (for a YubiKey over USB, the key itself).
    pub reader: String,
    /// Whether a card is in it.
    pub card: bool,
    /// What the card is; `None` for no card, or a card that is neither.
    pub kind: Option<TokenKind>,
    /// The key's serial, when it tells.
    pub serial: Option<u32>,
    /// The key's firmware, when known.
    pub firmware: Option<String>,
    /// The OATH application's version; `None` without one.
    pub oath_version: Option<String>,
    /// Whether the OATH application has a password.
    pub password: Option<bool>,
}

/// Lists the readers and keys.
pub fn list<C: Connector>(
    json: bool,
    connector: &mut C,
    terminal: &mut dyn Terminal,
    out: &mut dyn Write,
) -> Result<Exit, Failure> {
    let rows = rows(connector, terminal)?;
    if rows.is_empty() {
        terminal.notice("No smart card reader found: plug in your YubiKey.");
    }
    let text = if json {
        json_text(&rows, "devices")?
    } else if rows.is_empty() {
        String::new()
    } else {
        human(&rows)
    };
    write_out(out, text.as_bytes())?;
    Ok(Exit::Success)
}

/// Reads every reader and key.
pub fn rows<C: Connector>(
    connector: &mut C,
    terminal: &mut dyn Terminal,
) -> Result<Vec<ReaderRow>, Failure> {
    let scan = connector
        .scan()
        .map_err(|error| advice::transport::transport(&error))?;
    let mut rows = Vec::with_capacity(scan.readers.len());
    for reader in &scan.readers {
        let Some(device) = scan.devices.iter().find(|d| &d.reader == reader) else {
            rows.push(ReaderRow {
                reader: reader.clone(),
                card: false,
                kind: None,
                serial: None,
                firmware: None,
                oath_version: None,
                password: None,
            });
            continue;
        };
        let oath = connector.with_transaction(reader, |transport| {
            OathSession::select(transport)
                .map(|s| (s.version(), s.has_password(), s.select_serial()))
        });
        let (oath_version, password, select_serial) = match oath {
            Ok(Ok((version, password, serial))) => (Some(version), Some(password), Some(serial)),
            Ok(Err(error)) => {
                terminal.explain(1, &format!("no OATH application in `{reader}`: {error}"));
                (None, None, None)
            }
            Err(error) => {
                terminal.explain(1, &format!("cannot read the card in `{reader}`: {error}"));
                (None, None, None)
            }
        };
        rows.push(ReaderRow {
            reader: reader.clone(),
            card: true,
            kind: TokenKind::of(device.firmware.is_some(), select_serial),
            serial: device.serial,
            firmware: device.firmware.map(|v| v.to_string()),
            oath_version: oath_version.map(|v: Version| v.to_string()),
            password,
        });
    }
    Ok(rows)
}

fn human(rows: &[ReaderRow]) -> String {
    let dash = || "-".to_owned();
    let mut table = vec![
        ["READER", "KIND", "SERIAL", "FIRMWARE", "OATH", "PASSWORD"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for row in rows {
        if !row.card {
            table.push(vec![row.reader.clone(), "(no card)".to_owned()]);
            continue;
        }
        table.push(vec![
            row.reader.clone(),
            row.kind.map_or_else(dash, |k| k.name().to_owned()),
            row.serial.map_or_else(dash, |s| s.to_string()),
            row.firmware.clone().unwrap_or_else(dash),
            row.oath_version.clone().unwrap_or_else(dash),
            row.password
                .map_or_else(dash, |p| if p { "yes" } else { "no" }.to_owned()),
        ]);
    }
    output::table(&table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kind_comes_from_the_answers() {
        assert_eq!(TokenKind::of(true, Some(None)), Some(TokenKind::Yubikey));
        assert_eq!(TokenKind::of(true, None), Some(TokenKind::Yubikey));
        assert_eq!(
            TokenKind::of(false, Some(Some(1))),
            Some(TokenKind::Nitrokey)
        );
        assert_eq!(TokenKind::of(false, Some(None)), Some(TokenKind::Ykoath));
        assert_eq!(TokenKind::of(false, None), None);
    }
}
