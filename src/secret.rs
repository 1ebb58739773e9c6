//! Zeroizing newtypes for every secret the tool handles: OATH keys and passwords, TOTP seeds,
//! one-time codes, AWS secret keys and session tokens.
//!
//! None of them implements `Display`; `Debug` prints the type name and `[redacted]` only, so a
//! stray `{:?}` in a log line cannot leak the value. The memory is wiped on drop.

use std::fmt;
use zeroize::Zeroizing;

/// Bytes that must not outlive their use: wiped on drop, redacted in `Debug`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// Takes ownership of `bytes`; they are wiped when the secret is dropped.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The secret bytes, for the one place that has to use them.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<u8>> for SecretBytes {
    fn from(bytes: Vec<u8>) -> Self {
        Self::new(bytes)
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBytes([redacted])")
    }
}

/// Text that must not outlive its use: wiped on drop, redacted in `Debug`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// Takes ownership of `text`; it is wiped when the secret is dropped.
    pub fn new(text: String) -> Self {
        Self(Zeroizing::new(text))
    }

    /// The secret text, for the one place that has to use it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for SecretString {
    fn from(text: String) -> Self {
        Self::new(text)
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let bytes = SecretBytes::new(b"hunter2".to_vec());
        let text = SecretString::new("hunter2".to_owned());
        assert!(!format!("{bytes:?}").contains("hunter2"));
        assert!(!format!("{text:?}").contains("hunter2"));
        assert!(format!("{bytes:?}").contains("redacted"));
        assert_eq!(bytes.expose(), b"hunter2");
        assert_eq!(text.expose(), "hunter2");
    }
}
