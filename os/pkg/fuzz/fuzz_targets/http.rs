//! The in-OS client's HTTP parsing on arbitrary bytes: response heads, `Content-Range` checks,
//! the chunked decoder fed in pieces of every size, and URLs. Nothing may panic, and the
//! decoder's data ranges must lie inside what it consumed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use swiftos_pkg_core::http::{head_end, Dechunker, Head, Url};

fuzz_target!(|data: &[u8]| {
    if let Some(end) = head_end(data) {
        if let Ok(h) = Head::parse(&data[..end]) {
            let _ = h.resumed(0);
            let _ = h.resumed(7);
            let _ = h.body_length();
        }
    }
    let _ = Head::parse(data);
    let piece = data.first().map_or(1, |b| *b as usize % 13 + 1);
    let mut d = Dechunker::new();
    'outer: for part in data.chunks(piece) {
        let mut at = 0;
        while at < part.len() && !d.done() {
            match d.step(&part[at..]) {
                Ok(s) => {
                    assert!(s.data.start <= s.data.end && s.data.end <= s.consumed);
                    assert!(s.consumed <= part.len() - at);
                    if s.consumed == 0 {
                        break;
                    }
                    at += s.consumed;
                }
                Err(_) => break 'outer,
            }
        }
    }
    if let Ok(text) = core::str::from_utf8(data) {
        if let Ok(u) = Url::parse(text) {
            assert!(u.path.starts_with('/') && u.port != 0 && !u.host.is_empty());
        }
    }
});
