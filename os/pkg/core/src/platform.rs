//! The platform interface the client runs on: files under a root, streamed HTTP, clock, output.
//!
//! The host form (`pkg --root DIR`) implements it with `std::fs` and a blocking HTTP client; the
//! in-OS `pkg` implements it over SwiftOS system calls. Paths handed to a platform are always
//! absolute, `/`-separated, already validated by the client (no `..`, no empty components), and
//! are interpreted *inside* the platform's root.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// What kind of filesystem error happened (the client reacts to `NotFound`; the rest is reported).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsErrorKind {
    /// The path (or a parent) does not exist.
    NotFound,
    /// The path already exists.
    AlreadyExists,
    /// Anything else (permissions, disk full, I/O error).
    Other,
}

/// A filesystem operation that failed, with the path it was about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{op} {path}: {message}")]
pub struct FsError {
    /// Error class.
    pub kind: FsErrorKind,
    /// The operation (`read`, `write`, `rename`, ...).
    pub op: &'static str,
    /// The path inside the root.
    pub path: String,
    /// The platform's description.
    pub message: String,
}

impl FsError {
    /// Build an error.
    pub fn new(
        kind: FsErrorKind,
        op: &'static str,
        path: &str,
        message: impl Into<String>,
    ) -> Self {
        FsError {
            kind,
            op,
            path: path.into(),
            message: message.into(),
        }
    }

    /// Whether the path did not exist.
    pub fn is_not_found(&self) -> bool {
        self.kind == FsErrorKind::NotFound
    }
}

/// What an HTTP fetch failure was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// No data arrived within the platform's timeout.
    #[error("{url}: timed out after {seconds} s without data (server stalled or unreachable)")]
    Timeout {
        /// The URL.
        url: String,
        /// The timeout.
        seconds: u64,
    },
    /// The server answered with a status that is not success.
    #[error("{url}: HTTP status {status}")]
    Status {
        /// The URL.
        url: String,
        /// HTTP status code.
        status: u16,
    },
    /// Connection or transfer failure.
    #[error("{url}: {message}")]
    Transport {
        /// The URL.
        url: String,
        /// What went wrong.
        message: String,
    },
}

/// Kind of a filesystem node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// Regular file.
    File,
    /// Directory.
    Dir,
    /// Symbolic link (never followed).
    Symlink,
}

/// Facts about a filesystem node (symlinks are not followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeMeta {
    /// Kind.
    pub kind: NodeKind,
    /// Size in bytes (files).
    pub size: u64,
}

/// A byte source owned by the platform (an open file, an HTTP body, a decompressor).
pub trait Source {
    /// Read up to `buf.len()` bytes; `Ok(0)` is the end of the data.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, SourceError>;
}

/// A failure while reading a [`Source`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// Reading a local file (or decompressing it) failed.
    #[error(transparent)]
    Fs(#[from] FsError),
    /// Reading an HTTP body failed.
    #[error(transparent)]
    Fetch(#[from] FetchError),
}

/// A file being written. Bytes are durable only after [`Sink::finish`].
pub trait Sink {
    /// Append bytes.
    fn write_all(&mut self, data: &[u8]) -> Result<(), FsError>;
    /// Flush to stable storage and close.
    fn finish(self) -> Result<(), FsError>;
}

/// The answer to an HTTP GET, its body not yet read.
pub struct Response<B> {
    /// `true` when the server honoured the requested start offset (206 Partial Content with a
    /// matching `Content-Range`); `false` means the body starts at byte 0.
    pub resumed: bool,
    /// `Content-Length` of this body, when the server sent one.
    pub length: Option<u64>,
    /// The body, streamed.
    pub body: B,
}

impl<B> fmt::Debug for Response<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("resumed", &self.resumed)
            .field("length", &self.length)
            .finish()
    }
}

/// Everything the client needs from the system it runs on.
pub trait Platform {
    /// An open file being read.
    type File: Source;
    /// A `.swpkg` file being decompressed (zstd), yielding the tar stream.
    type Unpacked: Source;
    /// A file being written.
    type Writer: Sink;
    /// An HTTP response body.
    type Body: Source;

    /// Read a whole file, refusing files larger than `limit` bytes.
    fn read(&mut self, path: &str, limit: u64) -> Result<Vec<u8>, FsError>;
    /// Open a file for streamed reading.
    fn open(&mut self, path: &str) -> Result<Self::File, FsError>;
    /// Open a `.swpkg` file and return its zstd-decompressed content, streamed.
    fn open_unpacked(&mut self, path: &str) -> Result<Self::Unpacked, FsError>;
    /// Like [`Platform::open_unpacked`] for a path the user named on the command line, resolved
    /// the way the user means it (the host form: relative to the working directory, not the root).
    fn open_unpacked_user(&mut self, path: &str) -> Result<Self::Unpacked, FsError>;
    /// Facts about a path, `None` if it does not exist. Symlinks are not followed.
    fn metadata(&mut self, path: &str) -> Result<Option<NodeMeta>, FsError>;
    /// Names in a directory (no `.`/`..`), in any order.
    fn list(&mut self, path: &str) -> Result<Vec<String>, FsError>;
    /// Create a directory and its missing parents.
    fn create_dir_all(&mut self, path: &str) -> Result<(), FsError>;
    /// Create (or truncate) a file with the given permission bits.
    fn create(&mut self, path: &str, mode: u32) -> Result<Self::Writer, FsError>;
    /// Open an existing file to append to it.
    fn append(&mut self, path: &str) -> Result<Self::Writer, FsError>;
    /// Create a symbolic link at `path` pointing to `target` (stored verbatim).
    fn symlink(&mut self, target: &str, path: &str) -> Result<(), FsError>;
    /// Read a symbolic link's target.
    fn read_link(&mut self, path: &str) -> Result<String, FsError>;
    /// Atomically rename `from` to `to`, replacing a file at `to`; durable on return (the
    /// containing directory is synced where the platform supports it).
    fn rename(&mut self, from: &str, to: &str) -> Result<(), FsError>;
    /// Remove a file or symlink.
    fn remove_file(&mut self, path: &str) -> Result<(), FsError>;
    /// Remove a directory tree (symlinks inside are removed, never followed).
    fn remove_dir_all(&mut self, path: &str) -> Result<(), FsError>;

    /// Take the exclusive store lock for the rest of this platform's life, so two `pkg`
    /// processes never run transactions on the same root at once. Fails at once (does not
    /// wait) when another process holds it.
    fn lock(&mut self) -> Result<(), FsError>;

    /// Start an HTTP GET of `url`. With `from > 0`, ask for the bytes from that offset on
    /// (`Range: bytes=from-`); the response says whether the server honoured it.
    fn get(&mut self, url: &str, from: u64) -> Result<Response<Self::Body>, FetchError>;

    /// Make `roots` the system's package overlay: the payload roots of the active generation
    /// (`/pkg/store/<id>/root`, in generation order; the first root that has a name wins).
    /// Called after every commit (install, remove, upgrade, rollback) and by `pkg activate`.
    /// Returns `Ok(true)` when the overlay now shows exactly these roots, `Ok(false)` when this
    /// system has no overlay. The default (the host form) has none and does nothing.
    fn set_overlay(&mut self, roots: &[String]) -> Result<bool, FsError> {
        let _ = roots;
        Ok(false)
    }

    /// A package download advanced: `done` of `total` bytes of `file` are in its `.part` file.
    /// Called once when the transfer starts (with the bytes already there from an earlier
    /// attempt) and after every block received. The default shows nothing.
    fn progress(&mut self, file: &str, done: u64, total: u64) {
        let _ = (file, done, total);
    }

    /// `path` as the user should read it in a message: the real path when the platform works
    /// under another root (`pkg --root DIR`). The default shows `path` itself.
    fn shown(&self, path: &str) -> String {
        String::from(path)
    }

    /// Seconds since the Unix epoch (UTC).
    fn now(&self) -> i64;
    /// Print a line of progress or results for the user.
    fn say(&mut self, line: &str);
}
