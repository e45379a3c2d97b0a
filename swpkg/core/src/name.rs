//! [`PackageName`]: the one package-name rule of `docs/PACKAGE_FORMAT.md` §4, shared by the
//! manifest reader, the catalog index, swport recipes and the package client's generation
//! records: 1 to 64 bytes of `[a-z0-9._+-]`, starting with a lower-case letter or digit.

use alloc::string::String;
use core::fmt;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Longest package name, in bytes.
pub const MAX_NAME_BYTES: usize = 64;

/// Why a string is not a package name (each message reads after the quoted name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Empty, or longer than [`MAX_NAME_BYTES`].
    #[error("must be 1 to 64 bytes")]
    Length,
    /// The first byte is not `a-z` or `0-9`.
    #[error("must start with a lower-case letter or digit")]
    Start,
    /// A byte outside `a-z 0-9 . _ + -`.
    #[error("may contain only a-z, 0-9, '.', '_', '+' and '-'")]
    Character,
}

/// A validated package name. Holding one means the rule was checked: it is built only through
/// [`PackageName::parse`] (also `TryFrom`, `FromStr` and serde deserialization, which validate).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PackageName(String);

impl PackageName {
    /// Check `name` against the rule without allocating.
    pub fn check(name: &str) -> Result<(), NameError> {
        let b = name.as_bytes();
        if b.is_empty() || b.len() > MAX_NAME_BYTES {
            return Err(NameError::Length);
        }
        if !(b[0].is_ascii_lowercase() || b[0].is_ascii_digit()) {
            return Err(NameError::Start);
        }
        if !b
            .iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"._+-".contains(c))
        {
            return Err(NameError::Character);
        }
        Ok(())
    }

    /// Whether `name` is a valid package name.
    pub fn is_valid(name: &str) -> bool {
        Self::check(name).is_ok()
    }

    /// A validated name.
    pub fn parse(name: &str) -> Result<PackageName, NameError> {
        Self::check(name)?;
        Ok(PackageName(name.into()))
    }

    /// The name as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl TryFrom<&str> for PackageName {
    type Error = NameError;
    fn try_from(s: &str) -> Result<Self, NameError> {
        PackageName::parse(s)
    }
}

impl TryFrom<String> for PackageName {
    type Error = NameError;
    fn try_from(s: String) -> Result<Self, NameError> {
        PackageName::check(&s)?;
        Ok(PackageName(s))
    }
}

impl core::str::FromStr for PackageName {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, NameError> {
        PackageName::parse(s)
    }
}

impl fmt::Display for PackageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for PackageName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl core::borrow::Borrow<str> for PackageName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl core::ops::Deref for PackageName {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for PackageName {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for PackageName {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for PackageName {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

impl From<PackageName> for String {
    fn from(n: PackageName) -> String {
        n.0
    }
}

impl Serialize for PackageName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PackageName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        PackageName::check(&s)
            .map_err(|e| serde::de::Error::custom(alloc::format!("package name {s:?} {e}")))?;
        Ok(PackageName(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule() {
        for ok in ["a", "lua", "0ad", "g++", "lib.x_y-z", &"a".repeat(64)] {
            assert!(PackageName::is_valid(ok), "{ok}");
            assert_eq!(PackageName::parse(ok).unwrap().as_str(), ok);
        }
        assert_eq!(PackageName::check(""), Err(NameError::Length));
        assert_eq!(PackageName::check(&"a".repeat(65)), Err(NameError::Length));
        for bad in ["-a", ".a", "_a", "+a", "Lua", "ä"] {
            assert_eq!(PackageName::check(bad), Err(NameError::Start), "{bad}");
        }
        for bad in ["aB", "a b", "a/b", "a\0", "a:b", "aé"] {
            assert_eq!(PackageName::check(bad), Err(NameError::Character), "{bad}");
        }
    }

    #[test]
    fn serde_validates() {
        let n: PackageName = serde_json::from_str("\"lua\"").unwrap();
        assert_eq!(n, "lua");
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"lua\"");
        let e = serde_json::from_str::<PackageName>("\"Lua\"").unwrap_err();
        assert!(
            e.to_string()
                .contains("package name \"Lua\" must start with a lower-case letter or digit"),
            "{e}"
        );
        assert!(PackageName::try_from("a b").is_err());
        assert_eq!(format!("{}", PackageName::parse("x").unwrap()), "x");
    }
}
