//! Firmware and application versions (`major.minor.patch`), as YubiKey applications report them.

use std::fmt;

/// A three-part version such as `5.4.3`: a YubiKey's firmware, or its OATH application's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Version {
    /// Major version.
    pub major: u8,
    /// Minor version.
    pub minor: u8,
    /// Patch level.
    pub patch: u8,
}

impl Version {
    /// A version from its three parts.
    pub const fn new(major: u8, minor: u8, patch: u8) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }

    /// Reads the first three bytes of `bytes` (the binary form of OATH `79` and Management
    /// `05` tags); `None` when there are fewer than three.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        match bytes {
            [major, minor, patch, ..] => Some(Self::new(*major, *minor, *patch)),
            _ => None,
        }
    }

    /// Finds the first `N.N.N` in `text` (the Management application answers SELECT with a
    /// string such as `5.4.3`, sometimes with words around it); `None` when there is none or a
    /// part does not fit a byte.
    pub fn find_in_text(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        let mut start = 0;
        while start < bytes.len() {
            if bytes[start].is_ascii_digit()
                && (start == 0 || !bytes[start - 1].is_ascii_digit())
                && let Some(version) = Self::parse_at(&text[start..])
            {
                return Some(version);
            }
            start += 1;
        }
        None
    }

    /// Parses `N.N.N` at the start of `text`.
    fn parse_at(text: &str) -> Option<Self> {
        let mut parts = [0u8; 3];
        let mut rest = text;
        for (index, part) in parts.iter_mut().enumerate() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            *part = rest[..digits].parse().ok()?;
            rest = &rest[digits..];
            if index < 2 {
                rest = rest.strip_prefix('.')?;
            }
        }
        Some(Self::new(parts[0], parts[1], parts[2]))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_binary_versions() {
        assert_eq!(Version::from_bytes(&[5, 4, 3]), Some(Version::new(5, 4, 3)));
        assert_eq!(
            Version::from_bytes(&[5, 4, 3, 9]),
            Some(Version::new(5, 4, 3))
        );
        assert_eq!(Version::from_bytes(&[5, 4]), None);
    }

    #[test]
    fn finds_versions_in_text() {
        assert_eq!(Version::find_in_text("5.4.3"), Some(Version::new(5, 4, 3)));
        assert_eq!(
            Version::find_in_text("Virtual mgr - FW version 4.2.6 (beta)"),
            Some(Version::new(4, 2, 6))
        );
        assert_eq!(
            Version::find_in_text("1.2 and 3.4.5"),
            Some(Version::new(3, 4, 5))
        );
        assert_eq!(
            Version::find_in_text("999.1.1 7.0.1"),
            Some(Version::new(7, 0, 1))
        );
        assert_eq!(Version::find_in_text("no version"), None);
        assert_eq!(Version::find_in_text("5.4."), None);
        assert_eq!(Version::find_in_text(""), None);
    }

    #[test]
    fn orders_and_displays() {
        assert!(Version::new(4, 2, 6) < Version::new(4, 3, 0));
        assert_eq!(Version::new(5, 7, 1).to_string(), "5.7.1");
    }
}
