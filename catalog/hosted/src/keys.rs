//! The publisher's key directory: one key file per TUF role (`root.key`, `timestamp.key`,
//! `snapshot.key`, `targets.key`), the package signing key `package.key` / `package.pub` (made
//! with the role keys, distinct from the root key, which is meant to stay offline) and any
//! number of further package-signing public keys `package*.pub`. Packages must be signed by one
//! of those package keys or by the root key; `pkg repo set URL --root-key repo-root.pub` trusts
//! the root key for packages, the package keys are listed in `hosted-repo.json` for
//! `--package-key`. Signing packages with the root key is the named opt-in
//! [`PackageSigner::RootKey`].
//!
//! The root key is ed25519 (the format `swpkg keygen` writes): clients pin it and it signs
//! packages, both ed25519-only. The timestamp, snapshot and targets keys may be ed25519 or ECDSA
//! P-256 (PEM files, see [`catalog_signer::keys`]); [`generate_keys_of`] makes either.

use std::fs;
use std::path::{Path, PathBuf};

use catalog_signer::{KeyPair, KeyType, RoleSpec, RootSpec, Signers};
use ed25519_dalek::VerifyingKey;

use crate::error::HostedError;

/// Role key file names, in the order root, timestamp, snapshot, targets.
pub const ROLE_KEY_NAMES: [&str; 4] = ["root", "timestamp", "snapshot", "targets"];

/// The package signing key's file name stem (`package.key`, `package.pub`).
pub const PACKAGE_KEY_NAME: &str = "package";

/// The warning to show whoever chooses [`PackageSigner::RootKey`].
pub const ROOT_KEY_SIGNING_WARNING: &str = "warning: signing packages with the repository's root \
     key, which is meant to stay offline: whoever obtains it can replace every key of the \
     repository; sign with the package key (package.key) instead";

/// Why the publisher refuses a package signed with the root key unless
/// [`crate::PublishOptions::root_signed_packages`] opts in.
pub const ROOT_SIGNED_PACKAGE_REFUSED: &str = "is signed with the repository's root key, which is \
     meant to stay offline; sign it with the package key (package.key, made by `swport repo \
     keygen`), or opt in by name with `swport repo publish --allow-root-signed-packages`";

/// Which key of a key directory signs packages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageSigner {
    /// `package.key`, the default.
    PackageKey,
    /// `root.key`: a named opt-in (see [`ROOT_KEY_SIGNING_WARNING`]), for clients that trust
    /// only the pinned root key for packages.
    RootKey,
}

impl PackageSigner {
    /// The secret key file of `dir` this signer names.
    pub fn key_file(self, dir: &Path) -> PathBuf {
        match self {
            PackageSigner::PackageKey => dir.join(format!("{PACKAGE_KEY_NAME}.key")),
            PackageSigner::RootKey => dir.join("root.key"),
        }
    }
}

/// The keys of a publisher.
#[derive(Debug, Clone)]
pub struct PublisherKeys {
    /// Root role key.
    pub root: KeyPair,
    /// Timestamp role key.
    pub timestamp: KeyPair,
    /// Snapshot role key.
    pub snapshot: KeyPair,
    /// Targets role key.
    pub targets: KeyPair,
    /// Keys trusted to sign packages (the root key first).
    pub package_keys: Vec<VerifyingKey>,
}

/// The ed25519 public key of a key pair, if it is an ed25519 key.
pub fn verifying_key(k: &KeyPair) -> Option<VerifyingKey> {
    k.ed25519().map(|s| s.verifying_key())
}

fn ecdsa_root(path: &Path) -> HostedError {
    HostedError::Keys {
        path: path.into(),
        reason: "is not an ed25519 key; the root key of a hosted repository must be ed25519 \
                 (clients pin it with `pkg repo set URL --root-key repo-root.pub`, and it signs \
                 packages); `swport repo keygen --key-type ecdsa` makes ECDSA P-256 keys for \
                 the timestamp, snapshot and targets roles and an ed25519 root key"
            .into(),
    }
}

impl PublisherKeys {
    /// Read `DIR/{root,timestamp,snapshot,targets}.key` and `DIR/package*.pub`.
    pub fn load(dir: &Path) -> Result<PublisherKeys, HostedError> {
        if !dir.is_dir() {
            return Err(HostedError::Keys {
                path: dir.into(),
                reason: "no such directory; create development keys with \
                         `catalog_hosted::generate_keys` (`swport repo keygen`) first"
                    .into(),
            });
        }
        let read = |name: &str| -> Result<KeyPair, HostedError> {
            let p = dir.join(format!("{name}.key"));
            if !p.exists() {
                return Err(HostedError::Keys {
                    path: p,
                    reason: format!("missing: the {name} role's secret key is needed to sign"),
                });
            }
            Ok(KeyPair::read(&p)?)
        };
        let root = read("root")?;
        let root_vk = verifying_key(&root).ok_or_else(|| ecdsa_root(&dir.join("root.key")))?;
        let timestamp = read("timestamp")?;
        let snapshot = read("snapshot")?;
        let targets = read("targets")?;
        let mut package_keys = vec![root_vk];
        for p in package_key_files(dir)? {
            let k = swpkg_keys::read_public_key(&p).map_err(|e| HostedError::Keys {
                path: p.clone(),
                reason: e.to_string(),
            })?;
            if !package_keys.contains(&k) {
                package_keys.push(k);
            }
        }
        Ok(PublisherKeys {
            root,
            timestamp,
            snapshot,
            targets,
            package_keys,
        })
    }

    /// The root key's ed25519 public key (the key clients pin and that signs packages).
    pub fn root_verifying_key(&self) -> Result<VerifyingKey, HostedError> {
        verifying_key(&self.root).ok_or_else(|| ecdsa_root(Path::new("root.key")))
    }

    /// The root specification: one key per role, threshold 1.
    pub fn root_spec(&self) -> RootSpec {
        RootSpec {
            root: RoleSpec::of(&[&self.root], 1),
            timestamp: RoleSpec::of(&[&self.timestamp], 1),
            snapshot: RoleSpec::of(&[&self.snapshot], 1),
            targets: RoleSpec::of(&[&self.targets], 1),
        }
    }
}

/// `DIR/package*.pub`, sorted.
fn package_key_files(dir: &Path) -> Result<Vec<PathBuf>, HostedError> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(HostedError::io("cannot list", dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("package") && n.ends_with(".pub"))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Signing with [`PublisherKeys`] (kept apart because [`Signers`] borrows slices).
pub(crate) struct SignerSet<'a> {
    targets: [&'a KeyPair; 1],
    snapshot: [&'a KeyPair; 1],
    timestamp: [&'a KeyPair; 1],
}

impl<'a> SignerSet<'a> {
    pub(crate) fn new(k: &'a PublisherKeys) -> Self {
        SignerSet {
            targets: [&k.targets],
            snapshot: [&k.snapshot],
            timestamp: [&k.timestamp],
        }
    }
    pub(crate) fn signers(&self) -> Signers<'_> {
        Signers {
            targets: &self.targets,
            snapshot: &self.snapshot,
            timestamp: &self.timestamp,
        }
    }
}

/// Create fresh development keys `DIR/{root,timestamp,snapshot,targets,package}.{key,pub}`
/// (secret keys mode 0600), all ed25519. Refuses to overwrite existing keys. Returns the key
/// files written.
pub fn generate_keys(dir: &Path) -> Result<Vec<PathBuf>, HostedError> {
    generate_keys_of(dir, KeyType::Ed25519)
}

/// [`generate_keys`] with timestamp, snapshot and targets keys of `key_type`; the root and
/// package keys are ed25519 whatever `key_type` is (see the module documentation).
pub fn generate_keys_of(dir: &Path, key_type: KeyType) -> Result<Vec<PathBuf>, HostedError> {
    for name in ROLE_KEY_NAMES.iter().chain([&PACKAGE_KEY_NAME]) {
        let p = dir.join(format!("{name}.key"));
        if p.exists() {
            return Err(HostedError::Keys {
                path: p,
                reason: "already exists; keys are never overwritten (move them away first)".into(),
            });
        }
    }
    let mut written = Vec::new();
    for name in ROLE_KEY_NAMES {
        let t = if name == "root" {
            KeyType::Ed25519
        } else {
            key_type
        };
        let (s, p) = KeyPair::generate_of(t)?.write(dir, name)?;
        written.push(s);
        written.push(p);
    }
    written.extend(generate_package_key(dir)?);
    Ok(written)
}

/// Create the package signing key `DIR/package.{key,pub}` (ed25519, the package format's key
/// type), e.g. for a key directory made before package keys were separate. Refuses to
/// overwrite. Returns the two files.
pub fn generate_package_key(dir: &Path) -> Result<Vec<PathBuf>, HostedError> {
    let (secret, public, _) =
        swpkg_keys::keygen(dir, PACKAGE_KEY_NAME).map_err(|e| HostedError::Keys {
            path: dir.join(format!("{PACKAGE_KEY_NAME}.key")),
            reason: e.to_string(),
        })?;
    Ok(vec![secret, public])
}
