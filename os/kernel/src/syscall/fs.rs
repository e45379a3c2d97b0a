//! Files and directories by path and by descriptor: `open`, `lseek`, `fstat`, `stat`,
//! `unlink`, `rename`, `mkdir`, `rmdir`, `getdents`, `chdir`, `getcwd`, `chmod`, `chown`,
//! `ftruncate`, `fsync`, and the package overlay (`set_overlay`, `get_overlay`).

use super::{ok, Args, Handler, SysResult, IO_CHUNK};
use crate::file::{self, Fd, FileObj};
use crate::fs as kfs;
use crate::proc::Kernel;
use alloc::string::String;
use alloc::vec;
use swiftos_abi::fcntl::*;
use swiftos_abi::{nr, Errno, Stat};
use swiftos_authority as auth;

pub(super) fn handler(nr: usize) -> Option<Handler> {
    let h: Handler = match nr {
        nr::OPEN => open,
        nr::LSEEK => lseek,
        nr::FSTAT => fstat,
        nr::STAT => stat,
        nr::UNLINK => unlink,
        nr::RENAME => rename,
        nr::MKDIR => mkdir,
        nr::RMDIR => rmdir,
        nr::GETDENTS => getdents,
        nr::CHDIR => chdir,
        nr::GETCWD => getcwd,
        nr::CHMOD => chmod,
        nr::CHOWN => chown,
        nr::FTRUNCATE => ftruncate,
        nr::FSYNC => fsync,
        nr::SET_OVERLAY => set_overlay,
        nr::GET_OVERLAY => get_overlay,
        _ => return None,
    };
    Some(h)
}

/// `open(path, len, flags, mode)`.
fn open(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let path = a.path(0)?;
    let flags = a.u32(2);
    let (obj, rights) = file::open(&a.ctx(), &path, flags, a.u32(3))?;
    let fd = a.me.alloc_fd(0).ok_or(Errno::EMFILE)?;
    a.me.set_fd(
        fd,
        Some(Fd {
            file: file::new_file(obj, flags),
            rights,
            cloexec: flags & O_CLOEXEC != 0,
        }),
    );
    Ok(ok(fd))
}

/// `lseek(fd, offset, whence)`.
fn lseek(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let f = a.fd(0)?;
    let mut of = f.file.lock();
    match &mut of.obj {
        FileObj::Vfs(h) => {
            auth::check_seek(f.rights)?;
            Ok(ok(kfs::seek(h, a.i64(1), a.u32(2))? as usize))
        }
        _ => Err(Errno::ESPIPE),
    }
}

/// `fstat(fd, stat_out)`.
fn fstat(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let f = a.fd(0)?;
    auth::check_stat(f.rights)?;
    let st = match &f.file.lock().obj {
        FileObj::Console => dev_stat(S_IFCHR | 0o620, 1),
        FileObj::Null => dev_stat(S_IFCHR | 0o666, 2),
        FileObj::PipeRead(_) | FileObj::PipeWrite(_) => dev_stat(S_IFIFO | 0o600, 0),
        FileObj::Vfs(h) => kfs::fstat(h)?,
        FileObj::Socket(_) => dev_stat(S_IFSOCK | 0o600, 0),
    };
    a.write(1, &st)?;
    Ok(ok(0))
}

/// The `stat` of a device the kernel serves itself.
fn dev_stat(mode: u32, ino: u16) -> Stat {
    Stat {
        st_dev: 2,
        st_ino: ino,
        st_mode: mode,
        st_nlink: 1,
        st_blksize: 4096,
        ..Stat::default()
    }
}

/// `stat(path, len, stat_out)`.
fn stat(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let path = a.path(0)?;
    let st = kfs::stat(&a.ctx(), &path)?;
    a.write(2, &st)?;
    Ok(ok(0))
}

/// `unlink(path, len)`.
fn unlink(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let p = a.path(0)?;
    kfs::unlink(&a.ctx(), &p)?;
    Ok(ok(0))
}

/// `rename(from, len, to, len)`.
fn rename(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let p = a.path(0)?;
    let q = a.path(2)?;
    kfs::rename(&a.ctx(), &p, &q)?;
    Ok(ok(0))
}

/// `mkdir(path, len, mode)`.
fn mkdir(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let p = a.path(0)?;
    kfs::mkdir(&a.ctx(), &p, a.u32(2))?;
    Ok(ok(0))
}

/// `rmdir(path, len)`.
fn rmdir(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let p = a.path(0)?;
    kfs::rmdir(&a.ctx(), &p)?;
    Ok(ok(0))
}

/// `getdents(fd, buf, len)`.
fn getdents(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let f = a.fd(0)?;
    auth::check_read(f.rights)?;
    let len = a.usize(2).min(IO_CHUNK);
    let mut buf = vec![0u8; len];
    // Check the destination first so no entries are skipped on EFAULT.
    let dst = a.raw(1);
    a.space().probe_writable(dst, len as u64)?;
    let mut of = f.file.lock();
    let n = match &mut of.obj {
        FileObj::Vfs(h) => kfs::getdents(h, &mut buf)?,
        _ => return Err(Errno::ENOTDIR),
    };
    a.write_bytes(1, &buf[..n])?;
    Ok(ok(n))
}

/// `chdir(path, len)`.
fn chdir(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let p = a.path(0)?;
    let dir = kfs::resolve_dir(&a.ctx(), &p)?;
    a.me.set_cwd(dir);
    Ok(ok(0))
}

/// `getcwd(buf, len)`: the length of the path (`ERANGE` if `len` is too small).
fn getcwd(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let cwd = String::from(a.me.cwd());
    if a.usize(1) < cwd.len() {
        return Err(Errno::ERANGE);
    }
    a.write_bytes(0, cwd.as_bytes())?;
    Ok(ok(cwd.len()))
}

/// `chmod(path, len, mode)`.
fn chmod(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let p = a.path(0)?;
    kfs::chmod(&a.ctx(), &p, a.u32(2))?;
    Ok(ok(0))
}

/// `chown(path, len, uid, gid)`.
fn chown(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let p = a.path(0)?;
    kfs::chown(&a.ctx(), &p, a.u32(2), a.u32(3))?;
    Ok(ok(0))
}

/// `ftruncate(fd, len)`.
fn ftruncate(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let f = a.fd(0)?;
    auth::check_write(f.rights)?;
    match &mut f.file.lock().obj {
        FileObj::Vfs(h) => kfs::truncate(h, a.raw(1))?,
        _ => return Err(Errno::EINVAL),
    }
    Ok(ok(0))
}

/// `fsync(fd)`: a no-op on the console and `/dev/null`, `EINVAL` on pipes and sockets.
fn fsync(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let f = a.fd(0)?;
    match &f.file.lock().obj {
        FileObj::Vfs(h) => kfs::fsync(h)?,
        FileObj::Socket(_) | FileObj::PipeRead(_) | FileObj::PipeWrite(_) => {
            return Err(Errno::EINVAL)
        }
        _ => {}
    }
    Ok(ok(0))
}

/// Longest overlay description `set_overlay` accepts.
const OVERLAY_MAX: usize = 64 * 1024;

/// `set_overlay(text, len)`: newline-separated package paths layered at `/usr`.
fn set_overlay(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    if a.usize(1) > OVERLAY_MAX {
        return Err(Errno::E2BIG);
    }
    let buf = a.bytes(0, OVERLAY_MAX)?;
    let text = core::str::from_utf8(&buf).map_err(|_| Errno::EINVAL)?;
    kfs::set_overlay(&a.ctx(), text)?;
    Ok(ok(0))
}

/// `get_overlay(buf, len)`: the full length (the text is cut to `len`).
fn get_overlay(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let text = kfs::get_overlay();
    let n = text.len().min(a.usize(1));
    a.write_bytes(0, &text.as_bytes()[..n])?;
    Ok(ok(text.len()))
}
