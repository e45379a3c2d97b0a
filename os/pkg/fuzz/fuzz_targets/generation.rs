//! Fuzz the generation-file and `current` parsers: never panic; what parses re-encodes to a
//! file that parses to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use swiftos_pkg_core::generation::{parse_current, Generation};

fuzz_target!(|data: &[u8]| {
    let _ = parse_current(data);
    if let Ok(g) = Generation::parse(1, data) {
        let again = Generation::parse(1, &g.to_bytes()).expect("re-encoded generation must parse");
        assert_eq!(again, g);
    }
});
