//! Fuzz the conditional-request rules: `If-None-Match`, `If-Modified-Since`, `If-Range`, the
//! ETag / Last-Modified of a file with any modification time, and the name-based content type
//! and cache lifetime. Input: 8 bytes of signed seconds from the epoch, 4 bytes of nanoseconds,
//! 8 bytes of file length, then the header value (lossy UTF-8), also used as a file name.
//! Never panics; a file always matches its own validators; `If-Modified-Since` agrees with a
//! straightforward reading of RFC 9110.
#![no_main]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use repo_server::rules::{
    cache_control, content_type, etag, if_range_holds, last_modified, none_match,
    not_modified_since,
};

fn secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 20 {
        return;
    }
    let s = i64::from_le_bytes(data[..8].try_into().unwrap());
    let ns = u32::from_le_bytes(data[8..12].try_into().unwrap()) % 1_000_000_000;
    let len = u64::from_le_bytes(data[12..20].try_into().unwrap());
    let header = String::from_utf8_lossy(&data[20..]);
    let mtime = if s >= 0 {
        UNIX_EPOCH.checked_add(Duration::new(s as u64, ns))
    } else {
        UNIX_EPOCH.checked_sub(Duration::new(s.unsigned_abs(), ns))
    };
    let Some(mtime) = mtime else { return };

    let tag = etag(len, mtime);
    assert!(tag.len() >= 2 && tag.starts_with('"') && tag.ends_with('"'));
    let lm = last_modified(mtime);
    let since = httpdate::parse_http_date(&lm).expect("Last-Modified does not parse back");
    assert!(secs(since) <= secs(mtime));
    if secs(mtime) <= 253_402_300_799 {
        assert!(not_modified_since(&lm, mtime), "{lm} vs own mtime");
    }
    assert!(none_match(&tag, &tag));
    assert!(none_match(&format!("W/{tag}"), &tag));
    assert!(none_match(&format!("\"x\", {tag}"), &tag));
    assert!(if_range_holds(&tag, &tag, &lm));
    assert!(if_range_holds(&lm, &tag, &lm));

    // Arbitrary header values.
    let star = header.split(',').any(|t| t.trim() == "*");
    if star {
        assert!(none_match(&header, &tag));
    }
    let _ = none_match(&header, &tag);
    let ims = not_modified_since(&header, mtime);
    let want = httpdate::parse_http_date(header.trim()).is_ok_and(|d| secs(mtime) <= secs(d));
    assert_eq!(ims, want);
    if if_range_holds(&header, &tag, &lm) {
        let h = header.trim();
        assert!(h == tag || h == lm, "If-Range {header:?} held");
    }
    let _ = content_type(&header);
    let cc = cache_control(&header);
    assert!(cc == "no-cache" || cc.starts_with("public, max-age="));
});
