//! What commands print on stdout: their result only — a code, JSON, a table. Messages for
//! humans go to the terminal ([`crate::terminal`]) or, for failures, through [`super::failure`].

use std::io::Write;

use zeroize::Zeroizing;

use super::Failure;

/// `value` as pretty JSON with a final newline, for the `--json` of listing commands. `what`
/// names it in the (unexpected) error.
pub fn json_text<T: serde::Serialize + ?Sized>(value: &T, what: &str) -> Result<String, Failure> {
    let mut text = serde_json::to_string_pretty(value).map_err(|error| {
        Failure::runtime(
            format!("cannot write the {what} as JSON: {error}"),
            "report this bug",
        )
    })?;
    text.push('\n');
    Ok(text)
}

/// Writes `text` to `out`, treating a closed pipe (`mfa … | head`) as success.
pub fn write_out(out: &mut dyn Write, text: &[u8]) -> Result<(), Failure> {
    match out.write_all(text).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::runtime(
            format!("cannot write the output: {e}"),
            "check that stdout is writable (a full disk, a closed pipe?)",
        )),
    }
}

/// Writes a code (`digits`) and a newline to `out` in one write, from a buffer that is wiped
/// afterwards (sized up front so no reallocation leaves a copy behind).
pub fn write_code(out: &mut dyn Write, digits: &str) -> Result<(), Failure> {
    let mut line = Zeroizing::new(String::with_capacity(digits.len() + 1));
    line.push_str(digits);
    line.push('\n');
    write_out(out, line.as_bytes())
}

/// Appends `text` to `out` as a JSON string (quotes included), escaping `"`, `\\` and control
/// characters. Writes into the caller's buffer, so a secret is never copied into a temporary
/// string; at most `6 * text.len() + 2` bytes are added.
pub fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let byte = u32::from(c);
                out.push_str("\\u00");
                out.push(char::from(HEX[(byte >> 4) as usize]));
                out.push(char::from(HEX[(byte & 0xF) as usize]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Rows as columns separated by two spaces, each as wide as its widest cell; the last column
/// is not padded.
pub fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|row| row.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 < row.len() {
                let pad = widths[c] - cell.chars().count();
                line.push_str(cell);
                line.push_str(&" ".repeat(pad + 2));
            } else {
                line.push_str(cell);
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn tables_align_columns() {
        let rows = vec![
            vec!["A".to_owned(), "BB".to_owned(), "C".to_owned()],
            vec!["long".to_owned(), "x".to_owned(), "y".to_owned()],
        ];
        assert_eq!(table(&rows), "A     BB  C\nlong  x   y\n");
    }

    #[test]
    fn json_strings_are_escaped_like_serde() {
        for text in [
            "plain",
            "q\"uo\\te",
            "line\nbreak\r\t",
            "\u{1}\u{1f}ctl",
            "é€😀",
            "",
        ] {
            let mut out = String::new();
            push_json_string(&mut out, text);
            assert!(out.len() <= 6 * text.len() + 2);
            let back: String = serde_json::from_str(&out).unwrap();
            assert_eq!(back, text);
            assert_eq!(out, serde_json::to_string(text).unwrap());
        }
    }

    #[test]
    fn a_code_is_one_line() {
        let mut out = Vec::new();
        write_code(&mut out, "123456").unwrap();
        assert_eq!(out, b"123456\n");
    }
}
