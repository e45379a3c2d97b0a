//! The `no_std` reader: opens an image over a [`BlockDevice`], validates everything up front
//! and then answers lookups from memory and file reads from the device.

use crate::device::BlockDevice;
use crate::error::{Digest, Error};
use crate::format::*;
use alloc::vec::Vec;
use core::ops::Range;
use sha2::{Digest as _, Sha256};
use swiftos_abi::fcntl::{S_IFDIR, S_IFMT, S_IFREG};

/// Most sectors requested from the device in one call.
const MAX_SECTORS_PER_READ: usize = 256;

/// The decoded, validated header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub version: u32,
    pub inode_count: u32,
    pub inode_offset: u64,
    pub names_offset: u64,
    pub names_size: u64,
    pub data_offset: u64,
    pub data_size: u64,
    pub image_size: u64,
    pub meta_sha256: Digest,
}

/// One decoded inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Inode {
    /// Inode number (index in the table; 0 is the root directory).
    pub index: u32,
    /// `S_IFDIR` or `S_IFREG` plus permission bits.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Parent directory's inode number (the root is its own parent).
    pub parent: u32,
    /// Modification time, seconds since the Unix epoch.
    pub mtime: i64,
    /// Files: size in bytes. Directories: number of entries.
    pub size: u64,
    /// Files: byte offset of the data in the image. Directories: first child's inode number.
    pub offset: u64,
    /// Files: SHA-256 of the data. Directories: zero.
    pub sha256: Digest,
    name_offset: u32,
    name_len: u16,
}

impl Inode {
    /// Is this a directory?
    pub const fn is_dir(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }
    /// Is this a regular file?
    pub const fn is_file(&self) -> bool {
        self.mode & S_IFMT == S_IFREG
    }
    /// Inode numbers of a directory's entries (sorted by name); empty for files.
    pub fn children(&self) -> Range<u32> {
        if self.is_dir() {
            // Validated at open: offset + size <= inode_count <= u32::MAX.
            self.offset as u32..(self.offset + self.size) as u32
        } else {
            0..0
        }
    }
}

/// An open, validated packed image over a block device.
pub struct Image<B> {
    dev: B,
    header: Header,
    /// Inode table followed by the name table.
    meta: Vec<u8>,
}

impl<B> core::fmt::Debug for Image<B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Image")
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

fn hfield(field: &'static str, offset: u64, value: u64, reason: &'static str) -> Error {
    Error::HeaderField {
        field,
        offset,
        value,
        reason,
    }
}

fn read_dev<B: BlockDevice>(dev: &mut B, lba: u64, buf: &mut [u8]) -> Result<(), Error> {
    dev.read_sectors(lba, buf).map_err(|_| Error::Io {
        lba,
        sectors: (buf.len() / SECTOR_SIZE) as u64,
    })
}

fn sha256(parts: &[&[u8]]) -> Digest {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    Digest(h.finalize().into())
}

/// Parse and check the header sector (everything except the device size).
pub fn parse_header(sector: &[u8; SECTOR_SIZE]) -> Result<Header, Error> {
    let s = &sector[..];
    let magic: [u8; 8] = s[0..8].try_into().unwrap_or([0; 8]);
    if magic != MAGIC {
        return Err(Error::BadMagic { found: magic });
    }
    let version = rd_u32(s, hdr::VERSION as usize);
    if version != VERSION {
        return Err(Error::UnsupportedVersion { found: version });
    }
    let header_size = rd_u32(s, hdr::HEADER_SIZE as usize);
    if u64::from(header_size) != HEADER_SIZE {
        return Err(hfield(
            "header_size",
            hdr::HEADER_SIZE,
            header_size.into(),
            "must be 512",
        ));
    }
    let flags = rd_u32(s, hdr::FLAGS as usize);
    if flags != 0 {
        return Err(hfield(
            "flags",
            hdr::FLAGS,
            flags.into(),
            "no flags are defined; must be 0",
        ));
    }
    let inode_count = rd_u32(s, hdr::INODE_COUNT as usize);
    if inode_count == 0 || inode_count > MAX_INODES {
        return Err(hfield(
            "inode_count",
            hdr::INODE_COUNT,
            inode_count.into(),
            "must be between 1 (the root) and 1048576",
        ));
    }
    let inode_offset = rd_u64(s, hdr::INODE_OFFSET as usize);
    if inode_offset != HEADER_SIZE {
        return Err(hfield(
            "inode_offset",
            hdr::INODE_OFFSET,
            inode_offset,
            "must be 512",
        ));
    }
    let names_offset = rd_u64(s, hdr::NAMES_OFFSET as usize);
    let expected_names = HEADER_SIZE + u64::from(inode_count) * INODE_SIZE;
    if names_offset != expected_names {
        return Err(hfield(
            "names_offset",
            hdr::NAMES_OFFSET,
            names_offset,
            "must equal inode_offset + inode_count * 80",
        ));
    }
    let names_size = rd_u64(s, hdr::NAMES_SIZE as usize);
    let meta_len = names_size.checked_add(names_offset - HEADER_SIZE);
    let meta_len = match meta_len {
        Some(m) if m <= MAX_METADATA => m,
        _ => {
            return Err(hfield(
                "names_size",
                hdr::NAMES_SIZE,
                names_size,
                "metadata (inode table + names) exceeds 32 MiB",
            ))
        }
    };
    let data_offset = rd_u64(s, hdr::DATA_OFFSET as usize);
    // Cannot overflow: meta_len <= 32 MiB.
    let expected_data = align_up(HEADER_SIZE + meta_len).unwrap_or(u64::MAX);
    if data_offset != expected_data {
        return Err(hfield(
            "data_offset",
            hdr::DATA_OFFSET,
            data_offset,
            "must be the end of the names rounded up to 512",
        ));
    }
    let data_size = rd_u64(s, hdr::DATA_SIZE as usize);
    if data_size & (SECTOR_SIZE as u64 - 1) != 0 {
        return Err(hfield(
            "data_size",
            hdr::DATA_SIZE,
            data_size,
            "must be a multiple of 512",
        ));
    }
    let image_size = rd_u64(s, hdr::IMAGE_SIZE as usize);
    if Some(image_size) != data_offset.checked_add(data_size) {
        return Err(hfield(
            "image_size",
            hdr::IMAGE_SIZE,
            image_size,
            "must equal data_offset + data_size",
        ));
    }
    let meta_sha256 = Digest(rd_32(s, hdr::META_SHA256 as usize));
    let expected = Digest(rd_32(s, hdr::HEADER_SHA256 as usize));
    let found = sha256(&[&s[..hdr::HEADER_SHA256 as usize]]);
    if expected != found {
        return Err(Error::HeaderChecksum { expected, found });
    }
    if let Some(pos) = s[hdr::END as usize..].iter().position(|&b| b != 0) {
        let offset = hdr::END + pos as u64;
        return Err(Error::NonZeroPadding {
            region: "header tail (bytes 136..512)",
            offset,
            value: s[offset as usize],
        });
    }
    Ok(Header {
        version,
        inode_count,
        inode_offset,
        names_offset,
        names_size,
        data_offset,
        data_size,
        image_size,
        meta_sha256,
    })
}

/// Is `name` a valid single path component (non-empty, at most 255 bytes, no `/` or NUL, not
/// `.` or `..`)?
pub fn valid_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name.len() <= NAME_MAX
        && name != b"."
        && name != b".."
        && !name.iter().any(|&b| b == b'/' || b == 0)
}

impl<B: BlockDevice> Image<B> {
    /// Open and fully validate the image on `dev`: header fields and checksum, metadata
    /// checksum, and every inode (names, types, tree shape, data ranges). File data checksums are
    /// checked on demand ([`Image::verify_file`], [`Image::read_file_verified`]).
    pub fn open(mut dev: B) -> Result<Image<B>, Error> {
        let device_bytes = dev.sector_count().saturating_mul(SECTOR_SIZE as u64);
        if device_bytes < HEADER_SIZE {
            return Err(Error::Truncated {
                what: "the header",
                needed: HEADER_SIZE,
                device_bytes,
            });
        }
        let mut sector = [0u8; SECTOR_SIZE];
        read_dev(&mut dev, 0, &mut sector)?;
        let header = parse_header(&sector)?;
        if header.image_size > device_bytes {
            return Err(Error::Truncated {
                what: "the image (header field image_size)",
                needed: header.image_size,
                device_bytes,
            });
        }
        // Metadata region: from sector 1 up to the data region (bounded by MAX_METADATA + 511).
        let region = (header.data_offset - HEADER_SIZE) as usize;
        let mut meta = Vec::new();
        meta.try_reserve_exact(region)
            .map_err(|_| Error::OutOfMemory {
                bytes: region as u64,
            })?;
        meta.resize(region, 0);
        let mut done = 0;
        while done < region {
            let n = (region - done).min(MAX_SECTORS_PER_READ * SECTOR_SIZE);
            let lba = (HEADER_SIZE as usize + done) as u64 / SECTOR_SIZE as u64;
            read_dev(&mut dev, lba, &mut meta[done..done + n])?;
            done += n;
        }
        let meta_len = (header.names_offset + header.names_size - HEADER_SIZE) as usize;
        let found = sha256(&[&meta[..meta_len]]);
        if found != header.meta_sha256 {
            return Err(Error::MetadataChecksum {
                expected: header.meta_sha256,
                found,
                start: HEADER_SIZE,
                end: HEADER_SIZE + meta_len as u64,
            });
        }
        if let Some(pos) = meta[meta_len..].iter().position(|&b| b != 0) {
            return Err(Error::NonZeroPadding {
                region: "metadata padding before the data region",
                offset: HEADER_SIZE + (meta_len + pos) as u64,
                value: meta[meta_len + pos],
            });
        }
        meta.truncate(meta_len);
        let image = Image { dev, header, meta };
        image.validate_tree()?;
        Ok(image)
    }

    /// Read up to `buf.len()` bytes of file `index` starting at byte `offset`; returns the
    /// number of bytes read (0 at or past the end).
    pub fn read_at(&mut self, index: u32, offset: u64, buf: &mut [u8]) -> Result<usize, Error> {
        let ino = self.inode(index)?;
        if ino.is_dir() {
            return Err(Error::IsADirectory(index));
        }
        if offset >= ino.size || buf.is_empty() {
            return Ok(0);
        }
        let n = ((ino.size - offset).min(buf.len() as u64)) as usize;
        // In range: validated offset + size <= image_size <= device size.
        let abs = ino.offset + offset;
        let mut done = 0usize;
        while done < n {
            let pos = abs + done as u64;
            let lba = pos / SECTOR_SIZE as u64;
            let within = (pos % SECTOR_SIZE as u64) as usize;
            let left = n - done;
            if within == 0 && left >= SECTOR_SIZE {
                let count = (left / SECTOR_SIZE).min(MAX_SECTORS_PER_READ);
                let len = count * SECTOR_SIZE;
                read_dev(&mut self.dev, lba, &mut buf[done..done + len])?;
                done += len;
            } else {
                let mut sec = [0u8; SECTOR_SIZE];
                read_dev(&mut self.dev, lba, &mut sec)?;
                let take = (SECTOR_SIZE - within).min(left);
                buf[done..done + take].copy_from_slice(&sec[within..within + take]);
                done += take;
            }
        }
        Ok(n)
    }

    /// Read the whole of file `index` and check it against its recorded SHA-256.
    pub fn read_file_verified(&mut self, index: u32) -> Result<Vec<u8>, Error> {
        let ino = self.inode(index)?;
        if ino.is_dir() {
            return Err(Error::IsADirectory(index));
        }
        let len = ino.size as usize;
        let mut data = Vec::new();
        data.try_reserve_exact(len)
            .map_err(|_| Error::OutOfMemory { bytes: ino.size })?;
        data.resize(len, 0);
        let got = self.read_at(index, 0, &mut data)?;
        debug_assert_eq!(got, len);
        let found = sha256(&[&data]);
        if found != ino.sha256 {
            return Err(Error::DataChecksum {
                index,
                offset: ino.offset,
                end: ino.offset + ino.size,
                expected: ino.sha256,
                found,
            });
        }
        Ok(data)
    }

    /// Check file `index`'s data against its recorded SHA-256 without keeping it in memory.
    pub fn verify_file(&mut self, index: u32) -> Result<(), Error> {
        let ino = self.inode(index)?;
        if ino.is_dir() {
            return Ok(());
        }
        let mut h = Sha256::new();
        let mut buf = [0u8; 8 * SECTOR_SIZE];
        let mut off = 0u64;
        while off < ino.size {
            let n = self.read_at(index, off, &mut buf)?;
            h.update(&buf[..n]);
            off += n as u64;
        }
        let found = Digest(h.finalize().into());
        if found != ino.sha256 {
            return Err(Error::DataChecksum {
                index,
                offset: ino.offset,
                end: ino.offset + ino.size,
                expected: ino.sha256,
                found,
            });
        }
        Ok(())
    }

    /// Check every file's data (what `swiftos-image verify` does).
    pub fn verify_all(&mut self) -> Result<(), Error> {
        for i in 0..self.header.inode_count {
            self.verify_file(i)?;
        }
        Ok(())
    }

    /// Give the device back.
    pub fn into_device(self) -> B {
        self.dev
    }
}

impl<B> Image<B> {
    /// The validated header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Number of inodes (including the root).
    pub fn inode_count(&self) -> u32 {
        self.header.inode_count
    }

    /// The root directory's inode number.
    pub const fn root(&self) -> u32 {
        ROOT_INODE
    }

    /// Decode inode `index`.
    pub fn inode(&self, index: u32) -> Result<Inode, Error> {
        if index >= self.header.inode_count {
            return Err(Error::NoSuchInode(index));
        }
        Ok(self.decode(index))
    }

    /// Decode without the bounds check (callers guarantee `index < inode_count`).
    fn decode(&self, index: u32) -> Inode {
        let at = index as usize * INODE_SIZE as usize;
        let r = &self.meta[at..at + INODE_SIZE as usize];
        Inode {
            index,
            name_offset: rd_u32(r, ino::NAME_OFFSET as usize),
            name_len: rd_u16(r, ino::NAME_LEN as usize),
            mode: rd_u32(r, ino::MODE as usize),
            uid: rd_u32(r, ino::UID as usize),
            gid: rd_u32(r, ino::GID as usize),
            parent: rd_u32(r, ino::PARENT as usize),
            mtime: rd_u64(r, ino::MTIME as usize) as i64,
            size: rd_u64(r, ino::SIZE as usize),
            offset: rd_u64(r, ino::OFFSET as usize),
            sha256: Digest(rd_32(r, ino::SHA256 as usize)),
        }
    }

    /// The name of inode `index` (empty for the root).
    pub fn name(&self, index: u32) -> Result<&[u8], Error> {
        let ino = self.inode(index)?;
        Ok(self.name_of(&ino))
    }

    fn name_of(&self, ino: &Inode) -> &[u8] {
        let base = (self.header.names_offset - HEADER_SIZE) as usize;
        let start = base + ino.name_offset as usize;
        &self.meta[start..start + ino.name_len as usize]
    }

    /// Find entry `name` in directory `dir` (binary search over the sorted entries).
    pub fn lookup(&self, dir: u32, name: &[u8]) -> Result<u32, Error> {
        let d = self.inode(dir)?;
        if !d.is_dir() {
            return Err(Error::NotADirectory(dir));
        }
        let range = d.children();
        let (mut lo, mut hi) = (range.start, range.end);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let m = self.decode(mid);
            match self.name_of(&m).cmp(name) {
                core::cmp::Ordering::Equal => return Ok(mid),
                core::cmp::Ordering::Less => lo = mid + 1,
                core::cmp::Ordering::Greater => hi = mid,
            }
        }
        Err(Error::NotFound)
    }

    /// Resolve an absolute or root-relative path made of plain components (`/etc/passwd`);
    /// empty components are skipped, `.` and `..` are not interpreted (the VFS normalises paths).
    pub fn resolve(&self, path: &str) -> Result<u32, Error> {
        let mut cur = ROOT_INODE;
        for comp in path.split('/').filter(|c| !c.is_empty()) {
            cur = self.lookup(cur, comp.as_bytes())?;
        }
        Ok(cur)
    }

    /// Check the whole inode table; called once by [`Image::open`].
    fn validate_tree(&self) -> Result<(), Error> {
        let count = self.header.inode_count;
        let names_size = self.header.names_size;
        let data_start = self.header.data_offset;
        let data_end = self.header.image_size;
        for i in 0..count {
            let n = self.decode(i);
            let base = HEADER_SIZE + u64::from(i) * INODE_SIZE;
            let bad = |field: &'static str, off: u64, value: u64, reason: &'static str| {
                Error::InodeField {
                    index: i,
                    field,
                    offset: base + off,
                    value,
                    reason,
                }
            };
            let r = &self.meta[i as usize * INODE_SIZE as usize..];
            let reserved = rd_u16(r, ino::RESERVED as usize);
            if reserved != 0 {
                return Err(bad("reserved", ino::RESERVED, reserved.into(), "must be 0"));
            }
            if n.mode & !(S_IFMT | 0o7777) != 0 {
                return Err(bad("mode", ino::MODE, n.mode.into(), "unknown mode bits"));
            }
            if !n.is_dir() && !n.is_file() {
                return Err(bad(
                    "mode",
                    ino::MODE,
                    n.mode.into(),
                    "type must be directory or regular file",
                ));
            }
            // Name.
            let name_end = u64::from(n.name_offset) + u64::from(n.name_len);
            if name_end > names_size {
                return Err(bad(
                    "name_offset",
                    ino::NAME_OFFSET,
                    n.name_offset.into(),
                    "name lies outside the name table",
                ));
            }
            if i == ROOT_INODE {
                if !n.is_dir() {
                    return Err(bad(
                        "mode",
                        ino::MODE,
                        n.mode.into(),
                        "the root must be a directory",
                    ));
                }
                if n.name_len != 0 {
                    return Err(bad(
                        "name_len",
                        ino::NAME_LEN,
                        n.name_len.into(),
                        "the root has no name",
                    ));
                }
                if n.parent != ROOT_INODE {
                    return Err(bad(
                        "parent",
                        ino::PARENT,
                        n.parent.into(),
                        "the root is its own parent",
                    ));
                }
            } else {
                if !valid_name(self.name_of(&n)) {
                    return Err(bad(
                        "name_len",
                        ino::NAME_LEN,
                        n.name_len.into(),
                        "name must be 1..=255 bytes without '/' or NUL and not '.' or '..'",
                    ));
                }
                // Parents precede their children (breadth-first order), so this also rules
                // out cycles.
                if n.parent >= i {
                    return Err(bad(
                        "parent",
                        ino::PARENT,
                        n.parent.into(),
                        "parent must precede the entry",
                    ));
                }
                let p = self.decode(n.parent);
                if !p.is_dir() || !p.children().contains(&i) {
                    return Err(bad(
                        "parent",
                        ino::PARENT,
                        n.parent.into(),
                        "parent is not a directory listing this entry",
                    ));
                }
            }
            if n.is_dir() {
                if n.sha256 != Digest([0; 32]) {
                    return Err(bad(
                        "sha256",
                        ino::SHA256,
                        0,
                        "must be zero for a directory",
                    ));
                }
                if n.size == 0 {
                    if n.offset != 0 {
                        return Err(bad(
                            "offset",
                            ino::OFFSET,
                            n.offset,
                            "empty directory must have first child 0",
                        ));
                    }
                    continue;
                }
                if n.offset <= u64::from(i) {
                    return Err(bad(
                        "offset",
                        ino::OFFSET,
                        n.offset,
                        "first child must follow the directory",
                    ));
                }
                match n.offset.checked_add(n.size) {
                    Some(end) if end <= u64::from(count) => {}
                    _ => {
                        return Err(bad(
                            "size",
                            ino::SIZE,
                            n.size,
                            "entries extend past the inode table",
                        ));
                    }
                }
                let mut prev: Option<&[u8]> = None;
                for c in n.children() {
                    let child = self.decode(c);
                    if child.parent != i {
                        return Err(Error::InodeField {
                            index: c,
                            field: "parent",
                            offset: HEADER_SIZE + u64::from(c) * INODE_SIZE + ino::PARENT,
                            value: child.parent.into(),
                            reason: "entry is listed by a directory that is not its parent",
                        });
                    }
                    // Safe to slice: the child's name range is checked when the loop reaches it,
                    // so check it here as well before use.
                    let end = u64::from(child.name_offset) + u64::from(child.name_len);
                    if end > names_size {
                        return Err(Error::InodeField {
                            index: c,
                            field: "name_offset",
                            offset: HEADER_SIZE + u64::from(c) * INODE_SIZE + ino::NAME_OFFSET,
                            value: child.name_offset.into(),
                            reason: "name lies outside the name table",
                        });
                    }
                    let name = self.name_of(&child);
                    if let Some(p) = prev {
                        if p >= name {
                            return Err(Error::InodeField {
                                index: c,
                                field: "name_offset",
                                offset: HEADER_SIZE + u64::from(c) * INODE_SIZE + ino::NAME_OFFSET,
                                value: child.name_offset.into(),
                                reason: "directory entries must be sorted and unique",
                            });
                        }
                    }
                    prev = Some(name);
                }
            } else {
                if n.sha256 == Digest([0; 32]) && n.size != 0 {
                    // An all-zero digest is reserved for "no data"; real data never hashes to it.
                    return Err(bad("sha256", ino::SHA256, 0, "missing data checksum"));
                }
                if n.size == 0 {
                    if n.offset != 0 {
                        return Err(bad(
                            "offset",
                            ino::OFFSET,
                            n.offset,
                            "empty file must have offset 0",
                        ));
                    }
                    continue;
                }
                if n.offset & (SECTOR_SIZE as u64 - 1) != 0 {
                    return Err(bad(
                        "offset",
                        ino::OFFSET,
                        n.offset,
                        "file data must be sector aligned",
                    ));
                }
                if n.offset < data_start {
                    return Err(bad(
                        "offset",
                        ino::OFFSET,
                        n.offset,
                        "file data starts before the data region",
                    ));
                }
                match n.offset.checked_add(n.size) {
                    Some(end) if end <= data_end => {}
                    _ => {
                        return Err(bad(
                            "size",
                            ino::SIZE,
                            n.size,
                            "file data extends past the image",
                        ))
                    }
                }
            }
        }
        Ok(())
    }
}
