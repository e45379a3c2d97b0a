//! Fuzz `hosted-repo.json` the way `verify_url` reads it: arbitrary bytes through serde into
//! [`HostedRepo`], then every use `verify_url` makes of the fields (URL joins, package keys).
//! Never panics; an accepted descriptor serialises and parses back to itself.
#![no_main]

use catalog_core::client::join_url;
use catalog_hosted::HostedRepo;
use ed25519_dalek::VerifyingKey;
use libfuzzer_sys::fuzz_target;

const BASE: &str = "http://127.0.0.1:8080/repo/";

fuzz_target!(|data: &[u8]| {
    let Ok(h) = serde_json::from_slice::<HostedRepo>(data) else {
        return;
    };
    let text = serde_json::to_vec(&h).expect("a parsed descriptor serialises");
    let again: HostedRepo = serde_json::from_slice(&text).expect("and parses back");
    assert_eq!(again, h);
    for rel in [
        &h.metadata,
        &h.targets,
        &h.browser,
        &h.root_key,
        &h.packages,
    ] {
        let u = join_url(BASE, rel);
        assert!(u.starts_with("http://127.0.0.1:8080/repo/"), "{u}");
        let _ = join_url(&u, "1.root.json");
    }
    for k in &h.package_keys {
        let key = hex::decode(k)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .and_then(|b| VerifyingKey::from_bytes(&b).ok());
        if key.is_some() {
            assert_eq!(k.len(), 64);
        }
    }
    let _ = h.root_keyid == h.name;
});
