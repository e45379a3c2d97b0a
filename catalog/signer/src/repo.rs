//! A repository directory on disk: `metadata/` (`N.root.json`, `root.json`, `targets.json`,
//! `snapshot.json`, `timestamp.json`, plus `N.targets.json`/`N.snapshot.json` with consistent
//! snapshots) and `targets/` (the target files, plus `HASH.name` copies with consistent
//! snapshots). Every file is written atomically (temporary file + rename), and every piece of
//! metadata is checked with the client's own verification before it is written.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use catalog_core::client::verify_self_signed_root;
use catalog_core::index::{
    valid_name, PackageMeta, RepoMeta, INDEX_FORMAT, PACKAGE_KEY, REPO_KEY, REPO_TARGET,
};
use catalog_core::metadata::{
    check_root, parse, sha256_hex, verify_signatures, RoleMeta, Root, Snapshot, Targets, Timestamp,
};
use catalog_core::{error::KeySource, Compat, Role};
use serde_json::json;

use crate::build::{
    build_root, sign, snapshot_for, target_file, targets_meta, timestamp_for, Expiry, RootSpec,
};
use crate::error::RepoError;
use crate::keys::KeyPair;

/// The keys that sign a publication.
#[derive(Clone, Copy, Debug)]
pub struct Signers<'a> {
    /// Targets keys.
    pub targets: &'a [&'a KeyPair],
    /// Snapshot keys.
    pub snapshot: &'a [&'a KeyPair],
    /// Timestamp keys.
    pub timestamp: &'a [&'a KeyPair],
}

/// An open repository directory.
#[derive(Debug)]
pub struct Repository {
    dir: PathBuf,
    root: Root,
    targets: Targets,
    snapshot_version: u64,
    timestamp_version: u64,
    expiry: Expiry,
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), RepoError> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(RepoError::io("cannot create", parent))?;
    }
    atomic_write::write(path, bytes).map_err(RepoError::io("cannot write", path))
}

fn check_signed<T: RoleMeta>(bytes: &[u8], root: &Root, role: Role) -> Result<(), RepoError> {
    let env = parse::<T>(bytes)?;
    verify_signatures(&env, root, role, KeySource::TrustedRoot)?;
    Ok(())
}

/// Whether `path` is an acceptable target path (relative, `/`-separated, no empty, `.` or `..`
/// component, no backslash or control characters).
pub fn valid_target_path(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= 1024
        && !path.starts_with('/')
        && !path.bytes().any(|b| b == b'\\' || b < 0x20 || b == 0x7f)
        && path
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..")
}

impl Repository {
    /// Create a new repository in `dir` (which must not hold one yet): root version 1 signed
    /// by `root_signers`, and the `swiftos-repo.json` compatibility target. Call
    /// [`Repository::publish`] to write targets, snapshot and timestamp.
    pub fn create(
        dir: &Path,
        spec: &RootSpec,
        root_signers: &[&KeyPair],
        consistent_snapshot: bool,
        expiry: Expiry,
        compat: &Compat,
        now: i64,
    ) -> Result<Repository, RepoError> {
        let meta_dir = dir.join("metadata");
        if meta_dir.join("root.json").exists() {
            return Err(RepoError::Invalid(format!(
                "{} already holds a repository",
                dir.display()
            )));
        }
        let root = build_root(spec, 1, now + expiry.root, consistent_snapshot);
        let bytes = sign(&root, root_signers)?;
        verify_self_signed_root(&bytes)?;
        write_atomic(&meta_dir.join("1.root.json"), &bytes)?;
        write_atomic(&meta_dir.join("root.json"), &bytes)?;
        let mut repo = Repository {
            dir: dir.to_path_buf(),
            root,
            targets: targets_meta(0, now, BTreeMap::new()),
            snapshot_version: 0,
            timestamp_version: 0,
            expiry,
        };
        let contract = RepoMeta {
            format: INDEX_FORMAT,
            arch: compat.arch.clone(),
            abi: compat.abi,
            package_keys: Vec::new(),
        };
        repo.set_contract(&contract)?;
        Ok(repo)
    }

    fn set_contract(&mut self, contract: &RepoMeta) -> Result<(), RepoError> {
        let body = serde_json::to_vec_pretty(contract)?;
        self.add_target(REPO_TARGET, &body, Some(json!({ REPO_KEY: contract })))
    }

    /// The repository's contract (`swiftos-repo.json`'s custom metadata), if it has one.
    pub fn contract(&self) -> Option<RepoMeta> {
        self.targets
            .targets
            .get(REPO_TARGET)
            .and_then(|t| t.custom.as_ref())
            .and_then(|c| c.get(REPO_KEY))
            .and_then(|v| serde_json::from_value::<RepoMeta>(v.clone()).ok())
    }

    /// List `keys` (ed25519, 64 lowercase hex digits each) as the keys that sign this
    /// repository's packages, in the signed targets metadata (see `catalog_core::index`).
    /// Returns whether the list changed; the change is signed at the next [`Repository::publish`].
    pub fn set_package_keys(&mut self, keys: &[String]) -> Result<bool, RepoError> {
        if let Some(k) = keys
            .iter()
            .find(|k| !catalog_core::index::valid_package_key(k))
        {
            return Err(RepoError::Invalid(format!(
                "package key {k:?} is not an ed25519 key in 64 lowercase hex digits"
            )));
        }
        let mut contract = self.contract().ok_or_else(|| {
            RepoError::Invalid(format!("the repository has no {REPO_TARGET} contract"))
        })?;
        if contract.package_keys == keys {
            return Ok(false);
        }
        contract.package_keys = keys.to_vec();
        self.set_contract(&contract)?;
        Ok(true)
    }

    /// Open an existing repository directory.
    pub fn open(dir: &Path, expiry: Expiry) -> Result<Repository, RepoError> {
        let meta_dir = dir.join("metadata");
        let read = |name: &str| -> Result<Option<Vec<u8>>, RepoError> {
            let p = meta_dir.join(name);
            match fs::read(&p) {
                Ok(b) => Ok(Some(b)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(RepoError::Io {
                    action: "cannot read",
                    path: p,
                    source: e,
                }),
            }
        };
        let root_bytes = read("root.json")?.ok_or_else(|| {
            RepoError::Invalid(format!("{} holds no metadata/root.json", dir.display()))
        })?;
        let root = parse::<Root>(&root_bytes)?.signed;
        let targets = match read("targets.json")? {
            Some(b) => parse::<Targets>(&b)?.signed,
            None => targets_meta(0, 0, BTreeMap::new()),
        };
        let snapshot_version = read("snapshot.json")?
            .map(|b| parse::<Snapshot>(&b))
            .transpose()?
            .map_or(0, |e| e.signed.version);
        let timestamp_version = read("timestamp.json")?
            .map(|b| parse::<Timestamp>(&b))
            .transpose()?
            .map_or(0, |e| e.signed.version);
        Ok(Repository {
            dir: dir.to_path_buf(),
            root,
            targets,
            snapshot_version,
            timestamp_version,
            expiry,
        })
    }

    /// The repository directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The current root.
    pub fn root(&self) -> &Root {
        &self.root
    }

    /// The current (possibly unpublished) targets.
    pub fn targets(&self) -> &Targets {
        &self.targets
    }

    /// Write root version N+1 for `spec`, signed by `signers`, which must include a threshold of
    /// the current root keys and of the new root keys. Publish again afterwards if the
    /// timestamp, snapshot or targets keys changed.
    pub fn rotate_root(
        &mut self,
        spec: &RootSpec,
        signers: &[&KeyPair],
        now: i64,
    ) -> Result<(), RepoError> {
        let new = build_root(
            spec,
            self.root.version + 1,
            now + self.expiry.root,
            self.root.consistent_snapshot,
        );
        let bytes = sign(&new, signers)?;
        let env = parse::<Root>(&bytes)?;
        verify_signatures(&env, &self.root, Role::Root, KeySource::TrustedRoot)?;
        check_root(&env.signed)?;
        verify_signatures(&env, &env.signed, Role::Root, KeySource::NewRoot)?;
        let meta_dir = self.dir.join("metadata");
        write_atomic(&meta_dir.join(format!("{}.root.json", new.version)), &bytes)?;
        write_atomic(&meta_dir.join("root.json"), &bytes)?;
        self.root = new;
        Ok(())
    }

    /// Add (or replace) a target file with optional custom metadata.
    pub fn add_target(
        &mut self,
        path: &str,
        bytes: &[u8],
        custom: Option<serde_json::Value>,
    ) -> Result<(), RepoError> {
        if !valid_target_path(path) {
            return Err(RepoError::Invalid(format!("invalid target path {path:?}")));
        }
        let tdir = self.dir.join("targets");
        write_atomic(&tdir.join(path), bytes)?;
        if self.root.consistent_snapshot {
            let hashed = match path.rsplit_once('/') {
                Some((d, f)) => format!("{d}/{}.{f}", sha256_hex(bytes)),
                None => format!("{}.{path}", sha256_hex(bytes)),
            };
            write_atomic(&tdir.join(hashed), bytes)?;
        }
        self.targets
            .targets
            .insert(path.into(), target_file(bytes, custom));
        Ok(())
    }

    /// Remove a target from the targets metadata (the files stay for clients of older
    /// snapshots).
    pub fn remove_target(&mut self, path: &str) -> bool {
        self.targets.targets.remove(path).is_some()
    }

    /// Add a package file with its facts (taken from the package manifest). Returns the target
    /// path `packages/NAME-VERSION.swpkg`. Refuses facts that clients would refuse.
    pub fn add_package(&mut self, meta: &PackageMeta, bytes: &[u8]) -> Result<String, RepoError> {
        let bad =
            |m: String| RepoError::Invalid(format!("package {} {}: {m}", meta.name, meta.version));
        if !valid_name(&meta.name) {
            return Err(bad("invalid package name".into()));
        }
        semver::Version::parse(&meta.version).map_err(|e| bad(format!("version: {e}")))?;
        for (d, r) in &meta.deps {
            if !valid_name(d) {
                return Err(bad(format!("invalid dependency name {d:?}")));
            }
            semver::VersionReq::parse(r).map_err(|e| bad(format!("requirement {d} {r:?}: {e}")))?;
        }
        if let Some(contract) = self.contract() {
            if contract.arch != meta.arch || contract.abi != meta.abi {
                return Err(bad(format!(
                    "built for {} ABI {}, but this repository serves {} ABI {}",
                    meta.arch, meta.abi, contract.arch, contract.abi
                )));
            }
        }
        let path = format!("packages/{}-{}.swpkg", meta.name, meta.version);
        self.add_target(&path, bytes, Some(json!({ PACKAGE_KEY: meta })))?;
        Ok(path)
    }

    /// Publish: sign and write targets (version + 1), snapshot (version + 1, pinning targets)
    /// and timestamp (version + 1, pinning snapshot).
    pub fn publish(&mut self, signers: &Signers<'_>, now: i64) -> Result<(), RepoError> {
        let meta_dir = self.dir.join("metadata");
        let consistent = self.root.consistent_snapshot;
        let mut targets = self.targets.clone();
        targets.version += 1;
        targets.expires = catalog_core::time::format_utc(now + self.expiry.targets);
        let t_bytes = sign(&targets, signers.targets)?;
        check_signed::<Targets>(&t_bytes, &self.root, Role::Targets)?;

        let snapshot = snapshot_for(
            self.snapshot_version + 1,
            now + self.expiry.snapshot,
            targets.version,
            &t_bytes,
        );
        let s_bytes = sign(&snapshot, signers.snapshot)?;
        check_signed::<Snapshot>(&s_bytes, &self.root, Role::Snapshot)?;

        let timestamp = timestamp_for(
            self.timestamp_version + 1,
            now + self.expiry.timestamp,
            snapshot.version,
            &s_bytes,
        );
        let ts_bytes = sign(&timestamp, signers.timestamp)?;
        check_signed::<Timestamp>(&ts_bytes, &self.root, Role::Timestamp)?;

        if consistent {
            write_atomic(
                &meta_dir.join(format!("{}.targets.json", targets.version)),
                &t_bytes,
            )?;
            write_atomic(
                &meta_dir.join(format!("{}.snapshot.json", snapshot.version)),
                &s_bytes,
            )?;
        }
        write_atomic(&meta_dir.join("targets.json"), &t_bytes)?;
        write_atomic(&meta_dir.join("snapshot.json"), &s_bytes)?;
        // The timestamp goes last: until it is replaced, clients see the previous state.
        write_atomic(&meta_dir.join("timestamp.json"), &ts_bytes)?;
        self.targets = targets;
        self.snapshot_version = snapshot.version;
        self.timestamp_version = timestamp.version;
        Ok(())
    }

    /// Re-sign only the timestamp (version + 1) over the current snapshot, extending its expiry.
    pub fn renew_timestamp(&mut self, keys: &[&KeyPair], now: i64) -> Result<(), RepoError> {
        let meta_dir = self.dir.join("metadata");
        let s_path = meta_dir.join("snapshot.json");
        let s_bytes = fs::read(&s_path).map_err(RepoError::io("cannot read", &s_path))?;
        let timestamp = timestamp_for(
            self.timestamp_version + 1,
            now + self.expiry.timestamp,
            self.snapshot_version,
            &s_bytes,
        );
        let ts_bytes = sign(&timestamp, keys)?;
        check_signed::<Timestamp>(&ts_bytes, &self.root, Role::Timestamp)?;
        write_atomic(&meta_dir.join("timestamp.json"), &ts_bytes)?;
        self.timestamp_version = timestamp.version;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_paths() {
        for ok in ["a", "packages/x-1.0.0.swpkg", "a/b/c.txt"] {
            assert!(valid_target_path(ok), "{ok}");
        }
        for bad in [
            "", "/abs", "a/../b", "a//b", "./a", "a/", "a\\b", "a\nb", "..",
        ] {
            assert!(!valid_target_path(bad), "{bad:?}");
        }
    }
}
