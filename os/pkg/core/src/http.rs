//! The HTTP/1.1 protocol pieces of the in-OS client's downloader, without any I/O so they are
//! tested on the host: URL parsing, the request, the response head, `Content-Range` checks for
//! resuming, and a streaming `Transfer-Encoding: chunked` decoder. The guest's socket code
//! (`os/programs/src/http.rs`) drives them. Every parser here takes bytes from the network and
//! returns an error (never panics) on garbage.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::ops::Range;

/// Largest response head (status line + headers) accepted.
pub const MAX_HEAD_BYTES: usize = 16 << 10;
/// Longest chunk-size or trailer line accepted.
const MAX_CHUNK_LINE: usize = 256;

/// A protocol-level failure (the transport errors are the caller's).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// The URL is not `http://host[:port]/path`.
    #[error("bad URL {url:?}: {why}")]
    Url {
        /// The URL.
        url: String,
        /// What is wrong.
        why: &'static str,
    },
    /// The response head is malformed.
    #[error("malformed HTTP response: {0}")]
    Head(String),
    /// The chunked body is malformed.
    #[error("malformed chunked body: {0}")]
    Chunked(&'static str),
    /// A 206 answer whose `Content-Range` does not start where we asked.
    #[error("the server answered a request for bytes {asked}- with Content-Range {got:?}")]
    Range {
        /// The offset asked for.
        asked: u64,
        /// What the server sent.
        got: String,
    },
}

/// `http://host[:port]/path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// Host name or dotted IPv4 address.
    pub host: String,
    /// TCP port (80 by default).
    pub port: u16,
    /// Path and query, starting with `/`.
    pub path: String,
}

impl Url {
    /// Parse a URL. Only plain `http` is spoken (package integrity comes from the signed
    /// metadata, not from the transport).
    pub fn parse(url: &str) -> Result<Url, HttpError> {
        let bad = |why| HttpError::Url {
            url: url.to_string(),
            why,
        };
        if url.starts_with("https://") {
            return Err(bad("https is not supported by the in-OS client; use an http:// mirror (packages and metadata are signed, so the transport need not be trusted)"));
        }
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| bad("must start with http://"))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let path = path.split('#').next().unwrap_or("/");
        if authority.contains('@') {
            return Err(bad("user names in URLs are not supported"));
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse::<u16>()
                    .ok()
                    .filter(|&p| p != 0)
                    .ok_or_else(|| bad("the port must be a number from 1 to 65535"))?,
            ),
            None => (authority, 80),
        };
        if host.is_empty() {
            return Err(bad("no host name"));
        }
        if !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
        {
            return Err(bad(
                "the host name has characters other than letters, digits, '.', '-'",
            ));
        }
        if path.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(bad("the path has spaces or control characters"));
        }
        Ok(Url {
            host: host.to_string(),
            port,
            path: path.to_string(),
        })
    }

    /// The `Host` header value.
    pub fn host_header(&self) -> String {
        if self.port == 80 {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// The GET request for `url`, from byte `from` on (`Range: bytes=from-` when `from > 0`).
pub fn request(url: &Url, from: u64, agent: &str) -> String {
    let mut r = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {agent}\r\nAccept: */*\r\nAccept-Encoding: identity\r\nConnection: close\r\n",
        url.path,
        url.host_header()
    );
    if from > 0 {
        r.push_str(&format!("Range: bytes={from}-\r\n"));
    }
    r.push_str("\r\n");
    r
}

/// The end of the response head in `buf` (index just after the blank line), if complete.
pub fn head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

/// How the body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Exactly this many bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Until the server closes the connection.
    UntilClose,
}

/// A parsed response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// Protocol version from the status line (`HTTP/1.1`).
    pub version: String,
    /// Status code.
    pub status: u16,
    /// Reason phrase.
    pub reason: String,
    /// Body framing.
    pub framing: Framing,
    /// `Content-Range: bytes START-END/TOTAL` (TOTAL `None` for `*`).
    pub content_range: Option<(u64, u64, Option<u64>)>,
    /// `Location`, for a clear message on redirects.
    pub location: Option<String>,
}

fn parse_content_range(v: &str) -> Option<(u64, u64, Option<u64>)> {
    let r = v.trim().strip_prefix("bytes ")?;
    let (span, total) = r.split_once('/')?;
    let (a, b) = span.split_once('-')?;
    let (a, b): (u64, u64) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
    if b < a {
        return None;
    }
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    Some((a, b, total))
}

impl Head {
    /// Parse the head (`buf` up to and including the blank line).
    pub fn parse(buf: &[u8]) -> Result<Head, HttpError> {
        let bad = |m: &str| HttpError::Head(m.to_string());
        let text = core::str::from_utf8(buf).map_err(|_| bad("the head is not text"))?;
        let mut lines = text.split("\r\n");
        let status_line = lines.next().unwrap_or("");
        let mut parts = status_line.splitn(3, ' ');
        let version = parts.next().unwrap_or("");
        if !version.starts_with("HTTP/1.") {
            return Err(HttpError::Head(format!(
                "not an HTTP/1.x status line: {:?}",
                status_line.chars().take(60).collect::<String>()
            )));
        }
        let status: u16 = parts
            .next()
            .and_then(|c| (c.len() == 3).then(|| c.parse().ok()).flatten())
            .filter(|c| (100..600).contains(c))
            .ok_or_else(|| bad("bad status code"))?;
        let reason = parts.next().unwrap_or("").to_string();
        let mut length = None;
        let mut chunked = false;
        let mut content_range = None;
        let mut location = None;
        for l in lines {
            if l.is_empty() {
                continue;
            }
            let (k, v) = l
                .split_once(':')
                .ok_or_else(|| HttpError::Head(format!("header line without ':': {l:?}")))?;
            let (k, v) = (k.trim(), v.trim());
            if k.eq_ignore_ascii_case("content-length") {
                let n: u64 = v
                    .parse()
                    .map_err(|_| HttpError::Head(format!("bad Content-Length {v:?}")))?;
                if length.is_some_and(|l| l != n) {
                    return Err(bad("two different Content-Length headers"));
                }
                length = Some(n);
            } else if k.eq_ignore_ascii_case("transfer-encoding") {
                let last = v.rsplit(',').next().unwrap_or("").trim();
                if last.eq_ignore_ascii_case("chunked") {
                    chunked = true;
                } else if !last.eq_ignore_ascii_case("identity") {
                    return Err(HttpError::Head(format!(
                        "unsupported Transfer-Encoding {v:?}"
                    )));
                }
            } else if k.eq_ignore_ascii_case("content-range") {
                content_range = Some(
                    parse_content_range(v)
                        .ok_or_else(|| HttpError::Head(format!("bad Content-Range {v:?}")))?,
                );
            } else if k.eq_ignore_ascii_case("location") {
                location = Some(v.to_string());
            } else if k.eq_ignore_ascii_case("content-encoding")
                && !v.eq_ignore_ascii_case("identity")
            {
                return Err(HttpError::Head(format!(
                    "unsupported Content-Encoding {v:?}"
                )));
            }
        }
        // A chunked encoding overrides any Content-Length (RFC 9112 6.3).
        let framing = if chunked {
            Framing::Chunked
        } else if let Some(n) = length {
            Framing::Length(n)
        } else if status == 204 || status == 304 || (100..200).contains(&status) {
            Framing::Length(0)
        } else {
            Framing::UntilClose
        };
        Ok(Head {
            version: version.to_string(),
            status,
            reason,
            framing,
            content_range,
            location,
        })
    }

    /// For a request from byte `from`: `Ok(true)` when the body starts at `from` (a 206 with a
    /// matching `Content-Range`), `Ok(false)` when it starts at 0 (a 200). Other statuses are
    /// the caller's business.
    pub fn resumed(&self, from: u64) -> Result<bool, HttpError> {
        match (self.status, self.content_range) {
            (206, Some((start, _, _))) if start == from => Ok(true),
            (206, r) => Err(HttpError::Range {
                asked: from,
                got: match r {
                    Some((a, b, t)) => match t {
                        Some(t) => format!("bytes {a}-{b}/{t}"),
                        None => format!("bytes {a}-{b}/*"),
                    },
                    None => String::from("(none)"),
                },
            }),
            _ => Ok(false),
        }
    }

    /// The length of this body, when the server said it (`Content-Length`).
    pub fn body_length(&self) -> Option<u64> {
        match self.framing {
            Framing::Length(n) => Some(n),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    /// Reading a chunk-size line.
    Size,
    /// Inside chunk data, this many bytes left.
    Data(u64),
    /// Expecting the CRLF after chunk data (how many of its bytes were seen).
    DataEnd(u8),
    /// Reading trailer lines after the last chunk.
    Trailer,
    /// Done.
    Done,
}

/// Streaming decoder of a chunked body: feed it received bytes, it says how many it consumed
/// and which part of them is body data.
#[derive(Debug, Clone)]
pub struct Dechunker {
    state: ChunkState,
    line: Vec<u8>,
}

/// One step of [`Dechunker::step`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Bytes of the input used.
    pub consumed: usize,
    /// Body data inside the input (a sub-range of the consumed part).
    pub data: Range<usize>,
}

impl Default for Dechunker {
    fn default() -> Self {
        Self::new()
    }
}

impl Dechunker {
    /// A decoder at the start of a body.
    pub fn new() -> Self {
        Dechunker {
            state: ChunkState::Size,
            line: Vec::new(),
        }
    }

    /// Whether the final chunk and trailer were read.
    pub fn done(&self) -> bool {
        self.state == ChunkState::Done
    }

    /// Take one line's worth of bytes from `input` into `self.line`; returns the bytes consumed
    /// and whether the line is complete (its CRLF removed).
    fn take_line(&mut self, input: &[u8]) -> Result<(usize, bool), HttpError> {
        match input.iter().position(|&b| b == b'\n') {
            Some(i) => {
                self.line.extend_from_slice(&input[..i]);
                if self.line.last() == Some(&b'\r') {
                    self.line.pop();
                }
                if self.line.len() > MAX_CHUNK_LINE {
                    return Err(HttpError::Chunked("line too long"));
                }
                Ok((i + 1, true))
            }
            None => {
                self.line.extend_from_slice(input);
                if self.line.len() > MAX_CHUNK_LINE {
                    return Err(HttpError::Chunked("line too long"));
                }
                Ok((input.len(), false))
            }
        }
    }

    /// Decode from the start of `input`. Call again with the unconsumed rest until it is
    /// empty; `data` may be empty when only framing was consumed.
    pub fn step(&mut self, input: &[u8]) -> Result<Step, HttpError> {
        let none = |consumed| Step {
            consumed,
            data: 0..0,
        };
        match self.state {
            ChunkState::Done => Ok(none(0)),
            ChunkState::Size => {
                let (used, complete) = self.take_line(input)?;
                if !complete {
                    return Ok(none(used));
                }
                let line = core::mem::take(&mut self.line);
                let text = core::str::from_utf8(&line)
                    .map_err(|_| HttpError::Chunked("chunk size is not text"))?;
                let hex = text.split(';').next().unwrap_or("").trim();
                if hex.is_empty() || hex.len() > 15 {
                    return Err(HttpError::Chunked("bad chunk size"));
                }
                let size = u64::from_str_radix(hex, 16)
                    .map_err(|_| HttpError::Chunked("bad chunk size"))?;
                self.state = if size == 0 {
                    ChunkState::Trailer
                } else {
                    ChunkState::Data(size)
                };
                Ok(none(used))
            }
            ChunkState::Data(left) => {
                let n = (input.len() as u64).min(left) as usize;
                self.state = if n as u64 == left {
                    ChunkState::DataEnd(0)
                } else {
                    ChunkState::Data(left - n as u64)
                };
                Ok(Step {
                    consumed: n,
                    data: 0..n,
                })
            }
            ChunkState::DataEnd(seen) => {
                let want: &[u8] = &b"\r\n"[seen as usize..];
                let n = input.len().min(want.len());
                if input[..n] != want[..n] {
                    return Err(HttpError::Chunked("missing CRLF after chunk data"));
                }
                let seen = seen + n as u8;
                self.state = if seen == 2 {
                    ChunkState::Size
                } else {
                    ChunkState::DataEnd(seen)
                };
                Ok(none(n))
            }
            ChunkState::Trailer => {
                let (used, complete) = self.take_line(input)?;
                if complete {
                    if self.line.is_empty() {
                        self.state = ChunkState::Done;
                    }
                    self.line.clear();
                }
                Ok(none(used))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = Url::parse("http://10.0.2.2:8080/repo/metadata/1.root.json").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("10.0.2.2", 8080, "/repo/metadata/1.root.json")
        );
        assert_eq!(u.host_header(), "10.0.2.2:8080");
        let u = Url::parse("http://repo.swiftos.test").unwrap();
        assert_eq!((u.port, u.path.as_str()), (80, "/"));
        assert_eq!(u.host_header(), "repo.swiftos.test");
        for bad in [
            "https://x/",
            "ftp://x/",
            "http://",
            "http://:80/",
            "http://x:0/",
            "http://x:99999/",
            "http://x:port/",
            "http://u@x/",
            "http://x y/",
            "http://x/a b",
        ] {
            assert!(Url::parse(bad).is_err(), "{bad}");
        }
        let e = Url::parse("https://x/").unwrap_err().to_string();
        assert!(e.contains("https is not supported"), "{e}");
    }

    #[test]
    fn request_has_range_only_when_resuming() {
        let u = Url::parse("http://h:81/a").unwrap();
        let r = request(&u, 0, "pkg");
        assert!(r.starts_with("GET /a HTTP/1.1\r\nHost: h:81\r\n") && r.ends_with("\r\n\r\n"));
        assert!(!r.contains("Range"));
        assert!(request(&u, 1234, "pkg").contains("\r\nRange: bytes=1234-\r\n"));
    }

    #[test]
    fn heads() {
        let h = Head::parse(b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\nServer: x\r\n\r\n").unwrap();
        assert_eq!((h.status, h.framing), (200, Framing::Length(12)));
        assert!(!h.resumed(0).unwrap() && !h.resumed(5).unwrap());
        let h = Head::parse(
            b"HTTP/1.1 206 Partial Content\r\ncontent-range: bytes 100-199/200\r\nContent-Length: 100\r\n\r\n",
        )
        .unwrap();
        assert_eq!(h.content_range, Some((100, 199, Some(200))));
        assert!(h.resumed(100).unwrap());
        let e = h.resumed(50).unwrap_err().to_string();
        assert!(
            e.contains("bytes 50-") && e.contains("bytes 100-199/200"),
            "{e}"
        );
        let h = Head::parse(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
        )
        .unwrap();
        assert_eq!(h.framing, Framing::Chunked);
        let h = Head::parse(b"HTTP/1.0 404 Not Found\r\n\r\n").unwrap();
        assert_eq!(
            (h.status, h.framing, h.reason.as_str()),
            (404, Framing::UntilClose, "Not Found")
        );
        let h =
            Head::parse(b"HTTP/1.1 301 Moved\r\nLocation: http://x/y\r\nContent-Length: 0\r\n\r\n")
                .unwrap();
        assert_eq!(h.location.as_deref(), Some("http://x/y"));
        for bad in [
            &b"SSH-2.0-OpenSSH\r\n\r\n"[..],
            b"HTTP/1.1 2000 OK\r\n\r\n",
            b"HTTP/1.1 abc OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n",
            b"HTTP/1.1 206 OK\r\nContent-Range: bytes 9-1/10\r\n\r\n",
            b"HTTP/1.1 200 \xff\r\n\r\n",
        ] {
            assert!(
                Head::parse(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    fn dechunk_all(input: &[u8], piece: usize) -> Result<(Vec<u8>, bool), HttpError> {
        let mut d = Dechunker::new();
        let mut out = Vec::new();
        for part in input.chunks(piece.max(1)) {
            let mut at = 0;
            while at < part.len() && !d.done() {
                let s = d.step(&part[at..])?;
                out.extend_from_slice(&part[at..][s.data.clone()]);
                if s.consumed == 0 {
                    break;
                }
                at += s.consumed;
            }
        }
        Ok((out, d.done()))
    }

    #[test]
    fn chunked_bodies_split_anywhere() {
        let body = b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n";
        for piece in 1..body.len() + 1 {
            let (out, done) = dechunk_all(body, piece).unwrap();
            assert_eq!(
                (out.as_slice(), done),
                (&b"hello, world"[..], true),
                "piece {piece}"
            );
        }
        // Truncated: not done, no error (the caller reports the early close).
        let (out, done) = dechunk_all(&body[..12], 3).unwrap();
        assert_eq!((out.as_slice(), done), (&b"hello"[..], false));
        for bad in [
            &b"zz\r\n"[..],
            b"\r\n",
            b"5\r\nhelloXX",
            b"ffffffffffffffffff\r\n",
            b"5\xff\r\n",
        ] {
            assert!(dechunk_all(bad, 64).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let sample = b"HTTP/1.1 206 Partial\r\nContent-Range: bytes 1-2/3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
        for _ in 0..3000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut b = sample.to_vec();
            let i = (seed as usize) % b.len();
            b[i] = (seed >> 32) as u8;
            b.truncate((seed >> 16) as usize % (b.len() + 1));
            let _ = head_end(&b).map(|e| Head::parse(&b[..e]));
            let _ = Head::parse(&b);
            let _ = dechunk_all(&b, (seed >> 8) as usize % 7 + 1);
            if let Ok(s) = core::str::from_utf8(&b) {
                let _ = Url::parse(s);
            }
        }
    }
}
