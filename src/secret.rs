//! Zeroizing newtypes for every secret the tool handles: OATH keys and passwords, TOTP seeds,
//! one-time codes, AWS secret keys and session tokens, and the text of files that may hold them.
//!
//! None of them implements `Display`; `Debug` prints the type name and `[redacted]` only, so a
//! stray `{:?}` in a log line cannot leak the value. The memory is wiped on drop, and its pages
//! are locked in RAM while the secret lives where the system allows it
//! ([`crate::memory::lock_pages`]; docs/security.md#memory).
//!
//! A secret never grows: growing a buffer copies it and frees the old one unwiped. Text read
//! from a file or a pipe goes through [`SecretBytes::read_bounded`], which reads into storage
//! sized up front and, when it must grow, wipes what it leaves.

use std::fmt;
use std::io::{self, Read};

use zeroize::Zeroizing;

use crate::memory::{PageLock, lock_pages};

/// Bytes that must not outlive their use: wiped on drop, redacted in `Debug`.
#[derive(Default)]
pub struct SecretBytes {
    // Declared first: dropped (wiped) before the pages are unlocked.
    bytes: Zeroizing<Vec<u8>>,
    lock: PageLock,
}

/// What [`SecretBytes::read_bounded`] read.
#[derive(Debug)]
pub enum Bounded {
    /// Everything up to the end, at most the limit.
    Complete(SecretBytes),
    /// More than the limit: reading stopped there, and what was read is wiped.
    TooBig,
}

impl SecretBytes {
    /// Takes ownership of `bytes`; they are wiped when the secret is dropped.
    pub fn new(bytes: Vec<u8>) -> Self {
        let lock = lock_pages(bytes.as_ptr(), bytes.capacity());
        Self {
            bytes: Zeroizing::new(bytes),
            lock,
        }
    }

    /// A copy of `bytes` in storage of exactly their size.
    pub fn copy_from(bytes: &[u8]) -> Self {
        let mut owned = Vec::with_capacity(bytes.len());
        owned.extend_from_slice(bytes);
        Self::new(owned)
    }

    /// Reads `reader` to its end, at most `max` bytes, into wiped storage. `expected` (a file's
    /// size, say) sizes the storage up front; when more arrives, the storage is replaced by one
    /// twice as big and the old one wiped, so no unwiped copy is left behind.
    pub fn read_bounded(reader: &mut dyn Read, expected: usize, max: usize) -> io::Result<Bounded> {
        // One byte more than allowed, to see the end (or that there is more).
        let limit = max.saturating_add(1);
        let mut buffer = Zeroizing::new(vec![0u8; expected.max(64).min(limit)]);
        let mut filled = 0;
        loop {
            if filled == buffer.len() {
                if buffer.len() >= limit {
                    return Ok(Bounded::TooBig);
                }
                let mut bigger =
                    Zeroizing::new(vec![0u8; buffer.len().saturating_mul(2).min(limit)]);
                bigger[..filled].copy_from_slice(&buffer[..filled]);
                buffer = bigger;
            }
            match reader.read(&mut buffer[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if filled > max {
            return Ok(Bounded::TooBig);
        }
        // Shortening keeps the allocation: the rest is zeros, and wiped with it.
        buffer.truncate(filled);
        Ok(Bounded::Complete(Self::new(std::mem::take(&mut *buffer))))
    }

    /// The secret bytes, for the one place that has to use them.
    pub fn expose(&self) -> &[u8] {
        &self.bytes
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The bytes as text, without a copy; `None` (and the bytes wiped) when they are not UTF-8.
    pub fn into_text(mut self) -> Option<SecretString> {
        let bytes = std::mem::take(&mut *self.bytes);
        let lock = std::mem::take(&mut self.lock);
        match String::from_utf8(bytes) {
            Ok(text) => Some(SecretString {
                text: Zeroizing::new(text),
                _lock: lock,
            }),
            Err(e) => {
                drop(Zeroizing::new(e.into_bytes()));
                None
            }
        }
    }
}

impl Clone for SecretBytes {
    fn clone(&self) -> Self {
        Self::copy_from(self.expose())
    }
}

impl PartialEq for SecretBytes {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl Eq for SecretBytes {}

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
#[derive(Default)]
pub struct SecretString {
    // Declared first: dropped (wiped) before the pages are unlocked.
    text: Zeroizing<String>,
    _lock: PageLock,
}

impl SecretString {
    /// Takes ownership of `text`; it is wiped when the secret is dropped.
    pub fn new(text: String) -> Self {
        let lock = lock_pages(text.as_ptr(), text.capacity());
        Self {
            text: Zeroizing::new(text),
            _lock: lock,
        }
    }

    /// A copy of `text` in storage of exactly its size.
    pub fn copy_from(text: &str) -> Self {
        let mut owned = String::with_capacity(text.len());
        owned.push_str(text);
        Self::new(owned)
    }

    /// The secret text, for the one place that has to use it.
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.text.len()
    }
}

impl Clone for SecretString {
    fn clone(&self) -> Self {
        Self::copy_from(self.expose())
    }
}

impl PartialEq for SecretString {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl Eq for SecretString {}

impl From<String> for SecretString {
    fn from(text: String) -> Self {
        Self::new(text)
    }
}

impl From<&str> for SecretString {
    fn from(text: &str) -> Self {
        Self::copy_from(text)
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString([redacted])")
    }
}

/// Deserializes straight into a secret: a borrowed string is copied once into storage of its
/// size, an owned one is taken over. (A JSON string with escapes passes through the parser's
/// scratch buffer first, which the binary's allocator wipes when it is freed.)
impl<'de> serde::Deserialize<'de> for SecretString {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = SecretString;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<SecretString, E> {
                Ok(SecretString::copy_from(text))
            }
            fn visit_string<E: serde::de::Error>(self, text: String) -> Result<SecretString, E> {
                Ok(SecretString::new(text))
            }
        }
        deserializer.deserialize_string(Visitor)
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

    #[test]
    fn bounded_reads_stop_at_the_limit_and_grow_without_leaks() {
        let read = |text: &[u8], expected, max| {
            SecretBytes::read_bounded(&mut &text[..], expected, max).unwrap()
        };
        // Sized from a wrong guess, grown twice: every byte still arrives.
        let long: Vec<u8> = (0..500u32).map(|i| b'a' + (i % 26) as u8).collect();
        match read(&long, 10, 1000) {
            Bounded::Complete(bytes) => assert_eq!(bytes.expose(), &long[..]),
            Bounded::TooBig => panic!("500 bytes are within 1000"),
        }
        assert!(matches!(read(&long, 500, 499), Bounded::TooBig));
        assert!(matches!(read(&long, 0, 500), Bounded::Complete(b) if b.len() == 500));
        assert!(matches!(read(b"", 0, 10), Bounded::Complete(b) if b.is_empty()));
    }

    #[test]
    fn text_without_a_copy_and_no_text_from_bad_utf8() {
        let bytes = SecretBytes::new(b"s3cr3t".to_vec());
        let at = bytes.expose().as_ptr();
        let text = bytes.into_text().unwrap();
        assert_eq!(text.expose(), "s3cr3t");
        assert_eq!(text.expose().as_ptr(), at, "the same storage");
        assert!(SecretBytes::new(vec![0xff, 0xfe]).into_text().is_none());
    }

    #[test]
    fn secrets_lock_their_pages_while_they_live() {
        let text = SecretString::copy_from("hunter2 hunter2");
        let at = text.expose().as_ptr();
        assert!(crate::memory::locks_on(at) >= 1);
        let json: SecretString = serde_json::from_str("\"tok\\/en\"").unwrap();
        assert_eq!(json.expose(), "tok/en");
        assert_eq!(text.clone(), text);
    }
}
