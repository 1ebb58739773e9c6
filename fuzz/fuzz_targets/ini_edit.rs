//! Edits of an arbitrary shared file (src/aws/ini.rs `set` / `remove_section`, and
//! src/aws/write_profile.rs, which stores a session as a profile). The input is the file, then
//! after a 0xFF byte the section, key and value to set (separated by 0xFE). Checks: the edit
//! reads back (`get` after parse(render)); every other section keeps every byte (the documents
//! with the edited section removed render the same, up to the blank line and line ending an
//! added section brings); the other sections' properties are unchanged; a written session is
//! never protected as foreign keys; removing a section leaves no trace of its properties.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa::aws::credentials::SessionCredentials;
use mfa::aws::ini::IniDocument;
use mfa::aws::write_profile::{EXPIRATION_KEY, Protected, protection, set_session};
use mfa::secret::SecretString;

/// A name `mfa` could be asked to write: one line, no brackets, no surrounding space.
fn section_name(text: &str) -> Option<&str> {
    let ok = !text.is_empty()
        && text.trim() == text
        && !text.contains(['\n', '\r', '[', ']'])
        && !text.starts_with(['#', ';']);
    ok.then_some(text)
}

fn key_name(text: &str) -> Option<&str> {
    let ok = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    ok.then_some(text)
}

fn value_text(text: &str) -> Option<&str> {
    (text.trim() == text && !text.contains(['\n', '\r'])).then_some(text)
}

/// The document's text without `section`, ignoring whitespace at the very end.
fn without(doc: &IniDocument, section: &str) -> String {
    let mut doc = doc.clone();
    doc.remove_section(section);
    doc.render().trim_end().to_owned()
}

/// The keys and values of `section` (their line numbers move when lines are added above).
fn pairs(doc: &IniDocument, section: &str) -> Vec<(String, String)> {
    doc.properties(section)
        .into_iter()
        .map(|p| (p.key.to_owned(), p.value.to_owned()))
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let (file, edit) = match data.iter().position(|&b| b == 0xFF) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &b"work\xFEaws_session_token\xFEtoken"[..]),
    };
    let Ok(text) = std::str::from_utf8(file) else {
        return;
    };
    let mut parts = edit.split(|&b| b == 0xFE).map(std::str::from_utf8);
    let (Some(Ok(section)), Some(Ok(key)), Some(Ok(value))) =
        (parts.next(), parts.next(), parts.next())
    else {
        return;
    };
    let (Some(section), Some(key), Some(value)) =
        (section_name(section), key_name(key), value_text(value))
    else {
        return;
    };

    let before = IniDocument::parse(text);
    let others: Vec<_> = before
        .sections()
        .into_iter()
        .filter(|s| *s != section)
        .map(|s| (s.to_owned(), pairs(&before, s)))
        .collect();

    // set
    let mut after = before.clone();
    after.set(section, key, value);
    assert_eq!(after.get(section, key), Some(value));
    let reread = IniDocument::parse(&after.render());
    assert_eq!(
        reread.get(section, key),
        Some(value),
        "the edit must read back"
    );
    assert_eq!(without(&before, section), without(&after, section));
    for (name, properties) in &others {
        assert_eq!(&pairs(&reread, name), properties);
    }

    // A session written by `mfa login --write-profile`.
    let mut written = before.clone();
    let credentials = SessionCredentials {
        access_key_id: "ASIAFUZZFUZZFUZZFUZZ".into(),
        secret_access_key: SecretString::new(value.to_owned()),
        session_token: SecretString::new("token".into()),
        expiration: 1_767_225_600,
    };
    set_session(&mut written, section, &credentials);
    let reread = IniDocument::parse(&written.render());
    assert_eq!(reread.get(section, "aws_secret_access_key"), Some(value));
    assert!(reread.get(section, EXPIRATION_KEY).is_some());
    match protection(&reread, section) {
        None => assert_ne!(section, "default"),
        Some(Protected::Default) => assert_eq!(section, "default"),
        Some(Protected::ForeignKeys) => panic!("a section we wrote is protected as foreign keys"),
    }
    assert_eq!(without(&before, section), without(&written, section));

    // remove_section
    let mut removed = before.clone();
    let found = removed.remove_section(section);
    assert_eq!(found, before.sections().contains(&section));
    let reread = IniDocument::parse(&removed.render());
    assert!(reread.properties(section).is_empty());
    for (name, properties) in &others {
        assert_eq!(&pairs(&reread, name), properties);
    }
});
