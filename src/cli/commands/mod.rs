//! One handler per command, named after it: each `run` takes the [`crate::cli::Context`] and the
//! command's own arguments. The work itself sits in functions that take their dependencies
//! (output, transport, stores, clients) as arguments, so it runs in tests without a card or a
//! network.

pub mod accounts;
pub mod cache;
pub mod code;
pub mod completions;
pub mod credential_process;
pub mod deregister;
pub mod devices;
pub mod doctor;
pub mod eks_token;
pub mod env;
pub mod exec;
pub mod keys;
pub mod login;
pub mod register;
pub mod shell;
pub mod totp;
