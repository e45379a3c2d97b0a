//! Size and count limits that bound the work and memory a package can demand.

/// Log2 of the largest zstd window a package reader accepts: 8 MiB (the builder writes 4 MiB).
/// The one definition; both decoders of [`crate::open`] use it.
pub const MAX_WINDOW_LOG: u32 = 23;
/// The largest zstd window a package reader accepts, in bytes (`1 << MAX_WINDOW_LOG`).
pub const MAX_WINDOW_BYTES: u64 = 1 << MAX_WINDOW_LOG;

/// Bounds enforced while reading a package. Every limit is checked before the bytes it guards
/// are read, so a hostile package cannot make the reader allocate or decompress without end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest `+MANIFEST` member (bytes). It is held in memory.
    pub max_manifest_bytes: u64,
    /// Most payload entries (files, directories and symlinks together).
    pub max_entries: usize,
    /// Largest single payload file (bytes).
    pub max_file_bytes: u64,
    /// Largest sum of payload file sizes (bytes).
    pub max_total_bytes: u64,
    /// Longest payload path or symlink target (bytes).
    pub max_path_bytes: usize,
    /// Most zero bytes accepted after the tar end-of-archive marker (record padding).
    pub max_trailing_bytes: u64,
}

impl Limits {
    /// The limits documented in `docs/PACKAGE_FORMAT.md`.
    pub const DEFAULT: Limits = Limits {
        max_manifest_bytes: 8 << 20,
        max_entries: 100_000,
        max_file_bytes: 1 << 30,
        max_total_bytes: 4 << 30,
        max_path_bytes: 255,
        max_trailing_bytes: 64 << 10,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}
