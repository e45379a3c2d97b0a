//! The kernel's file-system front: one global [`Vfs`] (swiftos-vfs: the packed base image
//! read-only at `/`, tmpfs at `/tmp`, devfs at `/dev`) and the per-process view ([`FsCtx`]).
//!
//! All access decisions happen inside the VFS via `swiftos_authority`; the console device is
//! served by the kernel itself (see `syscall`).

use crate::blk::Disk;
use crate::file::FileObj;
use crate::time;
use alloc::string::String;
use alloc::vec::Vec;
use spin::Mutex;
use swiftos_abi::{Errno, Rights, Stat};
use swiftos_authority::Subject;
use swiftos_packfs::Image;
use swiftos_vfs::{DeviceId, FsContext, Handle, Vfs, VfsOptions};

/// Who is resolving paths, and from where.
pub struct FsCtx {
    pub subject: Subject,
    pub root: String,
    pub cwd: String,
}

impl FsCtx {
    fn view(&self) -> FsContext<'_> {
        FsContext {
            cwd: &self.cwd,
            confine_root: &self.root,
            caps: self.subject.caps,
            uid: self.subject.uid,
            gid: self.subject.gid,
        }
    }
}

/// An open VFS file, directory or `/dev/null`.
pub type VfsFile = Handle;

static VFS: Mutex<Option<Vfs>> = Mutex::new(None);

fn wall_clock_secs() -> i64 {
    (time::realtime_ns() / 1_000_000_000) as i64
}

fn with<R>(f: impl FnOnce(&mut Vfs) -> Result<R, Errno>) -> Result<R, Errno> {
    let mut g = VFS.lock();
    let v = g.as_mut().ok_or(Errno::EIO)?;
    f(v)
}

/// Validate the base image on `disk` and mount it at `/` (with `/tmp` and `/dev`). On failure
/// the packfs error (what is wrong, and where) is returned for the boot log.
pub fn mount_base(disk: Disk) -> Result<(u32, u64), swiftos_packfs::Error> {
    let img = Image::open(disk)?;
    let n = img.inode_count();
    let size = img.header().image_size;
    // /tmp and whole-file reads live on the kernel heap: keep each to a quarter of it.
    let quarter = crate::mm::heap_size() / 4;
    let opts = VfsOptions {
        clock: wall_clock_secs,
        tmp_limit: quarter as usize,
        max_whole_file: quarter,
    };
    *VFS.lock() = Some(Vfs::with_options(img, opts));
    Ok((n, size))
}

/// Close a handle (last descriptor of an open file description gone).
pub fn close(h: Handle) {
    if let Some(v) = VFS.lock().as_mut() {
        v.close(h);
    }
}

/// `open`: the file object and the handle's rights.
pub fn open(ctx: &FsCtx, path: &str, flags: u32, mode: u32) -> Result<(FileObj, Rights), Errno> {
    let h = with(|v| v.open(&ctx.view(), path, flags, mode))?;
    let rights = h.rights();
    if h.device() == Some(DeviceId::Console) {
        close(h);
        return Ok((FileObj::Console, rights));
    }
    Ok((FileObj::Vfs(h), rights))
}

pub fn read(h: &mut Handle, buf: &mut [u8]) -> Result<usize, Errno> {
    with(|v| v.read(h, buf))
}

pub fn write(h: &mut Handle, data: &[u8]) -> Result<usize, Errno> {
    with(|v| v.write(h, data))
}

pub fn seek(h: &mut Handle, off: i64, whence: u32) -> Result<u64, Errno> {
    with(|v| v.seek(h, off, whence))
}

pub fn fstat(h: &Handle) -> Result<Stat, Errno> {
    with(|v| v.fstat(h))
}

pub fn truncate(h: &mut Handle, len: u64) -> Result<(), Errno> {
    with(|v| v.ftruncate(h, len))
}

pub fn getdents(h: &mut Handle, buf: &mut [u8]) -> Result<usize, Errno> {
    with(|v| v.getdents(h, buf))
}

pub fn stat(ctx: &FsCtx, path: &str) -> Result<Stat, Errno> {
    with(|v| v.stat(&ctx.view(), path))
}

pub fn unlink(ctx: &FsCtx, path: &str) -> Result<(), Errno> {
    with(|v| v.unlink(&ctx.view(), path))
}

pub fn rmdir(ctx: &FsCtx, path: &str) -> Result<(), Errno> {
    with(|v| v.rmdir(&ctx.view(), path))
}

pub fn mkdir(ctx: &FsCtx, path: &str, mode: u32) -> Result<(), Errno> {
    with(|v| v.mkdir(&ctx.view(), path, mode))
}

pub fn rename(ctx: &FsCtx, from: &str, to: &str) -> Result<(), Errno> {
    with(|v| v.rename(&ctx.view(), from, to))
}

pub fn chmod(ctx: &FsCtx, path: &str, mode: u32) -> Result<(), Errno> {
    with(|v| v.chmod(&ctx.view(), path, mode))
}

pub fn chown(ctx: &FsCtx, path: &str, uid: u32, gid: u32) -> Result<(), Errno> {
    with(|v| v.chown(&ctx.view(), path, uid, gid))
}

/// Resolve a directory for `chdir`/`confine`: its normalised absolute path.
pub fn resolve_dir(ctx: &FsCtx, path: &str) -> Result<String, Errno> {
    with(|v| v.resolve_dir(&ctx.view(), path))
}

/// Read a whole executable after the exec permission check.
pub fn read_exec(ctx: &FsCtx, path: &str) -> Result<Vec<u8>, Errno> {
    with(|v| v.read_executable(&ctx.view(), path))
}
