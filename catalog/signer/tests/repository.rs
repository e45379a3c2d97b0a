//! End-to-end on disk: create a repository with `Repository`, publish packages, rotate the root,
//! and verify it with the client through the host platform; then build the package index and
//! resolve against it.

use std::path::Path;

use catalog_core::client::{Client, Config};
use catalog_core::index::{Index, IndexError, PackageMeta};
use catalog_core::{Compat, Error, Role};
use catalog_signer::host::{fetch_file, DirStore, DirTufPlatform};
use catalog_signer::{Expiry, KeyPair, RepoError, Repository, RoleSpec, RootSpec, Signers};
use semver::VersionReq;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn pkg(name: &str, version: &str, deps: &[(&str, &str)]) -> PackageMeta {
    PackageMeta {
        name: name.into(),
        version: version.into(),
        deps: deps
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
        description: format!("the {name} package"),
        size: 4096,
        arch: "aarch64".into(),
        abi: swiftos_abi_version(),
    }
}

fn swiftos_abi_version() -> u32 {
    Compat::swiftos().abi
}

type Fetch = fn(&str, u64) -> Result<Vec<u8>, catalog_core::FetchError>;

fn client(repo: &Path, trusted: &Path) -> Client<DirTufPlatform<Fetch>> {
    let platform = DirTufPlatform::new(DirStore::new(trusted), fetch_file as Fetch);
    let meta = repo.join("metadata");
    let targets = repo.join("targets");
    Client::new(
        platform,
        Config::new(meta.to_str().unwrap(), targets.to_str().unwrap()),
    )
    .unwrap()
}

struct Keys {
    root: KeyPair,
    ts: KeyPair,
    snap: KeyPair,
    tgt: KeyPair,
}

fn spec(k: &Keys) -> RootSpec {
    RootSpec {
        root: RoleSpec::of(&[&k.root], 1),
        timestamp: RoleSpec::of(&[&k.ts], 1),
        snapshot: RoleSpec::of(&[&k.snap], 1),
        targets: RoleSpec::of(&[&k.tgt], 1),
    }
}

#[test]
fn publish_rotate_verify_index_resolve() {
    for consistent in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let repo_dir = dir.path().join("repo");
        let trusted = dir.path().join("trusted");
        let k = Keys {
            root: KeyPair::generate().unwrap(),
            ts: KeyPair::generate().unwrap(),
            snap: KeyPair::generate().unwrap(),
            tgt: KeyPair::generate().unwrap(),
        };
        let signers = Signers {
            targets: &[&k.tgt],
            snapshot: &[&k.snap],
            timestamp: &[&k.ts],
        };
        let mut repo = Repository::create(
            &repo_dir,
            &spec(&k),
            &[&k.root],
            consistent,
            Expiry::default(),
            &Compat::swiftos(),
            now(),
        )
        .unwrap();
        repo.add_package(&pkg("libfoo", "1.0.0", &[]), b"libfoo 1.0.0 bytes")
            .unwrap();
        repo.add_package(&pkg("libfoo", "1.4.0", &[]), b"libfoo 1.4.0 bytes")
            .unwrap();
        repo.add_package(&pkg("app", "2.0.0", &[("libfoo", "^1.2")]), b"app bytes")
            .unwrap();
        repo.publish(&signers, now()).unwrap();

        // Client initialised with the out-of-band root.
        let root1 = std::fs::read(repo_dir.join("metadata/1.root.json")).unwrap();
        let mut p = DirTufPlatform::new(DirStore::new(&trusted), fetch_file as Fetch);
        Client::init(&mut p, &root1).unwrap();
        let mut c = client(&repo_dir, &trusted);
        c.refresh().unwrap();
        let index = Index::from_targets(c.targets().unwrap(), &Compat::swiftos()).unwrap();
        assert_eq!(index.search("foo").len(), 1);
        let res = index
            .universe()
            .resolve(&[("app".into(), VersionReq::STAR)])
            .unwrap();
        assert_eq!(
            res.packages
                .iter()
                .map(|(n, v)| format!("{n} {v}"))
                .collect::<Vec<_>>(),
            ["libfoo 1.4.0", "app 2.0.0"]
        );
        let target = &index.versions("app").unwrap()[0].target;
        assert_eq!(c.download_target(target).unwrap(), b"app bytes");

        // Rotate root and timestamp keys; republish; the client follows.
        let k2 = Keys {
            root: KeyPair::generate().unwrap(),
            ts: KeyPair::generate().unwrap(),
            snap: k.snap.clone(),
            tgt: k.tgt.clone(),
        };
        assert!(matches!(
            repo.rotate_root(&spec(&k2), &[&k2.root], now()),
            Err(RepoError::Verify(_))
        ));
        repo.rotate_root(&spec(&k2), &[&k.root, &k2.root], now())
            .unwrap();
        assert!(matches!(
            repo.publish(&signers, now()),
            Err(RepoError::Verify(Error::ThresholdNotMet {
                role: Role::Timestamp,
                ..
            }))
        ));
        let signers2 = Signers {
            targets: &[&k.tgt],
            snapshot: &[&k.snap],
            timestamp: &[&k2.ts],
        };
        repo.add_package(&pkg("libfoo", "1.5.0", &[]), b"libfoo 1.5.0 bytes")
            .unwrap();
        repo.publish(&signers2, now()).unwrap();
        let mut c = client(&repo_dir, &trusted);
        c.refresh().unwrap();
        assert_eq!(c.root().version, 2);
        assert_eq!(c.targets().unwrap().version, 2);
        let index = Index::from_targets(c.targets().unwrap(), &Compat::swiftos()).unwrap();
        assert_eq!(index.versions("libfoo").unwrap()[0].meta.version, "1.5.0");

        // Reopen the directory and publish again.
        let mut reopened = Repository::open(&repo_dir, Expiry::default()).unwrap();
        assert_eq!(reopened.root().version, 2);
        reopened.renew_timestamp(&[&k2.ts], now()).unwrap();
        reopened.publish(&signers2, now()).unwrap();
        let mut c = client(&repo_dir, &trusted);
        c.refresh().unwrap();
        assert_eq!(c.targets().unwrap().version, 3);
        assert_eq!(c.timestamp().unwrap().version, 4);
    }
}

#[test]
fn incompatible_repository_and_package_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let k = Keys {
        root: KeyPair::from_seed([1; 32]),
        ts: KeyPair::from_seed([2; 32]),
        snap: KeyPair::from_seed([3; 32]),
        tgt: KeyPair::from_seed([4; 32]),
    };
    let signers = Signers {
        targets: &[&k.tgt],
        snapshot: &[&k.snap],
        timestamp: &[&k.ts],
    };
    let other = Compat {
        arch: "x86_64".into(),
        abi: 7,
    };
    let mut repo = Repository::create(
        dir.path(),
        &spec(&k),
        &[&k.root],
        false,
        Expiry::default(),
        &other,
        now(),
    )
    .unwrap();
    // The repository refuses to add a package for another system than it serves.
    let e = repo.add_package(&pkg("a", "1.0.0", &[]), b"a").unwrap_err();
    assert!(
        e.to_string()
            .contains("built for aarch64 ABI 1, but this repository serves x86_64 ABI 7"),
        "{e}"
    );
    repo.publish(&signers, now()).unwrap();
    let t = repo.targets().clone();
    let e = Index::from_targets(&t, &Compat::swiftos()).unwrap_err();
    assert_eq!(
        e,
        IndexError::IncompatibleCatalog {
            found_arch: "x86_64".into(),
            found_abi: 7,
            found_format: 1,
            want_arch: "aarch64".into(),
            want_abi: 1
        }
    );
    assert!(e
        .to_string()
        .starts_with("incompatible repository: it serves x86_64 packages for SwiftOS ABI 7"));

    // A compatible repository carrying one package built for an older ABI.
    let dir = tempfile::tempdir().unwrap();
    let mut repo = Repository::create(
        dir.path(),
        &spec(&k),
        &[&k.root],
        false,
        Expiry::default(),
        &Compat::swiftos(),
        now(),
    )
    .unwrap();
    repo.add_package(&pkg("good", "1.0.0", &[("old", "*")]), b"good")
        .unwrap();
    let mut old = pkg("old", "0.9.0", &[]);
    old.abi = 0;
    let custom = serde_json::json!({ "swiftos_package": old });
    repo.add_target("packages/old-0.9.0.swpkg", b"old", Some(custom))
        .unwrap();
    repo.publish(&signers, now()).unwrap();
    let index = Index::from_targets(repo.targets(), &Compat::swiftos()).unwrap();
    let e = index.versions("old").unwrap_err();
    assert_eq!(
        e.to_string(),
        "package old 0.9.0 is built for aarch64 with SwiftOS ABI 0, this system is aarch64 with ABI 1; it cannot be installed"
    );
    assert_eq!(
        index.versions("zzz").unwrap_err(),
        IndexError::NoSuchPackage { name: "zzz".into() }
    );
    let e = index
        .universe()
        .resolve(&[("good".into(), VersionReq::STAR)])
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot satisfy the request: good 1.0.0 needs old *, but old is not published"
    );
}

#[test]
fn bad_package_metadata_is_refused_by_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let k = Keys {
        root: KeyPair::from_seed([1; 32]),
        ts: KeyPair::from_seed([2; 32]),
        snap: KeyPair::from_seed([3; 32]),
        tgt: KeyPair::from_seed([4; 32]),
    };
    let mut repo = Repository::create(
        dir.path(),
        &spec(&k),
        &[&k.root],
        false,
        Expiry::default(),
        &Compat::swiftos(),
        now(),
    )
    .unwrap();
    assert!(matches!(
        repo.add_package(&pkg("Bad Name", "1.0.0", &[]), b"x"),
        Err(RepoError::Invalid(_))
    ));
    assert!(matches!(
        repo.add_package(&pkg("a", "1.0", &[]), b"x"),
        Err(RepoError::Invalid(_))
    ));
    assert!(matches!(
        repo.add_package(&pkg("a", "1.0.0", &[("b", "~~1")]), b"x"),
        Err(RepoError::Invalid(_))
    ));
    assert!(matches!(
        repo.add_target("../escape", b"x", None),
        Err(RepoError::Invalid(_))
    ));
    for custom in [
        serde_json::json!({"swiftos_package": {"name": "a"}}),
        serde_json::json!({"swiftos_package": {"name": "a", "version": "x", "size": 1, "arch": "aarch64", "abi": 1}}),
        serde_json::json!({"swiftos_package": {"name": "a", "version": "1.0.0", "size": 1, "arch": "aarch64", "abi": 1, "extra": true}}),
        serde_json::json!({"swiftos_package": {"name": "a", "version": "1.0.0", "size": 1, "arch": "aarch64", "abi": 1, "deps": {"b": "nonsense"}}}),
        serde_json::json!({"swiftos_package": 17}),
    ] {
        let mut t = repo.targets().clone();
        t.targets.insert(
            "packages/a.swpkg".into(),
            catalog_signer::build::target_file(b"a", Some(custom.clone())),
        );
        let e = Index::from_targets(&t, &Compat::swiftos()).unwrap_err();
        assert!(
            matches!(e, IndexError::BadPackageMeta { .. }),
            "{custom}: {e}"
        );
    }
}

/// Package keys listed in the signed targets metadata reach the index; a malformed one makes
/// the index refuse the repository, and the writer refuses to list one.
#[test]
fn package_keys_are_listed_in_signed_targets_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let k = Keys {
        root: KeyPair::from_seed([1; 32]),
        ts: KeyPair::from_seed([2; 32]),
        snap: KeyPair::from_seed([3; 32]),
        tgt: KeyPair::from_seed([4; 32]),
    };
    let signers = Signers {
        targets: &[&k.tgt],
        snapshot: &[&k.snap],
        timestamp: &[&k.ts],
    };
    let (d, c) = (dir.path(), Compat::swiftos());
    let mut repo = Repository::create(
        d,
        &spec(&k),
        &[&k.root],
        false,
        Expiry::default(),
        &c,
        now(),
    )
    .unwrap();
    let index = |r: &Repository| Index::from_targets(r.targets(), &Compat::swiftos());
    assert!(
        index(&repo).unwrap().package_keys().is_empty(),
        "none listed"
    );
    let key = "ab".repeat(32);
    assert!(repo.set_package_keys(std::slice::from_ref(&key)).unwrap());
    assert!(
        !repo.set_package_keys(std::slice::from_ref(&key)).unwrap(),
        "unchanged"
    );
    repo.publish(&signers, now()).unwrap();
    let reopened = Repository::open(d, Expiry::default()).unwrap();
    assert_eq!(index(&reopened).unwrap().package_keys(), [key]);

    let e = repo.set_package_keys(&["AB".repeat(32)]).unwrap_err();
    assert!(e.to_string().contains("64 lowercase hex digits"), "{e}");
    // A repository whose signed list holds garbage is refused as a whole.
    let mut t = repo.targets().clone();
    let custom = t
        .targets
        .get_mut("swiftos-repo.json")
        .unwrap()
        .custom
        .as_mut()
        .unwrap();
    custom["swiftos_repo"]["package_keys"] = serde_json::json!(["not-a-key"]);
    let e = Index::from_targets(&t, &Compat::swiftos()).unwrap_err();
    assert!(
        e.to_string()
            .contains("package key \"not-a-key\" is not an ed25519 key"),
        "{e}"
    );
}
