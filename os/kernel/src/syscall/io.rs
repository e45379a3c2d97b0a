//! Descriptors and byte I/O over every kind of open file: `read`, `write`, `close`, `isatty`,
//! `dup`, `dup2`, `pipe`, `fcntl` and the handle-rights calls.

use super::{ok, Args, Handler, Sys, SysResult, IO_CHUNK};
use crate::drivers::uart;
use crate::file::{self, Fd, FileObj, PipeIo};
use crate::fs as kfs;
use crate::proc::{Kernel, WaitOn};
use alloc::vec;
use swiftos_abi::fcntl::*;
use swiftos_abi::layout::MAX_FDS;
use swiftos_abi::{nr, Errno, Rights};
use swiftos_authority as auth;
use swiftos_kcore::ldisc::ReadResult;

pub(super) fn handler(nr: usize) -> Option<Handler> {
    let h: Handler = match nr {
        nr::READ => read,
        nr::WRITE => write,
        nr::CLOSE => close,
        nr::ISATTY => isatty,
        nr::DUP => dup,
        nr::DUP2 => dup2,
        nr::PIPE => pipe,
        nr::FCNTL => fcntl,
        nr::HANDLE_RIGHTS => handle_rights,
        nr::RESTRICT_HANDLE => restrict_handle,
        _ => return None,
    };
    Some(h)
}

/// `read(fd, buf, len)`.
fn read(k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let f = a.fd(0)?;
    auth::check_read(f.rights)?;
    let (buf, len) = (a.raw(1), a.usize(2).min(IO_CHUNK));
    // Validate the destination before consuming any input.
    a.space().probe_writable(buf, len as u64)?;
    let mut kbuf = vec![0u8; len];
    let mut of = f.file.lock();
    let nonblock = of.flags & O_NONBLOCK != 0;
    let n = match &mut of.obj {
        // Ctrl-C arrived (SIGINT ignored) before this read: it ends with EINTR.
        FileObj::Console if a.me.take_console_intr() => return Err(Errno::EINTR),
        FileObj::Console => match k.ldisc.read(&mut kbuf) {
            ReadResult::Data(n) => n,
            ReadResult::Eof => 0,
            ReadResult::Empty if nonblock => return Err(Errno::EAGAIN),
            ReadResult::Empty => return Ok(Sys::Block(WaitOn::Io)),
        },
        FileObj::Null => 0,
        FileObj::PipeRead(p) => match file::pipe_read(p, &mut kbuf) {
            PipeIo::Done(n) => n,
            PipeIo::WouldBlock if nonblock => return Err(Errno::EAGAIN),
            PipeIo::WouldBlock => return Ok(Sys::Block(WaitOn::Io)),
        },
        FileObj::PipeWrite(_) => return Err(Errno::EBADF),
        FileObj::Vfs(h) => kfs::read(h, &mut kbuf)?,
        FileObj::Socket(id) => {
            let id = *id;
            drop(of);
            return super::net::read(a, id, nonblock, buf, len as u64);
        }
    };
    drop(of);
    a.space().write(buf, &kbuf[..n])?;
    Ok(ok(n))
}

/// `write(fd, buf, len)`.
fn write(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let f = a.fd(0)?;
    auth::check_write(f.rights)?;
    let kbuf = a.bytes(1, IO_CHUNK)?;
    let len = kbuf.len();
    let mut of = f.file.lock();
    let nonblock = of.flags & O_NONBLOCK != 0;
    let n = match &mut of.obj {
        FileObj::Console => {
            uart::write_bytes(&kbuf);
            len
        }
        FileObj::Null => len,
        FileObj::PipeRead(_) => return Err(Errno::EBADF),
        FileObj::PipeWrite(p) => match file::pipe_write(p, &kbuf) {
            Ok(PipeIo::Done(n)) => n,
            Ok(PipeIo::WouldBlock) if nonblock => return Err(Errno::EAGAIN),
            Ok(PipeIo::WouldBlock) => return Ok(Sys::Block(WaitOn::Io)),
            // No reader left: SIGPIPE, which terminates the writer (there are no handlers).
            Err(Errno::EPIPE) => return Ok(Sys::Exit(wait_status_signaled(SIGPIPE))),
            Err(e) => return Err(e),
        },
        FileObj::Vfs(h) => kfs::write(h, &kbuf)?,
        FileObj::Socket(id) => {
            let id = *id;
            drop(of);
            return super::net::write(a, id, nonblock, &kbuf);
        }
    };
    Ok(ok(n))
}

/// `close(fd)`.
fn close(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    a.fd(0)?;
    let fd = a.usize(0);
    a.me.set_fd(fd, None);
    Ok(ok(0))
}

/// `isatty(fd)`.
fn isatty(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let f = a.fd(0)?;
    let tty = matches!(f.file.lock().obj, FileObj::Console);
    if tty {
        Ok(ok(1))
    } else {
        Err(Errno::ENOTTY)
    }
}

/// A copy of `f` for a new descriptor (close-on-exec cleared).
fn duplicate(f: Fd) -> Option<Fd> {
    Some(Fd {
        cloexec: false,
        ..f
    })
}

/// `dup(fd)`.
fn dup(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let f = a.fd(0)?;
    auth::check_transfer(f.rights)?;
    let n = a.me.alloc_fd(0).ok_or(Errno::EMFILE)?;
    a.me.set_fd(n, duplicate(f));
    Ok(ok(n))
}

/// `dup2(fd, new)`.
fn dup2(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let f = a.fd(0)?;
    auth::check_transfer(f.rights)?;
    let new = a.usize(1);
    if new >= MAX_FDS {
        return Err(Errno::EBADF);
    }
    if new != a.usize(0) {
        a.me.set_fd(new, duplicate(f));
    }
    Ok(ok(new))
}

/// `pipe(fds_out)`: two descriptors, read end then write end.
fn pipe(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let me = &mut *a.me;
    let r = me.alloc_fd(0).ok_or(Errno::EMFILE)?;
    let (rf, wf) = file::new_pipe();
    me.set_fd(
        r,
        Some(Fd {
            file: rf,
            rights: Rights::READ.union(Rights::STAT).union(Rights::TRANSFER),
            cloexec: false,
        }),
    );
    let Some(w) = me.alloc_fd(0) else {
        me.set_fd(r, None);
        return Err(Errno::EMFILE);
    };
    me.set_fd(
        w,
        Some(Fd {
            file: wf,
            rights: Rights::WRITE.union(Rights::STAT).union(Rights::TRANSFER),
            cloexec: false,
        }),
    );
    if let Err(e) = a.write(0, &[r as i32, w as i32]) {
        a.me.set_fd(r, None);
        a.me.set_fd(w, None);
        return Err(e);
    }
    Ok(ok(0))
}

/// `fcntl(fd, cmd, arg)`.
fn fcntl(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let fd = a.usize(0);
    let f = a.fd(0)?;
    Ok(match a.u32(1) {
        F_DUPFD => {
            auth::check_transfer(f.rights)?;
            let n = a.me.alloc_fd(a.usize(2)).ok_or(Errno::EMFILE)?;
            a.me.set_fd(n, duplicate(f));
            ok(n)
        }
        F_GETFD => ok(if f.cloexec { FD_CLOEXEC as usize } else { 0 }),
        F_SETFD => {
            let cloexec = a.u32(2) & FD_CLOEXEC != 0;
            if let Some(s) = a.me.fd_mut(fd) {
                s.cloexec = cloexec;
            }
            ok(0)
        }
        F_GETFL => ok(f.file.lock().flags as usize),
        F_SETFL => {
            let mut of = f.file.lock();
            let keep = of.flags & !(O_APPEND | O_NONBLOCK);
            of.flags = keep | (a.u32(2) & (O_APPEND | O_NONBLOCK));
            let flags = of.flags;
            if let FileObj::Vfs(h) = &mut of.obj {
                h.set_status_flags(flags);
            }
            ok(0)
        }
        _ => Sys::Ret(Err(Errno::EINVAL)),
    })
}

/// `handle_rights(fd)`.
fn handle_rights(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    Ok(ok(a.fd(0)?.rights.0 as usize))
}

/// `restrict_handle(fd, rights)`: keep only `rights` (never gain any).
fn restrict_handle(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    a.fd(0)?;
    let (fd, keep) = (a.usize(0), Rights(a.u32(1)));
    if let Some(s) = a.me.fd_mut(fd) {
        s.rights = auth::narrow_rights(s.rights, keep);
    }
    Ok(ok(0))
}
