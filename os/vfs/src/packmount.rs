//! The packed base image (`swiftos-packfs`) as a read-only [`FileSystem`].

use crate::fs::{DirEntry, FileSystem, Ino, NodeInfo};
use alloc::string::String;
use alloc::vec::Vec;
use swiftos_abi::Errno;
use swiftos_authority::Area;
use swiftos_packfs::{BlockDevice, Image};

/// A packed image mounted read-only (the base image at `/`, package payloads later).
/// Inode numbers are the image's inode indices plus one (so no entry has inode 0).
///
/// Whole-file reads ([`FileSystem::read_all`], used to load programs) check the file's SHA-256
/// the first time each file is read; the result is remembered, so a program is hashed once per
/// mount, not on every `exec`.
pub struct PackFs<B> {
    image: Image<B>,
    /// One bit per inode: data already checked against its SHA-256.
    verified: Vec<u64>,
}

impl<B: BlockDevice> PackFs<B> {
    /// Wrap an opened image.
    pub fn new(image: Image<B>) -> Self {
        let words = (image.inode_count() as usize).div_ceil(64);
        PackFs {
            image,
            verified: alloc::vec![0; words],
        }
    }
    /// The image.
    pub fn image(&self) -> &Image<B> {
        &self.image
    }
}

fn index(ino: Ino) -> Result<u32, Errno> {
    ino.checked_sub(1)
        .and_then(|i| u32::try_from(i).ok())
        .ok_or(Errno::ENOENT)
}

impl<B: BlockDevice + Send> FileSystem for PackFs<B> {
    fn area(&self) -> Area {
        Area::ReadOnly
    }

    fn root(&self) -> Ino {
        u64::from(self.image.root()) + 1
    }

    fn lookup(&mut self, dir: Ino, name: &str) -> Result<Ino, Errno> {
        let i = self
            .image
            .lookup(index(dir)?, name.as_bytes())
            .map_err(|e| e.errno())?;
        Ok(u64::from(i) + 1)
    }

    fn getattr(&mut self, ino: Ino) -> Result<NodeInfo, Errno> {
        let n = self.image.inode(index(ino)?).map_err(|e| e.errno())?;
        Ok(NodeInfo {
            ino,
            mode: n.mode,
            uid: n.uid,
            gid: n.gid,
            size: n.size,
            mtime: n.mtime,
            nlink: if n.is_dir() { 2 } else { 1 },
            device: None,
        })
    }

    fn read(&mut self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        self.image
            .read_at(index(ino)?, offset, buf)
            .map_err(|e| e.errno())
    }

    fn read_all(&mut self, ino: Ino, limit: u64) -> Result<Vec<u8>, Errno> {
        let i = index(ino)?;
        let n = self.image.inode(i).map_err(|e| e.errno())?;
        if n.is_dir() {
            return Err(Errno::EISDIR);
        }
        if n.size > limit {
            return Err(Errno::EFBIG);
        }
        let (word, bit) = (i as usize / 64, 1u64 << (i % 64));
        if self.verified[word] & bit != 0 {
            let mut v = Vec::new();
            v.try_reserve_exact(n.size as usize)
                .map_err(|_| Errno::ENOMEM)?;
            v.resize(n.size as usize, 0);
            let got = self.image.read_at(i, 0, &mut v).map_err(|e| e.errno())?;
            v.truncate(got);
            return Ok(v);
        }
        // First whole-file read (program loading): check the recorded SHA-256.
        let data = self.image.read_file_verified(i).map_err(|e| e.errno())?;
        self.verified[word] |= bit;
        Ok(data)
    }

    fn readdir(&mut self, dir: Ino, index_in_dir: u64) -> Result<Option<DirEntry>, Errno> {
        let d = self.image.inode(index(dir)?).map_err(|e| e.errno())?;
        if !d.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        let range = d.children();
        let Some(child) = u64::from(range.start)
            .checked_add(index_in_dir)
            .filter(|c| *c < u64::from(range.end))
        else {
            return Ok(None);
        };
        let child = child as u32;
        let name = self.image.name(child).map_err(|e| e.errno())?;
        let name = String::from_utf8_lossy(name).into_owned();
        let info = self.getattr(u64::from(child) + 1)?;
        Ok(Some(DirEntry {
            name,
            ino: info.ino,
            kind: info.dirent_type(),
        }))
    }
}
