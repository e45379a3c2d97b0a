//! On-disk layout constants and little-endian field helpers (see `docs/IMAGE_FORMAT.md`).

/// Size of one sector; the image, its regions and all file data are aligned to it.
pub const SECTOR_SIZE: usize = 512;
/// Magic bytes at offset 0.
pub const MAGIC: [u8; 8] = *b"SWOSPKFS";
/// The format version this crate reads and writes.
pub const VERSION: u32 = 1;
/// Size of the header region (one sector).
pub const HEADER_SIZE: u64 = SECTOR_SIZE as u64;
/// Size of one inode record.
pub const INODE_SIZE: u64 = 80;
/// Inode number of the root directory.
pub const ROOT_INODE: u32 = 0;
/// Longest file-name component.
pub const NAME_MAX: usize = 255;
/// Upper bound on the number of inodes a reader accepts (bounds memory use at mount time).
pub const MAX_INODES: u32 = 1 << 20;
/// Upper bound on the metadata region (inode table + names) a reader accepts.
pub const MAX_METADATA: u64 = 32 << 20;

/// Header field offsets (bytes from the start of the image).
pub mod hdr {
    pub const MAGIC: u64 = 0;
    pub const VERSION: u64 = 8;
    pub const HEADER_SIZE: u64 = 12;
    pub const FLAGS: u64 = 16;
    pub const INODE_COUNT: u64 = 20;
    pub const INODE_OFFSET: u64 = 24;
    pub const NAMES_OFFSET: u64 = 32;
    pub const NAMES_SIZE: u64 = 40;
    pub const DATA_OFFSET: u64 = 48;
    pub const DATA_SIZE: u64 = 56;
    pub const IMAGE_SIZE: u64 = 64;
    pub const META_SHA256: u64 = 72;
    /// The header checksum covers bytes `0..HEADER_SHA256`.
    pub const HEADER_SHA256: u64 = 104;
    /// First byte after the used header fields; the rest of the sector must be zero.
    pub const END: u64 = 136;
}

/// Inode field offsets (bytes from the start of an inode record).
pub mod ino {
    pub const NAME_OFFSET: u64 = 0;
    pub const NAME_LEN: u64 = 4;
    pub const RESERVED: u64 = 6;
    pub const MODE: u64 = 8;
    pub const UID: u64 = 12;
    pub const GID: u64 = 16;
    pub const PARENT: u64 = 20;
    pub const MTIME: u64 = 24;
    pub const SIZE: u64 = 32;
    pub const OFFSET: u64 = 40;
    pub const SHA256: u64 = 48;
}

/// Round `n` up to a multiple of [`SECTOR_SIZE`] (`None` on overflow).
pub const fn align_up(n: u64) -> Option<u64> {
    match n.checked_add(SECTOR_SIZE as u64 - 1) {
        Some(v) => Some(v & !(SECTOR_SIZE as u64 - 1)),
        None => None,
    }
}

pub(crate) fn rd_u16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
pub(crate) fn rd_u32(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}
pub(crate) fn rd_u64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}
pub(crate) fn rd_32(b: &[u8], at: usize) -> [u8; 32] {
    let mut a = [0u8; 32];
    a.copy_from_slice(&b[at..at + 32]);
    a
}
