//! Fuzz the client update workflow: a fixed trusted root (signed with a fixed key) and a server
//! whose `2.root.json`, `timestamp.json`, `snapshot.json`, `targets.json` and one target come
//! from the input (split at 0xff 0x00 separators). Nothing may panic.
#![no_main]

use catalog_core::client::{Client, Config, FetchError, Platform};
use catalog_core::metadata::{Key, RoleKeys, Root};
use catalog_core::{canonical, Role};
use ed25519_dalek::Signer;
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

struct Fuzz {
    server: BTreeMap<String, Vec<u8>>,
    store: BTreeMap<Role, Vec<u8>>,
}

impl Platform for Fuzz {
    fn fetch(&mut self, url: &str, max_len: u64) -> Result<Vec<u8>, FetchError> {
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
        1_800_000_000
    }
}

fn root_bytes() -> Vec<u8> {
    let sk = ed25519_dalek::SigningKey::from_bytes(&[1u8; 32]);
    let key = Key::ed25519(sk.verifying_key().as_bytes());
    let id = key.keyid();
    let mut keys = BTreeMap::new();
    keys.insert(id.clone(), key);
    let role = RoleKeys { keyids: vec![id.clone()], threshold: 1 };
    let root = Root {
        type_: "root".into(),
        spec_version: "1.0.31".into(),
        consistent_snapshot: false,
        version: 1,
        expires: "2100-01-01T00:00:00Z".into(),
        keys,
        roles: ["root", "timestamp", "snapshot", "targets"].iter().map(|r| (r.to_string(), role.clone())).collect(),
    };
    let canon = canonical::to_canonical_from(&root).unwrap();
    let sig = hex(&sk.sign(&canon).to_bytes());
    serde_json::to_vec(&serde_json::json!({"signed": root, "signatures": [{"keyid": id, "sig": sig}]})).unwrap()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fuzz_target!(|data: &[u8]| {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + 1 < data.len() {
        if data[i] == 0xff && data[i + 1] == 0x00 {
            parts.push(&data[start..i]);
            start = i + 2;
            i += 2;
        } else {
            i += 1;
        }
    }
    parts.push(&data[start..]);
    let names = ["m/timestamp.json", "m/snapshot.json", "m/targets.json", "m/2.root.json", "t/file"];
    let server = names.iter().zip(parts).map(|(n, p)| (n.to_string(), p.to_vec())).collect();
    let mut p = Fuzz { server, store: BTreeMap::new() };
    static ROOT: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    Client::init(&mut p, ROOT.get_or_init(root_bytes)).unwrap();
    let mut c = Client::new(p, Config::new("m", "t")).unwrap();
    if c.refresh().is_ok() {
        let _ = c.download_target("file");
    }
});
