//! Repositories signed with ECDSA P-256 keys (and a mix with ed25519): written by `Repository`,
//! verified by the client; a rotation from ed25519 to ECDSA root keys; key files of both types
//! read back for signing.

use std::path::Path;

use catalog_core::client::{Client, Config};
use catalog_core::{Compat, Error};
use catalog_signer::host::{fetch_file, DirStore, DirTufPlatform};
use catalog_signer::keys::KeyType;
use catalog_signer::{Expiry, KeyPair, Repository, RoleSpec, RootSpec, Signers};

type Fetch = fn(&str, u64) -> Result<Vec<u8>, catalog_core::FetchError>;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn platform(trusted: &Path) -> DirTufPlatform<Fetch> {
    DirTufPlatform::new(DirStore::new(trusted), fetch_file as Fetch)
}

fn client(repo: &Path, trusted: &Path) -> Client<DirTufPlatform<Fetch>> {
    let meta = repo.join("metadata");
    let targets = repo.join("targets");
    let config = Config::new(meta.to_str().unwrap(), targets.to_str().unwrap());
    Client::new(platform(trusted), config).unwrap()
}

/// Root, timestamp, snapshot and targets keys of the given types.
fn keys(types: [KeyType; 4]) -> Vec<KeyPair> {
    types
        .iter()
        .map(|t| KeyPair::generate_of(*t).unwrap())
        .collect()
}

fn spec(k: &[KeyPair]) -> RootSpec {
    RootSpec {
        root: RoleSpec::of(&[&k[0]], 1),
        timestamp: RoleSpec::of(&[&k[1]], 1),
        snapshot: RoleSpec::of(&[&k[2]], 1),
        targets: RoleSpec::of(&[&k[3]], 1),
    }
}

fn signers(k: &[KeyPair]) -> [[&KeyPair; 1]; 3] {
    [[&k[3]], [&k[2]], [&k[1]]]
}

fn publish(repo: &mut Repository, k: &[KeyPair]) {
    let [t, s, ts] = signers(k);
    let signers = Signers {
        targets: &t,
        snapshot: &s,
        timestamp: &ts,
    };
    repo.publish(&signers, now()).unwrap();
}

#[test]
fn ecdsa_and_mixed_repositories_verify() {
    use KeyType::{EcdsaP256 as E, Ed25519 as D};
    for types in [[E, E, E, E], [D, E, E, E], [E, D, E, D]] {
        let dir = tempfile::tempdir().unwrap();
        let (repo_dir, trusted) = (dir.path().join("repo"), dir.path().join("trusted"));
        let k = keys(types);
        let compat = Compat::swiftos();
        let mut repo = Repository::create(
            &repo_dir,
            &spec(&k),
            &[&k[0]],
            true,
            Expiry::default(),
            &compat,
            now(),
        )
        .unwrap();
        repo.add_target("docs/readme.txt", b"read me\n", None)
            .unwrap();
        publish(&mut repo, &k);
        let root1 = std::fs::read(repo_dir.join("metadata/1.root.json")).unwrap();
        Client::init(&mut platform(&trusted), &root1).unwrap();
        let mut c = client(&repo_dir, &trusted);
        c.refresh().unwrap();
        assert_eq!(c.download_target("docs/readme.txt").unwrap(), b"read me\n");
        let root = c.root();
        let ts_key = &root.keys[&root.roles["timestamp"].keyids[0]];
        assert_eq!(ts_key.keytype, types[1].to_string(), "{types:?}");
    }
}

#[test]
fn root_rotation_from_ed25519_to_ecdsa_keys_is_followed() {
    use KeyType::{EcdsaP256 as E, Ed25519 as D};
    let dir = tempfile::tempdir().unwrap();
    let (repo_dir, trusted) = (dir.path().join("repo"), dir.path().join("trusted"));
    let old = keys([D; 4]);
    let compat = Compat::swiftos();
    let mut repo = Repository::create(
        &repo_dir,
        &spec(&old),
        &[&old[0]],
        false,
        Expiry::default(),
        &compat,
        now(),
    )
    .unwrap();
    publish(&mut repo, &old);
    let root1 = std::fs::read(repo_dir.join("metadata/1.root.json")).unwrap();
    Client::init(&mut platform(&trusted), &root1).unwrap();
    client(&repo_dir, &trusted).refresh().unwrap();

    let new = keys([E; 4]);
    repo.rotate_root(&spec(&new), &[&old[0], &new[0]], now())
        .unwrap();
    repo.add_target("new.txt", b"signed by ECDSA keys", None)
        .unwrap();
    publish(&mut repo, &new);
    let mut c = client(&repo_dir, &trusted);
    c.refresh().unwrap();
    assert_eq!(c.root().version, 2);
    assert_eq!(
        c.download_target("new.txt").unwrap(),
        b"signed by ECDSA keys"
    );

    // Metadata signed by the old (now untrusted) timestamp key is refused.
    let [t, s, _] = signers(&new);
    let stale = Signers {
        targets: &t,
        snapshot: &s,
        timestamp: &[&old[1]],
    };
    repo.publish(&stale, now()).unwrap_err();
}

#[test]
fn ecdsa_key_files_sign_a_repository() {
    let dir = tempfile::tempdir().unwrap();
    let key_dir = dir.path().join("keys");
    let names = ["root", "timestamp", "snapshot", "targets"];
    for n in names {
        KeyPair::generate_of(KeyType::EcdsaP256)
            .unwrap()
            .write(&key_dir, n)
            .unwrap();
    }
    let k: Vec<KeyPair> = names
        .iter()
        .map(|n| KeyPair::read(&key_dir.join(format!("{n}.key"))).unwrap())
        .collect();
    let public = catalog_signer::read_public_key(&key_dir.join("targets.pub")).unwrap();
    assert_eq!(public, k[3].public_key());
    let repo_dir = dir.path().join("repo");
    let compat = Compat::swiftos();
    let mut repo = Repository::create(
        &repo_dir,
        &spec(&k),
        &[&k[0]],
        true,
        Expiry::default(),
        &compat,
        now(),
    )
    .unwrap();
    publish(&mut repo, &k);
    // A signer that is not the role's key: refused before anything is written.
    let other = KeyPair::generate_of(KeyType::EcdsaP256).unwrap();
    let e = repo
        .publish(
            &Signers {
                targets: &[&other],
                snapshot: &[&k[2]],
                timestamp: &[&k[1]],
            },
            now(),
        )
        .unwrap_err();
    assert!(
        matches!(
            e,
            catalog_signer::RepoError::Verify(Error::ThresholdNotMet { valid: 0, .. })
        ),
        "{e}"
    );
}
