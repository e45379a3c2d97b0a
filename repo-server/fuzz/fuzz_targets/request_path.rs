//! Fuzz the request-path sanitiser (`rules::request_segments`) with arbitrary (lossy UTF-8)
//! paths. Besides never panicking, an accepted path must stay inside the root: every segment is
//! one plain file-name component (no `.`/`..`, separator, NUL, control character, drive colon or
//! leading dot), the joined path has no other kind of component and starts with the root, and
//! percent-encoding the segments again gives the same segments back.
#![no_main]

use std::path::{Component, Path};

use libfuzzer_sys::fuzz_target;
use repo_server::rules::{request_segments, PathRefusal};

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    let (segs, trailing) = match request_segments(&raw) {
        Ok(s) => s,
        Err(e) => {
            if !raw.starts_with('/') {
                assert_eq!(e, PathRefusal::BadRequest);
            }
            return;
        }
    };
    assert!(raw.starts_with('/'));
    assert!(!trailing || raw.ends_with('/'));
    let root = Path::new("/srv/repo-root");
    let mut joined = root.to_path_buf();
    for s in &segs {
        assert!(!s.is_empty() && s != "." && s != "..", "{raw:?} gave {s:?}");
        assert!(!s.starts_with('.'), "{raw:?} gave dot-file {s:?}");
        assert!(
            !s.chars()
                .any(|c| c == '/' || c == '\\' || c == ':' || c == '\0' || c.is_control()),
            "{raw:?} gave {s:?}"
        );
        let comps: Vec<Component> = Path::new(s).components().collect();
        assert_eq!(comps, [Component::Normal(s.as_ref())], "{raw:?} gave {s:?}");
        joined.push(s);
    }
    assert!(joined.starts_with(root));
    let below: Vec<Component> = joined.strip_prefix(root).unwrap().components().collect();
    assert_eq!(below.len(), segs.len());
    assert!(below.iter().all(|c| matches!(c, Component::Normal(_))));

    // Encode every byte but unreserved ones and decode again: same segments.
    let mut enc = String::new();
    for s in &segs {
        enc.push('/');
        for &b in s.as_bytes() {
            if b.is_ascii_alphanumeric() || b"-_~".contains(&b) {
                enc.push(b as char);
            } else {
                enc.push_str(&format!("%{b:02X}"));
            }
        }
    }
    if enc.is_empty() {
        enc.push('/');
    }
    let again = request_segments(&enc).expect("re-encoded path refused");
    assert_eq!(again.0, segs);
});
