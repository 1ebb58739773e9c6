//! One handler per command. Each takes its dependencies (output, transport, clients) as
//! arguments so it runs in tests without a card or a network.

pub mod accounts;
pub mod cache;
pub mod code;
pub mod completions;
pub mod devices;
pub mod doctor;
pub mod exec;
pub mod session;
pub mod totp;
pub mod yubikey;
