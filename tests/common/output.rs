//! What a run of `mfa` printed, and the shape every user-facing failure has: two lines on
//! stderr, what failed (`mfa: …`) and what to do next (`  hint: …`), and nothing on stdout.

use std::process::Output;

/// stdout of a run; `mfa` only ever prints UTF-8.
pub fn stdout_of(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is not UTF-8")
}

/// stderr of a run; `mfa` only ever prints UTF-8.
pub fn stderr_of(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is not UTF-8")
}

/// Asserts a two-line failure: exit `code`, nothing on stdout, and exactly `mfa: …` then
/// `  hint: …` on stderr. Returns the two lines.
pub fn assert_two_line_failure(output: &Output, code: i32) -> [String; 2] {
    let stderr = stderr_of(output);
    assert_eq!(output.status.code(), Some(code), "{stderr}");
    assert_eq!(stdout_of(output), "", "a failure printed a result");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "expected two lines: {stderr:?}");
    assert!(lines[0].starts_with("mfa: "), "{stderr}");
    assert!(lines[1].starts_with("  hint: "), "{stderr}");
    [lines[0].to_owned(), lines[1].to_owned()]
}
