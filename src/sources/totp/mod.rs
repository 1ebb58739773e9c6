//! Software TOTP: a seed kept on this machine computes the code, as an authenticator app would
//! (docs/software-totp.md, second in `auto`).
//!
//! - [`secret`]: what a user pastes (Base32 seed or `otpauth://totp/…` URI), parsed and checked;
//!   codes computed with `totp-rs`.
//! - [`store`]: [`TotpStore`], secrets by name in a 0600 file (default) or the OS keyring.
//! - [`file_store`]: the file backend.
//!
//! [`TotpSource`] looks the secret up by the request's `mfa_serial` (or a fixed name) and
//! computes the code for the request's moment; no secret stored → `Unavailable`, so `auto` moves
//! on.

pub(crate) mod encoding;
pub mod file_store;
pub mod secret;
pub mod store;

pub use file_store::FileStore;
pub use secret::{SecretError, TotpParams, TotpSecret};
pub use store::{Listed, StoreError, StoreKind, Stored, TotpStore};

use super::{CodeRequest, CodeSource, MfaCode, SourceError, SourceKind};
use crate::keystore::KeystoreError;
use crate::terminal::Terminal;

/// Codes from a stored software secret.
pub struct TotpSource {
    store: TotpStore,
    name: Option<String>,
}

impl TotpSource {
    /// Uses the secret stored under the request's `mfa_serial`.
    pub fn new(store: TotpStore) -> Self {
        TotpSource { store, name: None }
    }

    /// Uses the secret stored under `name`, whatever the request's `mfa_serial`.
    pub fn named(store: TotpStore, name: impl Into<String>) -> Self {
        TotpSource {
            store,
            name: Some(name.into()),
        }
    }
}

impl CodeSource for TotpSource {
    fn kind(&self) -> SourceKind {
        SourceKind::Totp
    }

    fn code(
        &mut self,
        request: &CodeRequest<'_>,
        terminal: &mut dyn Terminal,
    ) -> Result<MfaCode, SourceError> {
        let name = self.name.as_deref().unwrap_or(request.mfa_serial);
        let stored = match self.store.get(name) {
            Ok(Some(stored)) => stored,
            Ok(None) => {
                return Err(SourceError::Unavailable {
                    kind: SourceKind::Totp,
                    reason: format!("no software secret stored for {name}"),
                });
            }
            // A keyring that cannot be read (a container without keyutils) must not stop `auto`.
            Err(StoreError::Keyring(
                e @ (KeystoreError::AccessDenied { .. } | KeystoreError::Failed { .. }),
            )) => {
                return Err(SourceError::Unavailable {
                    kind: SourceKind::Totp,
                    reason: format!(
                        "no software secret file for {name}, and the OS keyring failed ({e})"
                    ),
                });
            }
            Err(e) => return Err(SourceError::Totp(e)),
        };
        let p = stored.secret.params();
        terminal.explain(
            2,
            &format!(
                "computing the code from the software secret for {name} ({}: {}, {} digits, {} s)",
                stored.store, p.algorithm, p.digits, p.period
            ),
        );
        MfaCode::new(
            stored.secret.code_at(request.unix_time),
            Some(stored.secret.step_at(request.unix_time)),
            SourceKind::Totp,
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::keystore::MemoryStore;
    use crate::terminal::ScriptedTerminal;

    const ARN: &str = "arn:aws:iam::123456789012:mfa/alice";

    fn store(dir: &std::path::Path) -> TotpStore {
        TotpStore::new(FileStore::new(dir), Box::new(MemoryStore::default()))
    }

    fn request(unix_time: u64) -> CodeRequest<'static> {
        CodeRequest {
            mfa_serial: ARN,
            oath_account: None,
            unix_time,
        }
    }

    #[test]
    fn computes_the_code_for_the_requested_moment() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let secret = TotpSecret::parse("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
        store.put(ARN, &secret, StoreKind::File, false).unwrap();
        let mut source = TotpSource::new(store);
        let mut terminal = ScriptedTerminal::headless();
        let code = source.code(&request(59), &mut terminal).unwrap();
        // RFC 6238's 94287082 at T=59, cut to 6 digits.
        assert_eq!(code.expose(), "287082");
        assert_eq!(code.step, Some(1));
        assert_eq!(code.source, SourceKind::Totp);
        assert_eq!(source.kind(), SourceKind::Totp);
        let (level, text) = &terminal.explanations[0];
        assert_eq!(*level, 2);
        assert!(text.contains(ARN) && text.contains("file") && !text.contains("287082"));
    }

    #[test]
    fn step_uses_the_secret_period() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let secret = TotpSecret::parse(
            "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&period=60&digits=8",
        )
        .unwrap();
        store
            .put("other", &secret, StoreKind::Keyring, false)
            .unwrap();
        let mut source = TotpSource::named(store, "other");
        let code = source
            .code(&request(1234567890), &mut ScriptedTerminal::headless())
            .unwrap();
        assert_eq!(code.step, Some(1234567890 / 60));
        assert_eq!(code.expose(), secret.code_at(1234567890).expose());
        assert_eq!(code.expose().len(), 8);
    }

    #[test]
    fn nothing_stored_is_unavailable() {
        let dir = tempfile::tempdir().unwrap();
        let mut source = TotpSource::new(store(dir.path()));
        let err = source
            .code(&request(0), &mut ScriptedTerminal::headless())
            .unwrap_err();
        let SourceError::Unavailable { kind, reason } = err else {
            panic!("{err:?}")
        };
        assert_eq!(kind, SourceKind::Totp);
        assert_eq!(reason, format!("no software secret stored for {ARN}"));
    }

    #[test]
    fn an_exposed_file_is_a_failure_not_a_fallback() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let secret = TotpSecret::parse("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
        store.put(ARN, &secret, StoreKind::File, false).unwrap();
        let path = store.file_store().path_of(ARN);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = TotpSource::new(store)
            .code(&request(0), &mut ScriptedTerminal::headless())
            .unwrap_err();
        let SourceError::Totp(error @ StoreError::Exposed { .. }) = err else {
            panic!("{err:?}")
        };
        // The `chmod 600` advice is the cli's (`cli::advice::sources`).
        let what = error.to_string();
        assert!(what.contains("mode 644"), "{what}");
    }
}
