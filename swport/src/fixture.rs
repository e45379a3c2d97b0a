//! `swport recipe repo-fixture NAME…`: package ports and publish them as a signed local TUF
//! repository (the one publisher, [`catalog_hosted::publish`]), for tests and demos.
//!
//! Development keys live in the clone, in `build/keys/repo-fixture/` (created on first use, or
//! taken over from `.cache/keys/repo-fixture/` where an older swport left them): `root`,
//! `timestamp`, `snapshot`, `targets` (TUF roles) and `package-swport-dev.pub`, the public
//! half of the package signing key of [`crate::port::signing_key`]. The packages are written to `build/repo-fixture-packages/`; the
//! output directory is replaced each time.

use crate::cache::CacheError;
use crate::port::{self, PortEnv, PortError};
use std::path::{Path, PathBuf};

/// Fixture failures.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error(transparent)]
    Port(#[from] PortError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error("repository: {0}")]
    Publish(#[from] catalog_hosted::HostedError),
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

/// The fixture's role keys (`build/keys/repo-fixture/`, made on first use), with the package
/// signing public key `pkg_pub` trusted as `package-swport-dev.pub`.
fn fixture_keys(env: &PortEnv, pkg_pub: &Path) -> Result<PathBuf, FixtureError> {
    let kdir = env.keys.join("repo-fixture");
    env.adopt_legacy_key("repo-fixture")?;
    if !kdir.join("root.key").is_file() {
        std::fs::create_dir_all(&kdir).map_err(io(&kdir))?;
        catalog_hosted::generate_keys(&kdir)?;
    }
    let trusted = kdir.join("package-swport-dev.pub");
    std::fs::copy(pkg_pub, &trusted).map_err(io(&trusted))?;
    Ok(kdir)
}

/// Package `names` and publish them into `out` (replaced) with the one publisher,
/// [`catalog_hosted::publish`].
pub fn repo_fixture(env: &PortEnv, names: &[String], out: &Path) -> Result<Fixture, FixtureError> {
    let (pkg_key, pkg_key_path) = port::signing_key(env, None)?;
    let pubkey = pkg_key_path.with_extension("pub");
    let kdir = fixture_keys(env, &pubkey)?;

    let built_dir = env.root.join("build/repo-fixture-packages");
    if built_dir.exists() {
        std::fs::remove_dir_all(&built_dir).map_err(io(&built_dir))?;
    }
    let mut built = Vec::new();
    for name in names {
        built.push(port::package(env, name, &built_dir, &pkg_key)?);
    }

    if out.exists() {
        std::fs::remove_dir_all(out).map_err(io(out))?;
    }
    let published =
        catalog_hosted::publish(&catalog_hosted::PublishOptions::new(&built_dir, &kdir, out))?;
    let packages = built
        .iter()
        .map(|p| {
            let facts = catalog_signer::package_meta(&p.manifest);
            let target = catalog_hosted::layout::package_target(&facts.name, &facts.version);
            debug_assert!(published.added.contains(&target));
            (target, p.sha256.clone())
        })
        .collect();
    // The package signing public key, for clients that verify package signatures.
    let dest = out.join("package-signing.pub");
    std::fs::copy(&pubkey, &dest).map_err(io(&dest))?;
    Ok(Fixture {
        dir: out.to_owned(),
        packages,
        root_json: out.join("metadata/1.root.json"),
    })
}
