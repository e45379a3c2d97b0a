//! The host platform of the package client: `std::fs` under a root directory and a blocking
//! HTTP client (rustls) with a per-read timeout and `Range` requests for resuming.
//!
//! Every client path is absolute inside the root (`/pkg/store/...`); [`HostPlatform`] maps it
//! under `--root DIR` after refusing `..` and empty components, so nothing outside the root is
//! ever written.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use swiftos_pkg_core::platform::{
    FetchError, FsError, FsErrorKind, NodeKind, NodeMeta, Platform, Response, Sink, Source,
    SourceError,
};
use swpkg_core::read::IoReader;
use swpkg_core::OpenError;

/// Default seconds without data before a download is abandoned.
pub const DEFAULT_TIMEOUT_SECS: u64 = 30;

/// `std` + HTTP implementation of [`Platform`] over a root directory.
pub struct HostPlatform {
    root: PathBuf,
    http: reqwest::blocking::Client,
    timeout: Duration,
    quiet: bool,
    now_override: Option<i64>,
    lock: Option<File>,
}

impl std::fmt::Debug for HostPlatform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostPlatform")
            .field("root", &self.root)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Could not set up the host platform.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The root directory is unusable.
    #[error("root {path}: {source}")]
    Root {
        /// The path given.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

fn kind_of(e: &io::Error) -> FsErrorKind {
    match e.kind() {
        io::ErrorKind::NotFound => FsErrorKind::NotFound,
        io::ErrorKind::AlreadyExists => FsErrorKind::AlreadyExists,
        _ => FsErrorKind::Other,
    }
}

fn fs_err(op: &'static str, path: &str, e: &io::Error) -> FsError {
    FsError::new(kind_of(e), op, path, e.to_string())
}

impl HostPlatform {
    /// A platform rooted at `root` (created if missing), with `timeout` seconds of allowed
    /// silence per HTTP read.
    pub fn new(root: &Path, timeout_secs: u64) -> Result<Self, SetupError> {
        fs::create_dir_all(root).map_err(|source| SetupError::Root {
            path: root.into(),
            source,
        })?;
        let root = root.canonicalize().map_err(|source| SetupError::Root {
            path: root.into(),
            source,
        })?;
        let timeout = Duration::from_secs(timeout_secs.max(1));
        let http = reqwest::blocking::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("swiftos-pkg/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(HostPlatform {
            root,
            http,
            timeout,
            quiet: false,
            now_override: None,
            lock: None,
        })
    }

    /// Suppress progress lines.
    pub fn set_quiet(&mut self, quiet: bool) {
        self.quiet = quiet;
    }

    /// Pretend the clock says `now` (Unix seconds); used to check expiry handling.
    pub fn set_now(&mut self, now: Option<i64>) {
        self.now_override = now;
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Map a client path into the root, refusing anything that could leave it.
    pub fn map(&self, op: &'static str, path: &str) -> Result<PathBuf, FsError> {
        let rel = path
            .strip_prefix('/')
            .ok_or_else(|| FsError::new(FsErrorKind::Other, op, path, "not absolute"))?;
        let mut out = self.root.clone();
        for c in Path::new(rel).components() {
            match c {
                Component::Normal(n) => out.push(n),
                _ => {
                    return Err(FsError::new(
                        FsErrorKind::Other,
                        op,
                        path,
                        "path leaves the root",
                    ))
                }
            }
        }
        Ok(out)
    }
}

/// A file being read.
pub struct HostSource(Box<dyn Read + Send>, String);

impl Source for HostSource {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, SourceError> {
        loop {
            match self.0.read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(SourceError::Fs(fs_err("read", &self.1, &e))),
            }
        }
    }
}

/// A file being written.
pub struct HostWriter(BufWriter<File>, String);

impl Sink for HostWriter {
    fn write_all(&mut self, data: &[u8]) -> Result<(), FsError> {
        self.0
            .write_all(data)
            .map_err(|e| fs_err("write", &self.1, &e))
    }
    fn finish(self) -> Result<(), FsError> {
        let path = self.1;
        let f = self
            .0
            .into_inner()
            .map_err(|e| fs_err("write", &path, e.error()))?;
        f.sync_all().map_err(|e| fs_err("sync", &path, &e))
    }
}

/// An HTTP body.
pub struct HostBody {
    resp: reqwest::blocking::Response,
    url: String,
    timeout: u64,
}

fn is_timeout(e: &io::Error) -> bool {
    if matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    ) {
        return true;
    }
    let mut src: Option<&(dyn std::error::Error + 'static)> = e.get_ref().map(|r| r as _);
    while let Some(s) = src {
        if let Some(r) = s.downcast_ref::<reqwest::Error>() {
            if r.is_timeout() {
                return true;
            }
        }
        if let Some(io) = s.downcast_ref::<io::Error>() {
            if io.kind() == io::ErrorKind::TimedOut {
                return true;
            }
        }
        src = s.source();
    }
    e.to_string().contains("timed out")
}

impl Source for HostBody {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, SourceError> {
        loop {
            match self.resp.read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if is_timeout(&e) => {
                    return Err(SourceError::Fetch(FetchError::Timeout {
                        url: self.url.clone(),
                        seconds: self.timeout,
                    }))
                }
                Err(e) => {
                    return Err(SourceError::Fetch(FetchError::Transport {
                        url: self.url.clone(),
                        message: format!("connection closed during transfer ({e})"),
                    }))
                }
            }
        }
    }
}

fn reqwest_error(url: &str, e: &reqwest::Error, timeout: u64) -> FetchError {
    if e.is_timeout() {
        return FetchError::Timeout {
            url: url.into(),
            seconds: timeout,
        };
    }
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    FetchError::Transport {
        url: url.into(),
        message: msg,
    }
}

impl Platform for HostPlatform {
    type File = HostSource;
    type Unpacked = HostUnpacked;
    type Writer = HostWriter;
    type Body = HostBody;

    fn shown(&self, path: &str) -> String {
        self.map("show", path)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| path.to_string())
    }

    fn read(&mut self, path: &str, limit: u64) -> Result<Vec<u8>, FsError> {
        let p = self.map("read", path)?;
        let f = File::open(&p).map_err(|e| fs_err("read", path, &e))?;
        let mut out = Vec::new();
        f.take(limit + 1)
            .read_to_end(&mut out)
            .map_err(|e| fs_err("read", path, &e))?;
        if out.len() as u64 > limit {
            return Err(FsError::new(
                FsErrorKind::Other,
                "read",
                path,
                format!("larger than the {limit}-byte limit"),
            ));
        }
        Ok(out)
    }

    fn open(&mut self, path: &str) -> Result<HostSource, FsError> {
        let p = self.map("open", path)?;
        let f = File::open(&p).map_err(|e| fs_err("open", path, &e))?;
        Ok(HostSource(Box::new(io::BufReader::new(f)), path.into()))
    }

    fn open_unpacked(&mut self, path: &str) -> Result<HostUnpacked, FsError> {
        let p = self.map("open", path)?;
        open_zstd(&p, path)
    }

    fn open_unpacked_user(&mut self, path: &str) -> Result<HostUnpacked, FsError> {
        open_zstd(Path::new(path), path)
    }

    fn metadata(&mut self, path: &str) -> Result<Option<NodeMeta>, FsError> {
        let p = self.map("stat", path)?;
        match fs::symlink_metadata(&p) {
            Ok(m) => {
                let kind = if m.file_type().is_symlink() {
                    NodeKind::Symlink
                } else if m.is_dir() {
                    NodeKind::Dir
                } else {
                    NodeKind::File
                };
                Ok(Some(NodeMeta {
                    kind,
                    size: m.len(),
                }))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(fs_err("stat", path, &e)),
        }
    }

    fn list(&mut self, path: &str) -> Result<Vec<String>, FsError> {
        let p = self.map("list", path)?;
        let mut out = Vec::new();
        for e in fs::read_dir(&p).map_err(|e| fs_err("list", path, &e))? {
            let e = e.map_err(|e| fs_err("list", path, &e))?;
            out.push(e.file_name().to_string_lossy().into_owned());
        }
        Ok(out)
    }

    fn create_dir_all(&mut self, path: &str) -> Result<(), FsError> {
        let p = self.map("mkdir", path)?;
        fs::create_dir_all(&p).map_err(|e| fs_err("mkdir", path, &e))
    }

    fn create(&mut self, path: &str, mode: u32) -> Result<HostWriter, FsError> {
        let p = self.map("create", path)?;
        let f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&p)
            .map_err(|e| fs_err("create", path, &e))?;
        // `mode` at open is filtered by the umask; set the exact bits the manifest names.
        f.set_permissions(fs::Permissions::from_mode(mode))
            .map_err(|e| fs_err("chmod", path, &e))?;
        Ok(HostWriter(
            BufWriter::with_capacity(64 << 10, f),
            path.into(),
        ))
    }

    fn append(&mut self, path: &str) -> Result<HostWriter, FsError> {
        let p = self.map("append", path)?;
        let f = OpenOptions::new()
            .append(true)
            .open(&p)
            .map_err(|e| fs_err("append", path, &e))?;
        Ok(HostWriter(
            BufWriter::with_capacity(64 << 10, f),
            path.into(),
        ))
    }

    fn symlink(&mut self, target: &str, path: &str) -> Result<(), FsError> {
        let p = self.map("symlink", path)?;
        std::os::unix::fs::symlink(target, &p).map_err(|e| fs_err("symlink", path, &e))
    }

    fn read_link(&mut self, path: &str) -> Result<String, FsError> {
        let p = self.map("readlink", path)?;
        let t = fs::read_link(&p).map_err(|e| fs_err("readlink", path, &e))?;
        Ok(t.to_string_lossy().into_owned())
    }

    fn rename(&mut self, from: &str, to: &str) -> Result<(), FsError> {
        let a = self.map("rename", from)?;
        let b = self.map("rename", to)?;
        fs::rename(&a, &b).map_err(|e| fs_err("rename", from, &e))?;
        // Make the rename durable: sync the directory that now holds the name.
        if let Some(dir) = b.parent() {
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }

    fn remove_file(&mut self, path: &str) -> Result<(), FsError> {
        let p = self.map("remove", path)?;
        fs::remove_file(&p).map_err(|e| fs_err("remove", path, &e))
    }

    fn remove_dir_all(&mut self, path: &str) -> Result<(), FsError> {
        let p = self.map("remove", path)?;
        match fs::remove_dir_all(&p) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(fs_err("remove", path, &e)),
        }
    }

    fn lock(&mut self) -> Result<(), FsError> {
        if self.lock.is_some() {
            return Ok(());
        }
        // Lock the root directory itself, so the lock leaves no file behind.
        let dir = File::open(&self.root).map_err(|e| fs_err("lock", "/", &e))?;
        let fd = std::os::unix::io::AsRawFd::as_raw_fd(&dir);
        // SAFETY: `fd` is an open descriptor owned by `dir`, which outlives the call; flock
        // takes no pointers.
        let r = unsafe { libc::flock(fd, libc::LOCK_EX | libc::LOCK_NB) };
        if r != 0 {
            let e = io::Error::last_os_error();
            let kind = if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
                FsErrorKind::AlreadyExists
            } else {
                FsErrorKind::Other
            };
            return Err(FsError::new(
                kind,
                "lock",
                "/",
                format!("{} is locked: {e}", self.root.display()),
            ));
        }
        // The lock lives as long as the descriptor, i.e. this platform.
        self.lock = Some(dir);
        Ok(())
    }

    fn get(&mut self, url: &str, from: u64) -> Result<Response<HostBody>, FetchError> {
        let secs = self.timeout.as_secs();
        let mut req = self.http.get(url);
        if from > 0 {
            req = req.header(reqwest::header::RANGE, format!("bytes={from}-"));
        }
        let resp = req.send().map_err(|e| reqwest_error(url, &e, secs))?;
        let status = resp.status().as_u16();
        let resumed = if status == 206 {
            let cr = resp
                .headers()
                .get(reqwest::header::CONTENT_RANGE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !cr.starts_with(&format!("bytes {from}-")) {
                return Err(FetchError::Transport {
                    url: url.into(),
                    message: format!("server answered range {from}- with Content-Range {cr:?}"),
                });
            }
            true
        } else if status == 200 {
            false
        } else {
            return Err(FetchError::Status {
                url: url.into(),
                status,
            });
        };
        let length = resp.content_length();
        Ok(Response {
            resumed,
            length,
            body: HostBody {
                resp,
                url: url.into(),
                timeout: secs,
            },
        })
    }

    fn now(&self) -> i64 {
        if let Some(n) = self.now_override {
            return n;
        }
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }

    fn say(&mut self, line: &str) {
        if !self.quiet {
            println!("{line}");
        }
    }
}

/// A `.swpkg` file decompressed on the fly by `swpkg_core`'s one package opener (libzstd here;
/// the in-OS client runs the same opener with ruzstd): one zstd frame, window at most 8 MiB,
/// nothing after the frame.
pub struct HostUnpacked {
    reader: swpkg_core::PackageReader<IoReader<File>>,
    path: String,
}

/// An opener error as the package client shows it: a read failure of the file, or the
/// opener's own words under `decompress` (the same words as the in-OS client).
fn open_error(shown: &str, e: OpenError<io::Error>) -> FsError {
    match e {
        OpenError::Source(e) => fs_err("read", shown, &e),
        e => FsError::new(FsErrorKind::Other, "decompress", shown, e.to_string()),
    }
}

impl Source for HostUnpacked {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, SourceError> {
        use swpkg_core::Read as _;
        self.reader
            .read(buf)
            .map_err(|e| open_error(&self.path, e).into())
    }
}

fn open_zstd(p: &Path, shown: &str) -> Result<HostUnpacked, FsError> {
    let f = File::open(p).map_err(|e| fs_err("open", shown, &e))?;
    let reader = swpkg_core::PackageReader::new(IoReader(f)).map_err(|e| open_error(shown, e))?;
    Ok(HostUnpacked {
        reader,
        path: shown.into(),
    })
}
