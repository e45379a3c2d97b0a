//! Fuzz the metadata parsers, root checks and canonical JSON with arbitrary bytes.
#![no_main]

use catalog_core::metadata::{check_root, parse, Root, Snapshot, Targets, Timestamp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(env) = parse::<Root>(data) {
        let _ = check_root(&env.signed);
        let _ = catalog_core::client::verify_self_signed_root(data);
        // The canonical form of what we parsed must itself parse as JSON.
        assert!(serde_json::from_slice::<serde_json::Value>(&env.canonical).is_ok());
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
