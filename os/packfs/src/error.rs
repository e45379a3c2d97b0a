//! Errors of the reader: every corruption names the field and its byte offset in the image.

use core::fmt;

/// A SHA-256 digest, displayed as lowercase hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digest(pub [u8; 32]);

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

/// Everything that can go wrong while opening or reading a packed image.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The block device reported a failure.
    #[error("block device read failed at sector {lba} ({sectors} sectors)")]
    Io { lba: u64, sectors: u64 },
    /// The device is smaller than the image claims to be (or than a header).
    #[error("image truncated: {what} needs {needed} bytes but the device has only {device_bytes}")]
    Truncated {
        what: &'static str,
        needed: u64,
        device_bytes: u64,
    },
    /// Offset 0 does not hold the magic bytes: this is not a SwiftOS packed image.
    #[error(
        "not a SwiftOS packed image: magic at offset 0 is {found:02x?}, expected \"SWOSPKFS\""
    )]
    BadMagic { found: [u8; 8] },
    /// The format version at offset 8 is not one this reader understands.
    #[error("unsupported image format version {found} at offset 8 (supported: 1)")]
    UnsupportedVersion { found: u32 },
    /// A header field holds an impossible value.
    #[error("corrupt header: field `{field}` at offset {offset} has value {value}: {reason}")]
    HeaderField {
        field: &'static str,
        offset: u64,
        value: u64,
        reason: &'static str,
    },
    /// The header's own SHA-256 (offset 104) does not match bytes 0..104.
    #[error(
        "corrupt header: checksum at offset 104 is {expected}, header bytes 0..104 hash to {found}"
    )]
    HeaderChecksum { expected: Digest, found: Digest },
    /// The metadata SHA-256 (header offset 72) does not match the inode table and names.
    #[error("corrupt metadata: checksum at offset 72 is {expected}, bytes {start}..{end} hash to {found}")]
    MetadataChecksum {
        expected: Digest,
        found: Digest,
        start: u64,
        end: u64,
    },
    /// Bytes that must be zero (header tail, metadata padding) are not.
    #[error("corrupt image: {region} must be zero but byte at offset {offset} is {value:#04x}")]
    NonZeroPadding {
        region: &'static str,
        offset: u64,
        value: u8,
    },
    /// An inode record field holds an impossible value.
    #[error(
        "corrupt inode {index}: field `{field}` at offset {offset} has value {value}: {reason}"
    )]
    InodeField {
        index: u32,
        field: &'static str,
        offset: u64,
        value: u64,
        reason: &'static str,
    },
    /// A file's data does not match the SHA-256 recorded in its inode.
    #[error("corrupt data of inode {index} (bytes {offset}..{end}): sha256 {found}, inode records {expected}")]
    DataChecksum {
        index: u32,
        offset: u64,
        end: u64,
        expected: Digest,
        found: Digest,
    },
    /// Memory for the metadata could not be allocated.
    #[error("out of memory allocating {bytes} bytes for image metadata")]
    OutOfMemory { bytes: u64 },
    /// An inode number beyond the table.
    #[error("no inode {0}")]
    NoSuchInode(u32),
    /// A path component does not exist.
    #[error("no such file or directory")]
    NotFound,
    /// A path component (or the object of a directory operation) is not a directory.
    #[error("inode {0} is not a directory")]
    NotADirectory(u32),
    /// A file operation on a directory.
    #[error("inode {0} is a directory")]
    IsADirectory(u32),
}

impl Error {
    /// The system-call error this maps to: lookups give `ENOENT`/`ENOTDIR`/`EISDIR`,
    /// corruption and device failures `EIO`, allocation failure `ENOMEM`.
    pub fn errno(&self) -> swiftos_abi::Errno {
        use swiftos_abi::Errno;
        match self {
            Error::NotFound => Errno::ENOENT,
            Error::NoSuchInode(_) => Errno::ENOENT,
            Error::NotADirectory(_) => Errno::ENOTDIR,
            Error::IsADirectory(_) => Errno::EISDIR,
            Error::OutOfMemory { .. } => Errno::ENOMEM,
            _ => Errno::EIO,
        }
    }
}
