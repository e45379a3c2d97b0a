//! swpkg key files: generation, writing and parsing. The one implementation of the format;
//! `swpkg keygen`, package signing and repository signing (`catalog-signer`) all use it.
//!
//! * Public key (`NAME.pub`): one line `swpkg-ed25519-public-v1 <64 hex digits>` (the 32-byte
//!   ed25519 public key), see [`swpkg_core::key`].
//! * Secret key (`NAME.key`, mode 0600): one line `swpkg-ed25519-secret-v1 <64 hex digits>`
//!   (the 32-byte ed25519 seed).

use ed25519_dalek::{SigningKey, VerifyingKey};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use swpkg_core::hex;

/// Why a key file could not be made or used; every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A filesystem operation failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done ("cannot read key file", "cannot create", ...).
        action: &'static str,
        /// Where.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The key file is unusable.
    #[error("key file {}: {reason}", path.display())]
    Key {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl Error {
    fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.to_path_buf();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }
}

/// Prefix of a secret key line.
pub const SECRET_KEY_PREFIX: &str = "swpkg-ed25519-secret-v1 ";

/// Format a secret key file's text.
pub fn format_secret_key(key: &SigningKey) -> String {
    format!("{SECRET_KEY_PREFIX}{}\n", hex::encode(key.as_bytes()))
}

/// Parse a secret key file's text.
pub fn parse_secret_key(text: &str) -> Option<SigningKey> {
    let line = text.strip_suffix('\n').unwrap_or(text);
    let h = line.strip_prefix(SECRET_KEY_PREFIX)?;
    hex::decode::<32>(h).map(|b| SigningKey::from_bytes(&b))
}

fn read_text(path: &Path) -> Result<String, Error> {
    let meta = fs::metadata(path).map_err(Error::io("cannot read key file", path))?;
    if meta.len() > 4096 {
        return Err(Error::Key {
            path: path.into(),
            reason: "too large to be a key file".into(),
        });
    }
    fs::read_to_string(path).map_err(Error::io("cannot read key file", path))
}

/// Read a secret key file.
pub fn read_secret_key(path: &Path) -> Result<SigningKey, Error> {
    let text = read_text(path)?;
    parse_secret_key(&text).ok_or_else(|| Error::Key {
        path: path.into(),
        reason: format!(
            "not a swpkg secret key (expected one line `{}<64 hex digits>`; create one with `swpkg keygen`)",
            SECRET_KEY_PREFIX
        ),
    })
}

/// Read a public key file.
pub fn read_public_key(path: &Path) -> Result<VerifyingKey, Error> {
    let text = read_text(path)?;
    swpkg_core::parse_public_key(&text).map_err(|e| Error::Key {
        path: path.into(),
        reason: e.to_string(),
    })
}

/// Generate a key pair into `dir` as `NAME.key` (0600) and `NAME.pub`. Refuses to overwrite.
/// Returns the two paths.
pub fn keygen(dir: &Path, name: &str) -> Result<(PathBuf, PathBuf, VerifyingKey), Error> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| Error::Key {
        path: dir.into(),
        reason: format!("no system randomness: {e}"),
    })?;
    let key = SigningKey::from_bytes(&seed);
    let (secret, public) = write_key_pair(dir, name, &key)?;
    Ok((secret, public, key.verifying_key()))
}

/// Write `key` into `dir` as `NAME.key` (0600) and `NAME.pub`. Refuses to overwrite.
pub fn write_key_pair(
    dir: &Path,
    name: &str,
    key: &SigningKey,
) -> Result<(PathBuf, PathBuf), Error> {
    let public = swpkg_core::format_public_key(&key.verifying_key());
    write_key_files(dir, name, &format_secret_key(key), &public)
}

/// The one writer of key pair files, whatever the key type (swpkg's ed25519 lines here, PEM
/// keys in `catalog-signer`): `dir/NAME.key` (mode 0600) and `dir/NAME.pub`, each written whole
/// and synced (`atomic_write`), neither ever replacing an existing file. Returns the two paths.
pub fn write_key_files(
    dir: &Path,
    name: &str,
    secret_text: &str,
    public_text: &str,
) -> Result<(PathBuf, PathBuf), Error> {
    fs::create_dir_all(dir).map_err(Error::io("cannot create directory", dir))?;
    let secret = dir.join(format!("{name}.key"));
    let public = dir.join(format!("{name}.pub"));
    for p in [&secret, &public] {
        if p.exists() {
            return Err(already_exists(p));
        }
    }
    write_new(&secret, 0o600, secret_text)?;
    write_new(&public, 0o644, public_text)?;
    Ok((secret, public))
}

fn write_new(path: &Path, mode: u32, text: &str) -> Result<(), Error> {
    let mut f = atomic_write::AtomicFile::with_mode(path, mode)
        .map_err(Error::io("cannot create", path))?;
    f.write_all(text.as_bytes())
        .map_err(Error::io("cannot write", path))?;
    f.commit_new().map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => already_exists(path),
        _ => Error::io("cannot write", path)(e),
    })
}

fn already_exists(path: &Path) -> Error {
    Error::Key {
        path: path.into(),
        reason: "already exists; remove it or pick another name".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_files_are_private_and_never_replaced() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let k = SigningKey::from_bytes(&[7u8; 32]);
        let (s, p) = write_key_pair(d.path(), "a", &k).unwrap();
        assert_eq!(
            fs::metadata(&s).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(read_secret_key(&s).unwrap().as_bytes(), k.as_bytes());
        assert_eq!(read_public_key(&p).unwrap(), k.verifying_key());
        let e = write_key_pair(d.path(), "a", &SigningKey::from_bytes(&[8u8; 32])).unwrap_err();
        assert!(e.to_string().contains("already exists"), "{e}");
        assert_eq!(read_secret_key(&s).unwrap().as_bytes(), k.as_bytes());
    }

    #[test]
    fn secret_round_trip() {
        let k = SigningKey::from_bytes(&[9u8; 32]);
        let t = format_secret_key(&k);
        assert_eq!(parse_secret_key(&t).unwrap().as_bytes(), k.as_bytes());
        assert!(parse_secret_key("garbage").is_none());
        assert!(parse_secret_key(&t[..20]).is_none());
    }
}
