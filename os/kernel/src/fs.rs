//! The kernel's file-system front: one global [`Vfs`] (swiftos-vfs: the packed base image
//! read-only at `/`, tmpfs at `/tmp`, devfs at `/dev`, the package store at `/pkg` and its
//! read-only overlay at `/usr`) and the per-process view ([`FsCtx`]).
//!
//! All access decisions happen inside the VFS via `swiftos_authority`; the console device is
//! served by the kernel itself (see `file::open`).

use crate::drivers::blk::Disk;
use crate::time;
use alloc::string::String;
use alloc::vec::Vec;
use spin::Mutex;
use swiftos_abi::{Errno, Stat};
use swiftos_authority::Subject;
use swiftos_packfs::Image;
use swiftos_storefs::{BlockDev, Store};
use swiftos_vfs::storemount::{self, SharedStore};
use swiftos_vfs::{DeviceId, FsContext, Handle, OverlayFs, StoreFs, Vfs, VfsOptions};

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
/// The package store shared by `/pkg`, `/usr` and `set_overlay`.
static STORE: Mutex<Option<SharedStore>> = Mutex::new(None);

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

/// `open`: a VFS handle (its rights are `h.rights()`); see [`is_console`].
pub fn open(ctx: &FsCtx, path: &str, flags: u32, mode: u32) -> Result<Handle, Errno> {
    with(|v| v.open(&ctx.view(), path, flags, mode))
}

/// Whether `h` is `/dev/console`, which the kernel serves itself rather than the VFS.
pub fn is_console(h: &Handle) -> bool {
    h.device() == Some(DeviceId::Console)
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

fn store_log(msg: &str) {
    kprintln!("kernel: {msg}");
}

fn mib_tenths(bytes: u64) -> (u64, u64) {
    let t = bytes * 10 / (1 << 20);
    (t / 10, t % 10)
}

/// Mount the package store on `disk` at `/pkg` and its overlay at `/usr`; a blank disk is
/// formatted. Returns the boot log lines (without the `kernel: ` prefix).
pub fn mount_store(mut disk: Disk) -> Vec<String> {
    let mut lines = Vec::new();
    let size_mib = (disk.sector_count() * 512) >> 20;
    let blank = swiftos_storefs::is_blank(&mut disk);
    let dev: alloc::boxed::Box<dyn BlockDev + Send> = alloc::boxed::Box::new(disk);
    let store = if blank == Ok(true) {
        match Store::format(dev, wall_clock_secs()) {
            Ok(store) => {
                lines.push(alloc::format!(
                    "package store: formatted blank disk ({size_mib} MiB)"
                ));
                store
            }
            Err(e) => {
                lines.push(alloc::format!(
                    "package store: cannot format the blank disk: {e}; /pkg unavailable"
                ));
                return lines;
            }
        }
    } else {
        match Store::mount(dev) {
            Ok((store, rep)) => {
                if let Some((slot, seq, why)) = rep.other_damaged {
                    let seq = seq.map_or(String::new(), |s| alloc::format!(" (seq {s})"));
                    let older = if rep.fell_back() { "" } else { "older " };
                    lines.push(alloc::format!(
                        "package store: {older}superblock slot {slot}{seq} damaged: {why}; using slot {} (seq {})",
                        rep.slot, rep.seq
                    ));
                }
                store
            }
            Err(e) => {
                lines.push(alloc::format!(
                    "package store: cannot mount: {e}; /pkg unavailable"
                ));
                return lines;
            }
        }
    };
    install_store(store, &mut lines);
    lines
}

fn install_store(store: Store<alloc::boxed::Box<dyn BlockDev + Send>>, lines: &mut Vec<String>) {
    let u = store.usage();
    let (mi, mf) = mib_tenths(u.used_blocks * 4096);
    lines.push(alloc::format!(
        "package store: {} MiB, generation seq {}, {mi}.{mf} MiB used; mounted at /pkg, overlay at /usr",
        (u.block_count * 4096) >> 20,
        u.seq
    ));
    let shared = storemount::share(store, "/pkg", wall_clock_secs, store_log);
    let mut g = VFS.lock();
    let Some(v) = g.as_mut() else {
        return;
    };
    if let Err(e) = v.mount("/pkg", alloc::boxed::Box::new(StoreFs::new(shared.clone()))) {
        lines.push(alloc::format!("package store: cannot mount at /pkg: {e:?}"));
        return;
    }
    if let Err(e) = v.mount(
        "/usr",
        alloc::boxed::Box::new(OverlayFs::new(shared.clone())),
    ) {
        lines.push(alloc::format!(
            "package store: cannot mount the overlay at /usr: {e:?}"
        ));
    }
    *STORE.lock() = Some(shared);
}

/// `fsync`.
pub fn fsync(h: &Handle) -> Result<(), Errno> {
    with(|v| v.fsync(h))
}

/// `set_overlay`: `text` is newline-separated absolute paths.
pub fn set_overlay(ctx: &FsCtx, text: &str) -> Result<(), Errno> {
    let shared = STORE.lock().clone();
    let Some(shared) = shared else {
        return if ctx.subject.caps.contains(swiftos_abi::Caps::PKG_ADMIN) {
            Err(Errno::ENODEV)
        } else {
            Err(Errno::EPERM)
        };
    };
    let paths: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    with(|v| storemount::set_overlay(v, &shared, &ctx.view(), &paths))
}

/// `get_overlay`: the layers, one per line (empty without a store).
pub fn get_overlay() -> String {
    match STORE.lock().clone() {
        Some(s) => storemount::get_overlay(&s),
        None => String::new(),
    }
}

/// Commit the package store (before power off / reboot).
pub fn sync_store() {
    let shared = STORE.lock().clone();
    if let Some(shared) = shared {
        let mut s = shared.lock();
        if s.store.is_dirty() {
            if let Err(e) = s.store.commit() {
                kprintln!("kernel: package store: final commit failed: {e}");
            }
        }
    }
}
