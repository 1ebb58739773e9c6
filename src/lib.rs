//! `mfa` — AWS MFA sessions from a YubiKey over PC/SC.
//!
//! The crate is layered; each layer knows only the one below it:
//!
//! | layer | module | concern |
//! |---|---|---|
//! | transport | [`transport`] | exchanging APDUs with a card (PC/SC, or a scripted test transport) |
//! | protocol | [`oath`] | the YKOATH application: APDUs, TLV, sessions, codes |
//! | code sources | [`sources`] | where an MFA code comes from: key, software secret, process, prompt |
//! | aws | [`aws`] | profiles, STS, IAM, the session cache |
//! | cli | [`cli`] | clap definitions, one handler per command, output formats |
//!
//! Secrets live in the zeroizing newtypes of [`secret`]; none of them implements `Display`, and
//! their `Debug` is redacted. The user's terminal is an input too ([`terminal`]): notices and
//! questions go to `/dev/tty` or stderr, never stdout.

pub mod aws;
pub mod children;
#[cfg(feature = "cli")]
pub mod cli;
pub mod desktop;
#[doc(hidden)]
pub mod fuzzing;
pub mod keystore;
// The crate's only unsafe code: the wiping allocator and mlock (docs/security.md#memory).
#[allow(unsafe_code)]
pub mod memory;
pub mod oath;
pub mod secret;
pub mod sources;
pub mod terminal;
pub mod transport;
