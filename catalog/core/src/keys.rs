//! Public keys of TUF metadata, parsed once into typed verifying keys.
//!
//! The key types and signature schemes accepted are those securesystemslib (python-tuf, tuf-on-ci)
//! writes, and go-tuf too:
//!
//! | `keytype` | `scheme` | `keyval.public` | signature (`sig`, hex) |
//! |---|---|---|---|
//! | `ed25519` | `ed25519` | 64 hex digits | 64-byte ed25519 signature (strict verification) |
//! | `ecdsa` or `ecdsa-sha2-nistp256` | `ecdsa-sha2-nistp256` | PEM SubjectPublicKeyInfo of a P-256 key | DER-encoded ECDSA signature over SHA-256 |
//! | `rsa` | `rsassa-pss-sha256` | PEM SubjectPublicKeyInfo, at least 2048 bits | RSASSA-PSS, SHA-256, MGF1-SHA-256, any salt length |
//!
//! Every signature covers the canonical JSON of the `signed` object. A key of any other type or
//! scheme is skipped: it never counts toward a threshold and is not an error (the specification
//! lets repositories list keys that only some clients understand). A key of a known type whose
//! `keyval` cannot be used is an error ([`KeyProblem`]), reported with the key id.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use p256::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};

use crate::error::{Error, Role};
use crate::metadata::Key;

/// The smallest RSA modulus accepted, in bits.
pub const RSA_MIN_BITS: u32 = 2048;

/// A signature scheme this client verifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// `ed25519` / `ed25519`.
    Ed25519,
    /// `ecdsa` (or the older `ecdsa-sha2-nistp256`) / `ecdsa-sha2-nistp256`.
    EcdsaP256Sha256,
    /// `rsa` / `rsassa-pss-sha256`.
    RsaPssSha256,
}

impl Scheme {
    /// The scheme of a key's `keytype` and `scheme`, or `None` when this client does not know
    /// the combination (the key is then skipped).
    pub fn of(keytype: &str, scheme: &str) -> Option<Scheme> {
        match (keytype, scheme) {
            ("ed25519", "ed25519") => Some(Scheme::Ed25519),
            ("ecdsa" | "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256") => {
                Some(Scheme::EcdsaP256Sha256)
            }
            ("rsa", "rsassa-pss-sha256") => Some(Scheme::RsaPssSha256),
            _ => None,
        }
    }
}

/// Why a key of a known type cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyProblem {
    /// `keyval` has no `public` string.
    #[error("keyval has no \"public\" string")]
    MissingPublic,
    /// An ed25519 public key that is not 32 bytes of hex.
    #[error("keyval.public is not 64 hex digits (a 32-byte ed25519 public key)")]
    Ed25519Hex,
    /// 32 bytes that are not an ed25519 curve point.
    #[error("keyval.public is not a valid ed25519 public key (not a curve point)")]
    Ed25519Point,
    /// Not a PEM SubjectPublicKeyInfo of the expected algorithm.
    #[error(
        "keyval.public is not a PEM \"PUBLIC KEY\" (SubjectPublicKeyInfo) of {expected}: {detail}"
    )]
    Pem {
        /// What the PEM should hold.
        expected: &'static str,
        /// The decoder's complaint.
        detail: String,
    },
    /// An RSA key below [`RSA_MIN_BITS`].
    #[error("the RSA modulus has {bits} bits; at least {RSA_MIN_BITS} are required")]
    RsaTooSmall {
        /// Modulus size.
        bits: u32,
    },
}

/// A parsed public key of a known scheme.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PublicKey {
    /// ed25519.
    Ed25519(ed25519_dalek::VerifyingKey),
    /// ECDSA over P-256 with SHA-256.
    EcdsaP256(p256::ecdsa::VerifyingKey),
    /// RSASSA-PSS with SHA-256.
    RsaPss(rsa::PublicKey),
}

impl PublicKey {
    /// Parse a key object: `Ok(None)` for an unknown type or scheme (skip it), an error for a
    /// known type whose key material is unusable.
    pub fn parse(key: &Key) -> Result<Option<PublicKey>, KeyProblem> {
        let Some(scheme) = Scheme::of(&key.keytype, &key.scheme) else {
            return Ok(None);
        };
        let public = key
            .keyval
            .public
            .as_deref()
            .ok_or(KeyProblem::MissingPublic)?;
        Self::parse_public(scheme, public).map(Some)
    }

    /// Parse `keyval.public` of a key of `scheme`.
    pub fn parse_public(scheme: Scheme, public: &str) -> Result<PublicKey, KeyProblem> {
        match scheme {
            Scheme::Ed25519 => {
                let mut raw = [0u8; 32];
                hex::decode_to_slice(public, &mut raw).map_err(|_| KeyProblem::Ed25519Hex)?;
                ed25519_dalek::VerifyingKey::from_bytes(&raw)
                    .map(PublicKey::Ed25519)
                    .map_err(|_| KeyProblem::Ed25519Point)
            }
            Scheme::EcdsaP256Sha256 => {
                let pem_problem = |detail| KeyProblem::Pem {
                    expected: "an ECDSA P-256 key",
                    detail,
                };
                let der = public_key_der(public).map_err(pem_problem)?;
                p256::ecdsa::VerifyingKey::from_public_key_der(&der)
                    .map(PublicKey::EcdsaP256)
                    .map_err(|e| pem_problem(e.to_string()))
            }
            Scheme::RsaPssSha256 => {
                let pem_problem = |detail| KeyProblem::Pem {
                    expected: "an RSA key",
                    detail,
                };
                let der = public_key_der(public).map_err(pem_problem)?;
                let key = rsa::PublicKey::from_public_key_der(&der)
                    .map_err(|e| pem_problem(e.to_string()))?;
                let bits = key.n().as_ref().bit_width_vartime();
                if bits < RSA_MIN_BITS {
                    return Err(KeyProblem::RsaTooSmall { bits });
                }
                Ok(PublicKey::RsaPss(key))
            }
        }
    }

    /// A PEM `PUBLIC KEY` (SubjectPublicKeyInfo) file of an ECDSA P-256 or RSA key, as
    /// OpenSSL and securesystemslib write them (`keyval.public` of such a key): the scheme is
    /// read from the key's algorithm. An RSA key gets `rsassa-pss-sha256`, the RSA scheme this
    /// client verifies.
    pub fn from_pem(pem: &str) -> Result<PublicKey, KeyProblem> {
        let der = public_key_der(pem).map_err(|detail| KeyProblem::Pem {
            expected: "an ECDSA P-256 or RSA key",
            detail,
        })?;
        if let Ok(k) = p256::ecdsa::VerifyingKey::from_public_key_der(&der) {
            return Ok(PublicKey::EcdsaP256(k));
        }
        if rsa::PublicKey::from_public_key_der(&der).is_ok() {
            return Self::parse_public(Scheme::RsaPssSha256, pem);
        }
        Err(KeyProblem::Pem {
            expected: "an ECDSA P-256 or RSA key",
            detail: "the block holds another kind of key (not P-256, not RSA)".to_string(),
        })
    }

    /// The scheme's name as TUF metadata writes it (`ed25519`, `ecdsa-sha2-nistp256`,
    /// `rsassa-pss-sha256`).
    pub fn scheme_name(&self) -> &'static str {
        match self {
            PublicKey::Ed25519(_) => "ed25519",
            PublicKey::EcdsaP256(_) => "ecdsa-sha2-nistp256",
            PublicKey::RsaPss(_) => "rsassa-pss-sha256",
        }
    }

    /// The scheme of this key.
    pub fn scheme(&self) -> Scheme {
        match self {
            PublicKey::Ed25519(_) => Scheme::Ed25519,
            PublicKey::EcdsaP256(_) => Scheme::EcdsaP256Sha256,
            PublicKey::RsaPss(_) => Scheme::RsaPssSha256,
        }
    }

    /// Whether `sig` (raw bytes, as decoded from the hex `sig` field) is a valid signature of
    /// `msg`. Malformed signature bytes are simply not valid.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let mut digest = Prehash::new(msg);
        self.verify_prehashed(&mut digest, sig)
    }

    /// [`PublicKey::verify`] with the message's SHA-256 computed at most once for all keys.
    pub(crate) fn verify_prehashed(&self, msg: &mut Prehash<'_>, sig: &[u8]) -> bool {
        match self {
            PublicKey::Ed25519(vk) => {
                let Ok(sig) = <[u8; 64]>::try_from(sig) else {
                    return false;
                };
                vk.verify_strict(msg.message, &ed25519_dalek::Signature::from_bytes(&sig))
                    .is_ok()
            }
            PublicKey::EcdsaP256(vk) => {
                use p256::ecdsa::signature::hazmat::PrehashVerifier;
                let Ok(sig) = p256::ecdsa::Signature::from_der(sig) else {
                    return false;
                };
                vk.verify_prehash(msg.sha256(), &sig).is_ok()
            }
            PublicKey::RsaPss(key) => {
                // salt_len None: any salt length (securesystemslib writes the digest length,
                // other signers the maximum), as securesystemslib's own verifier accepts.
                let pss = rsa::Pss::<Sha256> {
                    blinded: false,
                    digest: Sha256::new(),
                    salt_len: None,
                };
                key.verify(pss, msg.sha256(), sig).is_ok()
            }
        }
    }
}

/// The DER of a PEM `PUBLIC KEY` block, whatever its line width and line endings (OpenSSL,
/// and so securesystemslib, reads those too).
fn public_key_der(pem: &str) -> Result<Vec<u8>, String> {
    const BEGIN: &str = "-----BEGIN PUBLIC KEY-----";
    const END: &str = "-----END PUBLIC KEY-----";
    let body = pem
        .trim()
        .strip_prefix(BEGIN)
        .and_then(|rest| rest.strip_suffix(END))
        .ok_or_else(|| alloc::format!("not a block from {BEGIN:?} to {END:?}"))?;
    let b64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    use base64ct::Encoding;
    base64ct::Base64::decode_vec(&b64).map_err(|_| "the block is not base64".to_string())
}

/// A message and its SHA-256, computed on first use.
pub(crate) struct Prehash<'a> {
    message: &'a [u8],
    sha256: Option<[u8; 32]>,
}

impl<'a> Prehash<'a> {
    pub(crate) fn new(message: &'a [u8]) -> Self {
        Prehash {
            message,
            sha256: None,
        }
    }

    fn sha256(&mut self) -> &[u8; 32] {
        self.sha256
            .get_or_insert_with(|| Sha256::digest(self.message).into())
    }
}

/// The usable keys of a metadata file (root `keys`, or a targets role's `delegations.keys`),
/// parsed once, by key id. Keys of unknown types or schemes are left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyRing {
    keys: BTreeMap<String, PublicKey>,
}

impl KeyRing {
    /// Parse every key of `keys`, listed in `role` metadata. Fails on the first key of a known
    /// type that is malformed, naming its key id.
    pub fn from_keys(role: Role, keys: &BTreeMap<String, Key>) -> Result<KeyRing, Error> {
        let mut out = BTreeMap::new();
        for (keyid, key) in keys {
            match PublicKey::parse(key) {
                Ok(Some(k)) => {
                    out.insert(keyid.clone(), k);
                }
                Ok(None) => {}
                Err(problem) => {
                    return Err(Error::MalformedKey {
                        role,
                        keyid: keyid.clone(),
                        keytype: key.keytype.clone(),
                        scheme: key.scheme.clone(),
                        problem,
                    })
                }
            }
        }
        Ok(KeyRing { keys: out })
    }

    /// The usable key with id `keyid`.
    pub fn get(&self, keyid: &str) -> Option<&PublicKey> {
        self.keys.get(keyid)
    }

    /// Number of usable keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key is usable.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The distinct keys among `keyids` with a valid signature over `msg` in `signatures`
    /// (`(keyid, hex signature)` pairs). A key listed under two ids counts once; unknown ids,
    /// skipped keys and signatures that do not parse count for nothing.
    pub fn count_valid<'s>(
        &self,
        keyids: &[String],
        msg: &[u8],
        signatures: impl Iterator<Item = (&'s str, &'s str)>,
    ) -> u64 {
        let mut digest = Prehash::new(msg);
        let mut counted: Vec<&PublicKey> = Vec::new();
        for (keyid, sig_hex) in signatures {
            if !keyids.iter().any(|k| k == keyid) {
                continue;
            }
            let Some(key) = self.keys.get(keyid) else {
                continue;
            };
            if counted.contains(&key) {
                continue;
            }
            let Ok(sig) = hex::decode(sig_hex) else {
                continue;
            };
            if key.verify_prehashed(&mut digest, &sig) {
                counted.push(key);
            }
        }
        counted.len() as u64
    }
}

#[cfg(test)]
mod tests;
