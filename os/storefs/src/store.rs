//! The mounted store: the tree in memory, file data on the device, copy-on-write commits.

use crate::cache::BlockCache;
use crate::device::{BlockDev, IoError, SECTOR_SIZE};
use crate::format::{
    crc32, decode_tree, encode_tree, sha256, valid_name, BlockRef, Body, Node, SlotError,
    Superblock, Tree, BLOCK_SIZE, ROOT_INO, S_IFDIR, S_IFMT, S_IFREG,
};
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

const SECTORS_PER_BLOCK: u64 = (BLOCK_SIZE / SECTOR_SIZE) as u64;
/// Largest single device request (bytes): 64 blocks.
const MAX_IO: usize = 64 * BLOCK_SIZE;
/// Blocks read with one request on a cache miss (the rest of the run is kept for the next
/// reads; see [`crate::cache`]).
const READ_AHEAD: usize = MAX_IO / BLOCK_SIZE;
/// Reads of at least this many whole blocks go straight into the caller's buffer, uncached.
const DIRECT_MIN: usize = 16;

/// Errors of store operations.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("device I/O error")]
    Io,
    #[error("no such file or directory")]
    NotFound,
    #[error("not a directory")]
    NotDir,
    #[error("is a directory")]
    IsDir,
    #[error("file exists")]
    Exists,
    #[error("directory not empty")]
    NotEmpty,
    #[error("no space left on the store")]
    NoSpace,
    #[error("invalid name")]
    InvalidName,
    #[error("invalid argument")]
    Invalid,
    #[error("file too large")]
    TooBig,
    #[error("data block {index} of {path} is damaged (crc32 mismatch)")]
    DataCrc { path: String, index: u64 },
    #[error("blank disk (both superblock slots are zero)")]
    Blank,
    #[error("no usable superblock: slot 0: {0}; slot 1: {1}")]
    NoValidSlot(SlotError, SlotError),
    #[error("device too small for a package store ({0} blocks)")]
    TooSmall(u64),
}

impl From<IoError> for Error {
    fn from(_: IoError) -> Error {
        Error::Io
    }
}

/// What [`Store::mount`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountReport {
    /// Slot in use (0 or 1).
    pub slot: u64,
    /// Its sequence number.
    pub seq: u64,
    /// The other slot, if it was rejected for a reason other than being blank: its sequence
    /// number if the superblock itself was readable, and why.
    pub other_damaged: Option<(u64, Option<u64>, SlotError)>,
}

impl MountReport {
    /// Was a *newer* (or unidentifiable) snapshot rejected, so an older one is in use?
    pub fn fell_back(&self) -> bool {
        match self.other_damaged {
            Some((_, Some(seq), _)) => seq > self.seq,
            Some((_, None, _)) => true,
            None => false,
        }
    }
}

/// Attributes of a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attr {
    pub ino: u64,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: i64,
    /// Files: bytes; directories: number of entries.
    pub size: u64,
}

impl Attr {
    /// Is this a directory?
    pub fn is_dir(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }
}

/// Space figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Usage {
    pub block_count: u64,
    /// Blocks referenced by the live tree or either committed snapshot (incl. metadata).
    pub used_blocks: u64,
    pub seq: u64,
}

#[derive(Clone, Debug)]
struct Bitmap(Vec<u64>);

impl Bitmap {
    fn new(bits: u64) -> Bitmap {
        Bitmap(vec![0; bits.div_ceil(64) as usize])
    }
    fn get(&self, i: u64) -> bool {
        self.0
            .get((i / 64) as usize)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
    fn set(&mut self, i: u64) {
        if let Some(w) = self.0.get_mut((i / 64) as usize) {
            *w |= 1 << (i % 64);
        }
    }
    fn clear(&mut self, i: u64) {
        if let Some(w) = self.0.get_mut((i / 64) as usize) {
            *w &= !(1 << (i % 64));
        }
    }
}

/// A mounted package store.
pub struct Store<D> {
    dev: D,
    block_count: u64,
    /// Sequence number of the last committed snapshot.
    seq: u64,
    nodes: BTreeMap<u64, Node>,
    next_ino: u64,
    /// Blocks referenced by the in-memory tree (including unlinked-but-open files).
    used: Bitmap,
    /// Blocks referenced by the snapshot in each superblock slot (data and blob): never
    /// overwritten while that snapshot may still be mounted.
    snap: [Bitmap; 2],
    /// Open handles per inode; unlinked inodes live on until the last one closes.
    open: BTreeMap<u64, u32>,
    /// Inodes no longer in the tree, kept for open handles.
    orphans: BTreeMap<u64, ()>,
    dirty: bool,
    cursor: u64,
    /// Verified data blocks read ahead (every device write drops what it covers).
    cache: BlockCache,
    /// Buffer of read-ahead requests (allocated on first use, kept: no zeroing per request).
    scratch: Vec<u8>,
    /// Blocks of the last committed metadata blob (sizes the space kept for the next commit).
    meta_blocks: u64,
    /// Free blocks, counted exactly at commits and when low, decremented per data block.
    free_hint: u64,
}

fn read_block<D: BlockDev>(dev: &mut D, block: u64, buf: &mut [u8]) -> Result<(), IoError> {
    dev.read_sectors(block * SECTORS_PER_BLOCK, buf)
}

fn load_slot<D: BlockDev>(
    dev: &mut D,
    slot: u64,
    dev_blocks: u64,
) -> Result<(Superblock, Tree), (Option<u64>, SlotError)> {
    let mut b = vec![0u8; BLOCK_SIZE];
    read_block(dev, slot, &mut b).map_err(|_| (None, SlotError::BlobRead))?;
    let sb = Superblock::decode(&b, slot, dev_blocks).map_err(|e| (None, e))?;
    let nblocks = sb.blob_len.div_ceil(BLOCK_SIZE as u64) as usize;
    let mut blob = Vec::new();
    blob.try_reserve_exact(nblocks * BLOCK_SIZE).map_err(|_| {
        (
            Some(sb.seq),
            SlotError::Geometry("blob too large for memory"),
        )
    })?;
    blob.resize(nblocks * BLOCK_SIZE, 0);
    for (i, chunk) in blob.chunks_mut(MAX_IO).enumerate() {
        let block = sb.blob_start + (i * MAX_IO / BLOCK_SIZE) as u64;
        read_block(dev, block, chunk).map_err(|_| (Some(sb.seq), SlotError::BlobRead))?;
    }
    blob.truncate(sb.blob_len as usize);
    if sha256(&blob) != sb.blob_sha256 {
        return Err((Some(sb.seq), SlotError::BlobChecksum));
    }
    let tree =
        decode_tree(&blob, sb.block_count, sb.blob_blocks()).map_err(|e| (Some(sb.seq), e))?;
    Ok((sb, tree))
}

fn tree_blocks(tree: &Tree, sb: &Superblock, bits: u64) -> Bitmap {
    let mut m = Bitmap::new(bits);
    for n in tree.nodes.values() {
        if let Body::File(bl) = &n.body {
            for b in bl.iter().filter(|b| b.block != 0) {
                m.set(u64::from(b.block));
            }
        }
    }
    for b in sb.blob_blocks() {
        m.set(b);
    }
    m
}

/// Are both superblock slots of `dev` all zero (a blank disk [`Store::format`] should
/// initialise)?
pub fn is_blank<D: BlockDev>(dev: &mut D) -> Result<bool, Error> {
    if dev.sector_count() < 2 * SECTORS_PER_BLOCK {
        return Ok(false);
    }
    let mut b = vec![0u8; 2 * BLOCK_SIZE];
    dev.read_sectors(0, &mut b)?;
    Ok(b.iter().all(|&x| x == 0))
}

impl<D: BlockDev> Store<D> {
    /// Write an empty store (root directory mode 0755, owner 0) onto `dev`, whatever it holds,
    /// and mount it.
    pub fn format(mut dev: D, mtime: i64) -> Result<Store<D>, Error> {
        let block_count = (dev.sector_count() / SECTORS_PER_BLOCK).min(u64::from(u32::MAX));
        if block_count < 16 {
            return Err(Error::TooSmall(block_count));
        }
        let zero = vec![0u8; BLOCK_SIZE];
        dev.write_sectors(0, &zero)?;
        dev.write_sectors(SECTORS_PER_BLOCK, &zero)?;
        dev.flush()?;
        let mut nodes = BTreeMap::new();
        nodes.insert(
            ROOT_INO,
            Node {
                mode: S_IFDIR | 0o755,
                uid: 0,
                gid: 0,
                mtime,
                size: 0,
                body: Body::Dir(BTreeMap::new()),
                parent: ROOT_INO,
            },
        );
        let mut s = Store {
            dev,
            block_count,
            seq: 0,
            nodes,
            next_ino: ROOT_INO + 1,
            used: Bitmap::new(block_count),
            snap: [Bitmap::new(block_count), Bitmap::new(block_count)],
            open: BTreeMap::new(),
            orphans: BTreeMap::new(),
            dirty: true,
            cursor: 2,
            cache: BlockCache::new(),
            scratch: Vec::new(),
            meta_blocks: 1,
            free_hint: 0,
        };
        s.commit()?;
        Ok(s)
    }

    /// Mount the newest snapshot whose superblock and blob verify. `Error::Blank` for a blank
    /// disk (both slots zero), `Error::NoValidSlot` when neither slot is usable.
    pub fn mount(mut dev: D) -> Result<(Store<D>, MountReport), Error> {
        let block_count = (dev.sector_count() / SECTORS_PER_BLOCK).min(u64::from(u32::MAX));
        if block_count < 3 {
            return Err(Error::TooSmall(block_count));
        }
        let a = load_slot(&mut dev, 0, block_count);
        let b = load_slot(&mut dev, 1, block_count);
        let (slot, (sb, tree), other) = match (a, b) {
            (Err((_, SlotError::Blank)), Err((_, SlotError::Blank))) => return Err(Error::Blank),
            (Err((_, e0)), Err((_, e1))) => return Err(Error::NoValidSlot(e0, e1)),
            (Ok(x), Err(e)) => (0, x, Err(e)),
            (Err(e), Ok(y)) => (1, y, Err(e)),
            (Ok(x), Ok(y)) => {
                if x.0.seq > y.0.seq {
                    (0, x, Ok(y))
                } else {
                    (1, y, Ok(x))
                }
            }
        };
        let bits = sb.block_count;
        let mut snap = [Bitmap::new(bits), Bitmap::new(bits)];
        snap[slot as usize] = tree_blocks(&tree, &sb, bits);
        let other_damaged = match other {
            Ok((osb, otree)) => {
                snap[1 - slot as usize] = tree_blocks(&otree, &osb, bits);
                None
            }
            Err((_, SlotError::Blank)) => None,
            Err((seq, e)) => Some((1 - slot, seq, e)),
        };
        let mut used = tree_blocks(&tree, &sb, bits);
        for b in sb.blob_blocks() {
            used.clear(b);
        }
        let store = Store {
            dev,
            block_count: sb.block_count,
            seq: sb.seq,
            nodes: tree.nodes,
            next_ino: tree.next_ino,
            used,
            snap,
            open: BTreeMap::new(),
            orphans: BTreeMap::new(),
            dirty: false,
            cursor: 2,
            cache: BlockCache::new(),
            scratch: Vec::new(),
            meta_blocks: sb.blob_blocks().count() as u64,
            free_hint: 0,
        };
        Ok((
            store,
            MountReport {
                slot,
                seq: sb.seq,
                other_damaged,
            },
        ))
    }

    /// The device. (The read cache is dropped: whoever holds this may change the disk.)
    pub fn device(&mut self) -> &mut D {
        self.cache.clear();
        &mut self.dev
    }

    /// Write whole blocks starting at `block`, dropping them from the read cache first.
    fn write_blocks(&mut self, block: u64, data: &[u8]) -> Result<(), IoError> {
        self.cache
            .invalidate(block, data.len().div_ceil(BLOCK_SIZE) as u64);
        self.dev.write_sectors(block * SECTORS_PER_BLOCK, data)
    }

    /// Give the device back.
    pub fn into_device(self) -> D {
        self.dev
    }

    /// Sequence number of the last commit.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Space figures.
    pub fn usage(&self) -> Usage {
        let mut used = 2;
        for b in 2..self.block_count {
            if self.busy(b) {
                used += 1;
            }
        }
        Usage {
            block_count: self.block_count,
            used_blocks: used,
            seq: self.seq,
        }
    }

    /// Uncommitted changes pending?
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    fn busy(&self, b: u64) -> bool {
        b < 2 || self.used.get(b) || self.snap[0].get(b) || self.snap[1].get(b)
    }

    fn protected(&self, b: u64) -> bool {
        self.snap[0].get(b) || self.snap[1].get(b)
    }

    /// Free blocks (neither superblock slots nor referenced by the live tree or a snapshot).
    fn free_blocks(&self) -> u64 {
        let mut busy = 0u64;
        for (i, ((u, a), b)) in self
            .used
            .0
            .iter()
            .zip(&self.snap[0].0)
            .zip(&self.snap[1].0)
            .enumerate()
        {
            let mut w = u | a | b;
            if i == 0 {
                w &= !0b11;
            }
            busy += u64::from(w.count_ones());
        }
        (self.block_count - 2).saturating_sub(busy)
    }

    /// Blocks file data may not take: room for the next commit's metadata blob (twice the last
    /// one, as the tree may grow, plus slack), so a full store can always commit — a write
    /// gets `NoSpace` instead of a commit failing later and losing what was reported done.
    fn meta_reserve(&self) -> u64 {
        2 * self.meta_blocks + 16
    }

    /// Blocks that only the older snapshot (the one the next commit replaces) still holds:
    /// deleted or rewritten since, they come free with the next commit.
    fn held_by_older_snapshot(&self) -> u64 {
        let older = ((self.seq + 1) % 2) as usize;
        self.snap[older]
            .0
            .iter()
            .zip(&self.snap[1 - older].0)
            .zip(&self.used.0)
            .map(|((o, c), u)| u64::from((o & !(c | u)).count_ones()))
            .sum()
    }

    /// A block for file data, keeping [`Store::meta_reserve`] free. When the store is short of
    /// space but the older snapshot still holds blocks (say, of a file deleted just before), one
    /// commit releases them: a delete makes room at once.
    fn alloc_data(&mut self) -> Result<u32, Error> {
        if self.free_hint <= self.meta_reserve() {
            self.free_hint = self.free_blocks();
            if self.free_hint <= self.meta_reserve() && self.held_by_older_snapshot() > 0 {
                self.dirty = true;
                self.commit()?;
            }
            if self.free_hint <= self.meta_reserve() {
                return Err(Error::NoSpace);
            }
        }
        let b = self.alloc()?;
        self.free_hint -= 1;
        Ok(b)
    }

    fn alloc(&mut self) -> Result<u32, Error> {
        let n = self.block_count;
        for i in 0..n {
            let b = 2 + (self.cursor - 2 + i) % (n - 2);
            if !self.busy(b) {
                self.used.set(b);
                self.cursor = b + 1;
                if self.cursor >= n {
                    self.cursor = 2;
                }
                return Ok(b as u32);
            }
        }
        Err(Error::NoSpace)
    }

    fn node(&self, ino: u64) -> Result<&Node, Error> {
        self.nodes.get(&ino).ok_or(Error::NotFound)
    }

    fn node_mut(&mut self, ino: u64) -> Result<&mut Node, Error> {
        self.nodes.get_mut(&ino).ok_or(Error::NotFound)
    }

    fn dir(&self, ino: u64) -> Result<&BTreeMap<String, u64>, Error> {
        match &self.node(ino)?.body {
            Body::Dir(e) => Ok(e),
            Body::File(_) => Err(Error::NotDir),
        }
    }

    fn dir_mut(&mut self, ino: u64) -> Result<&mut BTreeMap<String, u64>, Error> {
        match &mut self.node_mut(ino)?.body {
            Body::Dir(e) => Ok(e),
            Body::File(_) => Err(Error::NotDir),
        }
    }

    /// The root directory.
    pub fn root(&self) -> u64 {
        ROOT_INO
    }

    /// Find `name` in `dir`.
    pub fn lookup(&self, dir: u64, name: &str) -> Result<u64, Error> {
        self.dir(dir)?.get(name).copied().ok_or(Error::NotFound)
    }

    /// Resolve an absolute or root-relative path (`/a/b`).
    pub fn resolve(&self, path: &str) -> Result<u64, Error> {
        let mut ino = ROOT_INO;
        for c in path.split('/').filter(|c| !c.is_empty()) {
            ino = self.lookup(ino, c)?;
        }
        Ok(ino)
    }

    /// Attributes of `ino`.
    pub fn getattr(&self, ino: u64) -> Result<Attr, Error> {
        let n = self.node(ino)?;
        let size = match &n.body {
            Body::Dir(e) => e.len() as u64,
            Body::File(_) => n.size,
        };
        Ok(Attr {
            ino,
            mode: n.mode,
            uid: n.uid,
            gid: n.gid,
            mtime: n.mtime,
            size,
        })
    }

    /// Path of `ino` from the root (for messages).
    pub fn path_of(&self, ino: u64) -> String {
        let mut parts = Vec::new();
        let mut cur = ino;
        for _ in 0..4096 {
            if cur == ROOT_INO {
                break;
            }
            let Some(n) = self.nodes.get(&cur) else {
                break;
            };
            let parent = n.parent;
            let name = self
                .dir(parent)
                .ok()
                .and_then(|e| e.iter().find(|(_, &v)| v == cur).map(|(k, _)| k.clone()));
            match name {
                Some(name) => parts.push(name),
                None => {
                    parts.push(alloc::format!("<unlinked inode {cur}>"));
                    break;
                }
            }
            cur = parent;
        }
        let mut s = String::new();
        for p in parts.iter().rev() {
            s.push('/');
            s.push_str(p);
        }
        if s.is_empty() {
            s.push('/');
        }
        s
    }

    /// The `index`-th entry of `dir` in name order: (name, inode, is directory).
    pub fn readdir(&self, dir: u64, index: u64) -> Result<Option<(String, u64, bool)>, Error> {
        let Some((name, &ino)) = self.dir(dir)?.iter().nth(index as usize) else {
            return Ok(None);
        };
        let is_dir = matches!(self.node(ino)?.body, Body::Dir(_));
        Ok(Some((name.clone(), ino, is_dir)))
    }

    fn file_blocks(&self, ino: u64) -> Result<(&Vec<BlockRef>, u64), Error> {
        let n = self.node(ino)?;
        match &n.body {
            Body::File(b) => Ok((b, n.size)),
            Body::Dir(_) => Err(Error::IsDir),
        }
    }

    fn block_ref(&self, ino: u64, index: usize) -> Result<BlockRef, Error> {
        Ok(self
            .file_blocks(ino)?
            .0
            .get(index)
            .copied()
            .unwrap_or_default())
    }

    /// Block `index` of file `ino` (reference `r`) into `buf` (one block), checked against its
    /// crc32: from the read cache, else read from the device and kept.
    fn read_verified(
        &mut self,
        ino: u64,
        index: u64,
        r: BlockRef,
        buf: &mut [u8],
    ) -> Result<(), Error> {
        if r.block == 0 {
            buf.fill(0);
            return Ok(());
        }
        if let Some(data) = self.cache.get(r.block, r.crc) {
            buf.copy_from_slice(data);
            return Ok(());
        }
        read_block(&mut self.dev, u64::from(r.block), buf)?;
        if crc32(buf) != r.crc {
            return Err(Error::DataCrc {
                path: self.path_of(ino),
                index,
            });
        }
        self.cache.insert(r.block, r.crc, buf);
        Ok(())
    }

    /// Read block `index` of file `ino` (reference `first`, not sparse) and the blocks of the
    /// file that follow it on the disk — up to [`READ_AHEAD`] physically consecutive ones —
    /// with one device request, into the cache. Block `index` itself must verify; the run ends
    /// uncached at the first later block that does not (its reader gets the error when it
    /// gets there).
    fn read_ahead(&mut self, ino: u64, index: usize, first: BlockRef) -> Result<(), Error> {
        let mut refs = vec![first];
        {
            let blocks = self.file_blocks(ino)?.0;
            while refs.len() < READ_AHEAD {
                match blocks.get(index + refs.len()) {
                    Some(next)
                        if next.block != 0
                            && u64::from(next.block)
                                == u64::from(first.block) + refs.len() as u64 =>
                    {
                        refs.push(*next)
                    }
                    _ => break,
                }
            }
        }
        let mut run = core::mem::take(&mut self.scratch);
        let need = refs.len() * BLOCK_SIZE;
        if run.len() < need {
            run.resize(need, 0);
        }
        let result = self.fill_cache(ino, index, &refs, &mut run[..need]);
        self.scratch = run;
        result
    }

    /// [`Store::read_ahead`]'s request and checks, into `run` (one block per entry of `refs`).
    fn fill_cache(
        &mut self,
        ino: u64,
        index: usize,
        refs: &[BlockRef],
        run: &mut [u8],
    ) -> Result<(), Error> {
        read_block(&mut self.dev, u64::from(refs[0].block), run)?;
        for (k, (r, data)) in refs.iter().zip(run.chunks(BLOCK_SIZE)).enumerate() {
            if crc32(data) != r.crc {
                if k == 0 {
                    return Err(Error::DataCrc {
                        path: self.path_of(ino),
                        index: index as u64,
                    });
                }
                break;
            }
            self.cache.insert(r.block, r.crc, data);
        }
        Ok(())
    }

    /// Read file data at `offset` (0 at or past the end). Every block read is checked against
    /// its crc32 (`Error::DataCrc` names the file). Large aligned reads go straight into `buf`
    /// (one request per contiguous run of up to 256 KiB); smaller ones are served from the
    /// read cache, which a miss fills with the next 256 KiB of the file.
    pub fn read(&mut self, ino: u64, offset: u64, buf: &mut [u8]) -> Result<usize, Error> {
        let (_, size) = self.file_blocks(ino)?;
        if offset >= size || buf.is_empty() {
            return Ok(0);
        }
        let want = (buf.len() as u64).min(size - offset) as usize;
        let mut done = 0;
        while done < want {
            let pos = offset + done as u64;
            let bi = pos / BLOCK_SIZE as u64;
            let within = (pos % BLOCK_SIZE as u64) as usize;
            let n = (BLOCK_SIZE - within).min(want - done);
            let r = self.block_ref(ino, bi as usize)?;
            if r.block == 0 {
                buf[done..done + n].fill(0);
                done += n;
                continue;
            }
            if let Some(data) = self.cache.get(r.block, r.crc) {
                buf[done..done + n].copy_from_slice(&data[within..within + n]);
                done += n;
                continue;
            }
            if within == 0 && (want - done) / BLOCK_SIZE >= DIRECT_MIN {
                // Whole blocks: read a physically contiguous run straight into `buf` with one
                // device request, then check each block's crc.
                let mut run = 1usize;
                while run < MAX_IO / BLOCK_SIZE && done + (run + 1) * BLOCK_SIZE <= want {
                    let next = self.block_ref(ino, bi as usize + run)?;
                    if next.block == 0 || next.block != r.block + run as u32 {
                        break;
                    }
                    run += 1;
                }
                let dst = &mut buf[done..done + run * BLOCK_SIZE];
                read_block(&mut self.dev, u64::from(r.block), dst)?;
                for k in 0..run {
                    let expect = self.block_ref(ino, bi as usize + k)?.crc;
                    if crc32(&buf[done + k * BLOCK_SIZE..done + (k + 1) * BLOCK_SIZE]) != expect {
                        return Err(Error::DataCrc {
                            path: self.path_of(ino),
                            index: bi + k as u64,
                        });
                    }
                }
                done += run * BLOCK_SIZE;
                continue;
            }
            self.read_ahead(ino, bi as usize, r)?;
            let data = self.cache.get(r.block, r.crc).ok_or(Error::Io)?;
            buf[done..done + n].copy_from_slice(&data[within..within + n]);
            done += n;
        }
        Ok(done)
    }

    /// Write one block of file `ino` copy-on-write: in place if only the live tree uses it,
    /// else to a fresh block.
    fn put_block(&mut self, ino: u64, bi: usize, data: &[u8]) -> Result<(), Error> {
        let old = match &self.node(ino)?.body {
            Body::File(b) => b.get(bi).copied().unwrap_or_default(),
            Body::Dir(_) => return Err(Error::IsDir),
        };
        let target = if old.block != 0 && !self.protected(u64::from(old.block)) {
            old.block
        } else {
            let b = self.alloc_data()?;
            if old.block != 0 {
                self.used.clear(u64::from(old.block));
            }
            b
        };
        if let Err(e) = self.write_blocks(u64::from(target), data) {
            if target != old.block {
                self.used.clear(u64::from(target));
                if old.block != 0 {
                    self.used.set(u64::from(old.block));
                }
            }
            return Err(e.into());
        }
        let crc = crc32(data);
        if let Body::File(b) = &mut self.node_mut(ino)?.body {
            if b.len() <= bi {
                b.resize(bi + 1, BlockRef::default());
            }
            b[bi] = BlockRef { block: target, crc };
        }
        self.dirty = true;
        Ok(())
    }

    /// Write whole blocks `first..` of file `ino` from `data` (a multiple of [`BLOCK_SIZE`],
    /// at most [`MAX_IO`]): each block goes where [`Store::put_block`] would put it (in place if
    /// the committed snapshots do not reference it, else a fresh block), and physically
    /// consecutive targets go to the device as one request. On a device error the fresh blocks
    /// are released and the file's block list is left as it was.
    fn put_blocks(&mut self, ino: u64, first: usize, data: &[u8]) -> Result<(), Error> {
        let n = data.len() / BLOCK_SIZE;
        let olds: Vec<BlockRef> = match &self.node(ino)?.body {
            Body::File(b) => (0..n)
                .map(|k| b.get(first + k).copied().unwrap_or_default())
                .collect(),
            Body::Dir(_) => return Err(Error::IsDir),
        };
        // (target, freshly allocated)
        let mut targets: Vec<(u32, bool)> = Vec::with_capacity(n);
        let release = |s: &mut Self, t: &[(u32, bool)]| {
            for &(b, fresh) in t {
                if fresh {
                    s.used.clear(u64::from(b));
                }
            }
        };
        for old in &olds {
            if old.block != 0 && !self.protected(u64::from(old.block)) {
                targets.push((old.block, false));
            } else {
                match self.alloc_data() {
                    Ok(b) => targets.push((b, true)),
                    Err(e) => {
                        release(self, &targets);
                        return Err(e);
                    }
                }
            }
        }
        let mut i = 0;
        while i < n {
            let mut j = i + 1;
            while j < n && targets[j].0 == targets[j - 1].0 + 1 {
                j += 1;
            }
            let at = u64::from(targets[i].0);
            if let Err(e) = self.write_blocks(at, &data[i * BLOCK_SIZE..j * BLOCK_SIZE]) {
                release(self, &targets);
                return Err(e.into());
            }
            i = j;
        }
        // Written: old blocks replaced by fresh ones are no longer this file's.
        for (old, &(_, fresh)) in olds.iter().zip(&targets) {
            if fresh && old.block != 0 {
                self.used.clear(u64::from(old.block));
            }
        }
        let crcs: Vec<u32> = data.chunks(BLOCK_SIZE).map(crc32).collect();
        if let Body::File(b) = &mut self.node_mut(ino)?.body {
            if b.len() < first + n {
                b.resize(first + n, BlockRef::default());
            }
            for (k, (&(block, _), crc)) in targets.iter().zip(crcs).enumerate() {
                b[first + k] = BlockRef { block, crc };
            }
        }
        self.dirty = true;
        Ok(())
    }

    /// Write `data` at `offset`, extending the file as needed.
    pub fn write(
        &mut self,
        ino: u64,
        offset: u64,
        data: &[u8],
        mtime: i64,
    ) -> Result<usize, Error> {
        let (_, size) = self.file_blocks(ino)?;
        let end = offset.checked_add(data.len() as u64).ok_or(Error::TooBig)?;
        if end > (u64::from(u32::MAX) * BLOCK_SIZE as u64) {
            return Err(Error::TooBig);
        }
        let mut tmp = vec![0u8; BLOCK_SIZE];
        let mut done = 0usize;
        while done < data.len() {
            let pos = offset + done as u64;
            let bi = (pos / BLOCK_SIZE as u64) as usize;
            let within = (pos % BLOCK_SIZE as u64) as usize;
            let n = (BLOCK_SIZE - within).min(data.len() - done);
            if within == 0 && n == BLOCK_SIZE {
                // A run of whole blocks: no read-back, one device request per contiguous run.
                let whole = ((data.len() - done) / BLOCK_SIZE).min(MAX_IO / BLOCK_SIZE);
                self.put_blocks(ino, bi, &data[done..done + whole * BLOCK_SIZE])?;
                done += whole * BLOCK_SIZE;
                let node = self.node_mut(ino)?;
                node.size = node.size.max(offset + done as u64);
                continue;
            }
            let old = self.block_ref(ino, bi)?;
            if n < BLOCK_SIZE && (bi as u64) * (BLOCK_SIZE as u64) < size {
                self.read_verified(ino, bi as u64, old, &mut tmp)?;
            } else {
                tmp.fill(0);
            }
            tmp[within..within + n].copy_from_slice(&data[done..done + n]);
            self.put_block(ino, bi, &tmp)?;
            done += n;
            let node = self.node_mut(ino)?;
            node.size = node.size.max(offset + done as u64);
        }
        let n = self.node_mut(ino)?;
        if let Body::File(b) = &mut n.body {
            let want = n.size.div_ceil(BLOCK_SIZE as u64) as usize;
            if b.len() < want {
                b.resize(want, BlockRef::default());
            }
        }
        n.mtime = mtime;
        self.dirty = true;
        Ok(data.len())
    }

    /// Set a file's length (zero-filling when growing).
    pub fn truncate(&mut self, ino: u64, len: u64, mtime: i64) -> Result<(), Error> {
        let (_, size) = self.file_blocks(ino)?;
        if len > u64::from(u32::MAX) * BLOCK_SIZE as u64 {
            return Err(Error::TooBig);
        }
        if len < size {
            let keep = len.div_ceil(BLOCK_SIZE as u64) as usize;
            let tail = (len % BLOCK_SIZE as u64) as usize;
            if tail != 0 {
                let bi = keep - 1;
                let r = self
                    .file_blocks(ino)?
                    .0
                    .get(bi)
                    .copied()
                    .unwrap_or_default();
                if r.block != 0 {
                    let mut tmp = vec![0u8; BLOCK_SIZE];
                    self.read_verified(ino, bi as u64, r, &mut tmp)?;
                    tmp[tail..].fill(0);
                    self.put_block(ino, bi, &tmp)?;
                }
            }
            let mut freed = Vec::new();
            if let Body::File(b) = &mut self.node_mut(ino)?.body {
                freed.extend(b.drain(keep..).filter(|r| r.block != 0).map(|r| r.block));
            }
            for b in freed {
                self.used.clear(u64::from(b));
            }
        }
        let n = self.node_mut(ino)?;
        n.size = len;
        if let Body::File(b) = &mut n.body {
            b.resize(
                len.div_ceil(BLOCK_SIZE as u64) as usize,
                BlockRef::default(),
            );
        }
        n.mtime = mtime;
        self.dirty = true;
        Ok(())
    }

    fn add_node(&mut self, dir: u64, name: &str, node: Node) -> Result<u64, Error> {
        if !valid_name(name) {
            return Err(Error::InvalidName);
        }
        let entries = self.dir(dir)?;
        if entries.contains_key(name) {
            return Err(Error::Exists);
        }
        let ino = self.next_ino;
        self.next_ino += 1;
        self.nodes.insert(
            ino,
            Node {
                parent: dir,
                ..node
            },
        );
        self.dir_mut(dir)?.insert(String::from(name), ino);
        self.dirty = true;
        Ok(ino)
    }

    /// Create an empty file (`perm & 0o7777`).
    pub fn create(
        &mut self,
        dir: u64,
        name: &str,
        perm: u32,
        uid: u32,
        gid: u32,
        mtime: i64,
    ) -> Result<u64, Error> {
        self.add_node(
            dir,
            name,
            Node {
                mode: S_IFREG | (perm & 0o7777),
                uid,
                gid,
                mtime,
                size: 0,
                body: Body::File(Vec::new()),
                parent: 0,
            },
        )
    }

    /// Create a directory (`perm & 0o7777`). Commits.
    pub fn mkdir(
        &mut self,
        dir: u64,
        name: &str,
        perm: u32,
        uid: u32,
        gid: u32,
        mtime: i64,
    ) -> Result<u64, Error> {
        let ino = self.add_node(
            dir,
            name,
            Node {
                mode: S_IFDIR | (perm & 0o7777),
                uid,
                gid,
                mtime,
                size: 0,
                body: Body::Dir(BTreeMap::new()),
                parent: 0,
            },
        )?;
        self.commit()?;
        Ok(ino)
    }

    /// Drop a node that left the tree (or keep it as an orphan while handles are open).
    fn forget(&mut self, ino: u64) {
        if self.open.get(&ino).copied().unwrap_or(0) > 0 {
            self.orphans.insert(ino, ());
            return;
        }
        if let Some(n) = self.nodes.remove(&ino) {
            if let Body::File(b) = n.body {
                for r in b.iter().filter(|r| r.block != 0) {
                    self.used.clear(u64::from(r.block));
                }
            }
        }
    }

    /// Remove non-directory `name` from `dir`. Commits (durable on return).
    pub fn unlink(&mut self, dir: u64, name: &str) -> Result<(), Error> {
        let ino = self.lookup(dir, name)?;
        if matches!(self.node(ino)?.body, Body::Dir(_)) {
            return Err(Error::IsDir);
        }
        self.dir_mut(dir)?.remove(name);
        self.forget(ino);
        self.dirty = true;
        self.commit()
    }

    /// Remove empty directory `name` from `dir`. Commits.
    pub fn rmdir(&mut self, dir: u64, name: &str) -> Result<(), Error> {
        let ino = self.lookup(dir, name)?;
        if !self.dir(ino)?.is_empty() {
            return Err(Error::NotEmpty);
        }
        self.dir_mut(dir)?.remove(name);
        self.forget(ino);
        self.dirty = true;
        self.commit()
    }

    /// Move `odir/oname` to `ndir/nname`, replacing a compatible target (a file by a file, an
    /// empty directory by a directory). Atomic and durable on return (one commit).
    pub fn rename(&mut self, odir: u64, oname: &str, ndir: u64, nname: &str) -> Result<(), Error> {
        if !valid_name(nname) {
            return Err(Error::InvalidName);
        }
        let src = self.lookup(odir, oname)?;
        self.dir(ndir)?;
        let src_is_dir = matches!(self.node(src)?.body, Body::Dir(_));
        if src_is_dir {
            // Not into itself or its own subtree.
            let mut cur = ndir;
            for _ in 0..100_000 {
                if cur == src {
                    return Err(Error::Invalid);
                }
                if cur == ROOT_INO {
                    break;
                }
                cur = self.node(cur)?.parent;
            }
        }
        let replaced = match self.lookup(ndir, nname) {
            Ok(t) if t == src => return Ok(()),
            Ok(t) => {
                let t_is_dir = matches!(self.node(t)?.body, Body::Dir(_));
                match (src_is_dir, t_is_dir) {
                    (true, false) => return Err(Error::NotDir),
                    (false, true) => return Err(Error::IsDir),
                    (true, true) if !self.dir(t)?.is_empty() => return Err(Error::NotEmpty),
                    _ => Some(t),
                }
            }
            Err(Error::NotFound) => None,
            Err(e) => return Err(e),
        };
        self.dir_mut(odir)?.remove(oname);
        self.dir_mut(ndir)?.insert(String::from(nname), src);
        self.node_mut(src)?.parent = ndir;
        if let Some(t) = replaced {
            self.forget(t);
        }
        self.dirty = true;
        self.commit()
    }

    /// Change permission bits and/or owner.
    pub fn setattr(
        &mut self,
        ino: u64,
        perm: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
    ) -> Result<(), Error> {
        let n = self.node_mut(ino)?;
        if let Some(p) = perm {
            n.mode = (n.mode & S_IFMT) | (p & 0o7777);
        }
        if let Some(u) = uid {
            n.uid = u;
        }
        if let Some(g) = gid {
            n.gid = g;
        }
        self.dirty = true;
        Ok(())
    }

    /// Set the modification time.
    pub fn set_mtime(&mut self, ino: u64, mtime: i64) -> Result<(), Error> {
        self.node_mut(ino)?.mtime = mtime;
        self.dirty = true;
        Ok(())
    }

    /// A handle to `ino` was opened.
    pub fn retain(&mut self, ino: u64) {
        *self.open.entry(ino).or_insert(0) += 1;
    }

    /// Does any handle still refer to `ino`?
    pub fn is_open(&self, ino: u64) -> bool {
        self.open.contains_key(&ino)
    }

    /// A handle to `ino` was closed; an unlinked file goes away with its last handle.
    pub fn release(&mut self, ino: u64) {
        let left = match self.open.get_mut(&ino) {
            Some(c) => {
                *c = c.saturating_sub(1);
                *c
            }
            None => return,
        };
        if left == 0 {
            self.open.remove(&ino);
            if self.orphans.remove(&ino).is_some() {
                self.forget(ino);
            }
        }
    }

    /// Commit the live tree: write the metadata blob to blocks no committed snapshot uses,
    /// flush, write the superblock into the older slot, flush. A no-op without changes.
    pub fn commit(&mut self) -> Result<(), Error> {
        if !self.dirty {
            return Ok(());
        }
        let blob = encode_tree(&self.nodes, self.next_ino);
        let nblocks = blob.len().div_ceil(BLOCK_SIZE) as u64;
        // First fit of a contiguous free run.
        let mut start = None;
        let mut run = 0;
        for b in 2..self.block_count {
            if self.busy(b) {
                run = 0;
                continue;
            }
            run += 1;
            if run == nblocks {
                start = Some(b + 1 - nblocks);
                break;
            }
        }
        let start = start.ok_or(Error::NoSpace)?;
        let mut padded = blob.clone();
        padded.resize(nblocks as usize * BLOCK_SIZE, 0);
        for (i, chunk) in padded.chunks(MAX_IO).enumerate() {
            let block = start + (i * MAX_IO / BLOCK_SIZE) as u64;
            self.write_blocks(block, chunk)?;
        }
        self.dev.flush()?;
        let seq = self.seq + 1;
        let sb = Superblock {
            seq,
            block_count: self.block_count,
            blob_start: start,
            blob_len: blob.len() as u64,
            blob_sha256: sha256(&blob),
        };
        let slot = seq % 2;
        // From here the slot's old snapshot may be torn: stop counting on it, but keep its
        // blocks reserved (harmless) until the new snapshot replaces the bitmap.
        self.write_blocks(slot, &sb.encode())?;
        self.dev.flush()?;
        let mut m = self.used.clone();
        for b in sb.blob_blocks() {
            m.set(b);
        }
        self.snap[slot as usize] = m;
        self.seq = seq;
        self.dirty = false;
        self.meta_blocks = nblocks;
        self.free_hint = self.free_blocks();
        Ok(())
    }

    /// Check every data block of every file against its crc32: the damaged ones as
    /// (path, block index).
    pub fn check(&mut self) -> Result<Vec<(String, u64)>, Error> {
        let files: Vec<(u64, Vec<BlockRef>)> = self
            .nodes
            .iter()
            .filter_map(|(&i, n)| match &n.body {
                Body::File(b) => Some((i, b.clone())),
                Body::Dir(_) => None,
            })
            .collect();
        let mut bad = Vec::new();
        let mut tmp = vec![0u8; BLOCK_SIZE];
        for (ino, blocks) in files {
            for (i, r) in blocks.iter().enumerate() {
                match self.read_verified(ino, i as u64, *r, &mut tmp) {
                    Ok(()) => {}
                    Err(Error::DataCrc { path, index }) => bad.push((path, index)),
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(bad)
    }
}
