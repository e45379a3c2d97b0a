//! `swport recipe repo-fixture NAME…`: package ports and publish them as a signed local TUF
//! repository (the catalog crate's `Repository`), for tests and demos.
//!
//! Development keys live in the clone, in `build/keys/repo-fixture/` (created on first use, or
//! taken over from `.cache/keys/repo-fixture/` where an older swport left them): `root`,
//! `timestamp`, `snapshot`, `targets` (TUF roles) beside the package signing key of
//! [`crate::port::signing_key`]. The packages are written to `build/repo-fixture-packages/`; the
//! output directory is replaced each time.

use crate::cache::CacheError;
use crate::port::{self, PortEnv, PortError};
use catalog_core::Compat;
use catalog_repo::{Expiry, KeyPair, RepoError, Repository, RoleSpec, RootSpec, Signers};
use std::path::{Path, PathBuf};

/// Fixture failures.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error(transparent)]
    Port(#[from] PortError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error("repository: {0}")]
    Repo(#[from] RepoError),
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FixtureError + '_ {
    move |source| FixtureError::Io {
        path: path.to_owned(),
        source,
    }
}

/// What was published.
#[derive(Debug)]
pub struct Fixture {
    pub dir: PathBuf,
    /// `(target path, package sha256)` per package.
    pub packages: Vec<(String, String)>,
    /// The trusted root to give clients out of band.
    pub root_json: PathBuf,
}

fn role_key(dir: &Path, name: &str) -> Result<KeyPair, FixtureError> {
    let secret = dir.join(format!("{name}.key"));
    if !secret.is_file() {
        KeyPair::generate()?.write(dir, name)?;
    }
    Ok(KeyPair::read(&secret)?)
}

/// Package `names` and publish them into `out` (replaced).
pub fn repo_fixture(env: &PortEnv, names: &[String], out: &Path) -> Result<Fixture, FixtureError> {
    let (pkg_key, pkg_key_path) = port::signing_key(env, None)?;
    let kdir = env.keys.join("repo-fixture");
    env.adopt_legacy_key("repo-fixture")?;
    std::fs::create_dir_all(&kdir).map_err(io(&kdir))?;
    let root = role_key(&kdir, "root")?;
    let ts = role_key(&kdir, "timestamp")?;
    let snap = role_key(&kdir, "snapshot")?;
    let tgt = role_key(&kdir, "targets")?;

    let built_dir = env.root.join("build/repo-fixture-packages");
    let mut built = Vec::new();
    for name in names {
        built.push(port::package(env, name, &built_dir, &pkg_key)?);
    }

    if out.exists() {
        std::fs::remove_dir_all(out).map_err(io(out))?;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let spec = RootSpec {
        root: RoleSpec::of(&[&root], 1),
        timestamp: RoleSpec::of(&[&ts], 1),
        snapshot: RoleSpec::of(&[&snap], 1),
        targets: RoleSpec::of(&[&tgt], 1),
    };
    let mut repo = Repository::create(
        out,
        &spec,
        &[&root],
        true,
        Expiry::default(),
        &Compat::swiftos(),
        now,
    )?;
    let mut packages = Vec::new();
    for p in &built {
        let meta = catalog_repo::package_meta(&p.manifest);
        let bytes = std::fs::read(&p.path).map_err(io(&p.path))?;
        let target = repo.add_package(&meta, &bytes)?;
        packages.push((target, p.sha256.clone()));
    }
    repo.publish(
        &Signers {
            targets: &[&tgt],
            snapshot: &[&snap],
            timestamp: &[&ts],
        },
        now,
    )?;
    // The package signing public key, for clients that verify package signatures.
    let pubkey = pkg_key_path.with_extension("pub");
    let dest = out.join("package-signing.pub");
    std::fs::copy(&pubkey, &dest).map_err(io(&dest))?;
    Ok(Fixture {
        dir: out.to_owned(),
        packages,
        root_json: out.join("metadata/1.root.json"),
    })
}
