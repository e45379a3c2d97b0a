//! The SwiftOS platform of the package client (`/bin/pkg`): files through the kernel's VFS
//! under a root prefix (`--root DIR`, default `/`), `fsync` on the store disk, the store lock in
//! `/tmp`, HTTP through [`crate::http`], zstd through the pure-Rust `ruzstd` decoder, and the
//! package overlay through the `SET_OVERLAY` system call.

use crate::http;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use swiftos_pkg_core::platform::{
    FetchError, FsError, FsErrorKind, NodeKind, NodeMeta, Platform, Response, Sink, Source,
    SourceError,
};
use swiftos_rt::abi::fcntl::{O_APPEND, O_CREAT, O_EXCL, O_RDONLY, O_TRUNC, O_WRONLY};
use swiftos_rt::fs::{self as rtfs, File};
use swiftos_rt::sys;
use swiftos_rt::Errno;

/// Seconds an HTTP connect or read may take before the transfer is abandoned.
pub const DEFAULT_TIMEOUT_SECS: u64 = 30;
/// The store lock (RAM: a power cut never leaves it behind).
pub const LOCK_FILE: &str = "/tmp/pkg.lock";
/// Packages smaller than this get only the final line of progress.
const PROGRESS_MIN: u64 = 256 << 10;
/// Write batching of file sinks: the package store's largest device request (256 KiB).
const WRITE_BUF: usize = 256 << 10;
/// The package store's block size: sinks write whole, aligned blocks until the last write, so
/// the store never reads back and rewrites a partial block in the middle of a file.
const STORE_BLOCK: u64 = 4096;

/// `fsync(fd)`: make the file durable (on the store disk a commit of a new snapshot). `ENOSYS`
/// (a kernel without the call) counts as success: there is nothing more the client can do.
pub fn fsync(fd: sys::Fd) -> Result<(), Errno> {
    match rtfs::fsync(fd) {
        Ok(()) | Err(Errno::ENOSYS) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Make `dirs` (absolute directories on the store, first wins) the layers of the read-only
/// `/usr` overlay. `Ok(false)` when the kernel has no overlay (`ENOSYS`).
pub fn set_overlay(dirs: &[&str]) -> Result<bool, Errno> {
    match rtfs::set_overlay(dirs) {
        Ok(()) => Ok(true),
        Err(Errno::ENOSYS) => Ok(false),
        Err(e) => Err(e),
    }
}

fn kind(e: Errno) -> FsErrorKind {
    match e {
        Errno::ENOENT => FsErrorKind::NotFound,
        Errno::EEXIST => FsErrorKind::AlreadyExists,
        _ => FsErrorKind::Other,
    }
}

fn fs_err(op: &'static str, path: &str, e: Errno) -> FsError {
    let hint = match e {
        Errno::EPERM | Errno::EACCES => " (changing packages needs capPkgAdmin: log in as root)",
        Errno::EROFS => " (read-only filesystem)",
        _ => "",
    };
    FsError::new(kind(e), op, path, format!("{}{hint}", e.description()))
}

/// The platform over the SwiftOS system calls.
pub struct GuestPlatform {
    root: String,
    timeout_s: u64,
    quiet: bool,
    locked: bool,
    progress: Option<Progress>,
}

impl GuestPlatform {
    /// A platform whose client paths live under `root` (`/` for the real system).
    pub fn new(root: &str, timeout_s: u64) -> Self {
        let root = root.trim_end_matches('/');
        GuestPlatform {
            root: root.to_string(),
            timeout_s,
            quiet: false,
            locked: false,
            progress: None,
        }
    }

    /// Print only results (no progress lines).
    pub fn set_quiet(&mut self, quiet: bool) {
        self.quiet = quiet;
    }

    /// Whether client paths are the real system's (no `--root` prefix).
    pub fn is_system_root(&self) -> bool {
        self.root.is_empty()
    }

    /// The real path of a client path, refusing `..` and empty components.
    pub fn map(&self, op: &'static str, path: &str) -> Result<String, FsError> {
        let ok = path.starts_with('/')
            && path[1..]
                .split('/')
                .all(|c| !c.is_empty() && c != "." && c != "..");
        if !ok && path != "/" {
            return Err(FsError::new(
                FsErrorKind::Other,
                op,
                path,
                "refused: not a clean absolute path",
            ));
        }
        if self.root.is_empty() {
            Ok(path.to_string())
        } else if path == "/" {
            Ok(self.root.clone())
        } else {
            Ok(format!("{}{path}", self.root))
        }
    }

    fn remove_tree(&mut self, real: &str, shown: &str) -> Result<(), FsError> {
        let st = sys::stat(real).map_err(|e| fs_err("remove", shown, e))?;
        if rtfs::is_dir(&st) {
            let entries = rtfs::read_dir(real).map_err(|e| fs_err("list", shown, e))?;
            for e in entries {
                let child = format!("{real}/{}", e.name);
                let shown_child = format!("{shown}/{}", e.name);
                self.remove_tree(&child, &shown_child)?;
            }
            sys::rmdir(real).map_err(|e| fs_err("remove", shown, e))
        } else {
            sys::unlink(real).map_err(|e| fs_err("remove", shown, e))
        }
    }
}

impl Drop for GuestPlatform {
    fn drop(&mut self) {
        if self.locked {
            let _ = sys::unlink(LOCK_FILE);
        }
    }
}

/// An open file being read.
pub struct GuestFile {
    file: File,
    path: String,
}

impl Source for GuestFile {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, SourceError> {
        loop {
            match self.file.read(buf) {
                Err(Errno::EINTR) => {}
                r => return r.map_err(|e| fs_err("read", &self.path, e).into()),
            }
        }
    }
}

/// A raw file as the swpkg reader trait (input of the zstd decoder).
pub struct RawFile(File);

impl swpkg_core::Read for RawFile {
    type Error = Errno;
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Errno> {
        loop {
            match self.0.read(buf) {
                Err(Errno::EINTR) => {}
                r => return r,
            }
        }
    }
}

/// A `.swpkg` file decompressed on the fly by `swpkg_core`'s one package opener (ruzstd here;
/// the host tools run the same opener with libzstd): one zstd frame, window at most 8 MiB,
/// nothing after the frame.
pub struct Unpacked {
    reader: swpkg_core::PackageReader<RawFile>,
    path: String,
}

/// An opener error as the package client shows it: a read failure of the file, or the
/// opener's own words under `decompress` (the same words as the host `pkg`).
fn open_error(shown: &str, e: swpkg_core::OpenError<Errno>) -> FsError {
    match e {
        swpkg_core::OpenError::Source(e) => fs_err("read", shown, e),
        e => FsError::new(FsErrorKind::Other, "decompress", shown, e.to_string()),
    }
}

impl Source for Unpacked {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, SourceError> {
        use swpkg_core::Read as _;
        self.reader
            .read(buf)
            .map_err(|e| open_error(&self.path, e).into())
    }
}

fn open_zstd(real: &str, shown: &str) -> Result<Unpacked, FsError> {
    let f = File::open(real).map_err(|e| fs_err("open", shown, e))?;
    if f.stat().map(|st| rtfs::is_dir(&st)).unwrap_or(false) {
        return Err(FsError::new(
            FsErrorKind::Other,
            "open",
            shown,
            "is a directory, not a .swpkg package file",
        ));
    }
    let reader = swpkg_core::PackageReader::new(RawFile(f)).map_err(|e| open_error(shown, e))?;
    Ok(Unpacked {
        reader,
        path: shown.to_string(),
    })
}

/// A file being written, batched; durable after [`Sink::finish`] (`fsync`).
pub struct Writer {
    file: File,
    path: String,
    buf: Vec<u8>,
    /// File offset where `buf` starts.
    pos: u64,
}

impl Writer {
    fn new(file: File, path: &str, pos: u64) -> Writer {
        Writer {
            file,
            path: path.to_string(),
            buf: Vec::with_capacity(WRITE_BUF + STORE_BLOCK as usize),
            pos,
        }
    }

    /// Write the first `n` buffered bytes.
    fn write_out(&mut self, n: usize) -> Result<(), FsError> {
        self.file
            .write_all(&self.buf[..n])
            .map_err(|e| fs_err("write", &self.path, e))?;
        self.buf.drain(..n);
        self.pos += n as u64;
        Ok(())
    }

    fn flush(&mut self) -> Result<(), FsError> {
        self.write_out(self.buf.len())
    }
}

impl Sink for Writer {
    fn write_all(&mut self, data: &[u8]) -> Result<(), FsError> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= WRITE_BUF {
            // Up to the last block boundary; the rest waits for more data (or `finish`).
            let end = (self.pos + self.buf.len() as u64) / STORE_BLOCK * STORE_BLOCK;
            let n = (end - self.pos) as usize;
            self.write_out(n)?;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<(), FsError> {
        self.flush()?;
        fsync(self.file.fd()).map_err(|e| fs_err("fsync", &self.path, e))
    }
}

/// Progress of one download on the console: a line every 10 % (readable in a serial log) and
/// a final line with the transfer rate.
struct Progress {
    file: String,
    base: u64,
    last: u64,
    next_tenth: u64,
    start_ns: u64,
}

/// An HTTP body.
pub struct GuestBody {
    body: http::Body,
    url: String,
    timeout_s: u64,
}

fn human(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{}.{} MiB", n >> 20, ((n & ((1 << 20) - 1)) * 10) >> 20)
    } else if n >= 1 << 10 {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} B")
    }
}

/// `bytes` in `ns` as MB/s (10^6 bytes) with two decimals.
pub fn rate(bytes: u64, ns: u64) -> String {
    let centi = (bytes as u128 * 100 * 1_000 / ns.max(1) as u128) as u64;
    format!("{}.{:02} MB/s", centi / 100, centi % 100)
}

impl Source for GuestBody {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, SourceError> {
        self.body
            .read(buf)
            .map_err(|e| fetch_error(&self.url, e, self.timeout_s).into())
    }
}

fn fetch_error(url: &str, e: http::Failure, timeout_s: u64) -> FetchError {
    match e {
        http::Failure::Timeout { .. } => FetchError::Timeout {
            url: url.to_string(),
            seconds: timeout_s,
        },
        http::Failure::Status {
            status,
            location: None,
            ..
        } => FetchError::Status {
            url: url.to_string(),
            status,
        },
        other => FetchError::Transport {
            url: url.to_string(),
            message: other.to_string(),
        },
    }
}

impl Platform for GuestPlatform {
    type File = GuestFile;
    type Unpacked = Unpacked;
    type Writer = Writer;
    type Body = GuestBody;

    fn shown(&self, path: &str) -> String {
        self.map("show", path).unwrap_or_else(|_| path.to_string())
    }

    fn read(&mut self, path: &str, limit: u64) -> Result<Vec<u8>, FsError> {
        let real = self.map("read", path)?;
        let f = File::open(&real).map_err(|e| fs_err("read", path, e))?;
        let st = f.stat().map_err(|e| fs_err("read", path, e))?;
        if st.st_size as u64 > limit {
            return Err(FsError::new(
                FsErrorKind::Other,
                "read",
                path,
                format!("{} bytes, more than the {limit} allowed", st.st_size),
            ));
        }
        f.read_to_end().map_err(|e| fs_err("read", path, e))
    }

    fn open(&mut self, path: &str) -> Result<GuestFile, FsError> {
        let real = self.map("open", path)?;
        let file = File::open(&real).map_err(|e| fs_err("open", path, e))?;
        Ok(GuestFile {
            file,
            path: path.to_string(),
        })
    }

    fn open_unpacked(&mut self, path: &str) -> Result<Unpacked, FsError> {
        let real = self.map("open", path)?;
        open_zstd(&real, path)
    }

    fn open_unpacked_user(&mut self, path: &str) -> Result<Unpacked, FsError> {
        // The user's own path: absolute, or relative to the working directory (not the root).
        open_zstd(path, path)
    }

    fn metadata(&mut self, path: &str) -> Result<Option<NodeMeta>, FsError> {
        let real = self.map("stat", path)?;
        match sys::stat(&real) {
            Ok(st) => Ok(Some(NodeMeta {
                kind: if rtfs::is_dir(&st) {
                    NodeKind::Dir
                } else {
                    NodeKind::File
                },
                size: st.st_size.max(0) as u64,
            })),
            Err(Errno::ENOENT) | Err(Errno::ENOTDIR) => Ok(None),
            Err(e) => Err(fs_err("stat", path, e)),
        }
    }

    fn list(&mut self, path: &str) -> Result<Vec<String>, FsError> {
        let real = self.map("list", path)?;
        rtfs::read_dir(&real)
            .map(|v| v.into_iter().map(|e| e.name).collect())
            .map_err(|e| fs_err("list", path, e))
    }

    fn create_dir_all(&mut self, path: &str) -> Result<(), FsError> {
        let real = self.map("mkdir", path)?;
        let mut at = String::new();
        for c in real.split('/').filter(|c| !c.is_empty()) {
            at.push('/');
            at.push_str(c);
            match sys::mkdir(&at, 0o755) {
                Ok(()) => {}
                Err(Errno::EEXIST) | Err(Errno::EROFS) | Err(Errno::EPERM) | Err(Errno::EACCES)
                    if sys::stat(&at).is_ok_and(|st| rtfs::is_dir(&st)) => {}
                Err(e) => return Err(fs_err("mkdir", path, e)),
            }
        }
        Ok(())
    }

    fn create(&mut self, path: &str, mode: u32) -> Result<Writer, FsError> {
        let real = self.map("create", path)?;
        let file = File::open_with(&real, O_WRONLY | O_CREAT | O_TRUNC, mode & 0o777)
            .map_err(|e| fs_err("create", path, e))?;
        Ok(Writer::new(file, path, 0))
    }

    fn append(&mut self, path: &str) -> Result<Writer, FsError> {
        let real = self.map("append", path)?;
        let file = File::open_with(&real, O_WRONLY | O_APPEND, 0)
            .map_err(|e| fs_err("append", path, e))?;
        let size = file
            .stat()
            .map_err(|e| fs_err("stat", path, e))?
            .st_size
            .max(0) as u64;
        Ok(Writer::new(file, path, size))
    }

    fn symlink(&mut self, target: &str, path: &str) -> Result<(), FsError> {
        Err(FsError::new(
            FsErrorKind::Other,
            "symlink",
            path,
            format!(
                "the package contains a symbolic link (-> {target}), and SwiftOS has no symbolic links; \
                 this package cannot be installed here (ask its packager to ship a copy instead)"
            ),
        ))
    }

    fn read_link(&mut self, path: &str) -> Result<String, FsError> {
        Err(FsError::new(
            FsErrorKind::Other,
            "readlink",
            path,
            "SwiftOS has no symbolic links",
        ))
    }

    fn rename(&mut self, from: &str, to: &str) -> Result<(), FsError> {
        let (rf, rt) = (self.map("rename", from)?, self.map("rename", to)?);
        sys::rename(&rf, &rt).map_err(|e| fs_err("rename", from, e))
    }

    fn remove_file(&mut self, path: &str) -> Result<(), FsError> {
        let real = self.map("remove", path)?;
        sys::unlink(&real).map_err(|e| fs_err("remove", path, e))
    }

    fn remove_dir_all(&mut self, path: &str) -> Result<(), FsError> {
        let real = self.map("remove", path)?;
        self.remove_tree(&real, path)
    }

    fn lock(&mut self) -> Result<(), FsError> {
        if self.locked {
            return Ok(());
        }
        let me = sys::getpid();
        for _ in 0..2 {
            match File::open_with(LOCK_FILE, O_WRONLY | O_CREAT | O_EXCL, 0o644) {
                Ok(f) => {
                    f.write_all(format!("{me}\n").as_bytes())
                        .map_err(|e| fs_err("lock", LOCK_FILE, e))?;
                    self.locked = true;
                    return Ok(());
                }
                Err(Errno::EEXIST) => {
                    let holder = File::open_with(LOCK_FILE, O_RDONLY, 0)
                        .and_then(|f| f.read_to_end())
                        .ok()
                        .and_then(|b| core::str::from_utf8(&b).ok()?.trim().parse::<u32>().ok());
                    match holder {
                        // A live process holds it.
                        Some(pid) if pid != me && sys::kill(pid, 0) != Err(Errno::ESRCH) => {
                            return Err(FsError::new(
                                FsErrorKind::AlreadyExists,
                                "lock",
                                LOCK_FILE,
                                format!("process {pid} holds {LOCK_FILE}"),
                            ));
                        }
                        // Its holder is gone (or it is unreadable): take it over.
                        _ => {
                            let _ = sys::unlink(LOCK_FILE);
                        }
                    }
                }
                Err(e) => return Err(fs_err("lock", LOCK_FILE, e)),
            }
        }
        Err(FsError::new(
            FsErrorKind::AlreadyExists,
            "lock",
            LOCK_FILE,
            "another pkg took the lock at the same moment",
        ))
    }

    fn get(&mut self, url: &str, from: u64) -> Result<Response<GuestBody>, FetchError> {
        let r = http::get(url, from, self.timeout_s, "swiftos-pkg/0.1")
            .map_err(|e| fetch_error(url, e, self.timeout_s))?;
        Ok(Response {
            resumed: r.resumed,
            length: r.head.body_length(),
            body: GuestBody {
                body: r.body,
                url: url.to_string(),
                timeout_s: self.timeout_s,
            },
        })
    }

    fn set_overlay(&mut self, roots: &[String]) -> Result<bool, FsError> {
        // Only the real store can be layered under /usr.
        if !self.is_system_root() {
            return Ok(false);
        }
        let dirs: Vec<&str> = roots.iter().map(String::as_str).collect();
        set_overlay(&dirs).map_err(|e| fs_err("set_overlay", "/usr", e))
    }

    fn progress(&mut self, file: &str, done: u64, total: u64) {
        if self.quiet || total == 0 {
            return;
        }
        let now = swiftos_rt::time::monotonic_ns();
        let fresh = match &self.progress {
            Some(p) => p.file != file || done < p.last,
            None => true,
        };
        if fresh {
            self.progress = Some(Progress {
                file: file.to_string(),
                base: done,
                last: done,
                next_tenth: done.saturating_mul(10) / total + 1,
                start_ns: now,
            });
        }
        let Some(p) = &mut self.progress else { return };
        p.last = done;
        let tenth = done.saturating_mul(10) / total;
        if done >= total {
            let ns = now.saturating_sub(p.start_ns);
            let got = done - p.base;
            swiftos_rt::println!(
                "  {file}: 100% of {}, {} received in {}.{:03} s ({})",
                human(total),
                human(got),
                ns / 1_000_000_000,
                (ns / 1_000_000) % 1000,
                rate(got, ns)
            );
            self.progress = None;
        } else if tenth >= p.next_tenth && total >= PROGRESS_MIN {
            swiftos_rt::println!(
                "  {file}: {}% ({} of {})",
                tenth * 10,
                human(done),
                human(total)
            );
            p.next_tenth = tenth + 1;
        }
    }

    fn now(&self) -> i64 {
        swiftos_rt::time::realtime().map(|t| t.tv_sec).unwrap_or(0)
    }

    fn say(&mut self, line: &str) {
        if !self.quiet {
            swiftos_rt::println!("{line}");
        }
    }
}
