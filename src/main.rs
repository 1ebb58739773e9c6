//! The `mfa` binary: parse the command line, run the command, map the outcome to an exit code.

#[global_allocator]
static ALLOCATOR: mfa::memory::WipingAllocator = mfa::memory::WipingAllocator;

fn main() -> std::process::ExitCode {
    mfa::cli::main()
}
