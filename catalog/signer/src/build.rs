//! Pure metadata builders: construct role metadata, pin files by version/length/hash, and sign
//! the canonical JSON of `signed`. No file-system access (the test fixtures use these directly).

use std::collections::BTreeMap;

use catalog_core::metadata::{
    sha256_hex, Key, MetaFile, RoleKeys, RoleMeta, Root, Snapshot, TargetFile, Targets, Timestamp,
    SPEC_VERSION,
};
use catalog_core::{canonical, time, Role};
use serde::Serialize;

use crate::error::RepoError;
use crate::keys::KeyPair;

/// Public keys and threshold of one role.
#[derive(Clone, Debug)]
pub struct RoleSpec {
    /// Authorised public keys.
    pub keys: Vec<Key>,
    /// Distinct keys required.
    pub threshold: u64,
}

impl RoleSpec {
    /// All `keys`' public halves with `threshold`.
    pub fn of(keys: &[&KeyPair], threshold: u64) -> RoleSpec {
        RoleSpec {
            keys: keys.iter().map(|k| k.public_key()).collect(),
            threshold,
        }
    }
}

/// Keys of the four roles.
#[derive(Clone, Debug)]
pub struct RootSpec {
    /// Root role.
    pub root: RoleSpec,
    /// Timestamp role.
    pub timestamp: RoleSpec,
    /// Snapshot role.
    pub snapshot: RoleSpec,
    /// Targets role.
    pub targets: RoleSpec,
}

/// Lifetimes of each role's metadata, in seconds.
#[derive(Clone, Copy, Debug)]
pub struct Expiry {
    /// Root (default 365 days).
    pub root: i64,
    /// Targets (default 90 days).
    pub targets: i64,
    /// Snapshot (default 7 days).
    pub snapshot: i64,
    /// Timestamp (default 1 day).
    pub timestamp: i64,
}

impl Default for Expiry {
    fn default() -> Self {
        const DAY: i64 = 86_400;
        Expiry {
            root: 365 * DAY,
            targets: 90 * DAY,
            snapshot: 7 * DAY,
            timestamp: DAY,
        }
    }
}

/// Root metadata for `spec`.
pub fn build_root(spec: &RootSpec, version: u64, expires: i64, consistent_snapshot: bool) -> Root {
    let mut keys = BTreeMap::new();
    let mut roles = BTreeMap::new();
    for (role, rs) in [
        (Role::Root, &spec.root),
        (Role::Timestamp, &spec.timestamp),
        (Role::Snapshot, &spec.snapshot),
        (Role::Targets, &spec.targets),
    ] {
        let mut keyids = Vec::new();
        for k in &rs.keys {
            let id = k.keyid();
            keys.insert(id.clone(), k.clone());
            if !keyids.contains(&id) {
                keyids.push(id);
            }
        }
        roles.insert(
            role.name().to_string(),
            RoleKeys {
                keyids,
                threshold: rs.threshold,
            },
        );
    }
    Root {
        type_: "root".into(),
        spec_version: SPEC_VERSION.into(),
        consistent_snapshot,
        version,
        expires: time::format_utc(expires),
        keys,
        roles,
    }
}

/// Targets metadata listing `targets`.
pub fn targets_meta(version: u64, expires: i64, targets: BTreeMap<String, TargetFile>) -> Targets {
    Targets {
        type_: "targets".into(),
        spec_version: SPEC_VERSION.into(),
        version,
        expires: time::format_utc(expires),
        targets,
        delegations: None,
    }
}

fn pin(version: u64, bytes: &[u8]) -> MetaFile {
    let mut hashes = BTreeMap::new();
    hashes.insert("sha256".to_string(), sha256_hex(bytes));
    MetaFile {
        version,
        length: Some(bytes.len() as u64),
        hashes: Some(hashes),
    }
}

/// Snapshot metadata pinning the signed targets file `targets_bytes` (version, length, sha256).
pub fn snapshot_for(
    version: u64,
    expires: i64,
    targets_version: u64,
    targets_bytes: &[u8],
) -> Snapshot {
    let mut meta = BTreeMap::new();
    meta.insert(
        "targets.json".to_string(),
        pin(targets_version, targets_bytes),
    );
    Snapshot {
        type_: "snapshot".into(),
        spec_version: SPEC_VERSION.into(),
        version,
        expires: time::format_utc(expires),
        meta,
    }
}

/// Timestamp metadata pinning the signed snapshot file `snapshot_bytes`.
pub fn timestamp_for(
    version: u64,
    expires: i64,
    snapshot_version: u64,
    snapshot_bytes: &[u8],
) -> Timestamp {
    let mut meta = BTreeMap::new();
    meta.insert(
        "snapshot.json".to_string(),
        pin(snapshot_version, snapshot_bytes),
    );
    Timestamp {
        type_: "timestamp".into(),
        spec_version: SPEC_VERSION.into(),
        version,
        expires: time::format_utc(expires),
        meta,
    }
}

/// Sign `signed` with every key in `keys`; returns the metadata file bytes.
pub fn sign<T: RoleMeta + Serialize>(signed: &T, keys: &[&KeyPair]) -> Result<Vec<u8>, RepoError> {
    let canon =
        canonical::to_canonical_from(signed).map_err(|e| RepoError::Invalid(e.to_string()))?;
    let signatures: Vec<_> = keys.iter().map(|k| k.sign(&canon)).collect();
    let doc = serde_json::json!({ "signatures": signatures, "signed": signed });
    let mut out = serde_json::to_vec_pretty(&doc)?;
    out.push(b'\n');
    Ok(out)
}

/// A target description of `bytes` with sha256 and sha512.
pub fn target_file(bytes: &[u8], custom: Option<serde_json::Value>) -> TargetFile {
    let mut hashes = BTreeMap::new();
    hashes.insert("sha256".to_string(), sha256_hex(bytes));
    hashes.insert(
        "sha512".to_string(),
        catalog_core::metadata::sha512_hex(bytes),
    );
    TargetFile {
        length: bytes.len() as u64,
        hashes,
        custom,
    }
}
