//! The package store (`swiftos-storefs`) as a writable [`FileSystem`] (mounted at `/pkg`), and
//! the read-only union overlay of package payload roots (mounted at `/usr`).
//!
//! Both share one [`SharedStore`]: the store itself plus the overlay's layer list. The store
//! mount's authority area is [`Area::PkgStore`] (reading needs `capFsRead`, mutating
//! `capPkgAdmin` plus the mode bits); the overlay is [`Area::ReadOnly`], so every mutation under
//! it is `EROFS` for everybody, root included.
//!
//! Overlay inode numbers: files are the store's own inode numbers (never reused by the store),
//! directories get numbers from [`OVERLAY_DIR_BASE`] up, one per overlay path, never recycled —
//! so handles opened before the layer set changes keep working.

use crate::fs::{DirEntry, FileSystem, Ino, NodeInfo};
use crate::vfs::Vfs;
use crate::FsContext;
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use spin::Mutex;
use swiftos_abi::fcntl::{S_IFDIR, S_IFMT};
use swiftos_abi::{Caps, Errno, DT_DIR, DT_REG};
use swiftos_authority::{Area, NodeAttrs};
use swiftos_storefs::{BlockDev, Error as StoreError, Store};

/// The store directory whose entries are sealed package payloads (see [`sealed`]).
pub const SEALED_DIR: &str = "store";

/// Whether `ino` is a sealed package entry: `/store/<id>` or anything below it. Installed
/// packages are immutable — for root too: they may be removed (whole packages, by `pkg gc`),
/// but never written, truncated, re-moded, added to or rearranged; content only arrives as a
/// finished `<id>` directory renamed into `/store` from the staging area.
fn sealed(s: &StoreState, ino: Ino) -> bool {
    let p = s.store.path_of(ino);
    let mut parts = p.split('/').filter(|c| !c.is_empty());
    parts.next() == Some(SEALED_DIR) && parts.next().is_some()
}

/// `EROFS` for changes to sealed package entries.
fn refuse_sealed(s: &StoreState, ino: Ino) -> Result<(), Errno> {
    if sealed(s, ino) {
        return Err(Errno::EROFS);
    }
    Ok(())
}

/// First inode number of overlay directories (store inode numbers stay far below).
pub const OVERLAY_DIR_BASE: u64 = 1 << 62;

/// The mounted store and the overlay's layers.
pub struct StoreState {
    /// The store.
    pub store: Store<Box<dyn BlockDev + Send>>,
    /// Overlay layers: store inode of each payload root, first wins.
    layers: Vec<u64>,
    /// The layers as given to [`set_overlay`] (for `get_overlay`).
    layer_paths: Vec<String>,
    /// Seconds since the epoch for mtimes.
    clock: fn() -> i64,
    /// Where damage reports go (the kernel log).
    log: fn(&str),
    /// Mount point, for paths in damage reports.
    at: String,
    /// A commit after close failed and was reported; reported again only once one works.
    commit_failing: bool,
}

/// The store shared by the `/pkg` mount, the `/usr` overlay and the kernel.
pub type SharedStore = Arc<Mutex<StoreState>>;

/// Wrap a mounted store (to be mounted at `at`, e.g. `/pkg`) for [`StoreFs`] and
/// [`OverlayFs`]. `log` receives damage reports such as `package store: data block 3 of
/// /pkg/store/x/root/bin/lua is damaged (crc32 mismatch)`.
pub fn share(
    store: Store<Box<dyn BlockDev + Send>>,
    at: &str,
    clock: fn() -> i64,
    log: fn(&str),
) -> SharedStore {
    Arc::new(Mutex::new(StoreState {
        store,
        layers: Vec::new(),
        layer_paths: Vec::new(),
        clock,
        log,
        at: String::from(at.trim_end_matches('/')),
        commit_failing: false,
    }))
}

impl StoreState {
    fn errno(&self, e: StoreError) -> Errno {
        match e {
            StoreError::NotFound => Errno::ENOENT,
            StoreError::NotDir => Errno::ENOTDIR,
            StoreError::IsDir => Errno::EISDIR,
            StoreError::Exists => Errno::EEXIST,
            StoreError::NotEmpty => Errno::ENOTEMPTY,
            StoreError::NoSpace => Errno::ENOSPC,
            StoreError::InvalidName | StoreError::Invalid => Errno::EINVAL,
            StoreError::TooBig => Errno::EFBIG,
            StoreError::DataCrc { path, index } => {
                let msg = alloc::format!(
                    "package store: data block {index} of {}{path} is damaged (crc32 mismatch)",
                    self.at
                );
                (self.log)(&msg);
                Errno::EIO
            }
            _ => Errno::EIO,
        }
    }
    /// The current overlay layers, as set.
    pub fn layer_paths(&self) -> &[String] {
        &self.layer_paths
    }
}

fn info_of(a: &swiftos_storefs::Attr, ino: Ino) -> NodeInfo {
    NodeInfo {
        ino,
        mode: a.mode,
        uid: a.uid,
        gid: a.gid,
        size: a.size,
        mtime: a.mtime,
        nlink: if a.is_dir() { 2 } else { 1 },
        device: None,
    }
}

/// The package store as a writable filesystem. Commits on `fsync`, `rename`, `unlink`,
/// `rmdir`, `mkdir`, `chmod` and `chown` (each durable on return) and on the last close of a
/// file.
pub struct StoreFs {
    shared: SharedStore,
}

impl StoreFs {
    /// The store mount over `shared`.
    pub fn new(shared: SharedStore) -> StoreFs {
        StoreFs { shared }
    }
}

macro_rules! st {
    ($s:expr, $e:expr) => {{
        let r = $e;
        r.map_err(|e| $s.errno(e))
    }};
}

impl FileSystem for StoreFs {
    fn area(&self) -> Area {
        Area::PkgStore
    }
    fn root(&self) -> Ino {
        self.shared.lock().store.root()
    }
    fn lookup(&mut self, dir: Ino, name: &str) -> Result<Ino, Errno> {
        let s = self.shared.lock();
        st!(s, s.store.lookup(dir, name))
    }
    fn getattr(&mut self, ino: Ino) -> Result<NodeInfo, Errno> {
        let s = self.shared.lock();
        let a = st!(s, s.store.getattr(ino))?;
        Ok(info_of(&a, ino))
    }
    fn read(&mut self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let mut s = self.shared.lock();
        let r = s.store.read(ino, offset, buf);
        st!(s, r)
    }
    fn readdir(&mut self, dir: Ino, index: u64) -> Result<Option<DirEntry>, Errno> {
        let s = self.shared.lock();
        let e = st!(s, s.store.readdir(dir, index))?;
        Ok(e.map(|(name, ino, is_dir)| DirEntry {
            name,
            ino,
            kind: if is_dir { DT_DIR } else { DT_REG },
        }))
    }
    fn write(&mut self, ino: Ino, offset: u64, data: &[u8]) -> Result<usize, Errno> {
        let mut s = self.shared.lock();
        refuse_sealed(&s, ino)?;
        let now = (s.clock)();
        let r = s.store.write(ino, offset, data, now);
        st!(s, r)
    }
    fn truncate(&mut self, ino: Ino, len: u64) -> Result<(), Errno> {
        let mut s = self.shared.lock();
        refuse_sealed(&s, ino)?;
        let now = (s.clock)();
        let r = s.store.truncate(ino, len, now);
        st!(s, r)
    }
    fn create(&mut self, dir: Ino, name: &str, a: NodeAttrs) -> Result<Ino, Errno> {
        let mut s = self.shared.lock();
        refuse_sealed(&s, dir)?;
        let now = (s.clock)();
        let r = s.store.create(dir, name, a.mode, a.uid, a.gid, now);
        st!(s, r)
    }
    fn mkdir(&mut self, dir: Ino, name: &str, a: NodeAttrs) -> Result<Ino, Errno> {
        let mut s = self.shared.lock();
        refuse_sealed(&s, dir)?;
        let now = (s.clock)();
        let r = s.store.mkdir(dir, name, a.mode, a.uid, a.gid, now);
        st!(s, r)
    }
    fn unlink(&mut self, dir: Ino, name: &str) -> Result<(), Errno> {
        let mut s = self.shared.lock();
        let r = s.store.unlink(dir, name);
        st!(s, r)
    }
    fn rmdir(&mut self, dir: Ino, name: &str) -> Result<(), Errno> {
        let mut s = self.shared.lock();
        let r = s.store.rmdir(dir, name);
        st!(s, r)
    }
    fn rename(&mut self, od: Ino, on: &str, nd: Ino, nn: &str) -> Result<(), Errno> {
        let mut s = self.shared.lock();
        refuse_sealed(&s, od)?;
        refuse_sealed(&s, nd)?;
        let r = s.store.rename(od, on, nd, nn);
        st!(s, r)
    }
    fn setattr(
        &mut self,
        ino: Ino,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
    ) -> Result<(), Errno> {
        let mut s = self.shared.lock();
        refuse_sealed(&s, ino)?;
        let r = s.store.setattr(ino, mode, uid, gid);
        st!(s, r)?;
        // chmod/chown are durable on return too.
        let r = s.store.commit();
        st!(s, r)
    }
    fn retain(&mut self, ino: Ino) {
        self.shared.lock().store.retain(ino);
    }
    /// The last close of a file commits pending changes, so what the shell writes with `>`
    /// or `cp` survives a power cut once the command is done.
    fn release(&mut self, ino: Ino) {
        let mut s = self.shared.lock();
        s.store.release(ino);
        if s.store.is_dirty() && !s.store.is_open(ino) {
            match s.store.commit() {
                Err(e) if !s.commit_failing => {
                    s.commit_failing = true;
                    let msg = alloc::format!(
                        "package store: commit after close failed: {e}; changes since the last \
                         commit are not on the disk yet (reported once until a commit works)"
                    );
                    (s.log)(&msg);
                }
                Err(_) => {}
                Ok(()) if s.commit_failing => {
                    s.commit_failing = false;
                    (s.log)("package store: commits work again; pending changes are on the disk");
                }
                Ok(()) => {}
            }
        }
    }
    fn sync(&mut self) -> Result<(), Errno> {
        let mut s = self.shared.lock();
        let r = s.store.commit();
        st!(s, r)
    }
}

/// The read-only union of the store directories set with [`set_overlay`].
pub struct OverlayFs {
    shared: SharedStore,
    /// Overlay directory inode -> path below the overlay root ("" for the root).
    dirs: BTreeMap<Ino, String>,
    by_path: BTreeMap<String, Ino>,
}

impl OverlayFs {
    /// The overlay over `shared`'s layers (none until [`set_overlay`]).
    pub fn new(shared: SharedStore) -> OverlayFs {
        let mut o = OverlayFs {
            shared,
            dirs: BTreeMap::new(),
            by_path: BTreeMap::new(),
        };
        o.dir_ino("");
        o
    }

    fn dir_ino(&mut self, path: &str) -> Ino {
        if let Some(&i) = self.by_path.get(path) {
            return i;
        }
        let i = OVERLAY_DIR_BASE + self.dirs.len() as u64;
        self.dirs.insert(i, String::from(path));
        self.by_path.insert(String::from(path), i);
        i
    }

    /// Store inodes of `path` in every layer where it is a directory.
    fn layer_dirs(s: &StoreState, path: &str) -> Vec<u64> {
        let mut out = Vec::new();
        for &root in &s.layers {
            let mut ino = root;
            let mut ok = true;
            for c in path.split('/').filter(|c| !c.is_empty()) {
                match s.store.lookup(ino, c) {
                    Ok(i) => ino = i,
                    Err(_) => {
                        ok = false;
                        break;
                    }
                }
            }
            if ok && s.store.getattr(ino).is_ok_and(|a| a.is_dir()) {
                out.push(ino);
            }
        }
        out
    }
}

impl FileSystem for OverlayFs {
    fn area(&self) -> Area {
        Area::ReadOnly
    }
    fn root(&self) -> Ino {
        OVERLAY_DIR_BASE
    }
    fn lookup(&mut self, dir: Ino, name: &str) -> Result<Ino, Errno> {
        let path = self.dirs.get(&dir).ok_or(Errno::ENOTDIR)?.clone();
        let found = {
            let s = self.shared.lock();
            let mut found = None;
            for d in Self::layer_dirs(&s, &path) {
                if let Ok(i) = s.store.lookup(d, name) {
                    let is_dir = s.store.getattr(i).is_ok_and(|a| a.is_dir());
                    found = Some((i, is_dir));
                    break;
                }
            }
            found
        };
        match found {
            None => Err(Errno::ENOENT),
            Some((i, false)) => Ok(i),
            Some((_, true)) => {
                let p = if path.is_empty() {
                    String::from(name)
                } else {
                    alloc::format!("{path}/{name}")
                };
                Ok(self.dir_ino(&p))
            }
        }
    }
    fn getattr(&mut self, ino: Ino) -> Result<NodeInfo, Errno> {
        let s = self.shared.lock();
        if let Some(path) = self.dirs.get(&ino) {
            let dirs = Self::layer_dirs(&s, path);
            let Some(&first) = dirs.first() else {
                if path.is_empty() {
                    return Ok(NodeInfo {
                        ino,
                        mode: S_IFDIR | 0o755,
                        uid: 0,
                        gid: 0,
                        size: 0,
                        mtime: 0,
                        nlink: 2,
                        device: None,
                    });
                }
                return Err(Errno::ENOENT);
            };
            let a = st!(s, s.store.getattr(first))?;
            return Ok(info_of(&a, ino));
        }
        let a = st!(s, s.store.getattr(ino))?;
        if a.is_dir() {
            return Err(Errno::ENOENT);
        }
        Ok(info_of(&a, ino))
    }
    fn read(&mut self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        if self.dirs.contains_key(&ino) {
            return Err(Errno::EISDIR);
        }
        let mut s = self.shared.lock();
        let r = s.store.read(ino, offset, buf);
        st!(s, r)
    }
    fn readdir(&mut self, dir: Ino, index: u64) -> Result<Option<DirEntry>, Errno> {
        let path = self.dirs.get(&dir).ok_or(Errno::ENOTDIR)?.clone();
        let entry = {
            let s = self.shared.lock();
            let mut merged: BTreeMap<String, (u64, bool)> = BTreeMap::new();
            for d in Self::layer_dirs(&s, &path) {
                let mut i = 0;
                while let Ok(Some((name, ino, is_dir))) = s.store.readdir(d, i) {
                    i += 1;
                    merged.entry(name).or_insert((ino, is_dir));
                }
            }
            merged.into_iter().nth(index as usize)
        };
        let Some((name, (ino, is_dir))) = entry else {
            return Ok(None);
        };
        let ino = if is_dir {
            let p = if path.is_empty() {
                name.clone()
            } else {
                alloc::format!("{path}/{name}")
            };
            self.dir_ino(&p)
        } else {
            ino
        };
        Ok(Some(DirEntry {
            name,
            ino,
            kind: if is_dir { DT_DIR } else { DT_REG },
        }))
    }
    fn retain(&mut self, ino: Ino) {
        if !self.dirs.contains_key(&ino) {
            self.shared.lock().store.retain(ino);
        }
    }
    fn release(&mut self, ino: Ino) {
        if !self.dirs.contains_key(&ino) {
            self.shared.lock().store.release(ino);
        }
    }
}

/// `set_overlay`: make `paths` (absolute directories on the store mount, first wins) the
/// overlay's layers. Needs `capPkgAdmin` (`EPERM`); `ENOENT`/`ENOTDIR`/`EACCES` from resolving
/// a path, `EINVAL` for a directory outside the store (or an empty/relative path). Nothing
/// changes on error.
pub fn set_overlay(
    vfs: &mut Vfs,
    shared: &SharedStore,
    ctx: &FsContext<'_>,
    paths: &[&str],
) -> Result<(), Errno> {
    if !ctx.caps.contains(Caps::PKG_ADMIN) {
        return Err(Errno::EPERM);
    }
    let mut inos = Vec::new();
    let mut names = Vec::new();
    for p in paths {
        if !p.starts_with('/') {
            return Err(Errno::EINVAL);
        }
        let (area, ino, info) = vfs.resolve_node(ctx, p)?;
        if area != Area::PkgStore {
            return Err(Errno::EINVAL);
        }
        if info.mode & S_IFMT != S_IFDIR {
            return Err(Errno::ENOTDIR);
        }
        inos.push(ino);
        names.push(crate::path::normalize(ctx, p)?.path);
    }
    let mut s = shared.lock();
    s.layers = inos;
    s.layer_paths = names;
    Ok(())
}

/// The overlay layers as newline-terminated normalised paths (what `get_overlay` returns).
pub fn get_overlay(shared: &SharedStore) -> String {
    let s = shared.lock();
    let mut out = String::new();
    for p in &s.layer_paths {
        out.push_str(p);
        out.push('\n');
    }
    out
}
