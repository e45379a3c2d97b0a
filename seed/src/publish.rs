//! Packaging the seed ports and publishing them, in-process, into `build/seed/repo`.

use std::fs;
use std::path::{Path, PathBuf};

use catalog_hosted::{PackageSigner, ROOT_KEY_SIGNING_WARNING};
use swport::port::{self, PortEnv};

use crate::config::SeedConfig;
use crate::error::SeedError;
use crate::keys::keys_dir;

/// The key that signs the seed's packages: the package key, never the root key (which stays
/// offline). Clients learn it from the signed targets metadata the publisher writes
/// (`swiftos-repo.json`'s `package_keys`, see docs/REPOSITORY_SECURITY.md).
pub const SEED_PACKAGE_SIGNER: PackageSigner = PackageSigner::PackageKey;

/// Where the published seed web root is written.
pub fn web_root(repo_root: &Path) -> PathBuf {
    repo_root.join("build/seed/repo")
}

/// Package the ports of `ROOT/seed/seed.toml` (signed with [`SEED_PACKAGE_SIGNER`]) and
/// publish them into [`web_root`] with the seed keys. Returns the web root.
pub fn publish(repo_root: &Path) -> Result<PathBuf, SeedError> {
    let cfg = SeedConfig::load(&SeedConfig::path_in(repo_root))?;
    let keys = keys_dir(repo_root)?;
    let packages = repo_root.join("build/seed/packages");
    package_ports(repo_root, &cfg.ports, &keys, &packages)?;
    let out = web_root(repo_root);
    if let Some(changed) = changed_package(&packages, &out)? {
        // Published files never change, so a rebuilt package with the same version (after a
        // sysroot or ABI change) cannot join the existing repository: start a new one.
        println!(
            "== seed: {changed} was rebuilt with new contents; re-creating {} (guests that used \
             the old repository: run `pkg repo set URL` again, its metadata versions restart) ==",
            out.display()
        );
        fs::remove_dir_all(&out).map_err(SeedError::io("cannot remove", &out))?;
    }
    println!("== seed: publishing {} ==", out.display());
    let mut opts = catalog_hosted::PublishOptions::new(&packages, &keys, &out);
    opts.name = cfg.name;
    opts.channel = cfg.channel;
    let p = catalog_hosted::publish(&opts)?;
    println!("{}", p.summary(&out));
    Ok(out)
}

/// Build (or reuse) and package each of `ports` into `out`, signed with [`SEED_PACKAGE_SIGNER`].
fn package_ports(
    repo_root: &Path,
    ports: &[String],
    keys: &Path,
    out: &Path,
) -> Result<(), SeedError> {
    let env = PortEnv::new(repo_root)?;
    let key_path = SEED_PACKAGE_SIGNER.key_file(keys);
    if SEED_PACKAGE_SIGNER == PackageSigner::RootKey {
        eprintln!("{ROOT_KEY_SIGNING_WARNING}");
    }
    let key = swpkg_keys::read_secret_key(&key_path).map_err(|source| SeedError::Key {
        path: key_path.clone(),
        source: Box::new(source),
    })?;
    for name in ports {
        println!("== seed: packaging {name} ==");
        let p = port::package(&env, name, out, &key).map_err(|source| SeedError::Port {
            port: name.clone(),
            source: Box::new(source),
        })?;
        println!("{}  {}", p.sha256, p.path.display());
    }
    Ok(())
}

/// The first package in `packages` whose published copy in `web_root` has other bytes.
fn changed_package(packages: &Path, web_root: &Path) -> Result<Option<String>, SeedError> {
    let published = web_root.join("targets/packages");
    let mut names: Vec<_> = fs::read_dir(packages)
        .map_err(SeedError::io("cannot list", packages))?
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .collect();
    names.sort();
    for name in names {
        let old = published.join(&name);
        if !old.is_file() {
            continue;
        }
        let new = packages.join(&name);
        let old_bytes = fs::read(&old).map_err(SeedError::io("cannot read", &old))?;
        let new_bytes = fs::read(&new).map_err(SeedError::io("cannot read", &new))?;
        if old_bytes != new_bytes {
            return Ok(Some(name.to_string_lossy().into_owned()));
        }
    }
    Ok(None)
}

/// Check the seed web root `web_root` served at `url` the way a client would (its root key
/// pinned from `web_root/repo-root.pub`); the report lists every problem found.
pub fn verify_served(
    url: &str,
    web_root: &Path,
) -> Result<catalog_hosted::VerifyReport, SeedError> {
    let opts = catalog_hosted::VerifyOptions {
        root_key: Some(web_root.join(catalog_hosted::REPO_ROOT_PUB)),
        ..catalog_hosted::VerifyOptions::default()
    };
    Ok(catalog_hosted::verify_url(url, &opts)?)
}
