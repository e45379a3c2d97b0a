//! Fuzz the `.sha256` sidecar parser as `verify_url` calls it (server bytes as lossy UTF-8,
//! against a package file name). Input: `NAME\0SIDECAR`, or only the sidecar (then the name is
//! `lua-5.4.4.swpkg`). Never panics; an accepted sidecar gives 64 lowercase hex digits, names
//! the file, and the publisher's own `sidecar_text` of that digest parses back to it.
#![no_main]

use catalog_hosted::layout::{parse_sidecar, sidecar_text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (name, body) = match data.iter().position(|&b| b == 0) {
        Some(i) => (String::from_utf8_lossy(&data[..i]), &data[i + 1..]),
        None => ("lua-5.4.4.swpkg".into(), data),
    };
    let text = String::from_utf8_lossy(body);
    let Ok(h) = parse_sidecar(&text, &name) else {
        return;
    };
    assert_eq!(h.len(), 64);
    assert!(h
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    assert!(text.get(..64).is_some_and(|p| p.eq_ignore_ascii_case(&h)));
    assert!(text.trim_end_matches('\n').ends_with(&*name));
    if !name.contains('\n') {
        assert_eq!(
            parse_sidecar(&sidecar_text(&h, &name), &name).as_deref(),
            Ok(&*h)
        );
    }
});
