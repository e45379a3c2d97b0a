//! The mount table and every filesystem system call, with authority checks.

use crate::devfs::DevFs;
use crate::fs::{DeviceId, FileSystem, Ino, NodeInfo};
use crate::handle::{Handle, Target};
use crate::packmount::PackFs;
use crate::path::{normalize, NormPath};
use crate::tmpfs::TmpFs;
use crate::FsContext;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use swiftos_abi::fcntl::{
    O_ACCMODE, O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_TRUNC, SEEK_CUR, SEEK_END, SEEK_SET,
};
use swiftos_abi::{DirentHeader, Errno, Stat, Timespec, DT_DIR};
use swiftos_authority as auth;
use swiftos_authority::{Area, NodeAttrs};
use swiftos_packfs::{BlockDevice, Image};

/// Tunables of a [`Vfs`].
#[derive(Clone, Copy, Debug)]
pub struct VfsOptions {
    /// Byte budget of `/tmp` (contents plus a per-node charge).
    pub tmp_limit: usize,
    /// Current time in seconds since the epoch (for `/tmp` mtimes).
    pub clock: fn() -> i64,
    /// Largest file [`Vfs::read_whole_file`] / [`Vfs::read_executable`] will return.
    pub max_whole_file: u64,
}

fn zero_clock() -> i64 {
    0
}

impl Default for VfsOptions {
    fn default() -> Self {
        VfsOptions {
            tmp_limit: 64 << 20,
            clock: zero_clock,
            max_whole_file: 64 << 20,
        }
    }
}

struct Mount {
    /// Normalised absolute mount point.
    path: String,
    fs: Box<dyn FileSystem>,
}

/// The virtual filesystem: a mount table plus the filesystem system calls.
///
/// Every path-taking call gets the caller's [`FsContext`]; every permission decision is made by
/// `swiftos-authority`. Errors are the ABI's [`Errno`].
pub struct Vfs {
    mounts: Vec<Mount>,
    opts: VfsOptions,
}

/// Write one `getdents` record into `buf` at `at`; `None` if it does not fit.
fn put_dirent(buf: &mut [u8], at: usize, ino: u64, kind: u8, name: &[u8]) -> Option<usize> {
    let hdr = core::mem::size_of::<DirentHeader>();
    let namelen = name.len().min(255);
    let reclen = (hdr + namelen).div_ceil(8) * 8;
    let end = at.checked_add(reclen)?;
    if end > buf.len() {
        return None;
    }
    let rec = &mut buf[at..end];
    rec.fill(0);
    rec[0..8].copy_from_slice(&ino.to_le_bytes());
    rec[8..10].copy_from_slice(&(reclen as u16).to_le_bytes());
    rec[10] = kind;
    rec[11] = namelen as u8;
    rec[hdr..hdr + namelen].copy_from_slice(&name[..namelen]);
    Some(reclen)
}

fn to_stat(mount: usize, info: &NodeInfo) -> Stat {
    let t = Timespec {
        tv_sec: info.mtime,
        tv_nsec: 0,
    };
    Stat {
        st_dev: (mount + 1) as i16,
        st_ino: info.ino as u16,
        st_mode: info.mode,
        st_nlink: info.nlink.min(u32::from(u16::MAX)) as u16,
        st_uid: info.uid as u16,
        st_gid: info.gid as u16,
        st_rdev: info.device.map_or(0, DeviceId::rdev),
        st_size: info.size as i64,
        st_atim: t,
        st_mtim: t,
        st_ctim: t,
        st_blksize: 512,
        st_blocks: info.size.div_ceil(512) as i64,
        st_spare4: [0; 2],
    }
}

impl Vfs {
    /// The standard mount table: `base` read-only at `/`, an empty tmpfs at `/tmp`, the device
    /// directory at `/dev`, default options.
    pub fn new<B: BlockDevice + Send + 'static>(base: Image<B>) -> Vfs {
        Vfs::with_options(base, VfsOptions::default())
    }

    /// Like [`Vfs::new`] with explicit options.
    pub fn with_options<B: BlockDevice + Send + 'static>(base: Image<B>, opts: VfsOptions) -> Vfs {
        Vfs::with_root(Box::new(PackFs::new(base)), opts)
    }

    /// `root` at `/`, plus `/tmp` and `/dev` (e.g. an empty tmpfs root when the base image
    /// failed to open and the kernel wants to keep going).
    pub fn with_root(root: Box<dyn FileSystem>, opts: VfsOptions) -> Vfs {
        let mut v = Vfs {
            mounts: Vec::new(),
            opts,
        };
        v.mounts.push(Mount {
            path: String::from("/"),
            fs: root,
        });
        v.mounts.push(Mount {
            path: String::from("/tmp"),
            fs: Box::new(TmpFs::new(opts.tmp_limit, opts.clock)),
        });
        v.mounts.push(Mount {
            path: String::from("/dev"),
            fs: Box::new(DevFs),
        });
        v
    }

    /// Mount `fs` at absolute path `at` (e.g. the package store at `/pkg`). Paths at or below
    /// `at` then resolve inside `fs`. `EBUSY` if something is already mounted there, `EINVAL`
    /// for a path that is not absolute and normalised.
    ///
    /// Resolution is by path prefix, so the mount works even if `at` does not exist in the
    /// parent filesystem; but directory listings come from the parent, so create the mount point
    /// there (e.g. `swiftos-image build --mkdir /pkg`) for it to show up in `ls` and for its
    /// ancestors to be `stat`able.
    pub fn mount(&mut self, at: &str, fs: Box<dyn FileSystem>) -> Result<(), Errno> {
        let ctx = FsContext::kernel();
        let np = normalize(&ctx, at)?;
        if np.path != at {
            return Err(Errno::EINVAL);
        }
        if self.mounts.iter().any(|m| m.path == at) {
            return Err(Errno::EBUSY);
        }
        self.mounts.push(Mount { path: np.path, fs });
        Ok(())
    }

    /// The mount points, in mount order.
    pub fn mount_points(&self) -> impl Iterator<Item = &str> {
        self.mounts.iter().map(|m| m.path.as_str())
    }

    /// Longest mount point containing `path`, and the rest of the path inside it.
    fn mount_for<'p>(&self, path: &'p str) -> (usize, &'p str) {
        let mut best = 0;
        let mut best_len = 0;
        for (i, m) in self.mounts.iter().enumerate() {
            if auth::is_within(&m.path, path) && m.path.len() >= best_len {
                best = i;
                best_len = m.path.len();
            }
        }
        let rest = if best_len <= 1 {
            path
        } else {
            &path[best_len..]
        };
        (best, rest)
    }

    fn is_mount_point(&self, path: &str) -> bool {
        self.mounts.iter().any(|m| m.path == path)
    }

    fn area(&self, mount: usize) -> Area {
        self.mounts[mount].fs.area()
    }

    /// Resolve a normalised path to `(mount, inode, attributes)`, checking search permission on
    /// every directory passed through.
    fn walk(
        &mut self,
        ctx: &FsContext<'_>,
        np: &NormPath,
    ) -> Result<(usize, Ino, NodeInfo), Errno> {
        let subject = ctx.subject();
        let (m, rest) = self.mount_for(&np.path);
        let fs = &mut self.mounts[m].fs;
        let mut ino = fs.root();
        let mut info = fs.getattr(ino)?;
        for comp in rest.split('/').filter(|c| !c.is_empty()) {
            if !info.is_dir() {
                return Err(Errno::ENOTDIR);
            }
            auth::check_fs_search(&subject, &info.attrs())?;
            ino = fs.lookup(ino, comp)?;
            info = fs.getattr(ino)?;
        }
        if np.must_be_dir && !info.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        Ok((m, ino, info))
    }

    /// Resolve the parent directory of `np` for a create/remove: `(mount, dir, dir attrs, name)`.
    /// `EBUSY` for `/` and mount points.
    fn walk_parent<'n>(
        &mut self,
        ctx: &FsContext<'_>,
        np: &'n NormPath,
    ) -> Result<(usize, Ino, NodeInfo, &'n str), Errno> {
        if self.is_mount_point(&np.path) {
            return Err(Errno::EBUSY);
        }
        let (parent, name) = np.split_last().ok_or(Errno::EBUSY)?;
        let pp = NormPath {
            path: String::from(parent),
            must_be_dir: true,
        };
        let (m, dir, info) = self.walk(ctx, &pp)?;
        auth::check_fs_search(&ctx.subject(), &info.attrs())?;
        Ok((m, dir, info, name))
    }

    /// `open(path, flags, mode)`. With `O_CREAT` a missing file is created with permission bits
    /// `mode & 0o7777`, owned by the caller. Device nodes yield device handles
    /// ([`Handle::device`]).
    pub fn open(
        &mut self,
        ctx: &FsContext<'_>,
        path: &str,
        flags: u32,
        mode: u32,
    ) -> Result<Handle, Errno> {
        let subject = ctx.subject();
        if flags & O_ACCMODE == O_ACCMODE {
            return Err(Errno::EINVAL);
        }
        let np = normalize(ctx, path)?;
        let found = match self.walk(ctx, &np) {
            Ok(x) => Some(x),
            Err(Errno::ENOENT) if flags & O_CREAT != 0 => None,
            Err(e) => return Err(e),
        };
        let (m, ino, info, created) = match found {
            Some((m, ino, info)) => {
                if flags & O_CREAT != 0 && flags & O_EXCL != 0 {
                    return Err(Errno::EEXIST);
                }
                if flags & O_DIRECTORY != 0 && !info.is_dir() {
                    return Err(Errno::ENOTDIR);
                }
                auth::check_fs_open(&subject, self.area(m), &info.attrs(), flags)?;
                (m, ino, info, false)
            }
            None => {
                if np.must_be_dir || flags & O_DIRECTORY != 0 {
                    return Err(Errno::EISDIR);
                }
                let (m, dir, dinfo, name) = self.walk_parent(ctx, &np)?;
                auth::check_fs_create(&subject, self.area(m), &dinfo.attrs())?;
                let attrs = NodeAttrs {
                    mode: mode & 0o7777,
                    uid: ctx.uid,
                    gid: ctx.gid,
                };
                let fs = &mut self.mounts[m].fs;
                let ino = fs.create(dir, name, attrs)?;
                let info = fs.getattr(ino)?;
                (m, ino, info, true)
            }
        };
        if let Some(dev) = info.device {
            return Ok(Handle {
                target: Target::Device { dev, mount: m, ino },
                rights: auth::rights_for_open(flags, false)?,
                flags,
                offset: 0,
            });
        }
        let fs = &mut self.mounts[m].fs;
        if flags & O_TRUNC != 0 && !created && info.is_file() && info.size != 0 {
            fs.truncate(ino, 0)?;
        }
        let rights = auth::rights_for_open(flags, true)?;
        fs.retain(ino);
        Ok(Handle {
            target: Target::Node {
                mount: m,
                ino,
                dir: info.is_dir(),
            },
            rights,
            flags,
            offset: 0,
        })
    }

    /// Close a handle (`close` of the last descriptor sharing it).
    pub fn close(&mut self, handle: Handle) {
        if let Target::Node { mount, ino, .. } = handle.target {
            if let Some(m) = self.mounts.get_mut(mount) {
                m.fs.release(ino);
            }
        }
    }

    /// An independent copy of `handle` (same object, rights, flags and current offset).
    pub fn dup(&mut self, handle: &Handle) -> Handle {
        if let Target::Node { mount, ino, .. } = handle.target {
            if let Some(m) = self.mounts.get_mut(mount) {
                m.fs.retain(ino);
            }
        }
        Handle {
            target: handle.target,
            rights: handle.rights,
            flags: handle.flags,
            offset: handle.offset,
        }
    }

    /// `read`: from the handle's offset, advancing it. `/dev/null` reads end of file; console
    /// handles answer `ENODEV` (the kernel serves them).
    pub fn read(&mut self, h: &mut Handle, buf: &mut [u8]) -> Result<usize, Errno> {
        auth::check_read(h.rights)?;
        match h.target {
            Target::Device {
                dev: DeviceId::Null,
                ..
            } => Ok(0),
            Target::Device {
                dev: DeviceId::Console,
                ..
            } => Err(Errno::ENODEV),
            Target::Node { dir: true, .. } => Err(Errno::EISDIR),
            Target::Node { mount, ino, .. } => {
                let n = self.mounts[mount].fs.read(ino, h.offset, buf)?;
                h.offset += n as u64;
                Ok(n)
            }
        }
    }

    /// `write`: at the handle's offset (or the end with `O_APPEND`), advancing it. `/dev/null`
    /// swallows everything; console handles answer `ENODEV` (the kernel serves them).
    pub fn write(&mut self, h: &mut Handle, data: &[u8]) -> Result<usize, Errno> {
        auth::check_write(h.rights)?;
        match h.target {
            Target::Device {
                dev: DeviceId::Null,
                ..
            } => Ok(data.len()),
            Target::Device {
                dev: DeviceId::Console,
                ..
            } => Err(Errno::ENODEV),
            Target::Node { dir: true, .. } => Err(Errno::EISDIR),
            Target::Node { mount, ino, .. } => {
                let fs = &mut self.mounts[mount].fs;
                if h.flags & O_APPEND != 0 {
                    h.offset = fs.getattr(ino)?.size;
                }
                let n = fs.write(ino, h.offset, data)?;
                h.offset += n as u64;
                Ok(n)
            }
        }
    }

    /// `lseek(offset, whence)`; returns the new offset. Directories may only be rewound or
    /// positioned at an entry index.
    pub fn seek(&mut self, h: &mut Handle, offset: i64, whence: u32) -> Result<u64, Errno> {
        auth::check_seek(h.rights)?;
        let base: i128 = match whence {
            SEEK_SET => 0,
            SEEK_CUR => i128::from(h.offset),
            SEEK_END => match h.target {
                Target::Node { mount, ino, .. } => {
                    i128::from(self.mounts[mount].fs.getattr(ino)?.size)
                }
                Target::Device { .. } => 0,
            },
            _ => return Err(Errno::EINVAL),
        };
        let new = base + i128::from(offset);
        if new < 0 || new > i128::from(i64::MAX) {
            return Err(Errno::EINVAL);
        }
        h.offset = new as u64;
        Ok(h.offset)
    }

    /// `fstat`.
    pub fn fstat(&mut self, h: &Handle) -> Result<Stat, Errno> {
        auth::check_stat(h.rights)?;
        let (mount, ino) = match h.target {
            Target::Node { mount, ino, .. } | Target::Device { mount, ino, .. } => (mount, ino),
        };
        let info = self.mounts[mount].fs.getattr(ino)?;
        Ok(to_stat(mount, &info))
    }

    /// `ftruncate`.
    pub fn ftruncate(&mut self, h: &mut Handle, len: u64) -> Result<(), Errno> {
        auth::check_write(h.rights)?;
        match h.target {
            Target::Node { dir: true, .. } => Err(Errno::EISDIR),
            Target::Node { mount, ino, .. } => self.mounts[mount].fs.truncate(ino, len),
            Target::Device { .. } => Err(Errno::EINVAL),
        }
    }

    /// `getdents`: fill `buf` with packed [`DirentHeader`] records (name bytes follow each
    /// header, records padded to 8 bytes), starting with `.` and `..`. Returns the bytes used,
    /// 0 at the end; `EINVAL` if not even one record fits.
    pub fn getdents(&mut self, h: &mut Handle, buf: &mut [u8]) -> Result<usize, Errno> {
        auth::check_read(h.rights)?;
        let (mount, dir) = match h.target {
            Target::Node {
                mount,
                ino,
                dir: true,
            } => (mount, ino),
            _ => return Err(Errno::ENOTDIR),
        };
        let fs = &mut self.mounts[mount].fs;
        let mut used = 0;
        loop {
            let (ino, kind, name): (u64, u8, String) = match h.offset {
                0 => (dir, DT_DIR, String::from(".")),
                1 => (dir, DT_DIR, String::from("..")),
                k => match fs.readdir(dir, k - 2)? {
                    Some(e) => (e.ino, e.kind, e.name),
                    None => break,
                },
            };
            match put_dirent(buf, used, ino, kind, name.as_bytes()) {
                Some(n) => {
                    used += n;
                    h.offset += 1;
                }
                None if used == 0 => return Err(Errno::EINVAL),
                None => break,
            }
        }
        Ok(used)
    }

    /// `stat(path)`.
    pub fn stat(&mut self, ctx: &FsContext<'_>, path: &str) -> Result<Stat, Errno> {
        let np = normalize(ctx, path)?;
        let (m, _, info) = self.walk(ctx, &np)?;
        auth::check_fs_stat(&ctx.subject(), self.area(m))?;
        Ok(to_stat(m, &info))
    }

    /// `mkdir(path, mode)`: a new directory owned by the caller.
    pub fn mkdir(&mut self, ctx: &FsContext<'_>, path: &str, mode: u32) -> Result<(), Errno> {
        let np = normalize(ctx, path)?;
        if np.path == "/" || self.is_mount_point(&np.path) {
            return Err(Errno::EEXIST);
        }
        let (m, dir, dinfo, name) = self.walk_parent(ctx, &np)?;
        let fs = &mut self.mounts[m].fs;
        match fs.lookup(dir, name) {
            Ok(_) => return Err(Errno::EEXIST),
            Err(Errno::ENOENT) => {}
            Err(e) => return Err(e),
        }
        auth::check_fs_create(&ctx.subject(), fs.area(), &dinfo.attrs())?;
        let attrs = NodeAttrs {
            mode: mode & 0o7777,
            uid: ctx.uid,
            gid: ctx.gid,
        };
        fs.mkdir(dir, name, attrs).map(|_| ())
    }

    /// `rmdir(path)`: remove an empty directory.
    pub fn rmdir(&mut self, ctx: &FsContext<'_>, path: &str) -> Result<(), Errno> {
        let np = normalize(ctx, path)?;
        let (m, dir, dinfo, name) = self.walk_parent(ctx, &np)?;
        let fs = &mut self.mounts[m].fs;
        let victim = fs.lookup(dir, name)?;
        let vinfo = fs.getattr(victim)?;
        if !vinfo.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        auth::check_fs_remove(&ctx.subject(), fs.area(), &dinfo.attrs(), &vinfo.attrs())?;
        fs.rmdir(dir, name)
    }

    /// `unlink(path)`: remove a non-directory.
    pub fn unlink(&mut self, ctx: &FsContext<'_>, path: &str) -> Result<(), Errno> {
        let np = normalize(ctx, path)?;
        let (m, dir, dinfo, name) = self.walk_parent(ctx, &np)?;
        let fs = &mut self.mounts[m].fs;
        let victim = fs.lookup(dir, name)?;
        let vinfo = fs.getattr(victim)?;
        if vinfo.is_dir() {
            return Err(Errno::EISDIR);
        }
        if np.must_be_dir {
            return Err(Errno::ENOTDIR);
        }
        auth::check_fs_remove(&ctx.subject(), fs.area(), &dinfo.attrs(), &vinfo.attrs())?;
        fs.unlink(dir, name)
    }

    /// `rename(old, new)`: within one filesystem (`EXDEV` across mounts); replaces a compatible
    /// existing target.
    pub fn rename(&mut self, ctx: &FsContext<'_>, old: &str, new: &str) -> Result<(), Errno> {
        let subject = ctx.subject();
        let onp = normalize(ctx, old)?;
        let nnp = normalize(ctx, new)?;
        let (om, odir, oinfo, oname) = self.walk_parent(ctx, &onp)?;
        let (nm, ndir, ninfo, nname) = self.walk_parent(ctx, &nnp)?;
        let fs = &mut self.mounts[om].fs;
        let src = fs.lookup(odir, oname)?;
        let sinfo = fs.getattr(src)?;
        if (onp.must_be_dir || nnp.must_be_dir) && !sinfo.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        if om != nm {
            return Err(Errno::EXDEV);
        }
        let replaced = match fs.lookup(ndir, nname) {
            Ok(t) => Some(fs.getattr(t)?.attrs()),
            Err(Errno::ENOENT) => None,
            Err(e) => return Err(e),
        };
        auth::check_fs_rename(
            &subject,
            fs.area(),
            &oinfo.attrs(),
            &sinfo.attrs(),
            &ninfo.attrs(),
            replaced.as_ref(),
        )?;
        fs.rename(odir, oname, ndir, nname)
    }

    /// `chmod(path, mode)`: set the permission bits (`mode & 0o7777`).
    pub fn chmod(&mut self, ctx: &FsContext<'_>, path: &str, mode: u32) -> Result<(), Errno> {
        let np = normalize(ctx, path)?;
        let (m, ino, info) = self.walk(ctx, &np)?;
        let fs = &mut self.mounts[m].fs;
        auth::check_fs_chmod(&ctx.subject(), fs.area(), &info.attrs())?;
        fs.setattr(ino, Some(mode & 0o7777), None, None)
    }

    /// `chown(path, uid, gid)`; `u32::MAX` leaves that id unchanged (POSIX `-1`).
    pub fn chown(
        &mut self,
        ctx: &FsContext<'_>,
        path: &str,
        uid: u32,
        gid: u32,
    ) -> Result<(), Errno> {
        let np = normalize(ctx, path)?;
        let (m, ino, info) = self.walk(ctx, &np)?;
        let fs = &mut self.mounts[m].fs;
        auth::check_fs_chown(&ctx.subject(), fs.area(), &info.attrs())?;
        let opt = |v: u32| (v != u32::MAX).then_some(v);
        fs.setattr(ino, None, opt(uid), opt(gid))
    }

    /// Resolve `path` to a directory the caller may enter, returning its normalised absolute
    /// path (for `chdir` and `confine`). `ENOTDIR` for files.
    pub fn resolve_dir(&mut self, ctx: &FsContext<'_>, path: &str) -> Result<String, Errno> {
        let np = normalize(ctx, path)?;
        let (m, _, info) = self.walk(ctx, &np)?;
        if !info.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        let subject = ctx.subject();
        auth::check_fs_stat(&subject, self.area(m))?;
        auth::check_fs_search(&subject, &info.attrs())?;
        Ok(np.path)
    }

    /// `fsync(handle)`: make the handle's filesystem durable (a commit on the package store).
    pub fn fsync(&mut self, h: &Handle) -> Result<(), Errno> {
        match h.target {
            Target::Node { mount, .. } => self.mounts[mount].fs.sync(),
            Target::Device { .. } => Ok(()),
        }
    }

    /// Resolve `path` (search permission on the way, `capFsRead` where the area needs it) to
    /// its mount's authority area, inode and attributes.
    pub fn resolve_node(
        &mut self,
        ctx: &FsContext<'_>,
        path: &str,
    ) -> Result<(Area, Ino, NodeInfo), Errno> {
        let np = normalize(ctx, path)?;
        let (m, ino, info) = self.walk(ctx, &np)?;
        let area = self.area(m);
        auth::check_fs_stat(&ctx.subject(), area)?;
        Ok((area, ino, info))
    }

    /// Read a whole regular file the caller may read. Files of the base image are checked
    /// against their recorded SHA-256 (`EIO` on mismatch).
    pub fn read_whole_file(&mut self, ctx: &FsContext<'_>, path: &str) -> Result<Vec<u8>, Errno> {
        let np = normalize(ctx, path)?;
        let (m, ino, info) = self.walk(ctx, &np)?;
        if info.is_dir() {
            return Err(Errno::EISDIR);
        }
        if info.device.is_some() {
            return Err(Errno::EINVAL);
        }
        let fs = &mut self.mounts[m].fs;
        auth::check_fs_read(&ctx.subject(), fs.area(), &info.attrs())?;
        fs.read_all(ino, self.opts.max_whole_file)
    }

    /// Read a program for `spawn`/`exec`: like [`Vfs::read_whole_file`] but also requires an
    /// execute permission bit (`EACCES`).
    pub fn read_executable(&mut self, ctx: &FsContext<'_>, path: &str) -> Result<Vec<u8>, Errno> {
        let np = normalize(ctx, path)?;
        let (m, ino, info) = self.walk(ctx, &np)?;
        if info.device.is_some() || !info.is_file() {
            return Err(Errno::EACCES);
        }
        let fs = &mut self.mounts[m].fs;
        auth::check_fs_exec(&ctx.subject(), fs.area(), &info.attrs())?;
        fs.read_all(ino, self.opts.max_whole_file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirent_records_are_padded_and_bounded() {
        let mut buf = [0xffu8; 40];
        assert_eq!(put_dirent(&mut buf, 0, 7, DT_DIR, b"abc"), Some(24));
        assert_eq!(&buf[0..8], &7u64.to_le_bytes());
        assert_eq!(u16::from_le_bytes([buf[8], buf[9]]), 24);
        assert_eq!((buf[10], buf[11]), (DT_DIR, 3));
        assert_eq!(&buf[16..19], b"abc");
        assert!(buf[19..24].iter().all(|&b| b == 0));
        assert_eq!(put_dirent(&mut buf, 24, 1, DT_DIR, b"x"), None);
        assert_eq!(put_dirent(&mut buf, 16, 1, DT_DIR, b"12345678"), Some(24));
    }
}
