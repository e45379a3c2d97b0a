//! Verified source fetching: upstream URL first, then the identical tarball as the `.orig.tar.*`
//! of a Debian source package on the mirrors of the machine's apt configuration.
//!
//! Every byte is checked against the recipe's sha256 before it is kept. Downloads stream into a
//! temporary file inside the cache and are renamed into `<cache>/<sha256>/<file name>` only when
//! the hash matches; on a mismatch the temporary file is deleted, so nothing unverified is ever
//! left behind. A cached file is re-hashed before it is reused.

use crate::apt::{self, ArchiveLocation};
use crate::debsrc;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// What to fetch.
#[derive(Clone, Debug, Default)]
pub struct SourceSpec {
    /// The upstream URL (its last path segment is the cached file name).
    pub url: String,
    /// Expected sha256, 64 lower-case hex digits.
    pub sha256: String,
    /// Debian source package that ships the same tarball as its `.orig.tar.*`.
    pub debian_package: Option<String>,
    /// Debian version of that package (lets the fetcher guess the pool path directly).
    pub debian_version: Option<String>,
}

/// Where a fetched file came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Cache,
    Upstream,
    Debian(String),
}

/// A verified file on disk.
#[derive(Clone, Debug)]
pub struct Fetched {
    pub path: PathBuf,
    pub origin: Origin,
}

/// Fetch failures.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("invalid sha256 `{0}`: expected 64 lower-case hexadecimal digits")]
    BadHash(String),
    #[error("invalid source URL `{0}`: it must be http(s) and end in a file name")]
    BadUrl(String),
    #[error(
        "sha256 mismatch for {url}: expected {expected}, got {found}; the download was deleted \
         (check the recipe's sha256, or the source has changed upstream)"
    )]
    Mismatch {
        url: String,
        expected: String,
        found: String,
    },
    #[error(
        "{file} (sha256 {sha256}) was not found upstream nor on any Debian mirror of the apt \
         configuration; attempts:\n{attempts}"
    )]
    Unavailable {
        file: String,
        sha256: String,
        attempts: String,
    },
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> FetchError + '_ {
    move |source| FetchError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Why one download attempt failed.
enum AttemptError {
    /// Unreachable, 404, timeout: try the next candidate.
    Net(String),
    /// The bytes arrived but hashed differently (already deleted).
    Mismatch(String),
    Fatal(FetchError),
}

/// The fetcher: a cache directory plus the archive locations to fall back on.
pub struct Fetcher {
    cache: PathBuf,
    locations: Vec<ArchiveLocation>,
    upstream_timeout: Duration,
    index_max_age: Duration,
    progress: bool,
}

impl Fetcher {
    /// A fetcher caching under `cache` (normally `sources/` of the per-user cache directory,
    /// [`crate::cache::user_cache_dir`]), falling back on the given archive locations.
    pub fn new(cache: impl Into<PathBuf>, locations: Vec<ArchiveLocation>) -> Self {
        Fetcher {
            cache: cache.into(),
            locations,
            upstream_timeout: Duration::from_secs(5),
            index_max_age: Duration::from_secs(24 * 3600),
            progress: true,
        }
    }

    /// A fetcher using the mirrors of this machine's apt configuration (`/etc/apt`).
    pub fn from_system(cache: impl Into<PathBuf>) -> Self {
        let sources = apt::load_sources(Path::new("/"));
        Self::new(cache, apt::archive_locations(&sources))
    }

    /// Connect/response timeout for the upstream URL (there is usually no internet).
    pub fn with_upstream_timeout(mut self, t: Duration) -> Self {
        self.upstream_timeout = t;
        self
    }

    /// Show progress bars (they are hidden anyway when stderr is not a terminal).
    pub fn with_progress(mut self, on: bool) -> Self {
        self.progress = on;
        self
    }

    /// The archive locations this fetcher falls back on.
    pub fn locations(&self) -> &[ArchiveLocation] {
        &self.locations
    }

    /// Where a file with this hash and name lives in the cache.
    pub fn cache_path(&self, sha256: &str, file: &str) -> PathBuf {
        self.cache.join(sha256).join(file)
    }

    /// Fetch and verify `spec`, returning the cached file.
    pub fn fetch(&self, spec: &SourceSpec) -> Result<Fetched, FetchError> {
        let sha = spec.sha256.as_str();
        if sha.len() != 64
            || !sha
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(FetchError::BadHash(spec.sha256.clone()));
        }
        let file = file_name_of(&spec.url).ok_or_else(|| FetchError::BadUrl(spec.url.clone()))?;
        let dest = self.cache_path(sha, file);
        if dest.is_file() {
            let found = sha256_file(&dest)?;
            if found == sha {
                return Ok(Fetched {
                    path: dest,
                    origin: Origin::Cache,
                });
            }
            // A corrupted cache entry is discarded and fetched again.
            std::fs::remove_file(&dest).map_err(io_err(&dest))?;
        }

        let mut attempts = String::new();
        let mut mismatch: Option<(String, String)> = None;
        let mut note = |url: &str, e: AttemptError| -> Result<(), FetchError> {
            match e {
                AttemptError::Net(m) => {
                    let _ = writeln!(attempts, "  {url}: {m}");
                }
                AttemptError::Mismatch(found) => {
                    let _ = writeln!(attempts, "  {url}: sha256 mismatch (got {found})");
                    mismatch.get_or_insert((url.to_owned(), found));
                }
                AttemptError::Fatal(e) => return Err(e),
            }
            Ok(())
        };

        // 1. Upstream, with a short timeout.
        let upstream = agent(Some(self.upstream_timeout));
        match self.download(&upstream, &spec.url, sha, &dest) {
            Ok(()) => {
                return Ok(Fetched {
                    path: dest,
                    origin: Origin::Upstream,
                })
            }
            Err(e) => note(&spec.url, e)?,
        }

        // 2. Debian pool path guessed from the package and version.
        let mirror = agent(Some(Duration::from_secs(15)));
        let mut tried: Vec<String> = Vec::new();
        if let (Some(pkg), Some(ver)) = (&spec.debian_package, &spec.debian_version) {
            for url in self.pool_candidates(pkg, ver, file) {
                if tried.contains(&url) {
                    continue;
                }
                tried.push(url.clone());
                match self.download(&mirror, &url, sha, &dest) {
                    Ok(()) => {
                        return Ok(Fetched {
                            path: dest,
                            origin: Origin::Debian(url),
                        })
                    }
                    Err(e) => note(&url, e)?,
                }
            }
        }

        // 3. Search the suites' source indexes for a file with exactly this hash.
        for loc in &self.locations {
            let index = match self.index(&mirror, loc) {
                Ok(i) => i,
                Err(e) => {
                    note(&loc.sources_gz_url(), e)?;
                    continue;
                }
            };
            for hit in debsrc::find_by_sha256(&index, spec.debian_package.as_deref(), sha) {
                let url = format!("{}/{}", loc.uri, hit.path);
                if tried.contains(&url) {
                    continue;
                }
                tried.push(url.clone());
                match self.download(&mirror, &url, sha, &dest) {
                    Ok(()) => {
                        return Ok(Fetched {
                            path: dest,
                            origin: Origin::Debian(url),
                        })
                    }
                    Err(e) => note(&url, e)?,
                }
            }
        }

        if let Some((url, found)) = mismatch {
            return Err(FetchError::Mismatch {
                url,
                expected: sha.to_owned(),
                found,
            });
        }
        if self.locations.is_empty() {
            attempts.push_str("  (no Debian archive found in the apt configuration)\n");
        }
        Err(FetchError::Unavailable {
            file: file.to_owned(),
            sha256: sha.to_owned(),
            attempts,
        })
    }

    fn pool_candidates(&self, pkg: &str, ver: &str, file: &str) -> Vec<String> {
        let up = debsrc::upstream_version(ver);
        let mut exts = vec!["tar.gz", "tar.xz", "tar.bz2"];
        // Try the upstream file's own compression first.
        if let Some(pos) = exts.iter().position(|e| file.ends_with(e)) {
            let e = exts.remove(pos);
            exts.insert(0, e);
        }
        let mut out = Vec::new();
        for loc in &self.locations {
            let Some(dir) = debsrc::pool_dir(&loc.component, pkg) else {
                continue;
            };
            for e in &exts {
                let url = format!("{}/{}/{}_{}.orig.{}", loc.uri, dir, pkg, up, e);
                if !out.contains(&url) {
                    out.push(url);
                }
            }
        }
        out
    }

    /// The decompressed `Sources` index of one location, cached for a day.
    fn index(&self, agent: &ureq::Agent, loc: &ArchiveLocation) -> Result<String, AttemptError> {
        let url = loc.sources_gz_url();
        let name: String = url
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let dir = self.cache.join("index");
        let path = dir.join(name);
        let fresh = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age < self.index_max_age);
        if !fresh {
            std::fs::create_dir_all(&dir).map_err(|e| AttemptError::Fatal(io_err(&dir)(e)))?;
            let tmp = dir.join(format!(".tmp-index-{}", std::process::id()));
            let r = stream_to(agent, &url, &tmp, self.progress, "index");
            match r {
                Ok(_) => std::fs::rename(&tmp, &path)
                    .map_err(|e| AttemptError::Fatal(io_err(&path)(e)))?,
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp);
                    return Err(e);
                }
            }
        }
        let f = std::fs::File::open(&path).map_err(|e| AttemptError::Fatal(io_err(&path)(e)))?;
        let mut text = String::new();
        flate2::read::GzDecoder::new(f)
            .read_to_string(&mut text)
            .map_err(|e| {
                let _ = std::fs::remove_file(&path);
                AttemptError::Net(format!("bad index: {e}"))
            })?;
        Ok(text)
    }

    /// Download `url` into `dest` if and only if it hashes to `sha`.
    fn download(
        &self,
        agent: &ureq::Agent,
        url: &str,
        sha: &str,
        dest: &Path,
    ) -> Result<(), AttemptError> {
        let dir = dest.parent().unwrap_or(&self.cache);
        std::fs::create_dir_all(&self.cache)
            .map_err(|e| AttemptError::Fatal(io_err(&self.cache)(e)))?;
        let tmp = self
            .cache
            .join(format!(".tmp-{}-{}", &sha[..16], std::process::id()));
        let label = file_name_of(url).unwrap_or(url);
        let found = match stream_to(agent, url, &tmp, self.progress, label) {
            Ok(h) => h,
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
        };
        if found != sha {
            let _ = std::fs::remove_file(&tmp);
            return Err(AttemptError::Mismatch(found));
        }
        std::fs::create_dir_all(dir).map_err(|e| AttemptError::Fatal(io_err(dir)(e)))?;
        std::fs::rename(&tmp, dest).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            AttemptError::Fatal(io_err(dest)(e))
        })
    }
}

/// An HTTP agent; `timeout` bounds connecting and waiting for the response head.
fn agent(timeout: Option<Duration>) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_resolve(timeout)
        .timeout_connect(timeout)
        .timeout_send_request(timeout)
        .timeout_recv_response(timeout)
        .timeout_recv_body(Some(Duration::from_secs(120)))
        .http_status_as_error(true)
        .build()
        .into()
}

/// Stream `url` into `path` (created/truncated), returning the sha256 of the bytes written.
fn stream_to(
    agent: &ureq::Agent,
    url: &str,
    path: &Path,
    progress: bool,
    label: &str,
) -> Result<String, AttemptError> {
    let mut resp = agent
        .get(url)
        .call()
        .map_err(|e| AttemptError::Net(e.to_string()))?;
    let len = resp.body().content_length();
    let bar = if progress {
        let b = ProgressBar::with_draw_target(len, ProgressDrawTarget::stderr());
        b.set_style(
            ProgressStyle::with_template(
                "{msg:30!} {bytes:>10}/{total_bytes:10} {bar:30} {bytes_per_sec}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b.set_message(label.to_owned());
        b
    } else {
        ProgressBar::hidden()
    };
    let mut reader = resp.body_mut().as_reader();
    let mut out = std::fs::File::create(path).map_err(|e| AttemptError::Fatal(io_err(path)(e)))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(AttemptError::Net(format!("transfer failed: {e}"))),
        };
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])
            .map_err(|e| AttemptError::Fatal(io_err(path)(e)))?;
        bar.inc(n as u64);
    }
    out.sync_all()
        .map_err(|e| AttemptError::Fatal(io_err(path)(e)))?;
    bar.finish_and_clear();
    Ok(hex::encode(hasher.finalize()))
}

/// Last path segment of a URL, if it looks like a file name.
pub fn file_name_of(url: &str) -> Option<&str> {
    let path = url.split(['?', '#']).next()?;
    let name = path.rsplit('/').next()?;
    let ok = !name.is_empty()
        && name != "."
        && name != ".."
        && path.contains("://")
        && name.len() < 200
        && !name.starts_with('.');
    ok.then_some(name)
}

/// sha256 of a file, lower-case hex.
pub fn sha256_file(path: &Path) -> Result<String, FetchError> {
    let mut f = std::fs::File::open(path).map_err(io_err(path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = std::io::Read::read(&mut f, &mut buf).map_err(io_err(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::io::BufRead;
    use std::net::TcpListener;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    /// A tiny HTTP/1.1 server: serves `files` by path, 404 otherwise, counts requests.
    struct Server {
        base: String,
        files: Arc<Mutex<HashMap<String, Vec<u8>>>>,
        hits: Arc<AtomicUsize>,
    }

    impl Server {
        fn start() -> Server {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let base = format!("http://{}", listener.local_addr().unwrap());
            let files: Arc<Mutex<HashMap<String, Vec<u8>>>> = Arc::default();
            let hits = Arc::new(AtomicUsize::new(0));
            let (f2, h2) = (files.clone(), hits.clone());
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    let Ok(mut conn) = conn else { continue };
                    let mut reader = std::io::BufReader::new(conn.try_clone().unwrap());
                    let mut line = String::new();
                    if reader.read_line(&mut line).is_err() {
                        continue;
                    }
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                            break;
                        }
                    }
                    h2.fetch_add(1, Ordering::SeqCst);
                    let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
                    let body = f2.lock().unwrap().get(&path).cloned();
                    let _ = match body {
                        Some(b) => conn
                            .write_all(
                                format!(
                                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                                    b.len()
                                )
                                .as_bytes(),
                            )
                            .and_then(|_| conn.write_all(&b)),
                        None => conn.write_all(
                            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                        ),
                    };
                }
            });
            Server { base, files, hits }
        }
        fn put(&self, path: &str, body: &[u8]) {
            self.files
                .lock()
                .unwrap()
                .insert(path.to_owned(), body.to_vec());
        }
        fn hits(&self) -> usize {
            self.hits.load(Ordering::SeqCst)
        }
    }

    fn sha(b: &[u8]) -> String {
        hex::encode(Sha256::digest(b))
    }

    fn loc(server: &Server) -> ArchiveLocation {
        ArchiveLocation {
            uri: format!("{}/debian", server.base),
            suite: "stable".into(),
            component: "main".into(),
        }
    }

    fn files_in(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        if let Ok(rd) = std::fs::read_dir(dir) {
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    out.extend(files_in(&p));
                } else {
                    out.push(p);
                }
            }
        }
        out
    }

    #[test]
    fn upstream_then_cache_hit() {
        let srv = Server::start();
        let body = b"pretend tarball".to_vec();
        srv.put("/pub/foo-1.0.tar.gz", &body);
        let cache = tempfile::tempdir().unwrap();
        let f = Fetcher::new(cache.path(), vec![]).with_progress(false);
        let spec = SourceSpec {
            url: format!("{}/pub/foo-1.0.tar.gz", srv.base),
            sha256: sha(&body),
            ..Default::default()
        };
        let got = f.fetch(&spec).unwrap();
        assert_eq!(got.origin, Origin::Upstream);
        assert_eq!(std::fs::read(&got.path).unwrap(), body);
        assert_eq!(
            got.path,
            cache.path().join(sha(&body)).join("foo-1.0.tar.gz")
        );
        let before = srv.hits();
        let again = f.fetch(&spec).unwrap();
        assert_eq!(again.origin, Origin::Cache);
        assert_eq!(srv.hits(), before, "a cache hit must not touch the network");
    }

    #[test]
    fn corrupted_cache_entry_is_refetched() {
        let srv = Server::start();
        let body = b"good bytes".to_vec();
        srv.put("/foo.tar.gz", &body);
        let cache = tempfile::tempdir().unwrap();
        let f = Fetcher::new(cache.path(), vec![]).with_progress(false);
        let spec = SourceSpec {
            url: format!("{}/foo.tar.gz", srv.base),
            sha256: sha(&body),
            ..Default::default()
        };
        let p = f.cache_path(&spec.sha256, "foo.tar.gz");
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, b"tampered").unwrap();
        let got = f.fetch(&spec).unwrap();
        assert_eq!(got.origin, Origin::Upstream);
        assert_eq!(std::fs::read(&got.path).unwrap(), body);
    }

    #[test]
    fn mismatch_is_an_error_and_keeps_nothing() {
        let srv = Server::start();
        srv.put("/foo-1.0.tar.gz", b"evil bytes");
        let cache = tempfile::tempdir().unwrap();
        let f = Fetcher::new(cache.path(), vec![loc(&srv)]).with_progress(false);
        let expected = sha(b"the real bytes");
        let spec = SourceSpec {
            url: format!("{}/foo-1.0.tar.gz", srv.base),
            sha256: expected.clone(),
            ..Default::default()
        };
        match f.fetch(&spec) {
            Err(FetchError::Mismatch {
                url,
                expected: e,
                found,
            }) => {
                assert!(url.ends_with("/foo-1.0.tar.gz"));
                assert_eq!(e, expected);
                assert_eq!(found, sha(b"evil bytes"));
            }
            other => panic!("expected a mismatch, got {other:?}"),
        }
        let left: Vec<_> = files_in(cache.path())
            .into_iter()
            .filter(|p| !p.starts_with(cache.path().join("index")))
            .collect();
        assert!(left.is_empty(), "nothing may be kept: {left:?}");
    }

    #[test]
    fn falls_back_to_debian_pool_path() {
        let srv = Server::start();
        let body = b"lua source".to_vec();
        srv.put("/debian/pool/main/l/lua5.4/lua5.4_5.4.4.orig.tar.gz", &body);
        let cache = tempfile::tempdir().unwrap();
        let f = Fetcher::new(cache.path(), vec![loc(&srv)]).with_progress(false);
        let spec = SourceSpec {
            url: format!("{}/upstream/lua-5.4.4.tar.gz", srv.base),
            sha256: sha(&body),
            debian_package: Some("lua5.4".into()),
            debian_version: Some("5.4.4-3+deb12u1".into()),
        };
        let got = f.fetch(&spec).unwrap();
        assert!(
            matches!(got.origin, Origin::Debian(ref u) if u.ends_with("lua5.4_5.4.4.orig.tar.gz"))
        );
        assert_eq!(
            got.path.file_name().unwrap(),
            "lua-5.4.4.tar.gz",
            "cached under the upstream name"
        );
    }

    #[test]
    fn falls_back_to_sources_index_search() {
        let srv = Server::start();
        let body = b"newlib source".to_vec();
        let h = sha(&body);
        srv.put("/debian/pool/main/n/newlib/newlib_3.3.0.orig.tar.gz", &body);
        let index = format!(
            "Package: other\nVersion: 1\nDirectory: pool/main/o/other\n\n\
             Package: newlib\nVersion: 3.3.0-1\nChecksums-Sha256:\n {h} {} newlib_3.3.0.orig.tar.gz\n\
             Directory: pool/main/n/newlib\n",
            body.len()
        );
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(index.as_bytes()).unwrap();
        srv.put(
            "/debian/dists/stable/main/source/Sources.gz",
            &gz.finish().unwrap(),
        );
        let cache = tempfile::tempdir().unwrap();
        let f = Fetcher::new(cache.path(), vec![loc(&srv)]).with_progress(false);
        let spec = SourceSpec {
            url: format!("{}/gone/newlib-3.3.0.tar.gz", srv.base),
            sha256: h,
            debian_package: Some("newlib".into()),
            debian_version: None,
        };
        let got = f.fetch(&spec).unwrap();
        assert!(
            matches!(got.origin, Origin::Debian(ref u) if u.ends_with("/debian/pool/main/n/newlib/newlib_3.3.0.orig.tar.gz"))
        );
        // The index is cached: a second (cache-miss) fetch of another file does not reload it.
        let hits = srv.hits();
        let _ = f.fetch(&SourceSpec {
            url: format!("{}/gone/x.tar.gz", srv.base),
            sha256: sha(b"x"),
            ..Default::default()
        });
        assert_eq!(
            srv.hits(),
            hits + 1,
            "only the upstream attempt, index reused"
        );
    }

    #[test]
    fn unavailable_lists_attempts() {
        let srv = Server::start();
        let cache = tempfile::tempdir().unwrap();
        let f = Fetcher::new(cache.path(), vec![]).with_progress(false);
        let err = f
            .fetch(&SourceSpec {
                url: format!("{}/none.tar.gz", srv.base),
                sha256: sha(b"none"),
                ..Default::default()
            })
            .unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, FetchError::Unavailable { .. }), "{msg}");
        assert!(msg.contains("none.tar.gz") && msg.contains("404"), "{msg}");
    }

    #[test]
    fn bad_inputs() {
        let f = Fetcher::new("/nonexistent", vec![]);
        let bad = |url: &str, sha: &str| {
            f.fetch(&SourceSpec {
                url: url.into(),
                sha256: sha.into(),
                ..Default::default()
            })
            .unwrap_err()
        };
        assert!(matches!(
            bad("http://x/y.tgz", "abc"),
            FetchError::BadHash(_)
        ));
        assert!(matches!(
            bad("http://x/y.tgz", &"A".repeat(64)),
            FetchError::BadHash(_)
        ));
        assert!(matches!(
            bad("http://x/", &"a".repeat(64)),
            FetchError::BadUrl(_)
        ));
        assert!(matches!(
            bad("nope", &"a".repeat(64)),
            FetchError::BadUrl(_)
        ));
    }
}
