//! Pure HTTP rules of the server: request path to relative file path, byte ranges, entity
//! tags and conditional requests, content types and cache lifetimes.

use std::time::{Duration, SystemTime};

/// Why a request path is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathRefusal {
    /// Malformed: bad percent escape, not UTF-8, no leading `/`.
    BadRequest,
    /// Tries to leave the root or names something never served (`..`, `.`, NUL, backslash,
    /// encoded `/`, empty segment, dot-file).
    Forbidden,
}

/// Turn the raw path of a request URI (without the query) into the list of path segments
/// below the root. `/` gives an empty list; a trailing `/` is allowed and dropped (the bool is
/// true when it was there).
pub fn request_segments(raw: &str) -> Result<(Vec<String>, bool), PathRefusal> {
    let rest = raw.strip_prefix('/').ok_or(PathRefusal::BadRequest)?;
    if rest.is_empty() {
        return Ok((Vec::new(), true));
    }
    let (rest, trailing) = match rest.strip_suffix('/') {
        Some(r) => (r, true),
        None => (rest, false),
    };
    let mut out = Vec::new();
    for raw_seg in rest.split('/') {
        if raw_seg.is_empty() {
            return Err(PathRefusal::Forbidden);
        }
        let bytes = percent_decode(raw_seg)?;
        let seg = String::from_utf8(bytes).map_err(|_| PathRefusal::BadRequest)?;
        if seg == "."
            || seg == ".."
            || seg.starts_with('.')
            || seg
                .chars()
                .any(|c| c == '/' || c == '\\' || c == ':' || c.is_control())
        {
            return Err(PathRefusal::Forbidden);
        }
        out.push(seg);
    }
    Ok((out, trailing))
}

fn percent_decode(s: &str) -> Result<Vec<u8>, PathRefusal> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = |c: u8| (c as char).to_digit(16);
            match (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            ) {
                (Some(h), Some(l)) => out.push((h * 16 + l) as u8),
                _ => return Err(PathRefusal::BadRequest),
            }
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(out)
}

/// A satisfiable byte range, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// First byte.
    pub start: u64,
    /// Last byte (inclusive).
    pub end: u64,
}

impl ByteRange {
    /// Number of bytes.
    pub fn len(&self) -> u64 {
        self.end - self.start + 1
    }
    /// Never true (a range holds at least one byte); for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// What to do with a `Range` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeDecision {
    /// Serve the whole file (no header, another unit, or several ranges).
    Full,
    /// Serve this part (206).
    Partial(ByteRange),
    /// 416 Range Not Satisfiable.
    Unsatisfiable,
}

/// Decide on a `Range` header value for a file of `len` bytes. Only one range is honoured;
/// several ranges get the whole file (allowed by RFC 9110). Malformed byte ranges and ranges
/// beyond the end are unsatisfiable.
pub fn decide_range(header: Option<&str>, len: u64) -> RangeDecision {
    let Some(h) = header else {
        return RangeDecision::Full;
    };
    let h = h.trim();
    let Some(spec) = h
        .get(..6)
        .filter(|p| p.eq_ignore_ascii_case("bytes="))
        .map(|_| &h[6..])
    else {
        return RangeDecision::Full;
    };
    if spec.contains(',') {
        return RangeDecision::Full;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return RangeDecision::Unsatisfiable;
    };
    let num = |s: &str| -> Option<u64> {
        if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
            None
        } else {
            s.parse().ok()
        }
    };
    let r = match (a.is_empty(), b.is_empty()) {
        (true, true) => None,
        (true, false) => num(b).filter(|&n| n > 0 && len > 0).map(|n| ByteRange {
            start: len.saturating_sub(n),
            end: len - 1,
        }),
        (false, true) => num(a).filter(|&s| s < len).map(|s| ByteRange {
            start: s,
            end: len - 1,
        }),
        (false, false) => match (num(a), num(b)) {
            (Some(s), Some(e)) if s <= e && s < len => Some(ByteRange {
                start: s,
                end: e.min(len - 1),
            }),
            _ => None,
        },
    };
    r.map_or(RangeDecision::Unsatisfiable, RangeDecision::Partial)
}

/// The strong entity tag of a file: length and modification time in nanoseconds.
pub fn etag(len: u64, mtime: SystemTime) -> String {
    let ns = mtime
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("\"{len:x}-{ns:x}\"")
}

/// The last second an HTTP date can name (9999-12-31T23:59:59Z).
const LAST_HTTP_DATE: u64 = 253_402_300_799;

/// The `Last-Modified` value of a file: its modification time as an HTTP date, clamped to the
/// range an HTTP date can express (1970-01-01 to 9999-12-31). `httpdate::fmt_http_date` panics
/// outside that range, and file systems hold earlier (negative) and later times.
pub fn last_modified(mtime: SystemTime) -> String {
    let secs = mtime
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        .min(LAST_HTTP_DATE);
    httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

/// Whether an `If-None-Match` value matches `tag` (weak comparison, `*` matches anything).
pub fn none_match(header: &str, tag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
    let tag = bare(tag);
    header
        .split(',')
        .map(str::trim)
        .any(|t| t == "*" || bare(t) == tag)
}

/// Whether the file is unmodified since an `If-Modified-Since` date (second precision).
/// An unparsable date never matches.
pub fn not_modified_since(header: &str, mtime: SystemTime) -> bool {
    match httpdate::parse_http_date(header.trim()) {
        Ok(since) => {
            let secs = |t: SystemTime| {
                t.duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs())
            };
            secs(mtime) <= secs(since)
        }
        Err(_) => false,
    }
}

/// Whether an `If-Range` value still allows the range (it names the current strong ETag or
/// the exact Last-Modified date).
pub fn if_range_holds(header: &str, tag: &str, last_modified: &str) -> bool {
    let h = header.trim();
    if h.starts_with('"') {
        h == tag
    } else {
        !h.starts_with("W/") && h == last_modified
    }
}

/// Content type by file name.
pub fn content_type(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    match ext.to_ascii_lowercase().as_str() {
        "json" => "application/json",
        "html" | "htm" => "text/html; charset=utf-8",
        "sha256" | "pub" | "txt" | "asc" => "text/plain; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "swpkg" => "application/vnd.swiftos.swpkg",
        _ => "application/octet-stream",
    }
}

/// `Cache-Control` for a file, by its name, following the TUF update flow.
///
/// * `timestamp.json` and the unversioned `root.json`/`snapshot.json`/`targets.json` change at
///   every publication: `no-cache` (caches must revalidate; the ETag makes that cheap).
/// * `N.root.json`, `N.snapshot.json`, `N.targets.json` and `HASH.name` (64 hex digits) never
///   change once written: one year, `immutable`.
/// * version-named packages and their sidecars are never rewritten either (the publisher
///   refuses it), but are not content-addressed: one day.
/// * everything else (the browser, `hosted-repo.json`, `repo-root.pub`): one minute.
pub fn cache_control(name: &str) -> &'static str {
    const IMMUTABLE: &str = "public, max-age=31536000, immutable";
    if matches!(
        name,
        "timestamp.json" | "root.json" | "snapshot.json" | "targets.json"
    ) {
        return "no-cache";
    }
    if let Some((prefix, rest)) = name.split_once('.') {
        let versioned_meta = !prefix.is_empty()
            && prefix.bytes().all(|b| b.is_ascii_digit())
            && matches!(rest, "root.json" | "snapshot.json" | "targets.json");
        let hashed =
            prefix.len() == 64 && prefix.bytes().all(|b| b.is_ascii_hexdigit()) && !rest.is_empty();
        if versioned_meta || hashed {
            return IMMUTABLE;
        }
    }
    if name.ends_with(".swpkg") || name.ends_with(".swpkg.sha256") {
        return "public, max-age=86400";
    }
    "public, max-age=60"
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn paths() {
        assert_eq!(request_segments("/"), Ok((vec![], true)));
        assert_eq!(
            request_segments("/metadata/1.root.json"),
            Ok((vec!["metadata".into(), "1.root.json".into()], false))
        );
        assert_eq!(
            request_segments("/browse/"),
            Ok((vec!["browse".into()], true))
        );
        assert_eq!(
            request_segments("/a%20b/c+d"),
            Ok((vec!["a b".into(), "c+d".into()], false))
        );
        for bad in [
            "/../etc/passwd",
            "/a/../../b",
            "/%2e%2e/etc/passwd",
            "/%2E%2E/x",
            "/a/%2e%2e/%2e%2e/x",
            "/..%2fetc",
            "/%2fetc/passwd",
            "//etc/passwd",
            "/a//b",
            "/a/%00b",
            "/a\\..\\b",
            "/a%5c..%5cb",
            "/.git/config",
            "/./a",
            "/C:/windows",
            "/a\u{1}",
        ] {
            assert_eq!(request_segments(bad), Err(PathRefusal::Forbidden), "{bad}");
        }
        for bad in ["", "etc/passwd", "/%zz", "/%2", "/%", "/%ff%fe"] {
            assert_eq!(request_segments(bad), Err(PathRefusal::BadRequest), "{bad}");
        }
    }

    #[test]
    fn garbage_paths_never_panic() {
        let mut x: u32 = 1;
        for _ in 0..20_000 {
            let mut s = String::from("/");
            for _ in 0..(x % 12) {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                s.push(
                    ['%', '.', '/', 'a', '2', 'e', 'f', '\\', '0', 'Z'][(x >> 16) as usize % 10],
                );
            }
            if let Ok((segs, _)) = request_segments(&s) {
                assert!(segs.iter().all(|p| !p.starts_with('.') && !p.contains('/')));
            }
        }
    }

    #[test]
    fn ranges() {
        use RangeDecision::*;
        let p = |start, end| Partial(ByteRange { start, end });
        assert_eq!(decide_range(None, 10), Full);
        assert_eq!(decide_range(Some("bytes=0-4"), 10), p(0, 4));
        assert_eq!(decide_range(Some("bytes=5-"), 10), p(5, 9));
        assert_eq!(decide_range(Some("bytes=-3"), 10), p(7, 9));
        assert_eq!(decide_range(Some("bytes=-30"), 10), p(0, 9));
        assert_eq!(decide_range(Some("bytes=8-100"), 10), p(8, 9));
        assert_eq!(decide_range(Some("BYTES=1-1"), 10), p(1, 1));
        assert_eq!(decide_range(Some("bytes=0-1,4-5"), 10), Full);
        assert_eq!(decide_range(Some("items=0-1"), 10), Full);
        for bad in [
            "bytes=10-",
            "bytes=10-20",
            "bytes=5-2",
            "bytes=-0",
            "bytes=",
            "bytes=-",
            "bytes=abc",
            "bytes=1-x",
            "bytes=+1-2",
            "bytes=99999999999999999999999-",
        ] {
            assert_eq!(decide_range(Some(bad), 10), Unsatisfiable, "{bad}");
        }
        assert_eq!(decide_range(Some("bytes=0-"), 0), Unsatisfiable);
        assert_eq!(decide_range(Some("bytes=-1"), 0), Unsatisfiable);
    }

    #[test]
    fn conditionals() {
        let t = SystemTime::UNIX_EPOCH + Duration::new(1_700_000_000, 5);
        let tag = etag(42, t);
        assert!(none_match(&tag, &tag));
        assert!(none_match(&format!("\"x\", W/{tag}"), &tag));
        assert!(none_match("*", &tag));
        assert!(!none_match("\"other\"", &tag));
        let lm = httpdate::fmt_http_date(t);
        assert!(not_modified_since(&lm, t));
        assert!(!not_modified_since("Thu, 01 Jan 1970 00:00:00 GMT", t));
        assert!(!not_modified_since("garbage", t));
        assert!(if_range_holds(&tag, &tag, &lm));
        assert!(if_range_holds(&lm, &tag, &lm));
        assert!(!if_range_holds("\"old\"", &tag, &lm));
        assert!(!if_range_holds(&format!("W/{tag}"), &tag, &lm));
    }

    #[test]
    fn last_modified_of_any_mtime() {
        // Regression: the server formatted a file's mtime with `httpdate::fmt_http_date`,
        // which panics before 1970 and after 9999, so such a file failed every request.
        let t = SystemTime::UNIX_EPOCH + Duration::new(1_700_000_000, 999_999_999);
        assert_eq!(last_modified(t), httpdate::fmt_http_date(t));
        assert_eq!(last_modified(t), "Tue, 14 Nov 2023 22:13:20 GMT");
        let before = SystemTime::UNIX_EPOCH - Duration::from_secs(86_400 * 365);
        assert_eq!(last_modified(before), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert!(not_modified_since(&last_modified(before), before));
        let after = SystemTime::UNIX_EPOCH + Duration::from_secs(LAST_HTTP_DATE + 86_400 * 400);
        assert_eq!(last_modified(after), "Fri, 31 Dec 9999 23:59:59 GMT");
        let last = SystemTime::UNIX_EPOCH + Duration::new(LAST_HTTP_DATE, 5);
        assert_eq!(last_modified(last), "Fri, 31 Dec 9999 23:59:59 GMT");
        assert!(not_modified_since(&last_modified(last), last));
    }

    #[test]
    fn cache_and_types() {
        let imm = "public, max-age=31536000, immutable";
        assert_eq!(cache_control("timestamp.json"), "no-cache");
        assert_eq!(cache_control("snapshot.json"), "no-cache");
        assert_eq!(cache_control("3.snapshot.json"), imm);
        assert_eq!(cache_control("12.root.json"), imm);
        assert_eq!(
            cache_control(&format!("{}.lua-5.4.4.swpkg", "a".repeat(64))),
            imm
        );
        assert_eq!(cache_control("lua-5.4.4.swpkg"), "public, max-age=86400");
        assert_eq!(
            cache_control("lua-5.4.4.swpkg.sha256"),
            "public, max-age=86400"
        );
        assert_eq!(cache_control("index.html"), "public, max-age=60");
        assert_eq!(cache_control("x.timestamp.json"), "public, max-age=60");
        assert_eq!(content_type("a.json"), "application/json");
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("x.swpkg.sha256"), "text/plain; charset=utf-8");
        assert_eq!(content_type("noext"), "application/octet-stream");
    }
}
