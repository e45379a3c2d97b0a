//! Fuzz the package index and resolver: arbitrary JSON as the `targets` map of targets
//! metadata, then resolve every listed package with a small step budget.
#![no_main]

use catalog_core::index::Index;
use catalog_core::metadata::Targets;
use catalog_core::Compat;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(targets) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let doc = serde_json::json!({
        "_type": "targets", "spec_version": "1.0.31", "version": 1,
        "expires": "2100-01-01T00:00:00Z", "targets": targets,
    });
    let Ok(t) = serde_json::from_value::<Targets>(doc) else { return };
    let Ok(index) = Index::from_targets(&t, &Compat::swiftos()) else { return };
    let u = index.universe();
    for name in index.packages().keys() {
        let _ = u.resolve_with_limit(&[(name.clone(), semver::VersionReq::STAR)], 10_000);
    }
    let _ = index.search("a");
});
