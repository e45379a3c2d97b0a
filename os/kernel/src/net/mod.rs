//! Networking in the kernel: the virtio-net device (virtio-drivers) as a smoltcp device, the
//! `swiftos-net` stack driven by the device interrupt and a one-shot timer deadline (never a
//! busy poll), and the socket system calls 60..=76 plus `poll`.
//!
//! Blocking follows the kernel's model: a call that must wait returns [`Sys::Block`] and is
//! re-issued when woken. Calls with a timeout (`SO_RCVTIMEO`, `SO_SNDTIMEO`, `connect`, `poll`)
//! keep their deadline per process in [`WAITS`]; the timer interrupt wakes I/O waiters once a
//! deadline passes, and the re-issued call reports the timeout.

mod device;

use crate::drivers::{self, gic};
use crate::file::{self, Fd, FileObj, FileRef, PIPE_CAP};
use crate::proc::{Kernel, Process, WaitOn};
use crate::syscall::Sys;
use crate::{arch, time};
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use device::{Counters, NetDev};
use spin::Mutex;
use swiftos_abi::fcntl::{O_NONBLOCK, O_RDWR};
use swiftos_abi::net::*;
use swiftos_abi::{nr, Errno, Rights, Timespec};
use swiftos_authority as auth;
use swiftos_net::stack::{Addr, SockOpts};
use swiftos_net::{NetConfig, SockKind, SocketId, Stack};

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
pub const CONNECT_TIMEOUT_MS: u64 = 10_000;
/// Largest transfer per `send`/`recv` call.
const IO_CHUNK: usize = 64 * 1024;

struct Net {
    stack: Stack,
    dev: NetDev,
    up_since_ns: u64,
}

static NET: Mutex<Option<Net>> = Mutex::new(None);
/// GIC id of the virtio-net interrupt (0 = no device).
static NET_IRQ: AtomicU32 = AtomicU32::new(0);
/// When the stack must be polled next (monotonic ns; `u64::MAX` = only on interrupts).
static NEXT_POLL_NS: AtomicU64 = AtomicU64::new(u64::MAX);

/// Per-process deadline of a blocked, re-issued call: pid → (call number, deadline ns).
static WAITS: Mutex<BTreeMap<u32, (usize, u64)>> = Mutex::new(BTreeMap::new());

fn now_ms() -> u64 {
    time::monotonic_ns() / 1_000_000
}

/// Find the virtio-net device among the virtio-mmio `slots`, bring the interface up with the
/// default QEMU user-network configuration overridden by the command line (`ip=A/LEN`,
/// `gw=A|none`). Returns a line for the boot log.
pub fn probe(slots: &[(u64, u32)], ip: Option<&str>, gw: Option<&str>) -> Option<String> {
    let (nic, irq) = drivers::net::probe(slots)?;
    let mut config = NetConfig::qemu_user(nic.mac_address());
    let mut spec = String::new();
    if let Some(ip) = ip {
        spec.push_str("addr=");
        spec.push_str(ip);
        spec.push(',');
    }
    if let Some(gw) = gw {
        spec.push_str("gw=");
        spec.push_str(gw);
    }
    if let Err(e) = config.apply(&spec) {
        kprintln!("kernel: ignoring the network settings {spec:?}: {e}");
    }
    let mut dev = NetDev {
        nic,
        counters: Counters::default(),
    };
    let mut stack = Stack::new(config, &mut dev, now_ms(), arch::counter());
    // Socket buffers may use at most a quarter of the kernel heap.
    stack.set_socket_limit(crate::mm::heap_size() as usize / 4 / (2 * swiftos_net::stack::TCP_BUF));
    let c = *stack.config();
    *NET.lock() = Some(Net {
        stack,
        dev,
        up_since_ns: time::monotonic_ns(),
    });
    NET_IRQ.store(irq, Ordering::Relaxed);
    gic::enable(irq);
    let gw = c
        .gateway
        .map(|g| alloc::format!("{}.{}.{}.{}", g[0], g[1], g[2], g[3]))
        .unwrap_or_else(|| String::from("none"));
    Some(alloc::format!(
        "virtio-net {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x} irq {irq}, {}.{}.{}.{}/{} via {gw}",
        c.mac[0],
        c.mac[1],
        c.mac[2],
        c.mac[3],
        c.mac[4],
        c.mac[5],
        c.addr[0],
        c.addr[1],
        c.addr[2],
        c.addr[3],
        c.prefix_len
    ))
}

/// Apply `/etc/net.conf` from the base image (`addr=A.B.C.D/LEN`, `gw=A.B.C.D|none`, `#`
/// comments); the kernel command line's `ip=`/`gw=` still win. Called once the root file system
/// is mounted.
pub fn load_config_file(ctx: &crate::fs::FsCtx, ip: Option<&str>, gw: Option<&str>) {
    if NET.lock().is_none() {
        return;
    }
    let Ok((obj, _)) = crate::fs::open(ctx, "/etc/net.conf", swiftos_abi::fcntl::O_RDONLY, 0)
    else {
        return;
    };
    let FileObj::Vfs(mut h) = obj else {
        return;
    };
    let mut text = Vec::new();
    let mut buf = [0u8; 512];
    while text.len() < 8192 {
        match crate::fs::read(&mut h, &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => text.extend_from_slice(&buf[..n]),
        }
    }
    crate::fs::close(h);
    let text = String::from_utf8_lossy(&text);
    let mut g = NET.lock();
    let Some(n) = g.as_mut() else {
        return;
    };
    let mut c = *n.stack.config();
    if let Err(e) = c.apply_file(&text) {
        kprintln!("kernel: ignoring /etc/net.conf: {e}");
        return;
    }
    let mut spec = String::new();
    if let Some(ip) = ip {
        spec.push_str("addr=");
        spec.push_str(ip);
        spec.push(',');
    }
    if let Some(gw) = gw {
        spec.push_str("gw=");
        spec.push_str(gw);
    }
    if c.apply(&spec).is_err() {
        return;
    }
    if c != *n.stack.config() {
        n.stack.reconfigure(c);
        kprintln!(
            "kernel: network from /etc/net.conf: {}.{}.{}.{}/{}",
            c.addr[0],
            c.addr[1],
            c.addr[2],
            c.addr[3],
            c.prefix_len
        );
    }
}

/// Run the stack (receive, timers, transmit) and schedule the next timer poll.
fn pump(n: &mut Net) {
    let now = now_ms();
    n.stack.poll(now, &mut n.dev);
    let next = match n.stack.poll_delay(now) {
        Some(d) => time::monotonic_ns().saturating_add(d.max(1) * 1_000_000),
        None => u64::MAX,
    };
    NEXT_POLL_NS.store(next, Ordering::Relaxed);
}

/// Interrupt `id`: if it is the network device's, acknowledge it, run the stack and wake I/O
/// waiters. Returns whether it was ours.
pub fn handle_irq(id: u32) -> bool {
    let ours = NET_IRQ.load(Ordering::Relaxed);
    if ours == 0 || id != ours {
        return false;
    }
    if let Some(n) = NET.lock().as_mut() {
        n.dev.nic.ack_interrupt();
        pump(n);
    }
    file::io_event();
    true
}

/// Timer interrupt at `now_ns`: run the stack if its deadline passed; wake waiters whose
/// call deadline passed (they re-issue the call and report the timeout). Deadlines of
/// processes that died while waiting are dropped (else the timer would fire continuously).
pub fn on_timer(k: &Kernel, now_ns: u64) {
    {
        let mut w = WAITS.lock();
        if !w.is_empty() {
            w.retain(|pid, _| {
                k.procs
                    .get(pid)
                    .is_some_and(|p| p.state != crate::proc::PState::Zombie)
            });
        }
    }
    if now_ns >= NEXT_POLL_NS.load(Ordering::Relaxed) {
        if let Some(n) = NET.lock().as_mut() {
            pump(n);
        }
        file::io_event();
    }
    if WAITS.lock().values().any(|&(_, d)| d <= now_ns) {
        file::io_event();
    }
}

/// Earliest time the timer must fire for the network (stack timers or call deadlines).
pub fn next_deadline() -> Option<u64> {
    let p = NEXT_POLL_NS.load(Ordering::Relaxed);
    let w = WAITS.lock().values().map(|&(_, d)| d).min();
    match (p, w) {
        (u64::MAX, w) => w,
        (p, Some(w)) => Some(p.min(w)),
        (p, None) => Some(p),
    }
}

/// Close a socket whose last descriptor went away.
pub fn close(id: SocketId) {
    if let Some(n) = NET.lock().as_mut() {
        n.stack.close(id);
        pump(n);
    }
}

/// Readiness of a socket as `poll` bits.
fn socket_revents(id: SocketId) -> i16 {
    let g = NET.lock();
    let Some(n) = g.as_ref() else {
        return POLLERR;
    };
    let r = n.stack.readiness(id);
    let mut ev = 0;
    if r.readable {
        ev |= POLLIN;
    }
    if r.writable {
        ev |= POLLOUT;
    }
    if r.hup {
        ev |= POLLHUP;
    }
    if r.error {
        ev |= POLLERR;
    }
    ev
}

/// Run `f` on the stack, then pump it so queued segments leave at once.
fn with_stack<R>(f: impl FnOnce(&mut Stack) -> Result<R, Errno>) -> Result<R, Errno> {
    let mut g = NET.lock();
    let n = g.as_mut().ok_or(Errno::ENETDOWN)?;
    let r = f(&mut n.stack);
    pump(n);
    r
}

/// The blocking outcome for a call that would wait: block (with the call's deadline, kept in
/// [`WAITS`]) or, once the deadline passed, `Err(on_timeout)`.
fn wait(me: &Process, nr: usize, timeout_ms: Option<u64>, on_timeout: Errno) -> Result<Sys, Errno> {
    let Some(ms) = timeout_ms else {
        return Ok(Sys::Block(WaitOn::Io));
    };
    let now = time::monotonic_ns();
    let mut w = WAITS.lock();
    let deadline = match w.get(&me.pid) {
        Some(&(n, d)) if n == nr => d,
        _ => {
            let d = now.saturating_add(ms.saturating_mul(1_000_000));
            w.insert(me.pid, (nr, d));
            d
        }
    };
    if now >= deadline {
        w.remove(&me.pid);
        return Err(on_timeout);
    }
    Ok(Sys::Block(WaitOn::Io))
}

/// Forget a finished call's deadline.
fn done(me: &Process) {
    let mut w = WAITS.lock();
    if !w.is_empty() {
        w.remove(&me.pid);
    }
}

fn space(me: &mut Process) -> &mut crate::vm::AddrSpace {
    me.space
        .as_mut()
        .expect("running process has an address space")
}

/// The socket behind descriptor `fd`: (id, non-blocking, open file).
fn sock_of(me: &Process, fd: u64) -> Result<(SocketId, bool, FileRef), Errno> {
    let f = me.fd(fd as i64).ok_or(Errno::EBADF)?;
    let of = f.file.lock();
    match of.obj {
        FileObj::Socket(id) => Ok((id, of.flags & O_NONBLOCK != 0, f.file.clone())),
        _ => Err(Errno::ENOTSOCK),
    }
}

fn read_addr(me: &mut Process, ptr: u64, len: u64) -> Result<Addr, Errno> {
    if len < core::mem::size_of::<SockAddrIn>() as u64 {
        return Err(Errno::EINVAL);
    }
    let sa: SockAddrIn = space(me).read_val(ptr)?;
    Addr::from_sockaddr(&sa)
}

fn new_socket_fd(me: &mut Process, id: SocketId, flags: u32) -> Result<usize, Errno> {
    let Some(fd) = me.alloc_fd(0) else {
        with_stack(|s| {
            s.close(id);
            Ok(())
        })?;
        return Err(Errno::EMFILE);
    };
    me.fds[fd] = Some(Fd {
        file: file::new_file(FileObj::Socket(id), O_RDWR | (flags & O_NONBLOCK)),
        rights: Rights::READ
            .union(Rights::WRITE)
            .union(Rights::STAT)
            .union(Rights::TRANSFER),
        cloexec: flags & SOCK_CLOEXEC != 0,
    });
    Ok(fd)
}

/// `read` on a socket descriptor (the caller checked the handle's rights).
pub fn read(
    me: &mut Process,
    id: SocketId,
    nonblock: bool,
    buf: u64,
    len: u64,
) -> Result<Sys, Errno> {
    auth::check_net(&me.subject())?;
    recv(me, nr::READ, id, nonblock, buf, len, 0, 0)
}

/// `write` on a socket descriptor.
pub fn write(me: &mut Process, id: SocketId, nonblock: bool, data: &[u8]) -> Result<Sys, Errno> {
    auth::check_net(&me.subject())?;
    send(me, nr::WRITE, id, nonblock, data, None)
}

#[allow(clippy::too_many_arguments)]
fn recv(
    me: &mut Process,
    call: usize,
    id: SocketId,
    nonblock: bool,
    buf: u64,
    len: u64,
    flags: u32,
    addr_out: u64,
) -> Result<Sys, Errno> {
    let len = (len as usize).min(IO_CHUNK);
    space(me).probe_writable(buf, len as u64)?;
    let mut kbuf = vec![0u8; len];
    let peek = flags & MSG_PEEK != 0;
    let mut timeout = None;
    let r = with_stack(|s| {
        timeout = s.opts(id)?.rcv_timeout_ms;
        s.recvfrom(id, &mut kbuf, peek)
    });
    match r {
        Ok((n, from)) => {
            done(me);
            space(me).write(buf, &kbuf[..n])?;
            if addr_out != 0 {
                space(me).write_val(addr_out, &from.to_sockaddr())?;
            }
            Ok(Sys::Ret(Ok(n)))
        }
        Err(Errno::EAGAIN) if nonblock || flags & MSG_DONTWAIT != 0 => Err(Errno::EAGAIN),
        Err(Errno::EAGAIN) => wait(me, call, timeout, Errno::EAGAIN),
        Err(e) => {
            done(me);
            Err(e)
        }
    }
}

fn send(
    me: &mut Process,
    call: usize,
    id: SocketId,
    nonblock: bool,
    data: &[u8],
    to: Option<Addr>,
) -> Result<Sys, Errno> {
    let mut timeout = None;
    let r = with_stack(|s| {
        timeout = s.opts(id)?.snd_timeout_ms;
        match to {
            Some(a) => s.sendto(id, data, a),
            None => s.send(id, data),
        }
    });
    match r {
        Ok(n) => {
            done(me);
            Ok(Sys::Ret(Ok(n)))
        }
        Err(Errno::EAGAIN) if nonblock => Err(Errno::EAGAIN),
        Err(Errno::EAGAIN) => wait(me, call, timeout, Errno::EAGAIN),
        Err(e) => {
            done(me);
            Err(e)
        }
    }
}

fn user_bytes(me: &mut Process, ptr: u64, len: u64) -> Result<Vec<u8>, Errno> {
    let len = (len as usize).min(IO_CHUNK);
    let mut b = vec![0u8; len];
    space(me).read(ptr, &mut b)?;
    Ok(b)
}

/// Dispatch of the network calls (`nr::NET_FIRST..=nr::NET_LAST`).
pub fn syscall(k: &mut Kernel, me: &mut Process, call: usize, a: [u64; 6]) -> Result<Sys, Errno> {
    if call == nr::POLL {
        return sys_poll(k, me, a[0], a[1], a[2] as i64);
    }
    auth::check_net(&me.subject())?;
    let ok = |v: usize| Ok(Sys::Ret(Ok(v)));
    match call {
        nr::SOCKET => {
            if a[0] as u32 != AF_INET {
                return Err(Errno::EAFNOSUPPORT);
            }
            let ty = a[1] as u32;
            let kind = match ty & SOCK_TYPE_MASK {
                SOCK_STREAM => SockKind::Tcp,
                SOCK_DGRAM => SockKind::Udp,
                _ => return Err(Errno::EPROTOTYPE),
            };
            match (a[2] as u32, kind) {
                (0, _) | (IPPROTO_TCP, SockKind::Tcp) | (IPPROTO_UDP, SockKind::Udp) => {}
                _ => return Err(Errno::EPROTONOSUPPORT),
            }
            let id = with_stack(|s| s.socket(kind))?;
            ok(new_socket_fd(me, id, ty)?)
        }
        nr::BIND => {
            let (id, _, _) = sock_of(me, a[0])?;
            let addr = read_addr(me, a[1], a[2])?;
            with_stack(|s| s.bind(id, addr))?;
            ok(0)
        }
        nr::LISTEN => {
            let (id, _, _) = sock_of(me, a[0])?;
            with_stack(|s| s.listen(id, a[1] as usize))?;
            ok(0)
        }
        nr::ACCEPT => {
            let (id, nonblock, _) = sock_of(me, a[0])?;
            let mut timeout = None;
            match with_stack(|s| {
                timeout = s.opts(id)?.rcv_timeout_ms;
                s.accept(id)
            }) {
                Ok((nid, peer)) => {
                    done(me);
                    let fd = new_socket_fd(me, nid, a[2] as u32)?;
                    if a[1] != 0 {
                        space(me).write_val(a[1], &peer.to_sockaddr())?;
                    }
                    ok(fd)
                }
                Err(Errno::EAGAIN) if nonblock => Err(Errno::EAGAIN),
                Err(Errno::EAGAIN) => wait(me, call, timeout, Errno::EAGAIN),
                Err(e) => Err(e),
            }
        }
        nr::CONNECT => {
            let (id, nonblock, _) = sock_of(me, a[0])?;
            let addr = read_addr(me, a[1], a[2])?;
            let mut timeout = None;
            let r = with_stack(|s| {
                timeout = s.opts(id)?.snd_timeout_ms;
                s.connect(id, addr)
            });
            match r {
                Ok(()) => {
                    done(me);
                    ok(0)
                }
                Err(Errno::EINPROGRESS) if nonblock => Err(Errno::EINPROGRESS),
                Err(Errno::EAGAIN) if nonblock => Err(Errno::EALREADY),
                Err(Errno::EINPROGRESS) | Err(Errno::EAGAIN) => {
                    let t = Some(timeout.unwrap_or(CONNECT_TIMEOUT_MS));
                    match wait(me, call, t, Errno::ETIMEDOUT) {
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
                    done(me);
                    Err(e)
                }
            }
        }
        nr::SEND | nr::SENDTO => {
            let (id, nonblock, _) = sock_of(me, a[0])?;
            let data = user_bytes(me, a[1], a[2])?;
            let to = if call == nr::SENDTO && a[4] != 0 {
                Some(read_addr(me, a[4], a[5])?)
            } else {
                None
            };
            let nonblock = nonblock || a[3] as u32 & MSG_DONTWAIT != 0;
            send(me, call, id, nonblock, &data, to)
        }
        nr::RECV | nr::RECVFROM => {
            let (id, nonblock, _) = sock_of(me, a[0])?;
            let out = if call == nr::RECVFROM { a[4] } else { 0 };
            recv(me, call, id, nonblock, a[1], a[2], a[3] as u32, out)
        }
        nr::SHUTDOWN => {
            let (id, _, _) = sock_of(me, a[0])?;
            with_stack(|s| s.shutdown(id, a[1] as u32))?;
            ok(0)
        }
        nr::SETSOCKOPT => {
            let (id, _, _) = sock_of(me, a[0])?;
            let (level, name, ptr, len) = (a[1] as u32, a[2] as u32, a[3], a[4]);
            let int = |me: &mut Process| -> Result<i32, Errno> {
                if len < 4 {
                    return Err(Errno::EINVAL);
                }
                space(me).read_val::<i32>(ptr)
            };
            let tv = |me: &mut Process| -> Result<Option<u64>, Errno> {
                if len < 16 {
                    return Err(Errno::EINVAL);
                }
                let t: Timeval = space(me).read_val(ptr)?;
                if t.tv_sec < 0 || t.tv_usec < 0 || t.tv_usec >= 1_000_000 {
                    return Err(Errno::EDOM);
                }
                Ok(t.to_millis())
            };
            let mut o: SockOpts = with_stack(|s| s.opts(id))?;
            match (level, name) {
                (SOL_SOCKET, SO_REUSEADDR) => o.reuse_addr = int(me)? != 0,
                (SOL_SOCKET, SO_KEEPALIVE) => o.keepalive = int(me)? != 0,
                (SOL_SOCKET, SO_RCVTIMEO) => o.rcv_timeout_ms = tv(me)?,
                (SOL_SOCKET, SO_SNDTIMEO) => o.snd_timeout_ms = tv(me)?,
                // Buffer sizes are fixed; accept and ignore like many small stacks do.
                (SOL_SOCKET, SO_RCVBUF) | (SOL_SOCKET, SO_SNDBUF) => {
                    int(me)?;
                }
                (IPPROTO_TCP, TCP_NODELAY) => o.nodelay = int(me)? != 0,
                _ => return Err(Errno::ENOPROTOOPT),
            }
            with_stack(|s| s.set_opts(id, o))?;
            ok(0)
        }
        nr::GETSOCKOPT => {
            let (id, _, _) = sock_of(me, a[0])?;
            let (level, name, ptr, len) = (a[1] as u32, a[2] as u32, a[3], a[4]);
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
                space(me).write_val(ptr, &v)?;
                return ok(4);
            }
            let t = match (level, name) {
                (SOL_SOCKET, SO_RCVTIMEO) => o.rcv_timeout_ms,
                (SOL_SOCKET, SO_SNDTIMEO) => o.snd_timeout_ms,
                _ => return Err(Errno::ENOPROTOOPT),
            };
            if len < 16 {
                return Err(Errno::EINVAL);
            }
            space(me).write_val(ptr, &Timeval::from_millis(t.unwrap_or(0)))?;
            ok(16)
        }
        nr::GETSOCKNAME | nr::GETPEERNAME => {
            let (id, _, _) = sock_of(me, a[0])?;
            let addr = with_stack(|s| {
                if call == nr::GETSOCKNAME {
                    s.sockname(id)
                } else {
                    s.peername(id)
                }
            })?;
            space(me).write_val(a[1], &addr.to_sockaddr())?;
            ok(0)
        }
        nr::NET_INFO => {
            let info = {
                let g = NET.lock();
                let n = g.as_ref().ok_or(Errno::ENETDOWN)?;
                let c = n.stack.config();
                let up = n.up_since_ns;
                NetInfo {
                    addr: c.addr,
                    gateway: c.gateway.unwrap_or([0; 4]),
                    prefix_len: c.prefix_len,
                    up: 1,
                    mac: c.mac,
                    mtu: 1500,
                    _pad: 0,
                    rx_packets: n.dev.counters.rx_packets,
                    tx_packets: n.dev.counters.tx_packets,
                    rx_bytes: n.dev.counters.rx_bytes,
                    tx_bytes: n.dev.counters.tx_bytes,
                    up_since: Timespec {
                        tv_sec: (up / 1_000_000_000) as i64,
                        tv_nsec: (up % 1_000_000_000) as i64,
                    },
                }
            };
            space(me).write_val(a[0], &info)?;
            ok(0)
        }
        nr::NET_SOCKETS => {
            let rows = {
                let g = NET.lock();
                g.as_ref().ok_or(Errno::ENETDOWN)?.stack.sockets()
            };
            let max = (a[1] as usize).min(1024);
            for (i, r) in rows.iter().take(max).enumerate() {
                space(me).write_val(a[0] + (i * core::mem::size_of::<SockInfo>()) as u64, r)?;
            }
            ok(rows.len().min(max))
        }
        _ => Err(Errno::ENOSYS),
    }
}

/// `poll(fds, nfds, timeout_ms)` over sockets, pipes, the console and files.
fn sys_poll(
    k: &mut Kernel,
    me: &mut Process,
    ptr: u64,
    nfds: u64,
    timeout_ms: i64,
) -> Result<Sys, Errno> {
    let nfds = nfds as usize;
    if nfds > POLL_MAX {
        return Err(Errno::EINVAL);
    }
    let mut fds: Vec<PollFd> = Vec::with_capacity(nfds);
    for i in 0..nfds {
        fds.push(space(me).read_val(ptr + (i * 8) as u64)?);
    }
    let mut ready = 0;
    for p in fds.iter_mut() {
        p.revents = 0;
        if p.fd < 0 {
            continue;
        }
        let Some(f) = me.fd(p.fd as i64) else {
            p.revents = POLLNVAL;
            ready += 1;
            continue;
        };
        let all = match &f.file.lock().obj {
            FileObj::Socket(id) => socket_revents(*id),
            FileObj::Console => {
                if k.ldisc.readable() {
                    POLLIN | POLLOUT
                } else {
                    POLLOUT
                }
            }
            FileObj::PipeRead(pipe) => {
                let pipe = pipe.lock();
                if !pipe.buf.is_empty() {
                    POLLIN
                } else if pipe.writers == 0 {
                    POLLIN | POLLHUP
                } else {
                    0
                }
            }
            FileObj::PipeWrite(pipe) => {
                let pipe = pipe.lock();
                if pipe.readers == 0 {
                    POLLERR
                } else if pipe.buf.len() < PIPE_CAP {
                    POLLOUT
                } else {
                    0
                }
            }
            _ => POLLIN | POLLOUT,
        };
        p.revents = all & (p.events | POLLERR | POLLHUP | POLLNVAL);
        if p.revents != 0 {
            ready += 1;
        }
    }
    let write_back = |me: &mut Process, fds: &[PollFd]| -> Result<(), Errno> {
        for (i, p) in fds.iter().enumerate() {
            space(me).write_val(ptr + (i * 8) as u64, p)?;
        }
        Ok(())
    };
    if ready > 0 || timeout_ms == 0 {
        done(me);
        write_back(me, &fds)?;
        return Ok(Sys::Ret(Ok(ready)));
    }
    let timeout = (timeout_ms > 0).then_some(timeout_ms as u64);
    match wait(me, nr::POLL, timeout, Errno::ETIMEDOUT) {
        Err(Errno::ETIMEDOUT) => {
            write_back(me, &fds)?;
            Ok(Sys::Ret(Ok(0)))
        }
        other => other,
    }
}
