//! The interface every mounted filesystem implements.
//!
//! Filesystems know nothing about processes or authority: the [`crate::Vfs`] resolves paths,
//! asks `swiftos-authority`, and then calls these primitive operations. Read-only filesystems
//! implement only the query methods; the mutating ones default to `EROFS`.

use alloc::string::String;
use alloc::vec::Vec;
use swiftos_abi::fcntl::{S_IFCHR, S_IFDIR, S_IFMT, S_IFREG};
use swiftos_abi::{Errno, DT_CHR, DT_DIR, DT_REG, DT_UNKNOWN};
use swiftos_authority::{Area, NodeAttrs};

/// Inode number within one filesystem.
pub type Ino = u64;

/// Devices served by the kernel or the VFS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeviceId {
    /// The serial console (`/dev/console`): the kernel serves reads (line discipline) and
    /// writes itself.
    Console,
    /// `/dev/null`: reads return end of file, writes are discarded (served by the VFS).
    Null,
}

impl DeviceId {
    /// The `st_rdev` value reported by `stat`.
    pub const fn rdev(self) -> i16 {
        match self {
            DeviceId::Console => 0x0501,
            DeviceId::Null => 0x0103,
        }
    }
}

/// Everything `stat` reports about a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeInfo {
    pub ino: Ino,
    /// Type (`S_IF*`) and permission bits.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Files: bytes. Directories: number of entries.
    pub size: u64,
    /// Seconds since the epoch.
    pub mtime: i64,
    pub nlink: u32,
    /// Set for device nodes.
    pub device: Option<DeviceId>,
}

impl NodeInfo {
    /// Is this a directory?
    pub const fn is_dir(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }
    /// Is this a regular file?
    pub const fn is_file(&self) -> bool {
        self.mode & S_IFMT == S_IFREG
    }
    /// The attributes authority decisions need.
    pub const fn attrs(&self) -> NodeAttrs {
        NodeAttrs {
            mode: self.mode,
            uid: self.uid,
            gid: self.gid,
        }
    }
    /// The `DT_*` type for `getdents`.
    pub const fn dirent_type(&self) -> u8 {
        match self.mode & S_IFMT {
            S_IFDIR => DT_DIR,
            S_IFREG => DT_REG,
            S_IFCHR => DT_CHR,
            _ => DT_UNKNOWN,
        }
    }
}

/// One directory entry as returned by [`FileSystem::readdir`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub name: String,
    pub ino: Ino,
    /// `DT_*` value.
    pub kind: u8,
}

/// A mountable filesystem. All calls get inode numbers previously returned by the same
/// filesystem; a stale number yields `ENOENT`.
pub trait FileSystem: Send {
    /// Which authority area this filesystem belongs to.
    fn area(&self) -> Area;
    /// The root directory's inode.
    fn root(&self) -> Ino;
    /// Find `name` in directory `dir` (`ENOENT`, `ENOTDIR`).
    fn lookup(&mut self, dir: Ino, name: &str) -> Result<Ino, Errno>;
    /// Attributes of `ino`.
    fn getattr(&mut self, ino: Ino) -> Result<NodeInfo, Errno>;
    /// Read file data at `offset` (0 at or past the end; `EISDIR` for directories).
    fn read(&mut self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize, Errno>;
    /// The `index`-th entry of directory `dir` (entries in a stable order, without `.` and
    /// `..`), or `None` past the end.
    fn readdir(&mut self, dir: Ino, index: u64) -> Result<Option<DirEntry>, Errno>;

    /// Read a whole file (the ELF loader's path). Filesystems with checksums verify them here.
    fn read_all(&mut self, ino: Ino, limit: u64) -> Result<Vec<u8>, Errno> {
        let info = self.getattr(ino)?;
        if info.is_dir() {
            return Err(Errno::EISDIR);
        }
        if info.size > limit {
            return Err(Errno::EFBIG);
        }
        let mut v = Vec::new();
        v.try_reserve_exact(info.size as usize)
            .map_err(|_| Errno::ENOMEM)?;
        v.resize(info.size as usize, 0);
        let mut done = 0;
        while done < v.len() {
            let n = self.read(ino, done as u64, &mut v[done..])?;
            if n == 0 {
                break;
            }
            done += n;
        }
        v.truncate(done);
        Ok(v)
    }

    /// Write file data at `offset`, extending the file as needed.
    fn write(&mut self, _ino: Ino, _offset: u64, _data: &[u8]) -> Result<usize, Errno> {
        Err(Errno::EROFS)
    }
    /// Set a file's length (zero-filling when growing).
    fn truncate(&mut self, _ino: Ino, _len: u64) -> Result<(), Errno> {
        Err(Errno::EROFS)
    }
    /// Create an empty regular file `name` in `dir` (`EEXIST` if present).
    fn create(&mut self, _dir: Ino, _name: &str, _attrs: NodeAttrs) -> Result<Ino, Errno> {
        Err(Errno::EROFS)
    }
    /// Create directory `name` in `dir`.
    fn mkdir(&mut self, _dir: Ino, _name: &str, _attrs: NodeAttrs) -> Result<Ino, Errno> {
        Err(Errno::EROFS)
    }
    /// Remove non-directory `name` from `dir`.
    fn unlink(&mut self, _dir: Ino, _name: &str) -> Result<(), Errno> {
        Err(Errno::EROFS)
    }
    /// Remove empty directory `name` from `dir` (`ENOTEMPTY`).
    fn rmdir(&mut self, _dir: Ino, _name: &str) -> Result<(), Errno> {
        Err(Errno::EROFS)
    }
    /// Move `old_dir/old_name` to `new_dir/new_name`, replacing a compatible target.
    fn rename(
        &mut self,
        _old_dir: Ino,
        _old_name: &str,
        _new_dir: Ino,
        _new_name: &str,
    ) -> Result<(), Errno> {
        Err(Errno::EROFS)
    }
    /// Change permission bits and/or owner.
    fn setattr(
        &mut self,
        _ino: Ino,
        _mode: Option<u32>,
        _uid: Option<u32>,
        _gid: Option<u32>,
    ) -> Result<(), Errno> {
        Err(Errno::EROFS)
    }
    /// Make every change durable (`fsync`); a no-op for filesystems without storage.
    fn sync(&mut self) -> Result<(), Errno> {
        Ok(())
    }
    /// An open handle now refers to `ino` (keeps unlinked files alive).
    fn retain(&mut self, _ino: Ino) {}
    /// A handle to `ino` was closed.
    fn release(&mut self, _ino: Ino) {}
}
