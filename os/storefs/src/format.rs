//! The on-disk format: superblocks, the metadata blob (the whole tree), and data-block checksums.
//! Every decoder here takes untrusted bytes and rejects garbage with an error, never a panic.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use sha2::{Digest, Sha256};

/// Bytes per block.
pub const BLOCK_SIZE: usize = 4096;
/// Superblock magic (bytes 0..8 of blocks 0 and 1).
pub const SB_MAGIC: [u8; 8] = *b"SWOSSTOR";
/// Metadata blob magic.
pub const BLOB_MAGIC: [u8; 8] = *b"SWSTTREE";
/// Format version.
pub const VERSION: u32 = 1;
/// Bytes of a superblock covered by its checksum.
pub const SB_BODY: usize = 80;
/// Inode number of the root directory.
pub const ROOT_INO: u64 = 1;
/// Longest name.
pub const NAME_MAX: usize = 255;
/// Largest accepted metadata blob (64 MiB).
pub const BLOB_MAX: u64 = 64 << 20;
/// Node kinds in the blob.
const KIND_DIR: u8 = 1;
const KIND_FILE: u8 = 2;

/// Why one superblock slot was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SlotError {
    #[error("blank (all zero)")]
    Blank,
    #[error("bad magic")]
    BadMagic,
    #[error("unsupported format version {0}")]
    BadVersion(u32),
    #[error("superblock sha256 mismatch")]
    SuperblockChecksum,
    #[error("sequence {0} does not belong in this slot")]
    WrongSlot(u64),
    #[error("bad geometry: {0}")]
    Geometry(&'static str),
    #[error("cannot read the metadata blob (I/O error)")]
    BlobRead,
    #[error("blob sha256 mismatch")]
    BlobChecksum,
    #[error("metadata blob malformed: {0}")]
    BlobFormat(&'static str),
}

/// A decoded, checksum-verified superblock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Superblock {
    pub seq: u64,
    pub block_count: u64,
    pub blob_start: u64,
    pub blob_len: u64,
    pub blob_sha256: [u8; 32],
}

impl Superblock {
    /// The 4 KiB block image.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = alloc::vec![0u8; BLOCK_SIZE];
        b[0..8].copy_from_slice(&SB_MAGIC);
        b[8..12].copy_from_slice(&VERSION.to_le_bytes());
        b[16..24].copy_from_slice(&self.seq.to_le_bytes());
        b[24..32].copy_from_slice(&self.block_count.to_le_bytes());
        b[32..40].copy_from_slice(&self.blob_start.to_le_bytes());
        b[40..48].copy_from_slice(&self.blob_len.to_le_bytes());
        b[48..80].copy_from_slice(&self.blob_sha256);
        let h = sha256(&b[..SB_BODY]);
        b[80..112].copy_from_slice(&h);
        b
    }

    /// Decode slot `slot` (0 or 1) of a device with `dev_blocks` blocks.
    pub fn decode(b: &[u8], slot: u64, dev_blocks: u64) -> Result<Superblock, SlotError> {
        if b.len() < 112 {
            return Err(SlotError::Geometry("short superblock"));
        }
        if b.iter().all(|&x| x == 0) {
            return Err(SlotError::Blank);
        }
        if b[0..8] != SB_MAGIC {
            return Err(SlotError::BadMagic);
        }
        if sha256(&b[..SB_BODY])[..] != b[80..112] {
            return Err(SlotError::SuperblockChecksum);
        }
        let version = u32le(&b[8..12]);
        if version != VERSION {
            return Err(SlotError::BadVersion(version));
        }
        let mut sha = [0u8; 32];
        sha.copy_from_slice(&b[48..80]);
        let sb = Superblock {
            seq: u64le(&b[16..24]),
            block_count: u64le(&b[24..32]),
            blob_start: u64le(&b[32..40]),
            blob_len: u64le(&b[40..48]),
            blob_sha256: sha,
        };
        if sb.seq % 2 != slot {
            return Err(SlotError::WrongSlot(sb.seq));
        }
        if sb.block_count < 3 || sb.block_count > dev_blocks || sb.block_count > u64::from(u32::MAX)
        {
            return Err(SlotError::Geometry("block count does not fit the device"));
        }
        if sb.blob_len == 0 || sb.blob_len > BLOB_MAX {
            return Err(SlotError::Geometry("blob length out of range"));
        }
        let end = sb
            .blob_start
            .checked_add(sb.blob_len.div_ceil(BLOCK_SIZE as u64));
        if sb.blob_start < 2 || end.is_none_or(|e| e > sb.block_count) {
            return Err(SlotError::Geometry("blob outside the device"));
        }
        Ok(sb)
    }

    /// The blocks holding the blob.
    pub fn blob_blocks(&self) -> core::ops::Range<u64> {
        self.blob_start..self.blob_start + self.blob_len.div_ceil(BLOCK_SIZE as u64)
    }
}

/// One data block of a file: physical block (0 = hole, reads as zeros) and the crc32 of its
/// 4096 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BlockRef {
    pub block: u32,
    pub crc: u32,
}

/// Directory or file contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// Entries by name.
    Dir(BTreeMap<String, u64>),
    /// One entry per 4 KiB of the file.
    File(Vec<BlockRef>),
}

/// One inode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// `S_IFDIR`/`S_IFREG` plus permission bits.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: i64,
    /// Files: bytes. Directories: 0 on disk (entries are counted on demand).
    pub size: u64,
    pub body: Body,
    /// In memory only: parent directory (the root is its own parent).
    pub parent: u64,
}

/// `S_IFDIR`.
pub const S_IFDIR: u32 = 0o040000;
/// `S_IFREG`.
pub const S_IFREG: u32 = 0o100000;
/// `S_IFMT`.
pub const S_IFMT: u32 = 0o170000;

/// A decoded tree: nodes by inode number (all reachable from [`ROOT_INO`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tree {
    pub nodes: BTreeMap<u64, Node>,
    pub next_ino: u64,
}

/// Is `name` a valid directory entry name?
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= NAME_MAX
        && name != "."
        && name != ".."
        && !name.bytes().any(|b| b == b'/' || b == 0)
}

/// Encode the nodes reachable from the root.
pub fn encode_tree(nodes: &BTreeMap<u64, Node>, next_ino: u64) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&BLOB_MAGIC);
    out.extend_from_slice(&next_ino.to_le_bytes());
    let count_at = out.len();
    out.extend_from_slice(&0u32.to_le_bytes());
    let mut count = 0u32;
    let mut stack = alloc::vec![ROOT_INO];
    while let Some(ino) = stack.pop() {
        let Some(n) = nodes.get(&ino) else { continue };
        count += 1;
        out.extend_from_slice(&ino.to_le_bytes());
        out.extend_from_slice(&n.mode.to_le_bytes());
        out.extend_from_slice(&n.uid.to_le_bytes());
        out.extend_from_slice(&n.gid.to_le_bytes());
        out.extend_from_slice(&n.mtime.to_le_bytes());
        match &n.body {
            Body::Dir(entries) => {
                out.extend_from_slice(&0u64.to_le_bytes());
                out.push(KIND_DIR);
                out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
                for (name, child) in entries {
                    out.extend_from_slice(&child.to_le_bytes());
                    out.extend_from_slice(&(name.len() as u16).to_le_bytes());
                    out.extend_from_slice(name.as_bytes());
                    stack.push(*child);
                }
            }
            Body::File(blocks) => {
                out.extend_from_slice(&n.size.to_le_bytes());
                out.push(KIND_FILE);
                out.extend_from_slice(&(blocks.len() as u32).to_le_bytes());
                for b in blocks {
                    out.extend_from_slice(&b.block.to_le_bytes());
                    out.extend_from_slice(&b.crc.to_le_bytes());
                }
            }
        }
    }
    out[count_at..count_at + 4].copy_from_slice(&count.to_le_bytes());
    out
}

struct Cursor<'a> {
    b: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SlotError> {
        if self.b.len() < n {
            return Err(SlotError::BlobFormat("truncated"));
        }
        let (h, t) = self.b.split_at(n);
        self.b = t;
        Ok(h)
    }
    fn u8(&mut self) -> Result<u8, SlotError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, SlotError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, SlotError> {
        Ok(u32le(self.take(4)?))
    }
    fn u64(&mut self) -> Result<u64, SlotError> {
        Ok(u64le(self.take(8)?))
    }
}

/// Decode and fully validate a blob for a device of `block_count` blocks: one root directory,
/// a proper tree (every node reachable once), valid unique names, sizes matching block lists,
/// data blocks inside the device, outside `reserved` and never shared.
pub fn decode_tree(
    blob: &[u8],
    block_count: u64,
    reserved: core::ops::Range<u64>,
) -> Result<Tree, SlotError> {
    use SlotError::BlobFormat as F;
    let mut c = Cursor { b: blob };
    if c.take(8)? != BLOB_MAGIC {
        return Err(F("bad magic"));
    }
    let next_ino = c.u64()?;
    let count = c.u32()? as usize;
    // Smallest node record: 41 bytes.
    if count == 0 || count > blob.len() / 41 {
        return Err(F("node count out of range"));
    }
    let mut nodes = BTreeMap::new();
    let mut seen_blocks = BTreeMap::new();
    for _ in 0..count {
        let ino = c.u64()?;
        let mode = c.u32()?;
        let uid = c.u32()?;
        let gid = c.u32()?;
        let mtime = c.u64()? as i64;
        let size = c.u64()?;
        let kind = c.u8()?;
        let n = c.u32()? as usize;
        if ino == 0 || ino >= next_ino {
            return Err(F("inode number out of range"));
        }
        let body = match kind {
            KIND_DIR => {
                if mode & S_IFMT != S_IFDIR {
                    return Err(F("directory mode mismatch"));
                }
                if n > c.b.len() / 11 {
                    return Err(F("entry count out of range"));
                }
                let mut entries = BTreeMap::new();
                for _ in 0..n {
                    let child = c.u64()?;
                    let len = c.u16()? as usize;
                    let name =
                        core::str::from_utf8(c.take(len)?).map_err(|_| F("name is not UTF-8"))?;
                    if !valid_name(name) {
                        return Err(F("invalid name"));
                    }
                    if entries.insert(String::from(name), child).is_some() {
                        return Err(F("duplicate name"));
                    }
                }
                Body::Dir(entries)
            }
            KIND_FILE => {
                if mode & S_IFMT != S_IFREG {
                    return Err(F("file mode mismatch"));
                }
                if n as u64 != size.div_ceil(BLOCK_SIZE as u64) || n > c.b.len() / 8 {
                    return Err(F("block list does not match the size"));
                }
                let mut blocks = Vec::with_capacity(n);
                for _ in 0..n {
                    let block = c.u32()?;
                    let crc = c.u32()?;
                    if block != 0 {
                        let b = u64::from(block);
                        if b < 2 || b >= block_count || reserved.contains(&b) {
                            return Err(F("data block outside the data area"));
                        }
                        if seen_blocks.insert(block, ()).is_some() {
                            return Err(F("data block shared by two files"));
                        }
                    }
                    blocks.push(BlockRef { block, crc });
                }
                Body::File(blocks)
            }
            _ => return Err(F("unknown node kind")),
        };
        let node = Node {
            mode,
            uid,
            gid,
            mtime,
            size: if kind == KIND_DIR { 0 } else { size },
            body,
            parent: 0,
        };
        if nodes.insert(ino, node).is_some() {
            return Err(F("duplicate inode number"));
        }
    }
    if !c.b.is_empty() {
        return Err(F("trailing bytes"));
    }
    // Tree shape: walk from the root, every node exactly once.
    match nodes.get(&ROOT_INO) {
        Some(Node {
            body: Body::Dir(_), ..
        }) => {}
        _ => return Err(F("no root directory")),
    }
    let mut reached = 1usize;
    let mut stack = alloc::vec![ROOT_INO];
    if let Some(r) = nodes.get_mut(&ROOT_INO) {
        r.parent = ROOT_INO;
    }
    while let Some(dir) = stack.pop() {
        let children: Vec<u64> = match nodes.get(&dir).map(|n| &n.body) {
            Some(Body::Dir(e)) => e.values().copied().collect(),
            _ => continue,
        };
        for child in children {
            let n = nodes
                .get_mut(&child)
                .ok_or(F("entry names a missing inode"))?;
            if n.parent != 0 || child == ROOT_INO {
                return Err(F("inode linked twice"));
            }
            n.parent = dir;
            reached += 1;
            if matches!(n.body, Body::Dir(_)) {
                stack.push(child);
            }
        }
    }
    if reached != nodes.len() {
        return Err(F("unreachable inodes"));
    }
    Ok(Tree { nodes, next_ino })
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(data);
    h.finalize().into()
}

/// CRC-32 (IEEE) of a data block.
pub fn crc32(data: &[u8]) -> u32 {
    crc32fast::hash(data)
}

fn u32le(b: &[u8]) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[..4]);
    u32::from_le_bytes(a)
}

fn u64le(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_le_bytes(a)
}
