//! Arbitrary text as an AWS shared config or credentials file (src/aws/ini.rs). Checks: parsing
//! never fails or panics; rendering an unedited document gives back the input byte for byte;
//! every section listed has its properties, and `get` agrees with `properties` (last one wins).

#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa::aws::ini::IniDocument;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let doc = IniDocument::parse(text);
    assert_eq!(
        doc.render().as_str(),
        text,
        "an unedited document must render byte for byte"
    );
    assert_eq!(IniDocument::parse(&doc.render()), doc);

    for section in doc.sections() {
        let properties = doc.properties(section);
        for property in &properties {
            assert_eq!(doc.get(section, property.key), Some(property.value));
            assert!(property.line >= 1 && property.line <= text.split('\n').count());
            assert!(!property.key.is_empty());
            assert_eq!(property.key, property.key.to_ascii_lowercase());
        }
        // A key appears once: the last occurrence wins.
        for (i, a) in properties.iter().enumerate() {
            assert!(properties[i + 1..].iter().all(|b| b.key != a.key));
        }
    }
    // Queries for names that are not there, and upper-case keys.
    let _ = doc.get("default", "AWS_ACCESS_KEY_ID");
    let _ = doc.properties(text);
});
