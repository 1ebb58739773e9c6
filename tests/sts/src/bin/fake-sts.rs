//! `fake-sts --listen 127.0.0.1:PORT --config FILE.json`: the STS double as a process, for
//! scripts and non-Rust clients. Prints `listening on http://…` once bound, serves until killed.

use mfa_sts::{Config, StsDouble};
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

const USAGE: &str = "usage: fake-sts [--listen 127.0.0.1:PORT] [--config FILE.json]
  --listen ADDR   address to bind (default 127.0.0.1:0, a free port)
  --config FILE   users, roles and clock offset as JSON (default: no users)
Control: GET /__mfa/stats, GET /__mfa/calls, POST /__mfa/fault?kind=KIND[&times=N]
  (KIND: access_denied, throttling, server_error, slow:MS, drop, clear),
  POST /__mfa/clock?offset=SECS, GET /__mfa/secret?access_key_id=ID";

fn run(args: &[String]) -> Result<(), String> {
    let mut listen: SocketAddr = ([127, 0, 0, 1], 0).into();
    let mut config = Config::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{arg} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--listen" => {
                let text = value()?;
                listen = text
                    .parse()
                    .map_err(|e| format!("--listen {text}: {e} (expected IP:PORT)"))?;
            }
            "--config" => {
                let path = value()?;
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read config {path}: {e}"))?;
                config = Config::from_json(&text)
                    .map_err(|e| format!("config {path} is not valid: {e}"))?;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    let double = StsDouble::start_on(listen, config)
        .map_err(|e| format!("cannot start on {listen}: {e}"))?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "listening on {}", double.url())
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("cannot write to stdout: {e}"))?;
    loop {
        std::thread::park();
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("fake-sts: {message}");
            ExitCode::from(2)
        }
    }
}
