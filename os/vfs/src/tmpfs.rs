//! `/tmp`: a RAM-backed filesystem (gone on reboot) with a byte budget.

use crate::fs::{DirEntry, FileSystem, Ino, NodeInfo};
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use swiftos_abi::fcntl::{S_IFDIR, S_IFREG};
use swiftos_abi::{Errno, DT_DIR, DT_REG};
use swiftos_authority::{Area, NodeAttrs};

const ROOT: Ino = 1;
/// Bytes charged for every node and name on top of file contents, so that creating empty
/// files cannot exhaust memory without hitting the budget.
const NODE_COST: usize = 128;

enum Data {
    File(Vec<u8>),
    Dir {
        entries: BTreeMap<String, Ino>,
        parent: Ino,
    },
}

struct Node {
    mode: u32,
    uid: u32,
    gid: u32,
    mtime: i64,
    /// 0 once unlinked; the node lives on while handles are open.
    linked: bool,
    opens: u32,
    data: Data,
}

/// The RAM filesystem.
pub struct TmpFs {
    nodes: BTreeMap<Ino, Node>,
    next: Ino,
    used: usize,
    limit: usize,
    clock: fn() -> i64,
}

impl TmpFs {
    /// An empty tmpfs whose root is `01777 root:root`, holding at most `limit` bytes (file
    /// contents plus a fixed charge per node and name); `clock` gives the current time in
    /// seconds for mtimes.
    pub fn new(limit: usize, clock: fn() -> i64) -> TmpFs {
        let mut nodes = BTreeMap::new();
        nodes.insert(
            ROOT,
            Node {
                mode: S_IFDIR | 0o1777,
                uid: 0,
                gid: 0,
                mtime: clock(),
                linked: true,
                opens: 0,
                data: Data::Dir {
                    entries: BTreeMap::new(),
                    parent: ROOT,
                },
            },
        );
        TmpFs {
            nodes,
            next: ROOT + 1,
            used: NODE_COST,
            limit,
            clock,
        }
    }

    /// Bytes currently charged against the budget.
    pub fn used(&self) -> usize {
        self.used
    }

    fn node(&self, ino: Ino) -> Result<&Node, Errno> {
        self.nodes.get(&ino).ok_or(Errno::ENOENT)
    }
    fn node_mut(&mut self, ino: Ino) -> Result<&mut Node, Errno> {
        self.nodes.get_mut(&ino).ok_or(Errno::ENOENT)
    }
    fn entries(&self, dir: Ino) -> Result<&BTreeMap<String, Ino>, Errno> {
        match &self.node(dir)?.data {
            Data::Dir { entries, .. } => Ok(entries),
            Data::File(_) => Err(Errno::ENOTDIR),
        }
    }
    fn entries_mut(&mut self, dir: Ino) -> Result<&mut BTreeMap<String, Ino>, Errno> {
        match &mut self.node_mut(dir)?.data {
            Data::Dir { entries, .. } => Ok(entries),
            Data::File(_) => Err(Errno::ENOTDIR),
        }
    }
    fn charge(&mut self, bytes: usize) -> Result<(), Errno> {
        let new = self.used.checked_add(bytes).ok_or(Errno::ENOSPC)?;
        if new > self.limit {
            return Err(Errno::ENOSPC);
        }
        self.used = new;
        Ok(())
    }
    fn touch(&mut self, ino: Ino) {
        let now = (self.clock)();
        if let Some(n) = self.nodes.get_mut(&ino) {
            n.mtime = now;
        }
    }
    /// Drop a node that is unlinked and no longer open, returning its bytes to the budget.
    fn maybe_free(&mut self, ino: Ino) {
        let free = matches!(self.nodes.get(&ino), Some(n) if !n.linked && n.opens == 0);
        if free {
            if let Some(n) = self.nodes.remove(&ino) {
                let size = match n.data {
                    Data::File(v) => v.len(),
                    Data::Dir { .. } => 0,
                };
                self.used = self.used.saturating_sub(size + NODE_COST);
            }
        }
    }
    fn insert(&mut self, dir: Ino, name: &str, attrs: NodeAttrs, data: Data) -> Result<Ino, Errno> {
        if self.entries(dir)?.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        self.charge(NODE_COST + name.len())?;
        let ino = self.next;
        self.next += 1;
        self.nodes.insert(
            ino,
            Node {
                mode: attrs.mode,
                uid: attrs.uid,
                gid: attrs.gid,
                mtime: (self.clock)(),
                linked: true,
                opens: 0,
                data,
            },
        );
        self.entries_mut(dir)?.insert(String::from(name), ino);
        self.touch(dir);
        Ok(ino)
    }
    /// Detach entry `name` from `dir` and mark its node unlinked.
    fn detach(&mut self, dir: Ino, name: &str) -> Result<Ino, Errno> {
        let ino = self.entries_mut(dir)?.remove(name).ok_or(Errno::ENOENT)?;
        self.used = self.used.saturating_sub(name.len());
        if let Some(n) = self.nodes.get_mut(&ino) {
            n.linked = false;
        }
        self.touch(dir);
        self.maybe_free(ino);
        Ok(ino)
    }
    /// Is `ino` equal to `ancestor` or below it?
    fn is_descendant(&self, mut ino: Ino, ancestor: Ino) -> bool {
        loop {
            if ino == ancestor {
                return true;
            }
            match self.nodes.get(&ino).map(|n| &n.data) {
                Some(Data::Dir { parent, .. }) if *parent != ino => ino = *parent,
                _ => return false,
            }
        }
    }
}

impl FileSystem for TmpFs {
    fn area(&self) -> Area {
        Area::Tmp
    }
    fn root(&self) -> Ino {
        ROOT
    }

    fn lookup(&mut self, dir: Ino, name: &str) -> Result<Ino, Errno> {
        self.entries(dir)?.get(name).copied().ok_or(Errno::ENOENT)
    }

    fn getattr(&mut self, ino: Ino) -> Result<NodeInfo, Errno> {
        let n = self.node(ino)?;
        let (size, nlink) = match &n.data {
            Data::File(v) => (v.len() as u64, u32::from(n.linked)),
            Data::Dir { entries, .. } => (entries.len() as u64, 2),
        };
        Ok(NodeInfo {
            ino,
            mode: n.mode,
            uid: n.uid,
            gid: n.gid,
            size,
            mtime: n.mtime,
            nlink,
            device: None,
        })
    }

    fn read(&mut self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        match &self.node(ino)?.data {
            Data::Dir { .. } => Err(Errno::EISDIR),
            Data::File(v) => {
                let Ok(off) = usize::try_from(offset) else {
                    return Ok(0);
                };
                if off >= v.len() {
                    return Ok(0);
                }
                let n = buf.len().min(v.len() - off);
                buf[..n].copy_from_slice(&v[off..off + n]);
                Ok(n)
            }
        }
    }

    fn readdir(&mut self, dir: Ino, index: u64) -> Result<Option<DirEntry>, Errno> {
        let entries = self.entries(dir)?;
        let Some((name, ino)) = usize::try_from(index)
            .ok()
            .and_then(|i| entries.iter().nth(i))
        else {
            return Ok(None);
        };
        let kind = match self.node(*ino)?.data {
            Data::File(_) => DT_REG,
            Data::Dir { .. } => DT_DIR,
        };
        Ok(Some(DirEntry {
            name: name.clone(),
            ino: *ino,
            kind,
        }))
    }

    fn write(&mut self, ino: Ino, offset: u64, data: &[u8]) -> Result<usize, Errno> {
        let cur_len = match &self.node(ino)?.data {
            Data::Dir { .. } => return Err(Errno::EISDIR),
            Data::File(v) => v.len(),
        };
        if data.is_empty() {
            return Ok(0);
        }
        let off = usize::try_from(offset).map_err(|_| Errno::EFBIG)?;
        let end = off.checked_add(data.len()).ok_or(Errno::EFBIG)?;
        if end > cur_len {
            self.charge(end - cur_len)?;
        }
        let now = (self.clock)();
        let n = self.node_mut(ino)?;
        n.mtime = now;
        if let Data::File(v) = &mut n.data {
            if end > v.len() {
                if v.try_reserve(end - v.len()).is_err() {
                    self.used -= end - cur_len;
                    return Err(Errno::ENOSPC);
                }
                v.resize(end, 0);
            }
            v[off..end].copy_from_slice(data);
        }
        Ok(data.len())
    }

    fn truncate(&mut self, ino: Ino, len: u64) -> Result<(), Errno> {
        let cur_len = match &self.node(ino)?.data {
            Data::Dir { .. } => return Err(Errno::EISDIR),
            Data::File(v) => v.len(),
        };
        let len = usize::try_from(len).map_err(|_| Errno::EFBIG)?;
        if len > cur_len {
            self.charge(len - cur_len)?;
        } else {
            self.used -= cur_len - len;
        }
        let now = (self.clock)();
        let n = self.node_mut(ino)?;
        n.mtime = now;
        if let Data::File(v) = &mut n.data {
            if len > v.len() && v.try_reserve(len - v.len()).is_err() {
                self.used -= len - cur_len;
                return Err(Errno::ENOSPC);
            }
            v.resize(len, 0);
            if len < v.capacity() / 2 {
                v.shrink_to_fit();
            }
        }
        Ok(())
    }

    fn create(&mut self, dir: Ino, name: &str, attrs: NodeAttrs) -> Result<Ino, Errno> {
        let attrs = NodeAttrs {
            mode: S_IFREG | (attrs.mode & 0o7777),
            ..attrs
        };
        self.insert(dir, name, attrs, Data::File(Vec::new()))
    }

    fn mkdir(&mut self, dir: Ino, name: &str, attrs: NodeAttrs) -> Result<Ino, Errno> {
        let attrs = NodeAttrs {
            mode: S_IFDIR | (attrs.mode & 0o7777),
            ..attrs
        };
        self.insert(
            dir,
            name,
            attrs,
            Data::Dir {
                entries: BTreeMap::new(),
                parent: dir,
            },
        )
    }

    fn unlink(&mut self, dir: Ino, name: &str) -> Result<(), Errno> {
        let ino = self.lookup(dir, name)?;
        if matches!(self.node(ino)?.data, Data::Dir { .. }) {
            return Err(Errno::EISDIR);
        }
        self.detach(dir, name).map(|_| ())
    }

    fn rmdir(&mut self, dir: Ino, name: &str) -> Result<(), Errno> {
        let ino = self.lookup(dir, name)?;
        match &self.node(ino)?.data {
            Data::File(_) => return Err(Errno::ENOTDIR),
            Data::Dir { entries, .. } if !entries.is_empty() => return Err(Errno::ENOTEMPTY),
            Data::Dir { .. } => {}
        }
        self.detach(dir, name).map(|_| ())
    }

    fn rename(
        &mut self,
        old_dir: Ino,
        old_name: &str,
        new_dir: Ino,
        new_name: &str,
    ) -> Result<(), Errno> {
        let src = self.lookup(old_dir, old_name)?;
        self.entries(new_dir)?;
        let src_is_dir = matches!(self.node(src)?.data, Data::Dir { .. });
        if old_dir == new_dir && old_name == new_name {
            return Ok(());
        }
        if src_is_dir && self.is_descendant(new_dir, src) {
            // Moving a directory into itself or below it.
            return Err(Errno::EINVAL);
        }
        if let Ok(target) = self.lookup(new_dir, new_name) {
            if target == src {
                return Ok(());
            }
            match (&self.node(target)?.data, src_is_dir) {
                (Data::Dir { entries, .. }, true) => {
                    if !entries.is_empty() {
                        return Err(Errno::ENOTEMPTY);
                    }
                }
                (Data::Dir { .. }, false) => return Err(Errno::EISDIR),
                (Data::File(_), true) => return Err(Errno::ENOTDIR),
                (Data::File(_), false) => {}
            }
            self.detach(new_dir, new_name)?;
        }
        // Names move between maps: charge the new one first so a full tmpfs fails cleanly.
        self.charge(new_name.len())?;
        self.entries_mut(old_dir)?.remove(old_name);
        self.used = self.used.saturating_sub(old_name.len());
        self.entries_mut(new_dir)?
            .insert(String::from(new_name), src);
        if let Data::Dir { parent, .. } = &mut self.node_mut(src)?.data {
            *parent = new_dir;
        }
        self.touch(old_dir);
        self.touch(new_dir);
        Ok(())
    }

    fn setattr(
        &mut self,
        ino: Ino,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
    ) -> Result<(), Errno> {
        let n = self.node_mut(ino)?;
        if let Some(m) = mode {
            n.mode = (n.mode & !0o7777) | (m & 0o7777);
        }
        if let Some(u) = uid {
            n.uid = u;
        }
        if let Some(g) = gid {
            n.gid = g;
        }
        Ok(())
    }

    fn retain(&mut self, ino: Ino) {
        if let Some(n) = self.nodes.get_mut(&ino) {
            n.opens = n.opens.saturating_add(1);
        }
    }

    fn release(&mut self, ino: Ino) {
        if let Some(n) = self.nodes.get_mut(&ino) {
            n.opens = n.opens.saturating_sub(1);
        }
        self.maybe_free(ino);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> TmpFs {
        TmpFs::new(10_000, || 42)
    }
    const A: NodeAttrs = NodeAttrs {
        mode: 0o644,
        uid: 1000,
        gid: 1000,
    };

    #[test]
    fn create_write_read_truncate() {
        let mut fs = t();
        let f = fs.create(ROOT, "f", A).unwrap();
        assert_eq!(fs.create(ROOT, "f", A), Err(Errno::EEXIST));
        assert_eq!(fs.write(f, 0, b"hello").unwrap(), 5);
        assert_eq!(fs.write(f, 7, b"!").unwrap(), 1);
        let mut buf = [0u8; 16];
        let n = fs.read(f, 0, &mut buf).unwrap();
        assert_eq!(&buf[..n], b"hello\0\0!");
        assert_eq!(fs.read(f, 100, &mut buf).unwrap(), 0);
        fs.truncate(f, 2).unwrap();
        assert_eq!(fs.getattr(f).unwrap().size, 2);
        assert_eq!(fs.getattr(f).unwrap().mode, S_IFREG | 0o644);
        assert_eq!(fs.getattr(f).unwrap().mtime, 42);
        fs.truncate(f, 4).unwrap();
        let n = fs.read(f, 0, &mut buf).unwrap();
        assert_eq!(&buf[..n], b"he\0\0");
    }

    #[test]
    fn budget_is_enforced_and_returned() {
        let mut fs = t();
        let base = fs.used();
        let f = fs.create(ROOT, "big", A).unwrap();
        assert_eq!(fs.write(f, 0, &[1u8; 20_000]), Err(Errno::ENOSPC));
        assert_eq!(fs.truncate(f, 20_000), Err(Errno::ENOSPC));
        fs.write(f, 0, &[1u8; 5_000]).unwrap();
        fs.unlink(ROOT, "big").unwrap();
        assert_eq!(fs.used(), base);
        // Many empty files also hit the budget.
        let mut made = 0;
        while fs.create(ROOT, &alloc::format!("f{made}"), A).is_ok() {
            made += 1;
        }
        assert!(made > 10 && made < 100, "{made}");
    }

    #[test]
    fn unlinked_open_file_survives_until_release() {
        let mut fs = t();
        let base = fs.used();
        let f = fs.create(ROOT, "f", A).unwrap();
        fs.write(f, 0, b"data").unwrap();
        fs.retain(f);
        fs.unlink(ROOT, "f").unwrap();
        assert_eq!(fs.lookup(ROOT, "f"), Err(Errno::ENOENT));
        let mut buf = [0u8; 4];
        assert_eq!(fs.read(f, 0, &mut buf).unwrap(), 4);
        assert_eq!(fs.getattr(f).unwrap().nlink, 0);
        fs.release(f);
        assert_eq!(fs.getattr(f), Err(Errno::ENOENT));
        assert_eq!(fs.used(), base);
    }

    #[test]
    fn directories() {
        let mut fs = t();
        let d = fs.mkdir(ROOT, "d", A).unwrap();
        let f = fs.create(d, "f", A).unwrap();
        assert_eq!(fs.rmdir(ROOT, "d"), Err(Errno::ENOTEMPTY));
        assert_eq!(fs.unlink(ROOT, "d"), Err(Errno::EISDIR));
        assert_eq!(fs.rmdir(d, "f"), Err(Errno::ENOTDIR));
        assert_eq!(fs.lookup(f, "x"), Err(Errno::ENOTDIR));
        assert_eq!(fs.readdir(d, 0).unwrap().unwrap().name, "f");
        assert_eq!(fs.readdir(d, 1).unwrap(), None);
        fs.unlink(d, "f").unwrap();
        fs.rmdir(ROOT, "d").unwrap();
        assert_eq!(fs.readdir(ROOT, 0).unwrap(), None);
    }

    #[test]
    fn rename_rules() {
        let mut fs = t();
        let a = fs.mkdir(ROOT, "a", A).unwrap();
        let b = fs.mkdir(a, "b", A).unwrap();
        let f = fs.create(ROOT, "f", A).unwrap();
        let g = fs.create(ROOT, "g", A).unwrap();
        // Into itself / a descendant.
        assert_eq!(fs.rename(ROOT, "a", a, "x"), Err(Errno::EINVAL));
        assert_eq!(fs.rename(ROOT, "a", b, "x"), Err(Errno::EINVAL));
        // Type mismatches.
        assert_eq!(fs.rename(ROOT, "f", ROOT, "a"), Err(Errno::EISDIR));
        assert_eq!(fs.rename(ROOT, "a", ROOT, "f"), Err(Errno::ENOTDIR));
        // Replace a file.
        fs.rename(ROOT, "f", ROOT, "g").unwrap();
        assert_eq!(fs.lookup(ROOT, "g").unwrap(), f);
        assert_eq!(fs.getattr(g), Err(Errno::ENOENT));
        // Move a directory, parent pointer follows.
        let c = fs.mkdir(ROOT, "c", A).unwrap();
        fs.rename(a, "b", c, "b2").unwrap();
        assert_eq!(fs.lookup(c, "b2").unwrap(), b);
        assert_eq!(fs.rename(ROOT, "c", b, "x"), Err(Errno::EINVAL));
        // Replace an empty directory, refuse a non-empty one.
        fs.rename(ROOT, "a", ROOT, "c").unwrap_err();
        let e = fs.mkdir(ROOT, "e", A).unwrap();
        fs.rename(ROOT, "e", ROOT, "a").unwrap();
        assert_eq!(fs.lookup(ROOT, "a").unwrap(), e);
        // Same name is a no-op.
        fs.rename(ROOT, "g", ROOT, "g").unwrap();
        assert_eq!(fs.rename(ROOT, "nope", ROOT, "x"), Err(Errno::ENOENT));
    }
}
