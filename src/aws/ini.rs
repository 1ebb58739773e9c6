//! The INI dialect of the AWS shared config and credentials files, read and edited without losing
//! a byte of what the user wrote.
//!
//! Reading follows botocore (the AWS CLI): `[section]` headers, `key = value` (or `key: value`)
//! properties, keys case-insensitive, lines starting with `#` or `;` are comments, no inline
//! comments (a `#` inside a value is part of it), and indented lines continue the previous
//! property — the AWS CLI uses that for nested settings such as `s3 =` blocks, which this tool
//! keeps but does not interpret.
//!
//! Editing (`set`, `remove_section`) changes only the lines it must, so comments, ordering,
//! blank lines, CRLF line endings and other sections survive `mfa login --write-profile` and
//! `mfa register --write-config` untouched; lines it adds end the way the file's lines do.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// One line of the file, as written, with what it means. No `Debug`: a line of the credentials
/// file may be a secret key.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
enum Line {
    /// `[name]`
    Section { name: String, raw: String },
    /// `key = value`
    Property {
        key: String,
        value: String,
        raw: String,
    },
    /// An indented line continuing the previous property (nested settings).
    Continuation { raw: String },
    /// Blank line, comment, or a line that means nothing to the AWS CLI.
    Other { raw: String },
}

impl Line {
    fn raw(&self) -> &str {
        match self {
            Line::Section { raw, .. }
            | Line::Property { raw, .. }
            | Line::Continuation { raw }
            | Line::Other { raw } => raw,
        }
    }

    fn raw_mut(&mut self) -> &mut String {
        match self {
            Line::Section { raw, .. }
            | Line::Property { raw, .. }
            | Line::Continuation { raw }
            | Line::Other { raw } => raw,
        }
    }
}

/// A parsed shared config or credentials file.
///
/// Each line's `raw` text keeps a `\r` that preceded its `\n`, so a CRLF file renders back byte
/// for byte. The credentials file holds secrets: the document is wiped when dropped, every
/// string in it is allocated at its final size (so no copy is left behind by growing), and
/// `Debug` shows its shape, never a value.
#[derive(Clone, Default, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct IniDocument {
    lines: Vec<Line>,
    /// Whether the text ended with a newline (kept on rendering).
    trailing_newline: bool,
    /// Whether the file's lines end with CRLF (lines added by editing do too).
    crlf: bool,
}

impl fmt::Debug for IniDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IniDocument")
            .field("sections", &self.sections())
            .field("lines", &self.lines.len())
            .finish_non_exhaustive()
    }
}

/// A property and the 1-based line it sits on, for messages that point into the file. `Debug`
/// shows the key and the line, not the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Property<'a> {
    pub key: &'a str,
    pub value: &'a str,
    pub line: usize,
}

impl fmt::Debug for Property<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Property")
            .field("key", &self.key)
            .field("value", &"[redacted]")
            .field("line", &self.line)
            .finish()
    }
}

/// `parts` joined in one string allocated at its final size.
fn concat(parts: &[&str]) -> String {
    let mut text = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        text.push_str(part);
    }
    text
}

impl IniDocument {
    /// Parses `text`. Never fails: lines the AWS CLI would not understand are kept as they are
    /// and mean nothing.
    pub fn parse(text: &str) -> Self {
        let mut lines = Vec::new();
        let mut in_property = false;
        // Split at `\n` only: a `\r` before it stays in `raw` (and `trim` ignores it).
        let body = text.strip_suffix('\n').unwrap_or(text);
        let raws = (!text.is_empty()).then(|| body.split('\n'));
        for raw in raws.into_iter().flatten() {
            let trimmed = raw.trim();
            let line = if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';')
            {
                Line::Other { raw: raw.into() }
            } else if raw.starts_with([' ', '\t']) && in_property {
                Line::Continuation { raw: raw.into() }
            } else if let Some(name) = trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
                in_property = false;
                Line::Section {
                    name: name.trim().into(),
                    raw: raw.into(),
                }
            } else if let Some((key, value)) = split_property(trimmed) {
                in_property = true;
                Line::Property {
                    key: key.to_ascii_lowercase(),
                    value: value.into(),
                    raw: raw.into(),
                }
            } else {
                Line::Other { raw: raw.into() }
            };
            lines.push(line);
        }
        let crlf = lines
            .first()
            .is_some_and(|l: &Line| l.raw().ends_with('\r'));
        IniDocument {
            lines,
            trailing_newline: text.is_empty() || text.ends_with('\n'),
            crlf,
        }
    }

    /// The end of a line this document adds: `\r` when the file uses CRLF (render adds `\n`).
    fn cr(&self) -> &'static str {
        if self.crlf { "\r" } else { "" }
    }

    /// The number (from 1) of the first line that opens a section without closing it
    /// (`[profile x` without `]`). The AWS CLI refuses such a file; read on, the properties after
    /// it would belong to the section before (docs/bad-input.md).
    pub fn unclosed_section(&self) -> Option<usize> {
        self.lines
            .iter()
            .position(|line| matches!(line, Line::Other { raw } if raw.trim().starts_with('[')))
            .map(|index| index + 1)
    }

    /// The document as text: unchanged lines exactly as they were read. Allocated at its final
    /// size and wiped on drop, as the credentials file's text must be.
    pub fn render(&self) -> Zeroizing<String> {
        let size = self.lines.iter().map(|l| l.raw().len() + 1).sum::<usize>();
        let mut out = Zeroizing::new(String::with_capacity(size));
        for (i, line) in self.lines.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(line.raw());
        }
        if self.trailing_newline && !self.lines.is_empty() {
            out.push('\n');
        }
        out
    }

    /// Section names in file order; a name that appears twice is listed once.
    pub fn sections(&self) -> Vec<&str> {
        // A set, not `names.contains`: with a thousand profiles the quadratic search cost
        // milliseconds on every run (docs/performance.md, row 5).
        let mut seen = std::collections::HashSet::new();
        self.lines
            .iter()
            .filter_map(|line| match line {
                Line::Section { name, .. } => Some(name.as_str()),
                _ => None,
            })
            .filter(|name| seen.insert(*name))
            .collect()
    }

    /// The properties of `section`, in file order. A section that appears twice is merged, and
    /// for a repeated key the last one wins (as in botocore).
    pub fn properties(&self, section: &str) -> Vec<Property<'_>> {
        let mut props: Vec<Property<'_>> = Vec::new();
        let mut current: Option<&str> = None;
        for (index, line) in self.lines.iter().enumerate() {
            match line {
                Line::Section { name, .. } => current = Some(name),
                Line::Property { key, value, .. } if current == Some(section) => {
                    props.retain(|p| p.key != key);
                    props.push(Property {
                        key,
                        value,
                        line: index + 1,
                    });
                }
                _ => {}
            }
        }
        props
    }

    /// The value of `key` in `section`, if set.
    pub fn get(&self, section: &str, key: &str) -> Option<&str> {
        let key = key.to_ascii_lowercase();
        self.properties(section)
            .into_iter()
            .find(|p| p.key == key)
            .map(|p| p.value)
    }

    /// Sets `key = value` in `section`: replaces the property's line where it is (all of its
    /// occurrences collapse to the first), else adds it after the section's last property, else
    /// adds the section at the end of the file.
    pub fn set(&mut self, section: &str, key: &str, value: &str) {
        let key = key.to_ascii_lowercase();
        let cr = self.cr();
        let new_line = || Line::Property {
            key: key.clone(),
            value: value.into(),
            raw: concat(&[&key, " = ", value, cr]),
        };
        let mut current: Option<String> = None;
        let mut replaced = false;
        let mut last_in_section: Option<usize> = None;
        let mut remove = Vec::new();
        for (index, line) in self.lines.iter_mut().enumerate() {
            match line {
                Line::Section { name, .. } => {
                    current = Some(name.clone());
                    if name == section {
                        last_in_section = Some(index);
                    }
                }
                Line::Property { key: k, .. } if current.as_deref() == Some(section) => {
                    if *k == key {
                        if replaced {
                            remove.push(index);
                        } else {
                            *line = new_line();
                            replaced = true;
                        }
                    }
                    last_in_section = Some(index);
                }
                Line::Continuation { .. } if current.as_deref() == Some(section) => {
                    last_in_section = Some(index);
                }
                _ => {}
            }
        }
        for index in remove.into_iter().rev() {
            self.remove_with_continuations(index);
        }
        if replaced {
            return;
        }
        match last_in_section {
            Some(index) => {
                if index + 1 == self.lines.len() {
                    self.end_last_line();
                }
                self.lines.insert(index + 1, new_line());
            }
            None => {
                self.end_last_line();
                if self
                    .lines
                    .last()
                    .is_some_and(|l| !l.raw().trim().is_empty())
                {
                    self.lines.push(Line::Other { raw: cr.into() });
                }
                self.lines.push(Line::Section {
                    name: section.into(),
                    raw: concat(&["[", section, "]", cr]),
                });
                self.lines.push(new_line());
                self.trailing_newline = true;
            }
        }
    }

    /// Before a line is added after the last one: a last line without a line ending gets one,
    /// so the added line starts on a line of its own and ends like the others.
    fn end_last_line(&mut self) {
        if self.trailing_newline {
            return;
        }
        let cr = self.cr();
        if let Some(last) = self.lines.last_mut() {
            // A new string of the final size; the old one is wiped.
            let raw = last.raw_mut();
            let ended = concat(&[raw, cr]);
            drop(Zeroizing::new(std::mem::replace(raw, ended)));
        }
        self.trailing_newline = true;
    }

    /// Removes every occurrence of `key` in `section` (with its continuation lines); every other
    /// line stays as it was. Returns whether there was one.
    pub fn remove_key(&mut self, section: &str, key: &str) -> bool {
        let key = key.to_ascii_lowercase();
        let mut current: Option<&str> = None;
        let mut found = Vec::new();
        for (index, line) in self.lines.iter().enumerate() {
            match line {
                Line::Section { name, .. } => current = Some(name),
                Line::Property { key: k, .. } if current == Some(section) && *k == key => {
                    found.push(index);
                }
                _ => {}
            }
        }
        for index in found.iter().rev() {
            self.remove_with_continuations(*index);
        }
        !found.is_empty()
    }

    /// Removes every occurrence of `section` with its properties (comments above it stay).
    /// Returns whether there was one.
    pub fn remove_section(&mut self, section: &str) -> bool {
        let mut found = false;
        let mut inside = false;
        self.lines.retain(|line| {
            if let Line::Section { name, .. } = line {
                inside = name == section;
                found |= inside;
            }
            !inside || matches!(line, Line::Other { raw } if raw.trim().starts_with(['#', ';']))
        });
        found
    }

    /// Removes the property at `index` and the continuation lines under it.
    fn remove_with_continuations(&mut self, index: usize) {
        let mut end = index + 1;
        while matches!(self.lines.get(end), Some(Line::Continuation { .. })) {
            end += 1;
        }
        self.lines.drain(index..end);
    }
}

/// Splits `key = value` / `key: value` at the first `=` or `:`; a line without one, or with an
/// empty key, is not a property.
fn split_property(line: &str) -> Option<(&str, &str)> {
    let at = line.find(['=', ':'])?;
    let key = line[..at].trim();
    if key.is_empty() {
        return None;
    }
    Some((key, line[at + 1..].trim()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const SAMPLE: &str = "\
# my AWS config
[default]
region = eu-west-1
Output=json

[profile prod]   
mfa_serial = arn:aws:iam::123456789012:mfa/alice
; a comment
s3 =
  max_concurrent_requests = 10
role_arn: arn:aws:iam::123456789012:role/Admin
";

    #[test]
    fn unchanged_documents_render_byte_for_byte() {
        for text in [
            SAMPLE,
            "",
            "[a]\nk=v",
            "no section\n\n\n",
            "[a]\r\nk = v\r\n",
            "[a]\r\nk = v",
            "\n",
            "\r\n\r\n[a]\nmixed = endings\r\n",
            "  odd =   spacing  \t\n[ b ]\n",
        ] {
            assert_eq!(IniDocument::parse(text).render().as_str(), text, "{text:?}");
        }
    }

    #[test]
    fn reads_like_the_aws_cli() {
        let doc = IniDocument::parse(SAMPLE);
        assert_eq!(doc.sections(), ["default", "profile prod"]);
        assert_eq!(
            doc.get("default", "output"),
            Some("json"),
            "keys are case-insensitive"
        );
        assert_eq!(
            doc.get("profile prod", "role_arn"),
            Some("arn:aws:iam::123456789012:role/Admin")
        );
        assert_eq!(doc.get("profile prod", "s3"), Some(""));
        assert_eq!(
            doc.get("profile prod", "max_concurrent_requests"),
            None,
            "nested, not a key"
        );
        assert_eq!(doc.get("prod", "mfa_serial"), None);
        let line = doc.properties("profile prod")[0].line;
        assert_eq!(line, 7);
    }

    #[test]
    fn values_keep_hashes_and_last_duplicate_wins() {
        let doc = IniDocument::parse("[a]\nsecret = ab#cd ; ef\nk = 1\n[b]\n[a]\nk = 2\n");
        assert_eq!(doc.get("a", "secret"), Some("ab#cd ; ef"));
        assert_eq!(doc.get("a", "k"), Some("2"));
    }

    #[test]
    fn set_replaces_in_place_and_keeps_everything_else() {
        let mut doc = IniDocument::parse(SAMPLE);
        doc.set(
            "profile prod",
            "mfa_serial",
            "arn:aws:iam::123456789012:mfa/bob",
        );
        let expected = SAMPLE.replace("mfa/alice", "mfa/bob");
        assert_eq!(doc.render().as_str(), expected);
    }

    #[test]
    fn set_appends_after_the_sections_last_property() {
        let mut doc = IniDocument::parse(SAMPLE);
        doc.set("default", "mfa_source", "yubikey");
        assert!(
            doc.render()
                .contains("Output=json\nmfa_source = yubikey\n\n[profile prod]")
        );
        let mut doc = IniDocument::parse(SAMPLE);
        doc.set("profile prod", "region", "us-east-1");
        assert!(doc.render().ends_with("role/Admin\nregion = us-east-1\n"));
    }

    #[test]
    fn set_creates_a_missing_section_at_the_end() {
        let mut doc = IniDocument::parse("[default]\nregion = x");
        doc.set("session", "aws_session_token", "t");
        assert_eq!(
            doc.render().as_str(),
            "[default]\nregion = x\n\n[session]\naws_session_token = t\n"
        );
        let mut empty = IniDocument::parse("");
        empty.set("a", "k", "v");
        assert_eq!(empty.render().as_str(), "[a]\nk = v\n");
    }

    #[test]
    fn lines_added_to_a_crlf_file_end_in_crlf() {
        // Without a final newline: the last line gets its CRLF before anything follows it.
        let mut doc = IniDocument::parse("# c\r\n[a]\r\nk =  v ");
        doc.set("a", "x", "1");
        doc.set("b", "y", "2");
        assert_eq!(
            doc.render().as_str(),
            "# c\r\n[a]\r\nk =  v \r\nx = 1\r\n\r\n[b]\r\ny = 2\r\n"
        );
        assert_eq!(
            doc.get("a", "k"),
            Some("v"),
            "the CR is not part of a value"
        );
        // An LF file stays LF.
        let mut doc = IniDocument::parse("[a]\nk = v");
        doc.set("a", "x", "1");
        assert_eq!(doc.render().as_str(), "[a]\nk = v\nx = 1\n");
    }

    #[test]
    fn set_collapses_duplicates_with_their_nested_lines() {
        let mut doc = IniDocument::parse("[a]\nk = 1\nk =\n  nested = 1\nz = 2\n");
        doc.set("a", "K", "3");
        assert_eq!(doc.render().as_str(), "[a]\nk = 3\nz = 2\n");
    }

    #[test]
    fn remove_section_keeps_other_sections_and_comments() {
        let mut doc = IniDocument::parse("[a]\nk = 1\n# about b\n[b]\nk = 2\n# keep\n[c]\nk = 3\n");
        assert!(doc.remove_section("b"));
        assert_eq!(
            doc.render().as_str(),
            "[a]\nk = 1\n# about b\n# keep\n[c]\nk = 3\n"
        );
        assert!(!doc.remove_section("b"));
    }

    #[test]
    fn garbage_never_panics() {
        for text in [
            "[",
            "]",
            "=",
            "[]\n=\n:",
            "  indented first",
            "[a\nk",
            "\u{feff}[a]\nk=v",
        ] {
            let doc = IniDocument::parse(text);
            let _ = doc.render();
            let _ = doc.sections();
        }
    }
}
