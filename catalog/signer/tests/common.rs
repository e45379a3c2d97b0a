//! Shared fixtures of the adversarial tests: an in-memory repository "server" whose metadata
//! is built and signed with the repository library, and an in-memory client platform.
#![allow(dead_code)]

use std::collections::BTreeMap;

use catalog_core::client::{Client, Config, FetchError, Platform};
use catalog_core::metadata::TargetFile;
use catalog_core::{Error, Role};
use catalog_signer::build::target_file;
use catalog_signer::{
    build_root, sign, snapshot_for, targets_meta, timestamp_for, KeyPair, RoleSpec, RootSpec,
};

pub const NOW: i64 = 1_800_000_000;
pub const DAY: i64 = 86_400;

pub fn key(n: u8) -> KeyPair {
    KeyPair::from_seed([n; 32])
}

/// The client platform: a map of URLs, a trusted store and a fixed clock.
#[derive(Clone, Debug, Default)]
pub struct Mem {
    pub server: BTreeMap<String, Vec<u8>>,
    pub store: BTreeMap<Role, Vec<u8>>,
    pub now: i64,
    pub fetched: Vec<String>,
    pub delegated: BTreeMap<String, Vec<u8>>,
}

impl Platform for Mem {
    fn fetch(&mut self, url: &str, max_len: u64) -> Result<Vec<u8>, FetchError> {
        self.fetched.push(url.to_string());
        match self.server.get(url) {
            None => Err(FetchError::NotFound),
            Some(b) if b.len() as u64 > max_len => Err(FetchError::TooLarge),
            Some(b) => Ok(b.clone()),
        }
    }
    fn load(&mut self, role: Role) -> Result<Option<Vec<u8>>, String> {
        Ok(self.store.get(&role).cloned())
    }
    fn store(&mut self, role: Role, bytes: &[u8]) -> Result<(), String> {
        self.store.insert(role, bytes.to_vec());
        Ok(())
    }
    fn remove(&mut self, role: Role) -> Result<(), String> {
        self.store.remove(&role);
        Ok(())
    }
    fn now(&self) -> i64 {
        self.now
    }
    fn load_delegated(&mut self, name: &str) -> Result<Option<Vec<u8>>, String> {
        Ok(self.delegated.get(name).cloned())
    }
    fn store_delegated(&mut self, name: &str, bytes: &[u8]) -> Result<(), String> {
        self.delegated.insert(name.into(), bytes.to_vec());
        Ok(())
    }
}

pub fn config() -> Config {
    Config::new("meta", "tgt")
}

/// A simulated repository.
pub struct Sim {
    pub consistent: bool,
    pub root_keys: Vec<KeyPair>,
    pub root_threshold: u64,
    pub ts_keys: Vec<KeyPair>,
    pub snap_keys: Vec<KeyPair>,
    pub tgt_keys: Vec<KeyPair>,
    pub root_version: u64,
    pub ts_version: u64,
    pub snap_version: u64,
    pub tgt_version: u64,
    pub root_expires: i64,
    pub ts_expires: i64,
    pub snap_expires: i64,
    pub tgt_expires: i64,
    pub targets: BTreeMap<String, TargetFile>,
    pub server: BTreeMap<String, Vec<u8>>,
    /// Signed bytes of the last published targets and snapshot.
    pub last_targets: Vec<u8>,
    pub last_snapshot: Vec<u8>,
}

pub fn refs(keys: &[KeyPair]) -> Vec<&KeyPair> {
    keys.iter().collect()
}

impl Sim {
    /// Root v1 (root key 1, threshold 1; timestamp key 10, snapshot key 20, targets key 30), one
    /// target `file.txt`, everything published at version 1.
    pub fn new(consistent: bool) -> Sim {
        let mut s = Sim {
            consistent,
            root_keys: vec![key(1)],
            root_threshold: 1,
            ts_keys: vec![key(10)],
            snap_keys: vec![key(20)],
            tgt_keys: vec![key(30)],
            root_version: 1,
            ts_version: 1,
            snap_version: 1,
            tgt_version: 1,
            root_expires: NOW + 365 * DAY,
            ts_expires: NOW + DAY,
            snap_expires: NOW + 7 * DAY,
            tgt_expires: NOW + 30 * DAY,
            targets: BTreeMap::new(),
            server: BTreeMap::new(),
            last_targets: Vec::new(),
            last_snapshot: Vec::new(),
        };
        s.add_file("file.txt", b"hello, SwiftOS\n");
        s.add_file("dir/data.bin", &[7u8; 1000]);
        let signers = s.root_keys.clone();
        s.publish_root(&refs(&signers));
        s.publish();
        s
    }

    pub fn spec(&self) -> RootSpec {
        RootSpec {
            root: RoleSpec::of(&refs(&self.root_keys), self.root_threshold),
            timestamp: RoleSpec::of(&refs(&self.ts_keys), 1),
            snapshot: RoleSpec::of(&refs(&self.snap_keys), 1),
            targets: RoleSpec::of(&refs(&self.tgt_keys), 1),
        }
    }

    pub fn root_bytes(&self, signers: &[&KeyPair]) -> Vec<u8> {
        let root = build_root(
            &self.spec(),
            self.root_version,
            self.root_expires,
            self.consistent,
        );
        sign(&root, signers).unwrap()
    }

    /// Sign the current root description as `N.root.json` (and `root.json`).
    pub fn publish_root(&mut self, signers: &[&KeyPair]) {
        let b = self.root_bytes(signers);
        self.server
            .insert(format!("meta/{}.root.json", self.root_version), b.clone());
        self.server.insert("meta/root.json".into(), b);
    }

    pub fn add_file(&mut self, path: &str, bytes: &[u8]) {
        let tf = target_file(bytes, None);
        let sha = tf.hashes["sha256"].clone();
        self.server.insert(format!("tgt/{path}"), bytes.to_vec());
        let hashed = match path.rsplit_once('/') {
            Some((d, f)) => format!("tgt/{d}/{sha}.{f}"),
            None => format!("tgt/{sha}.{path}"),
        };
        self.server.insert(hashed, bytes.to_vec());
        self.targets.insert(path.into(), tf);
    }

    pub fn targets_bytes(&self) -> Vec<u8> {
        let t = targets_meta(self.tgt_version, self.tgt_expires, self.targets.clone());
        sign(&t, &refs(&self.tgt_keys)).unwrap()
    }

    pub fn snapshot_bytes(&self, targets_bytes: &[u8]) -> Vec<u8> {
        let s = snapshot_for(
            self.snap_version,
            self.snap_expires,
            self.tgt_version,
            targets_bytes,
        );
        sign(&s, &refs(&self.snap_keys)).unwrap()
    }

    pub fn timestamp_bytes(&self, snapshot_bytes: &[u8]) -> Vec<u8> {
        let t = timestamp_for(
            self.ts_version,
            self.ts_expires,
            self.snap_version,
            snapshot_bytes,
        );
        sign(&t, &refs(&self.ts_keys)).unwrap()
    }

    /// Sign and serve targets, snapshot and timestamp at the current versions.
    pub fn publish(&mut self) {
        let t = self.targets_bytes();
        let s = self.snapshot_bytes(&t);
        let ts = self.timestamp_bytes(&s);
        if self.consistent {
            self.server
                .insert(format!("meta/{}.targets.json", self.tgt_version), t.clone());
            self.server.insert(
                format!("meta/{}.snapshot.json", self.snap_version),
                s.clone(),
            );
        }
        self.server.insert("meta/targets.json".into(), t.clone());
        self.server.insert("meta/snapshot.json".into(), s.clone());
        self.server.insert("meta/timestamp.json".into(), ts);
        self.last_targets = t;
        self.last_snapshot = s;
    }

    /// Bump every version and publish.
    pub fn next(&mut self) {
        self.ts_version += 1;
        self.snap_version += 1;
        self.tgt_version += 1;
        self.publish();
    }

    /// A client platform trusting root v1 of this repository, serving its current files.
    pub fn mem(&self) -> Mem {
        let mut m = Mem {
            server: self.server.clone(),
            now: NOW,
            ..Mem::default()
        };
        let root1 = self.server["meta/1.root.json"].clone();
        Client::init(&mut m, &root1).unwrap();
        m
    }
}

/// Refresh successfully and hand back the platform.
pub fn refresh_ok(mem: Mem) -> Mem {
    let mut c = Client::new(mem, config()).unwrap();
    c.refresh().unwrap();
    c.into_platform()
}

/// Refresh, expect failure, and check the trusted store did not change at all.
pub fn refresh_err(mem: Mem) -> (Error, Mem) {
    refresh_err_at(mem, Role::Root)
}

/// Refresh, expect failure in the update step of `stage`, and check that the trusted metadata of
/// `stage` and of every later step did not change (earlier steps may legitimately have stored
/// newer, fully verified metadata, as the specification's workflow persists each role in turn).
pub fn refresh_err_at(mem: Mem, stage: Role) -> (Error, Mem) {
    let before = mem.store.clone();
    let mut c = Client::new(mem, config()).unwrap();
    let e = c.refresh().unwrap_err();
    let m = c.into_platform();
    for role in Role::ALL.into_iter().filter(|r| *r >= stage) {
        assert_eq!(
            m.store.get(&role),
            before.get(&role),
            "trusted {role} changed on failure: {e}"
        );
    }
    (e, m)
}
