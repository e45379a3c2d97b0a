//! Ed25519 key pairs and key files. Key files are read and written by the `swpkg` host library
//! (one implementation of the format), so one key tool serves package and repository signing:
//!
//! * secret key `NAME.key` (mode 0600): one line `swpkg-ed25519-secret-v1 <64 hex digits>` (seed);
//! * public key `NAME.pub`: one line `swpkg-ed25519-public-v1 <64 hex digits>`.

use std::path::{Path, PathBuf};

use catalog_core::metadata::{Key, Signature};
use ed25519_dalek::{Signer, SigningKey};

use crate::error::RepoError;

/// An ed25519 signing key.
#[derive(Clone)]
pub struct KeyPair {
    signing: SigningKey,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyPair({})", self.keyid())
    }
}

impl KeyPair {
    /// A fresh key from system randomness.
    pub fn generate() -> Result<KeyPair, RepoError> {
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed)
            .map_err(|e| RepoError::Invalid(format!("no system randomness: {e}")))?;
        Ok(KeyPair::from_seed(seed))
    }

    /// A deterministic key (tests, fixtures).
    pub fn from_seed(seed: [u8; 32]) -> KeyPair {
        KeyPair {
            signing: SigningKey::from_bytes(&seed),
        }
    }

    /// The TUF public key object.
    pub fn public_key(&self) -> Key {
        Key::ed25519(self.signing.verifying_key().as_bytes())
    }

    /// The TUF key id.
    pub fn keyid(&self) -> String {
        self.public_key().keyid()
    }

    /// Sign `msg` (canonical JSON of a `signed` object).
    pub fn sign(&self, msg: &[u8]) -> Signature {
        Signature {
            keyid: self.keyid(),
            sig: hex::encode(self.signing.sign(msg).to_bytes()),
        }
    }

    /// Parse the text of a secret key file.
    pub fn parse_secret(text: &str) -> Option<KeyPair> {
        swpkg::keys::parse_secret_key(text).map(|signing| KeyPair { signing })
    }

    /// Read a secret key file.
    pub fn read(path: &Path) -> Result<KeyPair, RepoError> {
        swpkg::read_secret_key(path)
            .map(|signing| KeyPair { signing })
            .map_err(|e| key_error(path, e))
    }

    /// Write `DIR/NAME.key` (0600) and `DIR/NAME.pub`; refuses to overwrite.
    pub fn write(&self, dir: &Path, name: &str) -> Result<(PathBuf, PathBuf), RepoError> {
        swpkg::write_key_pair(dir, name, &self.signing).map_err(|e| key_error(dir, e))
    }
}

/// Key files are `swpkg`'s: map its error into ours, keeping the path and the reason.
fn key_error(path: &Path, e: swpkg::Error) -> RepoError {
    match e {
        swpkg::Error::Key { path, reason } => RepoError::Key { path, reason },
        other => RepoError::Key {
            path: path.into(),
            reason: other.to_string(),
        },
    }
}

/// Read a public key file as a TUF key object.
pub fn read_public_key(path: &Path) -> Result<Key, RepoError> {
    let vk = swpkg::read_public_key(path).map_err(|e| key_error(path, e))?;
    Ok(Key::ed25519(vk.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn key_files_round_trip_and_refuse_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let k = KeyPair::generate().unwrap();
        let (s, p) = k.write(dir.path(), "root").unwrap();
        assert_eq!(KeyPair::read(&s).unwrap().keyid(), k.keyid());
        assert_eq!(read_public_key(&p).unwrap(), k.public_key());
        assert!(matches!(
            k.write(dir.path(), "root"),
            Err(RepoError::Key { .. })
        ));
        assert_eq!(
            fs::metadata(&s).unwrap().permissions().mode() & 0o777,
            0o600
        );
        fs::write(dir.path().join("bad"), "swpkg-ed25519-secret-v1 zz\n").unwrap();
        assert!(matches!(
            KeyPair::read(&dir.path().join("bad")),
            Err(RepoError::Key { .. })
        ));
        assert!(matches!(read_public_key(&s), Err(RepoError::Key { .. })));
    }
    use std::os::unix::fs::PermissionsExt;
}
