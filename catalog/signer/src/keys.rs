//! Repository signing keys and key files. A key file says which kind of key it holds:
//!
//! * ed25519 (the default): the `swpkg` key files (one implementation of that format, so one key
//!   tool serves package and repository signing): secret `NAME.key` (mode 0600), one line
//!   `swpkg-ed25519-secret-v1 <64 hex digits>` (the seed); public `NAME.pub`, one line
//!   `swpkg-ed25519-public-v1 <64 hex digits>`. Keys `ed25519` / `ed25519` in TUF metadata.
//! * ECDSA P-256: secret `NAME.key` (mode 0600) a PEM `PRIVATE KEY` (unencrypted PKCS#8, as
//!   `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256` and securesystemslib write
//!   it; a SEC1 `EC PRIVATE KEY` is read too); public `NAME.pub` a PEM `PUBLIC KEY`
//!   (SubjectPublicKeyInfo). Keys `ecdsa` / `ecdsa-sha2-nistp256` in TUF metadata, with the PEM
//!   as `keyval.public`; signatures are DER-encoded ECDSA over SHA-256.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use catalog_core::metadata::{Key, Signature};
use ed25519_dalek::Signer as _;
use p256::ecdsa::signature::Signer as _;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};

use crate::error::RepoError;

/// The kinds of signing key a repository can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum KeyType {
    /// ed25519 (`ed25519` / `ed25519`).
    #[default]
    Ed25519,
    /// ECDSA over P-256 with SHA-256 (`ecdsa` / `ecdsa-sha2-nistp256`).
    EcdsaP256,
}

impl KeyType {
    /// The names accepted by [`KeyType::from_str`] (`swport repo keygen --key-type`).
    pub const NAMES: [&'static str; 2] = ["ed25519", "ecdsa"];
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyType::Ed25519 => "ed25519",
            KeyType::EcdsaP256 => "ecdsa",
        })
    }
}

impl FromStr for KeyType {
    type Err = RepoError;
    fn from_str(s: &str) -> Result<Self, RepoError> {
        match s {
            "ed25519" => Ok(KeyType::Ed25519),
            "ecdsa" | "ecdsa-p256" | "ecdsa-sha2-nistp256" => Ok(KeyType::EcdsaP256),
            _ => Err(RepoError::Invalid(format!(
                "unknown key type {s:?}: use one of {}",
                KeyType::NAMES.join(", ")
            ))),
        }
    }
}

#[derive(Clone)]
enum Signing {
    Ed25519(ed25519_dalek::SigningKey),
    EcdsaP256(p256::ecdsa::SigningKey),
}

/// A repository signing key (ed25519 or ECDSA P-256).
#[derive(Clone)]
pub struct KeyPair {
    signing: Signing,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyPair({} {})", self.key_type(), self.keyid())
    }
}

fn random_32() -> Result<[u8; 32], RepoError> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed)
        .map_err(|e| RepoError::Invalid(format!("no system randomness: {e}")))?;
    Ok(seed)
}

impl KeyPair {
    /// A fresh ed25519 key from system randomness.
    pub fn generate() -> Result<KeyPair, RepoError> {
        Self::generate_of(KeyType::Ed25519)
    }

    /// A fresh key of `key_type` from system randomness.
    pub fn generate_of(key_type: KeyType) -> Result<KeyPair, RepoError> {
        loop {
            // A P-256 scalar of 32 random bytes is out of range with probability < 2^-32.
            if let Ok(k) = Self::from_seed_of(key_type, random_32()?) {
                return Ok(k);
            }
        }
    }

    /// A deterministic ed25519 key (tests, fixtures).
    pub fn from_seed(seed: [u8; 32]) -> KeyPair {
        KeyPair {
            signing: Signing::Ed25519(ed25519_dalek::SigningKey::from_bytes(&seed)),
        }
    }

    /// A deterministic key of `key_type` (tests, fixtures): the ed25519 seed, or the P-256
    /// secret scalar (big-endian; must be in 1..n).
    pub fn from_seed_of(key_type: KeyType, seed: [u8; 32]) -> Result<KeyPair, RepoError> {
        match key_type {
            KeyType::Ed25519 => Ok(Self::from_seed(seed)),
            KeyType::EcdsaP256 => p256::ecdsa::SigningKey::from_bytes(&seed.into())
                .map(|k| KeyPair {
                    signing: Signing::EcdsaP256(k),
                })
                .map_err(|_| RepoError::Invalid("not a P-256 secret scalar".into())),
        }
    }

    /// The kind of key.
    pub fn key_type(&self) -> KeyType {
        match self.signing {
            Signing::Ed25519(_) => KeyType::Ed25519,
            Signing::EcdsaP256(_) => KeyType::EcdsaP256,
        }
    }

    /// The ed25519 signing key, if this is an ed25519 key (it can also sign packages).
    pub fn ed25519(&self) -> Option<&ed25519_dalek::SigningKey> {
        match &self.signing {
            Signing::Ed25519(k) => Some(k),
            Signing::EcdsaP256(_) => None,
        }
    }

    /// The TUF public key object.
    pub fn public_key(&self) -> Key {
        match &self.signing {
            Signing::Ed25519(k) => Key::ed25519(k.verifying_key().as_bytes()),
            Signing::EcdsaP256(k) => Key::ecdsa_p256(&ecdsa_public_pem(k.verifying_key())),
        }
    }

    /// The TUF key id.
    pub fn keyid(&self) -> String {
        self.public_key().keyid()
    }

    /// Sign `msg` (canonical JSON of a `signed` object).
    pub fn sign(&self, msg: &[u8]) -> Signature {
        let sig = match &self.signing {
            Signing::Ed25519(k) => k.sign(msg).to_bytes().to_vec(),
            Signing::EcdsaP256(k) => {
                let sig: p256::ecdsa::Signature = k.sign(msg);
                sig.to_der().as_bytes().to_vec()
            }
        };
        Signature {
            keyid: self.keyid(),
            sig: hex::encode(sig),
        }
    }

    /// Parse the text of a secret key file (either kind).
    pub fn parse_secret(text: &str) -> Option<KeyPair> {
        parse_secret_text(text).ok()
    }

    /// Read a secret key file (either kind).
    pub fn read(path: &Path) -> Result<KeyPair, RepoError> {
        let text = read_key_text(path)?;
        if !looks_like_pem(&text) {
            return swpkg_keys::read_secret_key(path)
                .map(|k| KeyPair {
                    signing: Signing::Ed25519(k),
                })
                .map_err(|e| key_error(path, e));
        }
        parse_secret_text(&text).map_err(|reason| RepoError::Key {
            path: path.into(),
            reason,
        })
    }

    /// Write `DIR/NAME.key` (0600) and `DIR/NAME.pub`; refuses to overwrite.
    pub fn write(&self, dir: &Path, name: &str) -> Result<(PathBuf, PathBuf), RepoError> {
        match &self.signing {
            Signing::Ed25519(k) => {
                swpkg_keys::write_key_pair(dir, name, k).map_err(|e| key_error(dir, e))
            }
            Signing::EcdsaP256(k) => write_ecdsa_pair(dir, name, k),
        }
    }
}

fn ecdsa_public_pem(vk: &p256::ecdsa::VerifyingKey) -> String {
    vk.to_public_key_pem(LineEnding::LF)
        .expect("a P-256 public key always encodes")
}

fn looks_like_pem(text: &str) -> bool {
    text.trim_start().starts_with("-----BEGIN ")
}

/// The secret key in `text`: an ed25519 `swpkg` key line, or a PEM P-256 key.
fn parse_secret_text(text: &str) -> Result<KeyPair, String> {
    if !looks_like_pem(text) {
        return swpkg_keys::parse_secret_key(text)
            .map(|k| KeyPair {
                signing: Signing::Ed25519(k),
            })
            .ok_or_else(|| {
                "neither an ed25519 key line (`swpkg-ed25519-secret-v1 <64 hex digits>`) \
                 nor a PEM P-256 key"
                    .to_string()
            });
    }
    let text = text.trim_start();
    let key = if text.starts_with("-----BEGIN PRIVATE KEY-----") {
        p256::ecdsa::SigningKey::from_pkcs8_pem(text).map_err(|e| e.to_string())
    } else if text.starts_with("-----BEGIN EC PRIVATE KEY-----") {
        p256::SecretKey::from_sec1_pem(text)
            .map(Into::into)
            .map_err(|e| e.to_string())
    } else {
        let label = text.lines().next().unwrap_or_default();
        return Err(format!(
            "{label} is not a key this tool reads: use an unencrypted PKCS#8 \"PRIVATE KEY\" \
             (e.g. `openssl pkcs8 -topk8 -nocrypt`) of a P-256 key, or an ed25519 key file"
        ));
    };
    key.map(|k| KeyPair {
        signing: Signing::EcdsaP256(k),
    })
    .map_err(|e| format!("not an ECDSA P-256 secret key: {e}"))
}

fn read_key_text(path: &Path) -> Result<String, RepoError> {
    let io = |e: std::io::Error| RepoError::Key {
        path: path.into(),
        reason: format!("cannot read: {e}"),
    };
    if fs::metadata(path).map_err(io)?.len() > 16 * 1024 {
        return Err(RepoError::Key {
            path: path.into(),
            reason: "too large to be a key file".into(),
        });
    }
    fs::read_to_string(path).map_err(io)
}

/// Write an ECDSA key pair as PEM files through the one key-pair writer (never overwriting):
/// `NAME.key` (PKCS#8, 0600) and `NAME.pub` (SubjectPublicKeyInfo).
fn write_ecdsa_pair(
    dir: &Path,
    name: &str,
    key: &p256::ecdsa::SigningKey,
) -> Result<(PathBuf, PathBuf), RepoError> {
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| RepoError::Invalid(format!("cannot encode the P-256 key: {e}")))?;
    let public = ecdsa_public_pem(key.verifying_key());
    swpkg_keys::write_key_files(dir, name, &pem, &public).map_err(|e| key_error(dir, e))
}

/// Key files are `swpkg`'s: map its error into ours, keeping the path and the reason.
fn key_error(path: &Path, e: swpkg_keys::Error) -> RepoError {
    match e {
        swpkg_keys::Error::Key { path, reason } => RepoError::Key { path, reason },
        other => RepoError::Key {
            path: path.into(),
            reason: other.to_string(),
        },
    }
}

/// Read a public key file (either kind) as a TUF key object.
pub fn read_public_key(path: &Path) -> Result<Key, RepoError> {
    let text = read_key_text(path)?;
    if !looks_like_pem(&text) {
        let vk = swpkg_keys::read_public_key(path).map_err(|e| key_error(path, e))?;
        return Ok(Key::ed25519(vk.as_bytes()));
    }
    use p256::pkcs8::DecodePublicKey;
    // Re-encoded, so that the key (and its key id) is the one the secret key file gives.
    p256::ecdsa::VerifyingKey::from_public_key_pem(text.trim())
        .map(|vk| Key::ecdsa_p256(&ecdsa_public_pem(&vk)))
        .map_err(|e| RepoError::Key {
            path: path.into(),
            reason: format!("not a PEM \"PUBLIC KEY\" of an ECDSA P-256 key: {e}"),
        })
}

#[cfg(test)]
mod tests;
