//! `mfa register --software --qr`: the new device's `otpauth://` URI as a QR code in the
//! terminal, for a phone authenticator as a backup (docs/registering.md).
//!
//! Only on request: the code holds the seed. It is drawn with Unicode half blocks, two module
//! rows per line, the light modules and the quiet zone as blocks — the colours of a terminal
//! with a dark background (as `qrencode -t UTF8` draws it). The text is wiped once written;
//! the encoder's own module buffer is not ours to wipe (it lives only while this runs).

use std::io::Write;

use qrcode::render::unicode::Dense1x2;
use qrcode::{EcLevel, QrCode};
use zeroize::Zeroizing;

use crate::cli::Failure;
use crate::cli::output::write_out;
use crate::secret::SecretString;
use crate::sources::totp::{TotpParams, TotpSecret};
use crate::sources::yubikey::AWS_ISSUER;

/// The seed with the label authenticator apps show: `Amazon Web Services:DEVICE@ACCOUNT`.
pub fn labelled(secret: &TotpSecret, device_name: &str, account: &str) -> Option<TotpSecret> {
    let params = TotpParams {
        issuer: Some(AWS_ISSUER.to_owned()),
        account: Some(format!("{device_name}@{account}")),
        ..secret.params().clone()
    };
    TotpSecret::new(secret.seed().clone(), params).ok()
}

/// The QR code of `uri`, as lines of text.
pub fn render(uri: &SecretString) -> Result<Zeroizing<String>, Failure> {
    let code =
        QrCode::with_error_correction_level(uri.expose().as_bytes(), EcLevel::M).map_err(|e| {
            Failure::runtime(
                format!("the QR code cannot be made: {e}"),
                "the registration is complete and the secret stored (`mfa totp list`); no \
                 phone backup was shown",
            )
        })?;
    let mut text = Zeroizing::new(
        code.render::<Dense1x2>()
            .dark_color(Dense1x2::Light)
            .light_color(Dense1x2::Dark)
            .quiet_zone(true)
            .build(),
    );
    text.push('\n');
    Ok(text)
}

/// Writes the QR code of `secret`'s URI to `out`.
pub fn show(secret: &TotpSecret, out: &mut dyn Write) -> Result<(), Failure> {
    let text = render(&secret.to_uri())?;
    write_out(out, text.as_bytes())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_label_is_the_aws_account_and_the_seed_unchanged() {
        let secret = TotpSecret::parse("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
        let labelled = labelled(&secret, "alice", "123456789012").unwrap();
        assert_eq!(
            labelled.to_uri().expose(),
            "otpauth://totp/Amazon%20Web%20Services:alice@123456789012?secret=\
             GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Amazon%20Web%20Services&algorithm=SHA1\
             &digits=6&period=30"
        );
        assert_eq!(labelled.code_at(59).expose(), secret.code_at(59).expose());
    }

    #[test]
    fn the_code_is_half_blocks_with_a_light_quiet_zone() {
        let text = render(&SecretString::new(
            "otpauth://totp/x?secret=GEZDGNBV".into(),
        ))
        .unwrap();
        let lines: Vec<&str> = text.lines().collect();
        // Version 2 (25 modules) + a 4-module quiet zone each side, two rows a line.
        assert!(
            lines
                .iter()
                .all(|l| l.chars().count() == lines[0].chars().count())
        );
        assert!(lines[0].chars().all(|c| c == '\u{2588}'), "{}", lines[0]);
        assert!(
            text.chars()
                .all(|c| matches!(c, ' ' | '\u{2580}' | '\u{2584}' | '\u{2588}' | '\n'))
        );
    }
}
