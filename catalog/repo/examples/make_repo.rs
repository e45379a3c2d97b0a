//! Write a small signed demo repository (fresh keys in `DIR/keys`, two packages with a
//! dependency, consistent snapshots) — a fixture for manual tests and fuzzing seeds.
//!
//! Run: `cargo run -p catalog-repo --example make_repo -- DIR`

use std::path::PathBuf;

use catalog_core::index::PackageMeta;
use catalog_core::Compat;
use catalog_repo::{Expiry, KeyPair, Repository, RoleSpec, RootSpec, Signers};

fn main() -> anyhow::Result<()> {
    let dir: PathBuf = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: make_repo DIR"))?
        .into();
    let keys: Vec<KeyPair> = (0..4)
        .map(|_| KeyPair::generate())
        .collect::<Result<_, _>>()?;
    for (k, name) in keys
        .iter()
        .zip(["root", "timestamp", "snapshot", "targets"])
    {
        k.write(&dir.join("keys"), name)?;
    }
    let spec = RootSpec {
        root: RoleSpec::of(&[&keys[0]], 1),
        timestamp: RoleSpec::of(&[&keys[1]], 1),
        snapshot: RoleSpec::of(&[&keys[2]], 1),
        targets: RoleSpec::of(&[&keys[3]], 1),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    let compat = Compat::swiftos();
    let mut repo = Repository::create(
        &dir.join("repo"),
        &spec,
        &[&keys[0]],
        true,
        Expiry::default(),
        &compat,
        now,
    )?;
    for (name, version, deps) in [
        ("libhello", "1.0.0", vec![]),
        ("hello", "1.0.0", vec![("libhello", "^1")]),
    ] {
        let meta = PackageMeta {
            name: name.into(),
            version: version.into(),
            deps: deps
                .into_iter()
                .map(|(a, b): (&str, &str)| (a.into(), b.into()))
                .collect(),
            description: format!("demo package {name}"),
            size: 1000,
            arch: compat.arch.clone(),
            abi: compat.abi,
        };
        let path = repo.add_package(&meta, format!("{name} {version} payload\n").as_bytes())?;
        println!("added {path}");
    }
    repo.publish(
        &Signers {
            targets: &[&keys[3]],
            snapshot: &[&keys[2]],
            timestamp: &[&keys[1]],
        },
        now,
    )?;
    println!("repository written to {}", dir.join("repo").display());
    Ok(())
}
