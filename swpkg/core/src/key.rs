//! The public-key text format shared by the host tools and the in-OS client.
//!
//! A public key file holds one line: `swpkg-ed25519-public-v1 ` followed by the 32-byte key as
//! 64 lower-case hex digits, then a newline. (The secret-key format lives in the host crate.)

use crate::hex;
use alloc::format;
use alloc::string::String;
use ed25519_dalek::VerifyingKey;

/// Prefix of a public key line.
pub const PUBLIC_KEY_PREFIX: &str = "swpkg-ed25519-public-v1 ";

/// A public key text that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not in the documented format.
    #[error(
        "not a swpkg public key (expected one line `swpkg-ed25519-public-v1 <64 hex digits>`)"
    )]
    Format,
    /// The bytes are not a valid ed25519 point.
    #[error("the key bytes are not a valid ed25519 public key")]
    InvalidPoint,
}

/// Parse a public key file's text (a trailing newline is allowed).
pub fn parse_public_key(text: &str) -> Result<VerifyingKey, KeyError> {
    let line = text.strip_suffix('\n').unwrap_or(text);
    let hex_part = line
        .strip_prefix(PUBLIC_KEY_PREFIX)
        .ok_or(KeyError::Format)?;
    let bytes = hex::decode::<32>(hex_part).ok_or(KeyError::Format)?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::InvalidPoint)
}

/// Format a public key as the text of a key file.
pub fn format_public_key(key: &VerifyingKey) -> String {
    format!("{PUBLIC_KEY_PREFIX}{}\n", hex::encode(key.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    #[test]
    fn round_trip_and_garbage() {
        let k = SigningKey::from_bytes(&[7u8; 32]).verifying_key();
        let t = format_public_key(&k);
        assert_eq!(parse_public_key(&t), Ok(k));
        assert_eq!(parse_public_key(t.trim_end()), Ok(k));
        assert_eq!(parse_public_key(""), Err(KeyError::Format));
        assert_eq!(parse_public_key(&t[..t.len() - 3]), Err(KeyError::Format));
        assert_eq!(parse_public_key(&t.to_uppercase()), Err(KeyError::Format));
    }
}
