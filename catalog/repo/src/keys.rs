//! Ed25519 key pairs and key files. The file format is the one `swpkg keygen` writes, so one
//! key tool serves both package and repository signing:
//!
//! * secret key `NAME.key` (mode 0600): one line `swpkg-ed25519-secret-v1 <64 hex digits>` (seed);
//! * public key `NAME.pub`: one line `swpkg-ed25519-public-v1 <64 hex digits>`.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use catalog_core::metadata::{Key, Signature};
use ed25519_dalek::{Signer, SigningKey};

use crate::error::RepoError;

/// Prefix of a secret key line.
pub const SECRET_PREFIX: &str = "swpkg-ed25519-secret-v1 ";
/// Prefix of a public key line.
pub const PUBLIC_PREFIX: &str = "swpkg-ed25519-public-v1 ";
const MAX_KEY_FILE: u64 = 4096;

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
        let line = text.strip_suffix('\n').unwrap_or(text);
        let h = line.strip_prefix(SECRET_PREFIX)?;
        let mut seed = [0u8; 32];
        hex::decode_to_slice(h, &mut seed).ok()?;
        Some(KeyPair::from_seed(seed))
    }

    /// Read a secret key file.
    pub fn read(path: &Path) -> Result<KeyPair, RepoError> {
        let text = read_small(path)?;
        KeyPair::parse_secret(&text).ok_or_else(|| RepoError::Key {
            path: path.into(),
            reason: format!(
                "not a secret key (expected one line `{SECRET_PREFIX}<64 hex digits>`)"
            ),
        })
    }

    /// Write `DIR/NAME.key` (0600) and `DIR/NAME.pub`; refuses to overwrite.
    pub fn write(&self, dir: &Path, name: &str) -> Result<(PathBuf, PathBuf), RepoError> {
        fs::create_dir_all(dir).map_err(RepoError::io("cannot create", dir))?;
        let secret = dir.join(format!("{name}.key"));
        let public = dir.join(format!("{name}.pub"));
        for p in [&secret, &public] {
            if p.exists() {
                return Err(RepoError::Key {
                    path: p.clone(),
                    reason: "already exists".into(),
                });
            }
        }
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&secret)
            .map_err(RepoError::io("cannot create", &secret))?;
        f.write_all(
            format!("{SECRET_PREFIX}{}\n", hex::encode(self.signing.as_bytes())).as_bytes(),
        )
        .and_then(|()| f.sync_all())
        .map_err(RepoError::io("cannot write", &secret))?;
        let pub_text = format!(
            "{PUBLIC_PREFIX}{}\n",
            hex::encode(self.signing.verifying_key().as_bytes())
        );
        fs::write(&public, pub_text).map_err(RepoError::io("cannot write", &public))?;
        Ok((secret, public))
    }
}

fn read_small(path: &Path) -> Result<String, RepoError> {
    let meta = fs::metadata(path).map_err(RepoError::io("cannot read", path))?;
    if meta.len() > MAX_KEY_FILE {
        return Err(RepoError::Key {
            path: path.into(),
            reason: "too large to be a key file".into(),
        });
    }
    fs::read_to_string(path).map_err(RepoError::io("cannot read", path))
}

/// Read a public key file as a TUF key object.
pub fn read_public_key(path: &Path) -> Result<Key, RepoError> {
    let text = read_small(path)?;
    let line = text.strip_suffix('\n').unwrap_or(&text);
    let mut raw = [0u8; 32];
    line.strip_prefix(PUBLIC_PREFIX)
        .and_then(|h| hex::decode_to_slice(h, &mut raw).ok())
        .ok_or_else(|| RepoError::Key {
            path: path.into(),
            reason: format!(
                "not a public key (expected one line `{PUBLIC_PREFIX}<64 hex digits>`)"
            ),
        })?;
    Ok(Key::ed25519(&raw))
}

#[cfg(test)]
mod tests {
    use super::*;

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
