//! Sockets (calls 60..=76 but `poll`): `socket`, `bind`, `listen`, `accept`, `connect`,
//! `send`/`sendto`, `recv`/`recvfrom`, `shutdown`, `setsockopt`/`getsockopt`,
//! `getsockname`/`getpeername`, `net_info`, `net_sockets`, and `read`/`write` on a socket.
//! Every one needs the network capability (checked by `dispatch`, see
//! [`needs_net_capability`]).
//!
//! Timeouts (`SO_RCVTIMEO`, `SO_SNDTIMEO`, `connect`'s) go through [`super::block_until`]: the
//! timer interrupt wakes the waiter once the deadline passes, and the re-issued call reports
//! the timeout.

use super::{block_until, ok, Args, Handler, SysResult, IO_CHUNK};
use crate::file::{self, Fd, FileObj, FileRef};
use crate::net::with_stack;
use crate::proc::Kernel;
use crate::time::deadlines;
use alloc::vec;
use swiftos_abi::fcntl::{O_NONBLOCK, O_RDWR};
use swiftos_abi::net::*;
use swiftos_abi::{nr, Errno, Rights};
use swiftos_authority as auth;
use swiftos_net::stack::{Addr, SockOpts};
use swiftos_net::{SockKind, SocketId};

// SAFETY: plain `#[repr(C)]` ABI structs made only of integers (and integer arrays), valid for
// every bit pattern.
unsafe impl crate::vm::Pod for SockAddrIn {}
// SAFETY: as above.
unsafe impl crate::vm::Pod for PollFd {}
// SAFETY: as above.
unsafe impl crate::vm::Pod for Timeval {}
// SAFETY: as above.
unsafe impl crate::vm::Pod for NetInfo {}
// SAFETY: as above.
unsafe impl crate::vm::Pod for SockInfo {}

/// How long a blocking `connect` waits for the handshake unless `SO_SNDTIMEO` says otherwise.
const CONNECT_TIMEOUT_MS: u64 = 10_000;

/// Whether call `nr` is a network call that needs the network capability (every number in
/// `NET_FIRST..=NET_LAST` but `poll`).
pub(super) fn needs_net_capability(nr: usize) -> bool {
    (nr::NET_FIRST..=nr::NET_LAST).contains(&nr) && nr != nr::POLL
}

pub(super) fn handler(nr: usize) -> Option<Handler> {
    let h: Handler = match nr {
        nr::SOCKET => socket,
        nr::BIND => bind,
        nr::LISTEN => listen,
        nr::ACCEPT => accept,
        nr::CONNECT => connect,
        nr::SEND | nr::SENDTO => send,
        nr::RECV | nr::RECVFROM => recv,
        nr::SHUTDOWN => shutdown,
        nr::SETSOCKOPT => setsockopt,
        nr::GETSOCKOPT => getsockopt,
        nr::GETSOCKNAME | nr::GETPEERNAME => sock_addr,
        nr::NET_INFO => net_info,
        nr::NET_SOCKETS => net_sockets,
        _ => return None,
    };
    Some(h)
}

/// The socket behind the descriptor in register `i`: (id, non-blocking, open file).
fn sock(a: &Args<'_>, i: usize) -> Result<(SocketId, bool, FileRef), Errno> {
    let f = a.me.fd(a.i64(i)).ok_or(Errno::EBADF)?;
    let of = f.file.lock();
    match of.obj {
        FileObj::Socket(id) => Ok((id, of.flags & O_NONBLOCK != 0, f.file.clone())),
        _ => Err(Errno::ENOTSOCK),
    }
}

/// The socket address whose pointer and length are registers `i`, `i + 1`.
fn addr(a: &mut Args<'_>, i: usize) -> Result<Addr, Errno> {
    if a.raw(i + 1) < core::mem::size_of::<SockAddrIn>() as u64 {
        return Err(Errno::EINVAL);
    }
    let sa: SockAddrIn = a.read(i)?;
    Addr::from_sockaddr(&sa)
}

/// A descriptor for the new socket `id` (closed again if the table is full).
fn new_socket_fd(a: &mut Args<'_>, id: SocketId, flags: u32) -> Result<usize, Errno> {
    let Some(fd) = a.me.alloc_fd(0) else {
        with_stack(|s| {
            s.close(id);
            Ok(())
        })?;
        return Err(Errno::EMFILE);
    };
    a.me.set_fd(
        fd,
        Some(Fd {
            file: file::new_file(FileObj::Socket(id), O_RDWR | (flags & O_NONBLOCK)),
            rights: Rights::READ
                .union(Rights::WRITE)
                .union(Rights::STAT)
                .union(Rights::TRANSFER),
            cloexec: flags & SOCK_CLOEXEC != 0,
        }),
    );
    Ok(fd)
}

/// A call that completed (or failed for good): forget its deadline.
fn finished(a: &Args<'_>) {
    deadlines::call_finished(a.me.pid());
}

/// `socket(domain, type, protocol)`.
fn socket(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    if a.u32(0) != AF_INET {
        return Err(Errno::EAFNOSUPPORT);
    }
    let ty = a.u32(1);
    let kind = match ty & SOCK_TYPE_MASK {
        SOCK_STREAM => SockKind::Tcp,
        SOCK_DGRAM => SockKind::Udp,
        _ => return Err(Errno::EPROTOTYPE),
    };
    match (a.u32(2), kind) {
        (0, _) | (IPPROTO_TCP, SockKind::Tcp) | (IPPROTO_UDP, SockKind::Udp) => {}
        _ => return Err(Errno::EPROTONOSUPPORT),
    }
    let id = with_stack(|s| s.socket(kind))?;
    Ok(ok(new_socket_fd(a, id, ty)?))
}

/// `bind(fd, addr, len)`.
fn bind(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let (id, _, _) = sock(a, 0)?;
    let addr = addr(a, 1)?;
    with_stack(|s| s.bind(id, addr))?;
    Ok(ok(0))
}

/// `listen(fd, backlog)`.
fn listen(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let (id, _, _) = sock(a, 0)?;
    let backlog = a.usize(1);
    with_stack(|s| s.listen(id, backlog))?;
    Ok(ok(0))
}

/// `accept(fd, addr_out, flags)`.
fn accept(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let (id, nonblock, _) = sock(a, 0)?;
    let mut timeout = None;
    match with_stack(|s| {
        timeout = s.opts(id)?.rcv_timeout_ms;
        s.accept(id)
    }) {
        Ok((nid, peer)) => {
            finished(a);
            let fd = new_socket_fd(a, nid, a.u32(2))?;
            if a.raw(1) != 0 {
                a.write(1, &peer.to_sockaddr())?;
            }
            Ok(ok(fd))
        }
        Err(Errno::EAGAIN) if nonblock => Err(Errno::EAGAIN),
        Err(Errno::EAGAIN) => block_until(a.me, a.nr(), timeout, Errno::EAGAIN),
        Err(e) => Err(e),
    }
}

/// `connect(fd, addr, len)`: blocks for the handshake up to `SO_SNDTIMEO` (default 10 s).
fn connect(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let (id, nonblock, _) = sock(a, 0)?;
    let addr = addr(a, 1)?;
    let mut timeout = None;
    let r = with_stack(|s| {
        timeout = s.opts(id)?.snd_timeout_ms;
        s.connect(id, addr)
    });
    match r {
        Ok(()) => {
            finished(a);
            Ok(ok(0))
        }
        Err(Errno::EINPROGRESS) if nonblock => Err(Errno::EINPROGRESS),
        Err(Errno::EAGAIN) if nonblock => Err(Errno::EALREADY),
        Err(Errno::EINPROGRESS) | Err(Errno::EAGAIN) => {
            let t = Some(timeout.unwrap_or(CONNECT_TIMEOUT_MS));
            match block_until(a.me, a.nr(), t, Errno::ETIMEDOUT) {
                Err(Errno::ETIMEDOUT) => {
                    with_stack(|s| {
                        s.abort_connect(id, Errno::ETIMEDOUT);
                        let _ = s.take_error(id);
                        Ok(())
                    })?;
                    Err(Errno::ETIMEDOUT)
                }
                other => other,
            }
        }
        Err(e) => {
            finished(a);
            Err(e)
        }
    }
}

/// `send(fd, buf, len, flags)` and `sendto(fd, buf, len, flags, addr, addr_len)`.
fn send(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let (id, nonblock, _) = sock(a, 0)?;
    let data = a.bytes(1, IO_CHUNK)?;
    let to = if a.nr() == nr::SENDTO && a.raw(4) != 0 {
        Some(addr(a, 4)?)
    } else {
        None
    };
    let nonblock = nonblock || a.u32(3) & MSG_DONTWAIT != 0;
    send_on(a, id, nonblock, &data, to)
}

/// `recv(fd, buf, len, flags)` and `recvfrom(fd, buf, len, flags, addr_out)`.
fn recv(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let (id, nonblock, _) = sock(a, 0)?;
    let out = if a.nr() == nr::RECVFROM { a.raw(4) } else { 0 };
    recv_on(a, id, nonblock, a.raw(1), a.raw(2), a.u32(3), out)
}

/// `read` on a socket descriptor (the caller checked the handle's rights).
pub(super) fn read(
    a: &mut Args<'_>,
    id: SocketId,
    nonblock: bool,
    buf: u64,
    len: u64,
) -> SysResult {
    auth::check_net(&a.me.subject())?;
    recv_on(a, id, nonblock, buf, len, 0, 0)
}

/// `write` on a socket descriptor.
pub(super) fn write(a: &mut Args<'_>, id: SocketId, nonblock: bool, data: &[u8]) -> SysResult {
    auth::check_net(&a.me.subject())?;
    send_on(a, id, nonblock, data, None)
}

/// Receive into user memory at `buf`; the sender's address to `addr_out` unless 0.
fn recv_on(
    a: &mut Args<'_>,
    id: SocketId,
    nonblock: bool,
    buf: u64,
    len: u64,
    flags: u32,
    addr_out: u64,
) -> SysResult {
    let len = (len as usize).min(IO_CHUNK);
    a.space().probe_writable(buf, len as u64)?;
    let mut kbuf = vec![0u8; len];
    let peek = flags & MSG_PEEK != 0;
    let mut timeout = None;
    let r = with_stack(|s| {
        timeout = s.opts(id)?.rcv_timeout_ms;
        s.recvfrom(id, &mut kbuf, peek)
    });
    match r {
        Ok((n, from)) => {
            finished(a);
            a.space().write(buf, &kbuf[..n])?;
            if addr_out != 0 {
                a.space().write_val(addr_out, &from.to_sockaddr())?;
            }
            Ok(ok(n))
        }
        Err(Errno::EAGAIN) if nonblock || flags & MSG_DONTWAIT != 0 => Err(Errno::EAGAIN),
        Err(Errno::EAGAIN) => block_until(a.me, a.nr(), timeout, Errno::EAGAIN),
        Err(e) => {
            finished(a);
            Err(e)
        }
    }
}

/// Send `data` (to `to` for an unconnected datagram socket).
fn send_on(
    a: &mut Args<'_>,
    id: SocketId,
    nonblock: bool,
    data: &[u8],
    to: Option<Addr>,
) -> SysResult {
    let mut timeout = None;
    let r = with_stack(|s| {
        timeout = s.opts(id)?.snd_timeout_ms;
        match to {
            Some(addr) => s.sendto(id, data, addr),
            None => s.send(id, data),
        }
    });
    match r {
        Ok(n) => {
            finished(a);
            Ok(ok(n))
        }
        Err(Errno::EAGAIN) if nonblock => Err(Errno::EAGAIN),
        Err(Errno::EAGAIN) => block_until(a.me, a.nr(), timeout, Errno::EAGAIN),
        Err(e) => {
            finished(a);
            Err(e)
        }
    }
}

/// `shutdown(fd, how)`.
fn shutdown(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let (id, _, _) = sock(a, 0)?;
    let how = a.u32(1);
    with_stack(|s| s.shutdown(id, how))?;
    Ok(ok(0))
}

/// An `int` option value at `ptr` (`len` at least 4).
fn opt_int(a: &mut Args<'_>, ptr: u64, len: u64) -> Result<i32, Errno> {
    if len < 4 {
        return Err(Errno::EINVAL);
    }
    a.read_at::<i32>(ptr)
}

/// A `timeval` option value at `ptr` as milliseconds (`None`: no timeout).
fn opt_timeval(a: &mut Args<'_>, ptr: u64, len: u64) -> Result<Option<u64>, Errno> {
    if len < 16 {
        return Err(Errno::EINVAL);
    }
    let t: Timeval = a.read_at(ptr)?;
    if t.tv_sec < 0 || t.tv_usec < 0 || t.tv_usec >= 1_000_000 {
        return Err(Errno::EDOM);
    }
    Ok(t.to_millis())
}

/// `setsockopt(fd, level, name, value, len)`.
fn setsockopt(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let (id, _, _) = sock(a, 0)?;
    let (level, name, ptr, len) = (a.u32(1), a.u32(2), a.raw(3), a.raw(4));
    let mut o: SockOpts = with_stack(|s| s.opts(id))?;
    match (level, name) {
        (SOL_SOCKET, SO_REUSEADDR) => o.reuse_addr = opt_int(a, ptr, len)? != 0,
        (SOL_SOCKET, SO_KEEPALIVE) => o.keepalive = opt_int(a, ptr, len)? != 0,
        (SOL_SOCKET, SO_RCVTIMEO) => o.rcv_timeout_ms = opt_timeval(a, ptr, len)?,
        (SOL_SOCKET, SO_SNDTIMEO) => o.snd_timeout_ms = opt_timeval(a, ptr, len)?,
        // Buffer sizes are fixed; accept and ignore like many small stacks do.
        (SOL_SOCKET, SO_RCVBUF) | (SOL_SOCKET, SO_SNDBUF) => {
            opt_int(a, ptr, len)?;
        }
        (IPPROTO_TCP, TCP_NODELAY) => o.nodelay = opt_int(a, ptr, len)? != 0,
        _ => return Err(Errno::ENOPROTOOPT),
    }
    with_stack(|s| s.set_opts(id, o))?;
    Ok(ok(0))
}

/// `getsockopt(fd, level, name, value_out, len)`: the size written (4 or 16).
fn getsockopt(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let (id, _, _) = sock(a, 0)?;
    let (level, name, len) = (a.u32(1), a.u32(2), a.raw(4));
    let (o, kind, e) = with_stack(|s| Ok((s.opts(id)?, s.kind(id)?, s.take_error(id)?)))?;
    let int_val = match (level, name) {
        (SOL_SOCKET, SO_REUSEADDR) => Some(o.reuse_addr as i32),
        (SOL_SOCKET, SO_KEEPALIVE) => Some(o.keepalive as i32),
        (SOL_SOCKET, SO_ERROR) => Some(e.map(|e| e as i32).unwrap_or(0)),
        (SOL_SOCKET, SO_TYPE) => Some(match kind {
            SockKind::Tcp => SOCK_STREAM as i32,
            SockKind::Udp => SOCK_DGRAM as i32,
        }),
        (SOL_SOCKET, SO_RCVBUF) | (SOL_SOCKET, SO_SNDBUF) => {
            Some(swiftos_net::stack::TCP_BUF as i32)
        }
        (IPPROTO_TCP, TCP_NODELAY) => Some(o.nodelay as i32),
        _ => None,
    };
    if let Some(v) = int_val {
        if len < 4 {
            return Err(Errno::EINVAL);
        }
        a.write(3, &v)?;
        return Ok(ok(4));
    }
    let t = match (level, name) {
        (SOL_SOCKET, SO_RCVTIMEO) => o.rcv_timeout_ms,
        (SOL_SOCKET, SO_SNDTIMEO) => o.snd_timeout_ms,
        _ => return Err(Errno::ENOPROTOOPT),
    };
    if len < 16 {
        return Err(Errno::EINVAL);
    }
    a.write(3, &Timeval::from_millis(t.unwrap_or(0)))?;
    Ok(ok(16))
}

/// `getsockname(fd, addr_out)` and `getpeername(fd, addr_out)`.
fn sock_addr(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let (id, _, _) = sock(a, 0)?;
    let local = a.nr() == nr::GETSOCKNAME;
    let addr = with_stack(|s| {
        if local {
            s.sockname(id)
        } else {
            s.peername(id)
        }
    })?;
    a.write(1, &addr.to_sockaddr())?;
    Ok(ok(0))
}

/// `net_info(info_out)`.
fn net_info(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let info = crate::net::info()?;
    a.write(0, &info)?;
    Ok(ok(0))
}

/// Most rows `net_sockets` returns.
const SOCKETS_MAX: usize = 1024;

/// `net_sockets(rows_out, max)`: how many rows were written.
fn net_sockets(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let rows = crate::net::sockets()?;
    let max = a.usize(1).min(SOCKETS_MAX);
    let n = rows.len().min(max);
    a.write_rows(0, &rows[..n])?;
    Ok(ok(n))
}
