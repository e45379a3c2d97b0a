//! Fuzz the `repo-root.pub` parser as `verify_url` calls it (server bytes as lossy UTF-8).
//! Never panics; an accepted key file is exactly the canonical text of that key (with or
//! without its final newline).
#![no_main]

use libfuzzer_sys::fuzz_target;
use swpkg_core::{format_public_key, parse_public_key};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(k) = parse_public_key(&text) else {
        return;
    };
    let canon = format_public_key(&k);
    assert!(text == canon || format!("{text}\n") == canon, "{text:?}");
});
