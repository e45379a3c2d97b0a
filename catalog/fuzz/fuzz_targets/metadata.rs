//! Fuzz the metadata parsers, root checks and canonical JSON with arbitrary bytes.
#![no_main]

use catalog_core::metadata::{check_root, parse, Root, Snapshot, Targets, Timestamp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(env) = parse::<Root>(data) {
        let _ = check_root(&env.signed);
        let _ = catalog_core::client::verify_self_signed_root(data);
        // OLPC canonical JSON writes control characters raw, so only without them is the
        // canonical form JSON again; then it must be a fixed point.
        if !env.canonical.iter().any(|&b| b < 0x20) {
            let v: serde_json::Value = serde_json::from_slice(&env.canonical).expect("canonical form is JSON");
            assert_eq!(catalog_core::canonical::to_canonical(&v).unwrap(), env.canonical);
        }
    }
    let _ = parse::<Timestamp>(data);
    let _ = parse::<Snapshot>(data);
    let _ = parse::<Targets>(data);
    if let Ok(s) = core::str::from_utf8(data) {
        if let Some(t) = catalog_core::time::parse_utc(s) {
            assert_eq!(catalog_core::time::format_utc(t), s);
        }
    }
});
