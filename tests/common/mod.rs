//! The one toolbox of the integration tests: the real `mfa` binary in a sandboxed environment,
//! the test bench — pcscd with the vpcd driver, the virtual YubiKey, the local STS and moto — and
//! the fixtures and assertions the tests share.
//!
//! | module | what it holds |
//! |---|---|
//! | [`fixtures`] | alice's ARNs, keys, account names, RFC seeds; the clock (`now`, `in_one_step`) |
//! | [`sandbox`] | [`Sandbox`]: `mfa` with a private HOME, with or without a terminal |
//! | [`output`] | stdout/stderr of a run, the two-line failure assertion |
//! | [`announce`] | helper processes that print where to reach them on their first stdout line |
//! | [`signals`] | Ctrl-C (SIGINT) for a running `mfa` |
//! | [`bench`] | pcscd/vpcd, [`insert_card`] and [`CardSlot`], moto |
//! | [`nitrokey`] | the virtual Nitrokey 3 (Nitrokey's secrets app), [`nitrokey::insert_nitrokey`] |
//! | [`ykman`] | Yubico's `ykman` against a bench reader |
//! | [`yubikey`] | `mfa code` compared with ykman inside one time step |
//! | [`aws`] | alice's `~/.aws` files and the STS double ([`aws::World`]) |
//! | [`desktop`] | a private session bus with gnome-keyring and a notification server |
//! | [`consumers`] | the programs that use the credentials: AWS CLI v2, botocore, bash, fish |
//! | [`cache`] | made-up cached sessions written through the library's `SessionCache` |
//! | [`snapshot`] | the environment of the snapshot tests (`tests/snapshots.rs`) |
//!
//! The bench is started by `scripts/test` (or `scripts/testbench up` while developing; see
//! docs/test-bench.md). A test that needs it and does not find it fails and says how to start it;
//! it never skips.
//!
//! The virtual card readers are shared by every test process, so [`insert_card`] takes a
//! machine-wide lock that it holds until the returned [`CardSlot`] is dropped.

#![allow(dead_code, unused_imports, clippy::unwrap_used)]

pub use mfa_vcard::{CardConfig, Fault, INS_PUT, RunningCard, TouchMode};

pub mod announce;
pub mod aws;
pub mod bench;
pub mod cache;
pub mod consumers;
pub mod desktop;
pub mod fixtures;
pub mod iam;
pub mod nitrokey;
pub mod output;
pub mod sandbox;
pub mod signals;
pub mod snapshot;
pub mod ykman;
pub mod yubikey;

pub use bench::{
    Bench, CardSlot, EmptyReaders, bench, hold_empty_readers, insert_card, moto_url, wait_for_card,
};
pub use sandbox::Sandbox;
