//! TUF 1.0 metadata: the model of the four top-level roles, parsing of untrusted bytes, key ids,
//! signature threshold checks over the canonical JSON of `signed` (ed25519, ECDSA P-256 and
//! RSA-PSS keys, see [`crate::keys`]), and the length/hash checks of pinned files.
//!
//! Unknown fields are accepted and ignored (the specification requires forward compatibility);
//! they are still covered by the signature because the canonical form is computed from the
//! received `signed` object, not from the parsed model.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256, Sha512};

use crate::canonical::{to_canonical, to_canonical_from};
use crate::error::{Error, KeySource, Role};
use crate::keys::KeyRing;
use crate::time;

/// The TUF specification version written by this implementation.
pub const SPEC_VERSION: &str = "1.0.31";

/// A public key as listed in root metadata or in delegations. The types this client verifies
/// are listed in [`crate::keys`]; others are kept (and skipped when counting signatures).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Key {
    /// `"ed25519"`, `"ecdsa"`, `"rsa"`, … .
    pub keytype: String,
    /// `"ed25519"`, `"ecdsa-sha2-nistp256"`, `"rsassa-pss-sha256"`, … .
    pub scheme: String,
    /// The key material.
    pub keyval: KeyVal,
}

/// The `keyval` object of a key.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct KeyVal {
    /// The public key: 64 hex digits for ed25519, a PEM SubjectPublicKeyInfo for ECDSA and RSA.
    /// Absent in some key types this client does not verify (e.g. Sigstore identities).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public: Option<String>,
}

impl Key {
    /// An ed25519 key from its 32 raw public bytes.
    pub fn ed25519(public: &[u8; 32]) -> Key {
        Key {
            keytype: "ed25519".into(),
            scheme: "ed25519".into(),
            keyval: KeyVal {
                public: Some(hex::encode(public)),
            },
        }
    }

    /// An ECDSA P-256 key (`ecdsa` / `ecdsa-sha2-nistp256`) from its PEM SubjectPublicKeyInfo,
    /// as securesystemslib writes it.
    pub fn ecdsa_p256(public_pem: &str) -> Key {
        Key {
            keytype: "ecdsa".into(),
            scheme: "ecdsa-sha2-nistp256".into(),
            keyval: KeyVal {
                public: Some(public_pem.into()),
            },
        }
    }

    /// The TUF key id: hex sha256 of the canonical JSON of the key object.
    pub fn keyid(&self) -> String {
        let bytes = to_canonical_from(self).expect("a key object is always canonicalisable");
        hex::encode(Sha256::digest(bytes))
    }

    /// The raw ed25519 public key, if this is a well-formed ed25519 key.
    pub fn ed25519_public(&self) -> Option<[u8; 32]> {
        if self.keytype != "ed25519" || self.scheme != "ed25519" {
            return None;
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(self.keyval.public.as_ref()?, &mut out).ok()?;
        Some(out)
    }
}

/// The keys and threshold of one role.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct RoleKeys {
    /// Key ids authorised for the role.
    pub keyids: Vec<String>,
    /// Number of distinct keys that must sign.
    pub threshold: u64,
}

/// One signature of a metadata file.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    /// Key id of the signer.
    pub keyid: String,
    /// Hex-encoded signature.
    pub sig: String,
}

/// Root metadata.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Root {
    /// Always `"root"`.
    #[serde(rename = "_type")]
    pub type_: String,
    /// TUF spec version (`1.x.y`).
    pub spec_version: String,
    /// Whether snapshot/targets/target files are also published under versioned/hashed names.
    #[serde(default)]
    pub consistent_snapshot: bool,
    /// Version, starting at 1, incremented by one per rotation.
    pub version: u64,
    /// Expiry (`YYYY-MM-DDTHH:MM:SSZ`).
    pub expires: String,
    /// Keys by key id.
    pub keys: BTreeMap<String, Key>,
    /// Keys and thresholds for `root`, `timestamp`, `snapshot`, `targets`.
    pub roles: BTreeMap<String, RoleKeys>,
}

/// Version (and optionally length and hashes) of a pinned metadata file.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct MetaFile {
    /// The pinned version.
    pub version: u64,
    /// Exact length in bytes, if pinned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u64>,
    /// Hex digests by algorithm, if pinned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashes: Option<BTreeMap<String, String>>,
}

/// Timestamp metadata.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Timestamp {
    /// Always `"timestamp"`.
    #[serde(rename = "_type")]
    pub type_: String,
    /// TUF spec version.
    pub spec_version: String,
    /// Version.
    pub version: u64,
    /// Expiry.
    pub expires: String,
    /// Must contain `snapshot.json`.
    pub meta: BTreeMap<String, MetaFile>,
}

/// Snapshot metadata.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// Always `"snapshot"`.
    #[serde(rename = "_type")]
    pub type_: String,
    /// TUF spec version.
    pub spec_version: String,
    /// Version.
    pub version: u64,
    /// Expiry.
    pub expires: String,
    /// Must contain `targets.json`.
    pub meta: BTreeMap<String, MetaFile>,
}

/// One target file.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct TargetFile {
    /// Exact length in bytes.
    pub length: u64,
    /// Hex digests by algorithm.
    pub hashes: BTreeMap<String, String>,
    /// Application data (SwiftOS puts the package facts here, see [`crate::index`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<Value>,
}

/// Targets metadata.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Targets {
    /// Always `"targets"`.
    #[serde(rename = "_type")]
    pub type_: String,
    /// TUF spec version.
    pub spec_version: String,
    /// Version.
    pub version: u64,
    /// Expiry.
    pub expires: String,
    /// Target files by path.
    pub targets: BTreeMap<String, TargetFile>,
    /// Delegations to other targets roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delegations: Option<Delegations>,
}

/// The `delegations` object of targets metadata.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Delegations {
    /// Keys of the delegated roles, by key id.
    pub keys: BTreeMap<String, Key>,
    /// Delegated roles in priority order.
    pub roles: Vec<DelegatedRole>,
}

/// One delegated targets role.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct DelegatedRole {
    /// Role name (its metadata file is `NAME.json`).
    pub name: String,
    /// Authorised key ids.
    pub keyids: Vec<String>,
    /// Distinct keys required.
    pub threshold: u64,
    /// Whether a match stops the search at this role.
    #[serde(default)]
    pub terminating: bool,
    /// Target path patterns (`*` and `?` do not cross `/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paths: Option<Vec<String>>,
    /// Hex prefixes of the sha256 of target paths.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_hash_prefixes: Option<Vec<String>>,
}

impl DelegatedRole {
    /// The keys and threshold of this role.
    pub fn role_keys(&self) -> RoleKeys {
        RoleKeys {
            keyids: self.keyids.clone(),
            threshold: self.threshold,
        }
    }

    /// Whether this role is trusted for `target` (spec §5.6.7.2).
    pub fn matches(&self, target: &str) -> bool {
        if let Some(paths) = &self.paths {
            return paths.iter().any(|p| path_matches(p, target));
        }
        if let Some(prefixes) = &self.path_hash_prefixes {
            let h = sha256_hex(target.as_bytes());
            return prefixes.iter().any(|p| h.starts_with(p.as_str()));
        }
        false
    }
}

/// Shell-style pattern match per `/`-separated component (`*`, `?`, `[set]`, `[!set]`), as the
/// reference implementation does with `fnmatch` on each component.
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let pp: Vec<&str> = pattern.split('/').collect();
    let tp: Vec<&str> = path.split('/').collect();
    pp.len() == tp.len()
        && pp
            .iter()
            .zip(&tp)
            .all(|(p, t)| glob(p.as_bytes(), t.as_bytes()))
}

fn glob(p: &[u8], t: &[u8]) -> bool {
    // Iterative matcher with single-star backtracking.
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() {
            match p[pi] {
                b'*' => {
                    star = Some((pi, ti));
                    pi += 1;
                    continue;
                }
                b'?' => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                b'[' => {
                    if let Some((ok, next)) = class(&p[pi..], t[ti]) {
                        if ok {
                            pi += next;
                            ti += 1;
                            continue;
                        }
                    } else if t[ti] == b'[' {
                        pi += 1;
                        ti += 1;
                        continue;
                    }
                }
                c if c == t[ti] => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, st)) => {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// Match one byte against a `[...]` class at the start of `p`; returns (matched, class length),
/// or `None` if the class is not closed (then `[` is literal).
fn class(p: &[u8], c: u8) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = p.get(i) == Some(&b'!');
    if negate {
        i += 1;
    }
    let start = i;
    let mut hit = false;
    while i < p.len() {
        if p[i] == b']' && i > start {
            return Some((hit != negate, i + 1));
        }
        if i + 2 < p.len() && p[i + 1] == b'-' && p[i + 2] != b']' {
            if p[i] <= c && c <= p[i + 2] {
                hit = true;
            }
            i += 3;
        } else {
            if p[i] == c {
                hit = true;
            }
            i += 1;
        }
    }
    None
}

/// Structural checks of delegations: unique role names that are not top-level role names,
/// thresholds of at least one, key ids listed in `keys`, not both `paths` and prefixes.
pub fn check_delegations(d: &Delegations) -> Result<(), String> {
    for (i, r) in d.roles.iter().enumerate() {
        if Role::ALL.iter().any(|t| t.name() == r.name) {
            return Err(alloc::format!(
                "delegated role may not be named {:?}",
                r.name
            ));
        }
        if d.roles[..i].iter().any(|o| o.name == r.name) {
            return Err(alloc::format!(
                "delegated role {:?} is listed twice",
                r.name
            ));
        }
        if r.threshold == 0 {
            return Err(alloc::format!(
                "delegated role {:?} has threshold 0",
                r.name
            ));
        }
        if r.paths.is_some() && r.path_hash_prefixes.is_some() {
            return Err(alloc::format!(
                "delegated role {:?} sets both paths and path_hash_prefixes",
                r.name
            ));
        }
        for (j, id) in r.keyids.iter().enumerate() {
            if r.keyids[..j].contains(id) || !d.keys.contains_key(id) {
                return Err(alloc::format!(
                    "delegated role {:?}: key id {id} is repeated or unknown",
                    r.name
                ));
            }
        }
    }
    Ok(())
}

/// Fields common to all roles.
pub trait RoleMeta: DeserializeOwned + Serialize {
    /// The role.
    const ROLE: Role;
    /// `_type`.
    fn type_(&self) -> &str;
    /// `spec_version`.
    fn spec_version(&self) -> &str;
    /// `version`.
    fn version(&self) -> u64;
    /// `expires`.
    fn expires(&self) -> &str;
    /// Role-specific structural checks run by [`parse`].
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
    /// The keys this metadata lists (root `keys`, targets `delegations.keys`), parsed by
    /// [`parse`] into [`Envelope::keys`].
    fn listed_keys(&self) -> Option<&BTreeMap<String, Key>> {
        None
    }
}

macro_rules! role_meta {
    ($t:ty, $r:expr) => {
        impl RoleMeta for $t {
            const ROLE: Role = $r;
            fn type_(&self) -> &str {
                &self.type_
            }
            fn spec_version(&self) -> &str {
                &self.spec_version
            }
            fn version(&self) -> u64 {
                self.version
            }
            fn expires(&self) -> &str {
                &self.expires
            }
        }
    };
}
role_meta!(Timestamp, Role::Timestamp);
role_meta!(Snapshot, Role::Snapshot);

impl RoleMeta for Root {
    const ROLE: Role = Role::Root;
    fn type_(&self) -> &str {
        &self.type_
    }
    fn spec_version(&self) -> &str {
        &self.spec_version
    }
    fn version(&self) -> u64 {
        self.version
    }
    fn expires(&self) -> &str {
        &self.expires
    }
    fn listed_keys(&self) -> Option<&BTreeMap<String, Key>> {
        Some(&self.keys)
    }
}

impl RoleMeta for Targets {
    const ROLE: Role = Role::Targets;
    fn type_(&self) -> &str {
        &self.type_
    }
    fn spec_version(&self) -> &str {
        &self.spec_version
    }
    fn version(&self) -> u64 {
        self.version
    }
    fn expires(&self) -> &str {
        &self.expires
    }
    fn validate(&self) -> Result<(), String> {
        self.delegations.as_ref().map_or(Ok(()), check_delegations)
    }
    fn listed_keys(&self) -> Option<&BTreeMap<String, Key>> {
        self.delegations.as_ref().map(|d| &d.keys)
    }
}

/// Parsed, not yet verified metadata: the model plus the canonical bytes that signatures cover.
#[derive(Clone, Debug)]
pub struct Envelope<T> {
    /// The parsed `signed` object.
    pub signed: T,
    /// Canonical JSON of the received `signed` object.
    pub canonical: Vec<u8>,
    /// The signatures.
    pub signatures: Vec<Signature>,
    /// The keys the metadata lists (root `keys`, targets `delegations.keys`), parsed once;
    /// empty for timestamp and snapshot.
    pub keys: KeyRing,
}

/// The outer shape of every metadata file.
#[derive(Deserialize)]
struct RawEnvelope {
    signed: Value,
    signatures: Vec<Signature>,
}

/// Parse untrusted metadata bytes of role `T::ROLE`. Checks shape, `_type`, `spec_version`,
/// `version >= 1`, the expiry format and that no key signs twice, and parses the keys it lists
/// (a malformed key of a known type is [`Error::MalformedKey`]); does not check signatures.
pub fn parse<T: RoleMeta>(bytes: &[u8]) -> Result<Envelope<T>, Error> {
    let role = T::ROLE;
    let malformed = |detail: String| Error::Malformed { role, detail };
    let raw: RawEnvelope = serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
    if let Some(found) = raw.signed.get("_type").and_then(Value::as_str) {
        if found != role.name() {
            return Err(Error::WrongType {
                role,
                found: found.into(),
            });
        }
    }
    let canonical = to_canonical(&raw.signed).map_err(|e| malformed(e.to_string()))?;
    let signed: T = serde_json::from_value(raw.signed).map_err(|e| malformed(e.to_string()))?;
    if signed.type_() != role.name() {
        return Err(Error::WrongType {
            role,
            found: signed.type_().into(),
        });
    }
    let sv = signed.spec_version();
    let mut parts = sv.split('.');
    let major = parts.next();
    let rest_ok = parts.clone().count() >= 1
        && parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if major != Some("1") || !rest_ok {
        return Err(Error::UnsupportedSpecVersion {
            role,
            found: sv.into(),
        });
    }
    if signed.version() == 0 {
        return Err(malformed("version must be at least 1".into()));
    }
    if time::parse_utc(signed.expires()).is_none() {
        return Err(malformed(alloc::format!(
            "expires {:?} is not YYYY-MM-DDTHH:MM:SSZ",
            signed.expires()
        )));
    }
    signed.validate().map_err(malformed)?;
    check_distinct_signers(role, &raw.signatures)?;
    let keys = match signed.listed_keys() {
        Some(k) => KeyRing::from_keys(role, k)?,
        None => KeyRing::default(),
    };
    Ok(Envelope {
        signed,
        canonical,
        signatures: raw.signatures,
        keys,
    })
}

/// Refuse a signature list that names one key id twice.
fn check_distinct_signers(role: Role, signatures: &[Signature]) -> Result<(), Error> {
    for (i, s) in signatures.iter().enumerate() {
        if signatures[..i].iter().any(|o| o.keyid == s.keyid) {
            return Err(Error::DuplicateSignature {
                role,
                keyid: s.keyid.clone(),
            });
        }
    }
    Ok(())
}

/// Structural checks of root metadata: every top-level role is present with a threshold of at
/// least one, its key ids are unique and every key id is listed in `keys`.
pub fn check_root(root: &Root) -> Result<(), Error> {
    for role in Role::ALL {
        let rk = root
            .roles
            .get(role.name())
            .ok_or_else(|| Error::InvalidRoot {
                detail: alloc::format!("role {role} is missing"),
            })?;
        if rk.threshold == 0 {
            return Err(Error::InvalidRoot {
                detail: alloc::format!("role {role} has threshold 0"),
            });
        }
        for (i, id) in rk.keyids.iter().enumerate() {
            if rk.keyids[..i].contains(id) {
                return Err(Error::InvalidRoot {
                    detail: alloc::format!("role {role} lists key {id} twice"),
                });
            }
            if !root.keys.contains_key(id) {
                return Err(Error::InvalidRoot {
                    detail: alloc::format!("role {role} names key {id}, which is not in keys"),
                });
            }
        }
    }
    Ok(())
}

/// Check that `env` is signed by at least the threshold of distinct keys that `root` authorises
/// for `role`. Signatures by unknown keys, skipped key types or invalid signatures are ignored;
/// two key ids carrying the same public key count once. Parses root's keys on every call: for
/// one-off checks; the client uses [`verify_with_root`] with the keys parsed once.
pub fn verify_signatures<T: RoleMeta>(
    env: &Envelope<T>,
    root: &Root,
    role: Role,
    keys: KeySource,
) -> Result<(), Error> {
    let ring = KeyRing::from_keys(Role::Root, &root.keys)?;
    verify_threshold(env, &ring, role_keys(root, role)?, keys)
}

/// [`verify_signatures`] against parsed root metadata (its keys parsed once by [`parse`]).
pub fn verify_with_root<T: RoleMeta>(
    env: &Envelope<T>,
    root: &Envelope<Root>,
    role: Role,
    keys: KeySource,
) -> Result<(), Error> {
    verify_threshold(env, &root.keys, role_keys(&root.signed, role)?, keys)
}

fn role_keys(root: &Root, role: Role) -> Result<&RoleKeys, Error> {
    root.roles
        .get(role.name())
        .ok_or_else(|| Error::InvalidRoot {
            detail: alloc::format!("role {role} is missing"),
        })
}

/// Check that `env` carries valid signatures from at least `rk.threshold` distinct keys of
/// `rk.keyids` (looked up in `keys`).
pub fn verify_threshold<T: RoleMeta>(
    env: &Envelope<T>,
    keys: &KeyRing,
    rk: &RoleKeys,
    source: KeySource,
) -> Result<(), Error> {
    let sigs = env
        .signatures
        .iter()
        .map(|s| (s.keyid.as_str(), s.sig.as_str()));
    let valid = keys.count_valid(&rk.keyids, &env.canonical, sigs);
    if valid < rk.threshold {
        return Err(Error::ThresholdNotMet {
            role: T::ROLE,
            version: env.signed.version(),
            valid,
            threshold: rk.threshold,
            keys: source,
        });
    }
    Ok(())
}

/// Fail with [`Error::Expired`] if `meta` expires at or before `now` (Unix seconds).
pub fn check_expiry<T: RoleMeta>(meta: &T, now: i64) -> Result<(), Error> {
    // `parse` already checked the format; an unparsable date counts as expired.
    let expires = time::parse_utc(meta.expires()).unwrap_or(i64::MIN);
    if now >= expires {
        return Err(Error::Expired {
            role: T::ROLE,
            version: meta.version(),
            expires: meta.expires().into(),
            now: time::format_utc(now),
        });
    }
    Ok(())
}

/// Incremental length and hash check of a file pinned by length and hashes, for streamed
/// downloads. Every supported algorithm listed (sha256, sha512) is checked; at least one must be.
pub struct PinnedCheck {
    what: String,
    length: Option<u64>,
    sha256: Option<(String, Sha256)>,
    sha512: Option<(String, Sha512)>,
    seen: u64,
}

impl PinnedCheck {
    /// Start a check. `hashes` may be `None` only when `require_hash` is false (metadata files
    /// whose pin carries only a version).
    pub fn new(
        what: &str,
        length: Option<u64>,
        hashes: Option<&BTreeMap<String, String>>,
        require_hash: bool,
    ) -> Result<Self, Error> {
        let mut c = PinnedCheck {
            what: what.into(),
            length,
            sha256: None,
            sha512: None,
            seen: 0,
        };
        if let Some(h) = hashes {
            if let Some(v) = h.get("sha256") {
                c.sha256 = Some((v.to_ascii_lowercase(), Sha256::new()));
            }
            if let Some(v) = h.get("sha512") {
                c.sha512 = Some((v.to_ascii_lowercase(), Sha512::new()));
            }
            if c.sha256.is_none() && c.sha512.is_none() && (require_hash || !h.is_empty()) {
                return Err(Error::NoSupportedHash { what: what.into() });
            }
        } else if require_hash {
            return Err(Error::NoSupportedHash { what: what.into() });
        }
        Ok(c)
    }

    /// Feed the next chunk. Fails as soon as the pinned length is exceeded.
    pub fn update(&mut self, chunk: &[u8]) -> Result<(), Error> {
        self.seen += chunk.len() as u64;
        if let Some(len) = self.length {
            if self.seen > len {
                return Err(Error::LengthMismatch {
                    what: self.what.clone(),
                    expected: len,
                    found: self.seen,
                });
            }
        }
        if let Some((_, h)) = &mut self.sha256 {
            h.update(chunk);
        }
        if let Some((_, h)) = &mut self.sha512 {
            h.update(chunk);
        }
        Ok(())
    }

    /// Finish: the length must match exactly and every listed hash must match.
    pub fn finish(self) -> Result<(), Error> {
        if let Some(len) = self.length {
            if self.seen != len {
                return Err(Error::LengthMismatch {
                    what: self.what,
                    expected: len,
                    found: self.seen,
                });
            }
        }
        if let Some((expected, h)) = self.sha256 {
            let found = hex::encode(h.finalize());
            if found != expected {
                return Err(Error::HashMismatch {
                    what: self.what,
                    algorithm: "sha256".into(),
                    expected,
                    found,
                });
            }
        }
        if let Some((expected, h)) = self.sha512 {
            let found = hex::encode(h.finalize());
            if found != expected {
                return Err(Error::HashMismatch {
                    what: self.what,
                    algorithm: "sha512".into(),
                    expected,
                    found,
                });
            }
        }
        Ok(())
    }
}

/// Check complete bytes against a pin (see [`PinnedCheck`]).
pub fn check_pinned(
    what: &str,
    bytes: &[u8],
    length: Option<u64>,
    hashes: Option<&BTreeMap<String, String>>,
    require_hash: bool,
) -> Result<(), Error> {
    let mut c = PinnedCheck::new(what, length, hashes, require_hash)?;
    c.update(bytes)?;
    c.finish()
}

/// Hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Hex sha512 of `bytes`.
pub fn sha512_hex(bytes: &[u8]) -> String {
    hex::encode(Sha512::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_never_panics() {
        let samples: &[&[u8]] = &[
            b"",
            b"{",
            b"null",
            b"[]",
            b"{\"signed\":{},\"signatures\":[]}",
            b"{\"signed\":{\"_type\":\"root\"},\"signatures\":{}}",
            b"{\"signed\":{\"_type\":\"root\",\"version\":1.5},\"signatures\":[]}",
            b"{\"signed\":{\"_type\":\"timestamp\",\"spec_version\":\"1.0\",\"version\":1,\"expires\":\"x\",\"meta\":{}},\"signatures\":[]}",
            &[0xff, 0xfe, 0x00],
        ];
        for s in samples {
            assert!(parse::<Root>(s).is_err());
            assert!(parse::<Timestamp>(s).is_err());
            assert!(parse::<Snapshot>(s).is_err());
            assert!(parse::<Targets>(s).is_err());
        }
        // Deep nesting hits serde_json's recursion limit instead of the stack.
        let deep: Vec<u8> = core::iter::repeat_n(b'[', 100_000).collect();
        assert!(parse::<Root>(&deep).is_err());
    }

    #[test]
    fn path_patterns() {
        for (p, t, m) in [
            ("*", "file.txt", true),
            ("*", "dir/file.txt", false),
            ("dir/*", "dir/file.txt", true),
            ("dir/*.txt", "dir/a.txt", true),
            ("dir/*.txt", "dir/a.tar", false),
            ("*/*", "a/b", true),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("[ab]x", "bx", true),
            ("[!ab]x", "bx", false),
            ("[a-c]*", "cat", true),
            ("[", "[", true),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
            ("", "", true),
        ] {
            assert_eq!(path_matches(p, t), m, "{p} {t}");
        }
    }

    #[test]
    fn keyid_is_sha256_of_canonical_key() {
        let k = Key::ed25519(&[7u8; 32]);
        let canon = alloc::format!(
            "{{\"keytype\":\"ed25519\",\"keyval\":{{\"public\":\"{}\"}},\"scheme\":\"ed25519\"}}",
            hex::encode([7u8; 32])
        );
        assert_eq!(k.keyid(), sha256_hex(canon.as_bytes()));
    }

    #[test]
    fn pinned_check_reports_length_and_hash() {
        let data = b"hello";
        let mut h = BTreeMap::new();
        h.insert("sha256".to_string(), sha256_hex(data));
        assert!(check_pinned("x", data, Some(5), Some(&h), true).is_ok());
        assert!(matches!(
            check_pinned("x", data, Some(4), Some(&h), true),
            Err(Error::LengthMismatch {
                expected: 4,
                found: 5,
                ..
            })
        ));
        assert!(matches!(
            check_pinned("x", b"hellp", Some(5), Some(&h), true),
            Err(Error::HashMismatch { .. })
        ));
        let mut md5 = BTreeMap::new();
        md5.insert("md5".to_string(), "00".to_string());
        assert!(matches!(
            check_pinned("x", data, Some(5), Some(&md5), true),
            Err(Error::NoSupportedHash { .. })
        ));
    }
}
