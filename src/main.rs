//! The `mfa` binary: parse the command line, run the command, map the outcome to an exit code.

fn main() -> std::process::ExitCode {
    mfa::cli::main()
}
