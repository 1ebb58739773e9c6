//! Arbitrary bytes as the code a user types or pipes (src/sources/prompt.rs: the terminal,
//! one line of stdin, `MFA_CODE`) or an `mfa_process` prints (src/sources/process.rs). Checks:
//! nothing panics; a code accepted is exactly 6 or 8 ASCII digits, and is what was given with
//! the whitespace taken out (prompt) or trimmed (process).

#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use mfa::fuzzing::process_output_code;
use mfa::secret::SecretString;
use mfa::sources::prompt::{PromptInputs, PromptSource};
use mfa::sources::{CodeRequest, CodeSource, is_code};
use mfa::terminal::ScriptedTerminal;

fn request() -> CodeRequest<'static> {
    CodeRequest {
        mfa_serial: "arn:aws:iam::123456789012:mfa/alice",
        oath_account: None,
        unix_time: 1_767_225_600,
    }
}

fn without_whitespace(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

fuzz_target!(|data: &[u8]| {
    // mfa_process: the whole output, trimmed.
    match process_output_code(data) {
        Ok(code) => {
            assert!(is_code(code));
            assert_eq!(Some(code), std::str::from_utf8(data).ok().map(str::trim));
        }
        Err(_) => {
            if let Ok(text) = std::str::from_utf8(data) {
                assert!(!is_code(text.trim()));
            }
        }
    }

    let text = String::from_utf8_lossy(data).into_owned();

    // No terminal: one line of stdin.
    let inputs = PromptInputs {
        stdin: Some(Box::new(Cursor::new(data.to_vec()))),
        env_code: None,
    };
    let mut terminal = ScriptedTerminal::headless();
    if let Ok(code) = PromptSource::new(inputs).code(&request(), &mut terminal) {
        assert!(is_code(code.expose()));
        // One line, complete within the 256-byte limit (its newline, if any, included).
        let read = data
            .iter()
            .position(|&b| b == b'\n')
            .map_or(data.len(), |at| at + 1);
        assert!(read <= 256, "a line cut at the limit was accepted");
        let line = data.split(|&b| b == b'\n').next().unwrap_or_default();
        let line = std::str::from_utf8(line).expect("an accepted line is UTF-8");
        assert_eq!(code.expose(), without_whitespace(line));
    }

    // MFA_CODE.
    let inputs = PromptInputs {
        stdin: None,
        env_code: Some(SecretString::new(text.clone())),
    };
    if let Ok(code) = PromptSource::new(inputs).code(&request(), &mut terminal) {
        assert!(is_code(code.expose()));
        assert_eq!(code.expose(), without_whitespace(&text));
    }

    // The terminal: each line of the input is one answer, at most three asked.
    let answers: Vec<String> = text.split('\n').map(str::to_owned).collect();
    let mut terminal = ScriptedTerminal::answering(answers.clone());
    let inputs = PromptInputs {
        stdin: None,
        env_code: None,
    };
    if let Ok(code) = PromptSource::new(inputs).code(&request(), &mut terminal) {
        assert!(is_code(code.expose()));
        assert!(
            answers
                .iter()
                .take(3)
                .any(|a| without_whitespace(a) == code.expose())
        );
    }
});
