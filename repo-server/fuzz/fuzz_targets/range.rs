//! Fuzz the `Range` header decision (`rules::decide_range`). Input: 8 bytes of file length
//! (little-endian; small lengths are the interesting ones, so the top bytes usually stay 0) and
//! then the header value (lossy UTF-8). Never panics; a partial range lies inside the file and
//! is reachable only from a `bytes=` header naming one range; the server's slice arithmetic
//! (`start + count`) cannot overflow.
#![no_main]

use libfuzzer_sys::fuzz_target;
use repo_server::rules::{decide_range, RangeDecision};

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let len = u64::from_le_bytes(data[..8].try_into().unwrap());
    let header = String::from_utf8_lossy(&data[8..]);
    assert_eq!(decide_range(None, len), RangeDecision::Full);
    let d = decide_range(Some(&header), len);
    let h = header.trim();
    let bytes_unit = h.len() >= 6 && h.as_bytes()[..6].eq_ignore_ascii_case(b"bytes=");
    match d {
        RangeDecision::Full => {
            assert!(!bytes_unit || h.contains(','), "{header:?} served whole")
        }
        RangeDecision::Partial(r) => {
            assert!(bytes_unit && !h.contains(','));
            assert!(
                r.start <= r.end && r.end < len,
                "{header:?} len {len}: {r:?}"
            );
            let count = r.len();
            assert!(count >= 1 && count <= len);
            assert_eq!(r.start.checked_add(count), Some(r.end + 1));
            assert!(!r.is_empty());
        }
        RangeDecision::Unsatisfiable => assert!(bytes_unit && !h.contains(',')),
    }
});
