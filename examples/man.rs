//! Writes the man pages, one per command (`mfa.1`, `mfa-exec.1`, …), from the clap definitions
//! into a folder: `cargo run --example man -- DIR`. `scripts/package` ships them in the Debian
//! package (docs/installing.md).

use std::path::PathBuf;

use clap::CommandFactory;

fn main() -> std::process::ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: cargo run --example man -- DIR");
        return std::process::ExitCode::from(2);
    };
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| clap_mangen::generate_to(mfa::cli::Cli::command(), &dir));
    match written {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cannot write the man pages to {}: {e}", dir.display());
            std::process::ExitCode::FAILURE
        }
    }
}
