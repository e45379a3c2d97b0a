//! Errors found in a package, and the stream error that also carries reader and sink failures.

use alloc::string::String;

/// Something wrong with the package itself. Each message says what and where; the host CLI
/// prefixes the command and file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackageError {
    /// The data ended early.
    #[error("package is truncated (ended inside {context}); re-download or rebuild it")]
    Truncated {
        /// What was being read when the data ended.
        context: String,
    },
    /// A tar header is malformed.
    #[error("corrupt tar header at byte {offset}: {reason}")]
    BadHeader {
        /// Offset of the header in the decompressed tar stream.
        offset: u64,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A pax extended header is malformed or uses a key this format does not allow.
    #[error("bad pax extended header at byte {offset}: {reason}")]
    BadPax {
        /// Offset of the header in the decompressed tar stream.
        offset: u64,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A tar entry of a type the format forbids (device, fifo, hard link, GNU extension, ...).
    #[error("entry {path}: {kind} entries are not allowed (only regular files, directories and symlinks)")]
    ForbiddenEntryType {
        /// Entry path as found in the archive.
        path: String,
        /// Human name of the entry type.
        kind: &'static str,
    },
    /// The first member is not the manifest.
    #[error("first member must be +MANIFEST, found {found:?}; this is not a .swpkg package")]
    ManifestNotFirst {
        /// Name of the member found instead.
        found: String,
    },
    /// The second member is not the signature.
    #[error(
        "second member must be +SIGNATURE, found {found:?}; the package is unsigned or damaged"
    )]
    SignatureNotSecond {
        /// Name of the member found instead.
        found: String,
    },
    /// The manifest is larger than the limit.
    #[error("manifest is {size} bytes, over the limit of {limit}")]
    ManifestTooLarge {
        /// Declared size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The signature member does not have the size of an ed25519 signature.
    #[error("+SIGNATURE is {size} bytes, an ed25519 signature is 64")]
    BadSignatureSize {
        /// Declared size.
        size: u64,
    },
    /// The signature does not verify.
    #[error("manifest signature does not verify with key {key}: wrong signer key, or the manifest was altered")]
    BadSignature {
        /// The key tried, as hex.
        key: String,
    },
    /// The manifest is not valid JSON for this format.
    #[error("manifest is not valid: {reason}")]
    ManifestSyntax {
        /// The JSON parser's message.
        reason: String,
    },
    /// The manifest parses but is not byte-identical to its canonical encoding.
    #[error("manifest is not in canonical form (sorted keys, no whitespace, canonical versions)")]
    NonCanonicalManifest,
    /// The manifest declares a format version this reader does not know.
    #[error(
        "manifest format {found} is not supported (this reader knows format 1); upgrade swpkg"
    )]
    UnsupportedFormat {
        /// Declared format.
        found: u32,
    },
    /// The package is for another architecture.
    #[error("package is built for arch {found:?}, this system is aarch64")]
    WrongArch {
        /// Declared arch.
        found: String,
    },
    /// The package targets another ABI version.
    #[error(
        "package targets SwiftOS ABI {package}, this system has ABI {system}; rebuild the package"
    )]
    AbiMismatch {
        /// Declared ABI.
        package: u32,
        /// The ABI this reader accepts.
        system: u32,
    },
    /// A field of the manifest breaks a rule.
    #[error("manifest field {field}: {reason}")]
    InvalidField {
        /// Which field (e.g. `name`, `depends[2].name`).
        field: String,
        /// Which rule.
        reason: String,
    },
    /// A payload path breaks a rule.
    #[error("path {path:?}: {reason}")]
    InvalidPath {
        /// The path.
        path: String,
        /// Which rule.
        reason: &'static str,
    },
    /// A symlink whose target would leave the package root.
    #[error("symlink {path} -> {target}: target leaves the package root")]
    SymlinkEscapes {
        /// The symlink path.
        path: String,
        /// Its target.
        target: String,
    },
    /// The same path twice.
    #[error("path {path} appears twice")]
    DuplicatePath {
        /// The path.
        path: String,
    },
    /// Manifest files are not sorted.
    #[error("manifest files are not sorted: {path} comes after {previous}")]
    NotSorted {
        /// The out-of-order path.
        path: String,
        /// The path before it.
        previous: String,
    },
    /// An entry whose parent directory is not an earlier directory entry.
    #[error("path {path}: parent directory is not listed before it as a directory")]
    MissingParent {
        /// The path.
        path: String,
    },
    /// Too many entries.
    #[error("package has {count} entries, over the limit of {limit}")]
    TooManyEntries {
        /// The count.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// One file is too large.
    #[error("file {path} is {size} bytes, over the limit of {limit}")]
    FileTooLarge {
        /// The file.
        path: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// All files together are too large.
    #[error("payload totals over {limit} bytes, the limit")]
    TotalTooLarge {
        /// The limit.
        limit: u64,
    },
    /// An archive entry that the manifest lists elsewhere.
    #[error("entry {found} is out of order (expected {expected} next)")]
    OutOfOrder {
        /// The entry the manifest expects next.
        expected: String,
        /// The entry found.
        found: String,
    },
    /// An archive entry the manifest does not list.
    #[error("entry {found} is not listed in the manifest")]
    ExtraEntry {
        /// The entry found.
        found: String,
    },
    /// The archive ended before a manifest entry.
    #[error("file {path} is listed in the manifest but missing from the archive")]
    MissingEntry {
        /// The missing path.
        path: String,
    },
    /// Entry type differs from the manifest.
    #[error("entry {path}: manifest says {manifest}, archive has {archive}")]
    KindMismatch {
        /// The path.
        path: String,
        /// Type in the manifest.
        manifest: &'static str,
        /// Type in the archive.
        archive: &'static str,
    },
    /// Size differs from the manifest.
    #[error("file {path}: size mismatch (manifest {manifest}, archive {archive})")]
    SizeMismatch {
        /// The path.
        path: String,
        /// Size in the manifest.
        manifest: u64,
        /// Size in the tar header.
        archive: u64,
    },
    /// Mode differs from the manifest.
    #[error("entry {path}: mode mismatch (manifest {manifest:04o}, archive {archive:04o})")]
    ModeMismatch {
        /// The path.
        path: String,
        /// Mode in the manifest.
        manifest: u32,
        /// Mode in the tar header.
        archive: u32,
    },
    /// Symlink target differs from the manifest.
    #[error("symlink {path}: target mismatch (manifest {manifest:?}, archive {archive:?})")]
    LinkMismatch {
        /// The path.
        path: String,
        /// Target in the manifest.
        manifest: String,
        /// Target in the archive.
        archive: String,
    },
    /// File content does not match the manifest hash.
    #[error("file {path}: sha256 mismatch (manifest {manifest}, content {content})")]
    HashMismatch {
        /// The path.
        path: String,
        /// Hex hash from the manifest.
        manifest: String,
        /// Hex hash of the bytes read.
        content: String,
    },
    /// Non-zero or too much data after the end of the archive.
    #[error("unexpected data after the end of the archive at byte {offset}")]
    TrailingData {
        /// Offset in the decompressed stream.
        offset: u64,
    },
}

/// Failure of a streaming operation: the package, the byte source, or the caller's sink.
#[derive(Debug, thiserror::Error)]
pub enum StreamError<R, S> {
    /// The package is bad.
    #[error(transparent)]
    Package(#[from] PackageError),
    /// Reading (or decompressing) failed.
    #[error("read error: {0}")]
    Read(R),
    /// The sink refused an entry (e.g. disk full while staging).
    #[error("{0}")]
    Sink(S),
}

impl<R, S> StreamError<R, S> {
    /// The package error, if that is what this is.
    pub fn package(&self) -> Option<&PackageError> {
        match self {
            StreamError::Package(p) => Some(p),
            _ => None,
        }
    }
}
