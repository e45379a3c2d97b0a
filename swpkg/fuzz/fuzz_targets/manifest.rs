//! Fuzz the manifest parser/validator; a manifest that parses must re-encode to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use swpkg_core::{Limits, Manifest};

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = Manifest::from_canonical_bytes(data, &Limits::DEFAULT) {
        assert_eq!(m.to_canonical_bytes(), data);
    }
});
