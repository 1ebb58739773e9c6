//! Secrets out of memory (docs/security.md#memory), checked two ways on the real binary:
//!
//! - **When a block is freed.** The debug binary's allocator scans every block it frees, before
//!   wiping it, for byte strings given in `MFA_TEST_MEMORY_SCAN`, and reports each hit with the
//!   stack that freed it. A secret freed by our own code in a buffer nobody wiped is a hit whose
//!   first frame outside std is in `mfa`; copies the AWS SDK (or hyper, rustls, serde) makes and
//!   frees are counted apart — the release allocator wipes them, which this cannot tell apart
//!   from an unwiped buffer. The access key id, which is not a secret and lives in plain
//!   strings on purpose, is the control: it must be found, or the scanner is blind.
//! - **While a process runs.** `mfa exec --server` serves a child after obtaining its session;
//!   its memory (`/proc/PID/mem`, read as root) must hold neither the long-term secret key nor
//!   the session's secret key or token — and must hold the endpoint's token, which it needs,
//!   or the scan is blind.

#![allow(clippy::unwrap_used)]

mod common;

use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::{Duration, Instant};

use common::aws::{ACCESS_KEY, SECRET_KEY, World};
use common::fixtures::ARN;

const SCAN_VARIABLE: &str = "MFA_TEST_MEMORY_SCAN";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One block the scanner found holding a pattern.
#[derive(Debug)]
struct Hit {
    pattern: usize,
    /// The first frame that is not the allocator, std, core or alloc: who freed it.
    freed_by: String,
    /// The frames' symbols, innermost first.
    frames: Vec<String>,
}

impl Hit {
    /// Freed by `mfa`'s code — not by a library it called, and not the copy of the
    /// environment std makes for `execve` (std's, made just before the process is replaced).
    fn by_us(&self) -> bool {
        let ours = |f: &String| f.starts_with("mfa::") || f.starts_with("<mfa::");
        let std_exec = |f: &String| f.contains("std::sys::process::");
        let first_ours = self
            .frames
            .iter()
            .position(|f| ours(f) && !f.contains("mfa::memory"));
        ours(&self.freed_by) && !first_ours.is_some_and(|at| self.frames[..at].iter().any(std_exec))
    }
}

/// The hits in a scan report, and how many processes started scanning.
fn read_report(path: &Path) -> (Vec<Hit>, usize) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let starts = text.lines().filter(|l| l.starts_with("start pid=")).count();
    let mut hits = Vec::new();
    let mut current: Option<(usize, Option<String>)> = None;
    let mut frames = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("hit ") {
            let pattern = rest
                .split_whitespace()
                .find_map(|w| w.strip_prefix("pattern="))
                .unwrap()
                .parse()
                .unwrap();
            current = Some((pattern, None));
        } else if line == "end" {
            if let Some((pattern, freed_by)) = current.take() {
                hits.push(Hit {
                    pattern,
                    freed_by: freed_by.unwrap_or_else(|| "?".into()),
                    frames: std::mem::take(&mut frames),
                });
            }
        } else if let Some((_, freed_by)) = current.as_mut() {
            // Frames look like `  12: core::ptr::drop_in_place<…>`.
            let Some((number, symbol)) = line.trim_start().split_once(": ") else {
                continue;
            };
            if number.parse::<u32>().is_err() {
                continue;
            }
            frames.push(symbol.to_owned());
            let ours_or_theirs = ![
                "mfa::memory",
                "<mfa::memory",
                "std::",
                "<std::",
                "core::",
                "<core::",
                "alloc::",
                "<alloc::",
                "__rust",
                "__rustc",
                "zeroize::",
                "<zeroize::",
            ]
            .iter()
            .any(|prefix| symbol.starts_with(prefix));
            if ours_or_theirs && freed_by.is_none() {
                *freed_by = Some(symbol.to_owned());
            }
        }
    }
    (hits, starts)
}

#[test]
fn no_secret_is_freed_unwiped_by_our_code_in_any_flow() {
    let world = World::new();
    let report = world.sandbox.path("scan.log");
    let scan = |patterns: &[&str]| {
        let hexes: Vec<String> = patterns.iter().map(|p| hex(p.as_bytes())).collect();
        format!("{}:{}", report.display(), hexes.join(","))
    };

    // A session fetched with the long-term keys (through the SDK), then used from the cache.
    let first = world
        .mfa()
        .args(["credential-process"])
        .env("MFA_CODE", world.code_now())
        .env(SCAN_VARIABLE, scan(&[SECRET_KEY, ACCESS_KEY]))
        .assert()
        .success();
    let answer: serde_json::Value = serde_json::from_slice(&first.get_output().stdout).unwrap();
    let session_secret = answer["SecretAccessKey"].as_str().unwrap().to_owned();
    let session_token = answer["SessionToken"].as_str().unwrap().to_owned();
    let (fetch_hits, starts) = read_report(&report);
    assert_eq!(starts, 1, "the scanner did not start");

    let patterns = [
        SECRET_KEY,
        &session_secret,
        &session_token,
        ACCESS_KEY, // the control: not a secret, held in plain strings
    ];
    let cached_runs: [&[&str]; 4] = [
        &["credential-process"],
        &["exec", "--", "true"],
        &["env"],
        &["login"],
    ];
    std::fs::remove_file(&report).unwrap();
    for args in cached_runs {
        world
            .mfa()
            .args(args)
            .env(SCAN_VARIABLE, scan(&patterns))
            .assert()
            .success();
    }
    // A role assumed with the cached session: the session signs through the SDK.
    world
        .mfa()
        .args(["-p", "admin", "credential-process"])
        .env(SCAN_VARIABLE, scan(&patterns))
        .assert()
        .success();
    let (cached_hits, starts) = read_report(&report);
    assert_eq!(starts, cached_runs.len() + 1, "every run scanned");

    // The control, in both phases: the access key id is freed by mfa in plain strings.
    let fetch_control = fetch_hits.iter().filter(|h| h.pattern == 1 && h.by_us());
    let cached_control = cached_hits.iter().filter(|h| h.pattern == 3 && h.by_us());
    assert!(
        fetch_control.count() > 0 && cached_control.count() > 0,
        "the access key id was never seen freed by mfa: the scanner is blind \
         ({fetch_hits:#?} {cached_hits:#?})"
    );
    let leaks: Vec<&Hit> = fetch_hits
        .iter()
        .filter(|h| h.pattern == 0)
        .chain(cached_hits.iter().filter(|h| h.pattern <= 2))
        .filter(|h| h.by_us())
        .collect();
    assert!(leaks.is_empty(), "secrets freed unwiped by mfa: {leaks:#?}");
    let theirs: Vec<&Hit> = fetch_hits
        .iter()
        .filter(|h| h.pattern == 0)
        .chain(cached_hits.iter().filter(|h| h.pattern <= 2))
        .collect();
    eprintln!("copies freed by other crates (wiped by the release allocator): {theirs:#?}");
}

/// Every readable mapping of process `pid`, concatenated per region.
fn memory_of(pid: u32) -> Vec<Vec<u8>> {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
    let mem = std::fs::File::open(format!("/proc/{pid}/mem"))
        .expect("reading another process's memory needs root (or CAP_SYS_PTRACE)");
    let mut regions = Vec::new();
    for line in maps.lines() {
        let mut fields = line.split_whitespace();
        let (range, perms) = (fields.next().unwrap(), fields.next().unwrap());
        let name = line.split_whitespace().nth(5).unwrap_or("");
        if !perms.starts_with('r') || name == "[vvar]" || name == "[vsyscall]" {
            continue;
        }
        let (start, end) = range.split_once('-').unwrap();
        let start = u64::from_str_radix(start, 16).unwrap();
        let end = u64::from_str_radix(end, 16).unwrap();
        let mut region = vec![0u8; usize::try_from(end - start).unwrap()];
        if mem.read_exact_at(&mut region, start).is_ok() {
            regions.push(region);
        }
    }
    regions
}

fn holds(regions: &[Vec<u8>], pattern: &str) -> bool {
    let pattern = pattern.as_bytes();
    regions
        .iter()
        .any(|r| r.windows(pattern.len()).any(|w| w == pattern))
}

fn wait_for(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_serving_process_holds_no_long_term_or_session_secret() {
    let world = World::new();
    let got = world.sandbox.path("credentials.json");
    let token = world.sandbox.path("token");
    let ready = world.sandbox.path("ready");
    let release = world.sandbox.path("release");
    // The child asks the endpoint for credentials, says so, and waits to be released.
    let child = format!(
        "curl -sf -H \"Authorization: $AWS_CONTAINER_AUTHORIZATION_TOKEN\" \
         \"$AWS_CONTAINER_CREDENTIALS_FULL_URI\" > '{got}' && \
         printf %s \"$AWS_CONTAINER_AUTHORIZATION_TOKEN\" > '{token}' && touch '{ready}'; \
         while [ ! -e '{release}' ]; do sleep 0.1; done",
        got = got.display(),
        token = token.display(),
        ready = ready.display(),
        release = release.display(),
    );
    let mut server = world
        .mfa_std()
        .args(["exec", "--server", "--", "sh", "-c", &child])
        .env("MFA_CODE", world.code_now())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for(&ready);
    let answer: serde_json::Value = serde_json::from_slice(&std::fs::read(&got).unwrap()).unwrap();
    let session_secret = answer["SecretAccessKey"].as_str().unwrap().to_owned();
    let session_token = answer["Token"].as_str().unwrap().to_owned();
    let endpoint_token = std::fs::read_to_string(&token).unwrap();
    assert!(!endpoint_token.is_empty() && !session_secret.is_empty());

    let regions = memory_of(server.id());
    std::fs::write(&release, "").unwrap();
    let status = server.wait().unwrap();
    assert!(status.success());

    assert!(
        regions.iter().map(Vec::len).sum::<usize>() > 1 << 20,
        "too little of the process was read"
    );
    // The control: the server compares each request with its token, so it holds it.
    assert!(
        holds(&regions, &endpoint_token),
        "the endpoint's token is not in the server's memory: the scan is blind"
    );
    for (what, secret) in [
        ("the long-term secret key", SECRET_KEY),
        ("the session's secret key", session_secret.as_str()),
        ("the session token", session_token.as_str()),
    ] {
        assert!(!holds(&regions, secret), "{what} is in the server's memory");
    }
}

/// RFC 4648 Base32, no padding.
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    for chunk in bytes.chunks(5) {
        let mut block = [0u8; 5];
        block[..chunk.len()].copy_from_slice(chunk);
        let bits = block.iter().fold(0u64, |acc, b| acc << 8 | u64::from(*b));
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..chars {
            out.push(ALPHABET[((bits >> (35 - 5 * i)) & 31) as usize] as char);
        }
    }
    out
}

#[test]
fn a_software_seed_and_its_codes_are_never_freed_unwiped() {
    let world = World::new();
    world.sandbox.write_config(&format!(
        "[default]\nregion = eu-west-1\nmfa_serial = {ARN}\nmfa_source = totp\n"
    ));
    let report = world.sandbox.path("scan.log");
    let seed = "memory-scan-seed-012";
    let encoded = base32(seed.as_bytes());
    let scan = |patterns: &[&str]| {
        let hexes: Vec<String> = patterns.iter().map(|p| hex(p.as_bytes())).collect();
        format!("{}:{}", report.display(), hexes.join(","))
    };
    // Pattern 2, the control: the device's ARN, a plain string in many places.
    world
        .mfa()
        .args(["totp", "add"])
        .write_stdin(format!(
            "otpauth://totp/alice?secret={encoded}&digits=8&issuer=Amazon%20Web%20Services\n"
        ))
        .env(SCAN_VARIABLE, scan(&[seed, &encoded, ARN]))
        .assert()
        .success();
    let (stored, starts) = read_report(&report);
    assert_eq!(starts, 1, "the scanner did not start");

    // `mfa code` computes it; a session is fetched with it (typed on stdin, then the SDK).
    let (computed, code) = common::fixtures::in_one_step(30, || {
        let _ = std::fs::remove_file(&report);
        let out = world.mfa().arg("code").assert().success();
        let code = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        let code = code.trim().to_owned();
        assert_eq!(code.len(), 8, "{code}");
        world
            .mfa()
            .arg("code")
            .env(SCAN_VARIABLE, scan(&[seed, &encoded, ARN, &code]))
            .assert()
            .success();
        (read_report(&report).0, code)
    });
    let control = stored
        .iter()
        .chain(&computed)
        .filter(|h| h.pattern == 2 && h.by_us());
    assert!(
        control.count() > 0,
        "the ARN was never seen freed by mfa: the scanner is blind ({stored:#?} {computed:#?})"
    );
    let leaks: Vec<&Hit> = stored
        .iter()
        .chain(&computed)
        .filter(|h| h.pattern != 2 && h.by_us())
        .collect();
    assert!(
        leaks.is_empty(),
        "seed or code {code} freed unwiped by mfa: {leaks:#?}"
    );
}
