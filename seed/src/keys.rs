//! The seed repository's development keys, `build/keys/seed-keys` of the clone (identity, kept
//! with the clone, never in the user's build cache), made by [`catalog_hosted::generate_keys`]
//! on first use (role keys and a separate package key; a package key is added to key
//! directories made before). The base image pins `root.pub` of this directory as `/etc/swos/repo-root.pub`,
//! so keys an older checkout made in `.cache/seed-keys` are moved here rather than replaced.

use std::fs;
use std::path::{Path, PathBuf};

use catalog_hosted::PackageSigner;

use crate::error::SeedError;

/// The seed key directory of the clone at `repo_root`, created (or taken over) on first use.
pub fn keys_dir(repo_root: &Path) -> Result<PathBuf, SeedError> {
    let dir = repo_root.join("build/keys/seed-keys");
    let legacy = repo_root.join(".cache/seed-keys");
    if !dir.exists() && legacy.join("root.key").is_file() {
        let keys = repo_root.join("build/keys");
        fs::create_dir_all(&keys).map_err(SeedError::io("cannot create", &keys))?;
        fs::rename(&legacy, &dir).map_err(SeedError::io(
            "cannot move the seed keys (move them by hand to build/keys/seed-keys) from",
            &legacy,
        ))?;
        // The old folder goes once it is empty (`remove_dir` leaves anything else alone).
        let _ = fs::remove_dir(repo_root.join(".cache"));
    }
    if !dir.join("root.key").exists() {
        fs::create_dir_all(&dir).map_err(SeedError::io("cannot create", &dir))?;
        catalog_hosted::generate_keys(&dir)?;
    } else if !PackageSigner::PackageKey.key_file(&dir).exists() {
        // Made before package keys were separate from the root key.
        catalog_hosted::generate_package_key(&dir)?;
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_made_once_and_kept() {
        let t = tempfile::tempdir().unwrap();
        let d = keys_dir(t.path()).unwrap();
        assert_eq!(d, t.path().join("build/keys/seed-keys"));
        let root = fs::read(d.join("root.key")).unwrap();
        let package = fs::read(d.join("package.key")).unwrap();
        assert_ne!(root, package);
        keys_dir(t.path()).unwrap();
        assert_eq!(fs::read(d.join("root.key")).unwrap(), root);
        assert_eq!(fs::read(d.join("package.key")).unwrap(), package);
    }

    #[test]
    fn legacy_keys_are_moved_not_replaced() {
        let t = tempfile::tempdir().unwrap();
        let legacy = t.path().join(".cache/seed-keys");
        fs::create_dir_all(&legacy).unwrap();
        catalog_hosted::generate_keys(&legacy).unwrap();
        // Old key directories have no package key: one is added.
        fs::remove_file(legacy.join("package.key")).unwrap();
        fs::remove_file(legacy.join("package.pub")).unwrap();
        let root = fs::read(legacy.join("root.key")).unwrap();
        let d = keys_dir(t.path()).unwrap();
        assert_eq!(fs::read(d.join("root.key")).unwrap(), root);
        assert!(!t.path().join(".cache").exists());
        assert!(d.join("package.key").is_file());
    }
}
