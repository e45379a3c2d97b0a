//! Networking for SwiftOS programs: IPv4 socket addresses, TCP streams and listeners, UDP
//! sockets, `poll`, interface information, and the DNS resolver (`/etc/resolv.conf`,
//! retries, timeouts, a TTL cache) built on `swiftos-dns`.
//!
//! Every call needs the `capNet` capability; without it the kernel answers `EACCES`.

use crate::sys::{self, Fd};
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;
use swiftos_abi::net::*;
use swiftos_abi::{nr, Errno};
use swiftos_dns::{Cache, Cached, DnsError};

/// An IPv4 address and port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SocketAddr {
    pub ip: [u8; 4],
    pub port: u16,
}

impl SocketAddr {
    pub const fn new(ip: [u8; 4], port: u16) -> SocketAddr {
        SocketAddr { ip, port }
    }
    fn raw(&self) -> SockAddrIn {
        SockAddrIn::new(self.ip, self.port)
    }
    fn from_raw(s: &SockAddrIn) -> SocketAddr {
        SocketAddr::new(s.octets(), s.port())
    }
    /// Parse `a.b.c.d:port`.
    pub fn parse(s: &str) -> Option<SocketAddr> {
        let (ip, port) = s.rsplit_once(':')?;
        Some(SocketAddr::new(parse_ipv4(ip)?, port.parse().ok()?))
    }
}

impl fmt::Display for SocketAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", Ip(self.ip), self.port)
    }
}

/// Displays an IPv4 address in dotted-quad form.
pub struct Ip(pub [u8; 4]);

impl fmt::Display for Ip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.0;
        write!(f, "{a}.{b}.{c}.{d}")
    }
}

pub use swiftos_dns::conf::parse_ipv4;

/// Issue a network call whose pointer arguments were all derived, right before the call, from
/// references or slices that outlive it, each paired with its exact length.
fn call_ptr(n: usize, a: [usize; 6]) -> Result<usize, Errno> {
    // SAFETY: every caller in this module builds its pointer arguments from live references or
    // slices of the stated size (see each wrapper), so the kernel only touches our own memory
    // within those bounds.
    swiftos_abi::decode_result(unsafe { sys::syscall6(n, a) })
}

fn socket(ty: u32) -> Result<Fd, Errno> {
    call_ptr(
        nr::SOCKET,
        [AF_INET as usize, (ty | SOCK_CLOEXEC) as usize, 0, 0, 0, 0],
    )
    .map(|fd| fd as Fd)
}

fn addr_call(n: usize, fd: Fd, a: &SocketAddr) -> Result<usize, Errno> {
    let raw = a.raw();
    call_ptr(
        n,
        [
            fd as usize,
            &raw as *const SockAddrIn as usize,
            core::mem::size_of::<SockAddrIn>(),
            0,
            0,
            0,
        ],
    )
}

fn name_call(n: usize, fd: Fd) -> Result<SocketAddr, Errno> {
    let mut raw = SockAddrIn::default();
    call_ptr(
        n,
        [
            fd as usize,
            &mut raw as *mut SockAddrIn as usize,
            0,
            0,
            0,
            0,
        ],
    )?;
    Ok(SocketAddr::from_raw(&raw))
}

fn setsockopt_raw(fd: Fd, level: u32, name: u32, val: &[u8]) -> Result<(), Errno> {
    call_ptr(
        nr::SETSOCKOPT,
        [
            fd as usize,
            level as usize,
            name as usize,
            val.as_ptr() as usize,
            val.len(),
            0,
        ],
    )
    .map(drop)
}

/// Set an integer socket option.
pub fn setsockopt_int(fd: Fd, level: u32, name: u32, v: i32) -> Result<(), Errno> {
    setsockopt_raw(fd, level, name, &v.to_ne_bytes())
}

/// Set `SO_RCVTIMEO` / `SO_SNDTIMEO` (`None` = no timeout).
pub fn set_timeout(fd: Fd, name: u32, ms: Option<u64>) -> Result<(), Errno> {
    let tv = Timeval::from_millis(ms.unwrap_or(0));
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&tv.tv_sec.to_ne_bytes());
    b[8..].copy_from_slice(&tv.tv_usec.to_ne_bytes());
    setsockopt_raw(fd, SOL_SOCKET, name, &b)
}

/// Read an integer socket option.
pub fn getsockopt_int(fd: Fd, level: u32, name: u32) -> Result<i32, Errno> {
    let mut v = 0i32;
    call_ptr(
        nr::GETSOCKOPT,
        [
            fd as usize,
            level as usize,
            name as usize,
            &mut v as *mut i32 as usize,
            4,
            0,
        ],
    )?;
    Ok(v)
}

pub fn send(fd: Fd, buf: &[u8], flags: u32) -> Result<usize, Errno> {
    call_ptr(
        nr::SEND,
        [
            fd as usize,
            buf.as_ptr() as usize,
            buf.len(),
            flags as usize,
            0,
            0,
        ],
    )
}

pub fn recv(fd: Fd, buf: &mut [u8], flags: u32) -> Result<usize, Errno> {
    call_ptr(
        nr::RECV,
        [
            fd as usize,
            buf.as_mut_ptr() as usize,
            buf.len(),
            flags as usize,
            0,
            0,
        ],
    )
}

pub fn shutdown(fd: Fd, how: u32) -> Result<(), Errno> {
    call_ptr(nr::SHUTDOWN, [fd as usize, how as usize, 0, 0, 0, 0]).map(drop)
}

/// `poll` over any descriptors; `timeout_ms` -1 waits forever.
pub fn poll(fds: &mut [PollFd], timeout_ms: i64) -> Result<usize, Errno> {
    call_ptr(
        nr::POLL,
        [
            fds.as_mut_ptr() as usize,
            fds.len(),
            timeout_ms as usize,
            0,
            0,
            0,
        ],
    )
}

/// The interface's configuration and counters.
pub fn net_info() -> Result<NetInfo, Errno> {
    let mut i = NetInfo::default();
    call_ptr(
        nr::NET_INFO,
        [&mut i as *mut NetInfo as usize, 0, 0, 0, 0, 0],
    )?;
    Ok(i)
}

/// The kernel's socket table.
pub fn net_sockets() -> Result<Vec<SockInfo>, Errno> {
    let mut v = vec![SockInfo::default(); 256];
    let n = call_ptr(
        nr::NET_SOCKETS,
        [v.as_mut_ptr() as usize, v.len(), 0, 0, 0, 0],
    )?;
    v.truncate(n);
    Ok(v)
}

/// A connected TCP socket; closed on drop.
#[derive(Debug)]
pub struct TcpStream {
    fd: Fd,
}

impl TcpStream {
    /// Connect (blocking, with the kernel's connect timeout or `SO_SNDTIMEO`).
    pub fn connect(addr: SocketAddr) -> Result<TcpStream, Errno> {
        let fd = socket(SOCK_STREAM)?;
        let s = TcpStream { fd };
        addr_call(nr::CONNECT, fd, &addr)?;
        Ok(s)
    }

    /// Connect, giving up after `ms` milliseconds with `ETIMEDOUT`.
    pub fn connect_timeout(addr: SocketAddr, ms: u64) -> Result<TcpStream, Errno> {
        let fd = socket(SOCK_STREAM)?;
        let s = TcpStream { fd };
        set_timeout(fd, SO_SNDTIMEO, Some(ms))?;
        addr_call(nr::CONNECT, fd, &addr)?;
        set_timeout(fd, SO_SNDTIMEO, None)?;
        Ok(s)
    }

    pub fn fd(&self) -> Fd {
        self.fd
    }
    pub fn read(&self, buf: &mut [u8]) -> Result<usize, Errno> {
        recv(self.fd, buf, 0)
    }
    pub fn write(&self, buf: &[u8]) -> Result<usize, Errno> {
        send(self.fd, buf, 0)
    }
    pub fn write_all(&self, mut buf: &[u8]) -> Result<(), Errno> {
        while !buf.is_empty() {
            match self.write(buf) {
                Ok(0) => return Err(Errno::EPIPE),
                Ok(n) => buf = &buf[n..],
                Err(Errno::EINTR) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
    /// Read until the peer closes.
    pub fn read_to_end(&self, out: &mut Vec<u8>) -> Result<usize, Errno> {
        let mut buf = vec![0u8; 16 * 1024];
        let start = out.len();
        loop {
            match self.read(&mut buf) {
                Ok(0) => return Ok(out.len() - start),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(Errno::EINTR) => {}
                Err(e) => return Err(e),
            }
        }
    }
    pub fn shutdown(&self, how: u32) -> Result<(), Errno> {
        shutdown(self.fd, how)
    }
    pub fn set_nodelay(&self, on: bool) -> Result<(), Errno> {
        setsockopt_int(self.fd, IPPROTO_TCP, TCP_NODELAY, on as i32)
    }
    pub fn set_read_timeout(&self, ms: Option<u64>) -> Result<(), Errno> {
        set_timeout(self.fd, SO_RCVTIMEO, ms)
    }
    pub fn set_write_timeout(&self, ms: Option<u64>) -> Result<(), Errno> {
        set_timeout(self.fd, SO_SNDTIMEO, ms)
    }
    pub fn peer_addr(&self) -> Result<SocketAddr, Errno> {
        name_call(nr::GETPEERNAME, self.fd)
    }
    pub fn local_addr(&self) -> Result<SocketAddr, Errno> {
        name_call(nr::GETSOCKNAME, self.fd)
    }
    /// Give up ownership of the descriptor.
    pub fn into_raw_fd(self) -> Fd {
        let fd = self.fd;
        core::mem::forget(self);
        fd
    }
}

impl Drop for TcpStream {
    fn drop(&mut self) {
        let _ = sys::close(self.fd);
    }
}

/// A listening TCP socket (`SO_REUSEADDR` set, backlog 32); closed on drop.
#[derive(Debug)]
pub struct TcpListener {
    fd: Fd,
}

impl TcpListener {
    pub fn bind(addr: SocketAddr) -> Result<TcpListener, Errno> {
        let fd = socket(SOCK_STREAM)?;
        let l = TcpListener { fd };
        setsockopt_int(fd, SOL_SOCKET, SO_REUSEADDR, 1)?;
        addr_call(nr::BIND, fd, &addr)?;
        call_ptr(nr::LISTEN, [fd as usize, 32, 0, 0, 0, 0])?;
        Ok(l)
    }
    pub fn fd(&self) -> Fd {
        self.fd
    }
    /// Wait for a connection.
    pub fn accept(&self) -> Result<(TcpStream, SocketAddr), Errno> {
        let mut raw = SockAddrIn::default();
        let fd = call_ptr(
            nr::ACCEPT,
            [
                self.fd as usize,
                &mut raw as *mut SockAddrIn as usize,
                SOCK_CLOEXEC as usize,
                0,
                0,
                0,
            ],
        )? as Fd;
        Ok((TcpStream { fd }, SocketAddr::from_raw(&raw)))
    }
    pub fn local_addr(&self) -> Result<SocketAddr, Errno> {
        name_call(nr::GETSOCKNAME, self.fd)
    }
}

impl Drop for TcpListener {
    fn drop(&mut self) {
        let _ = sys::close(self.fd);
    }
}

/// A UDP socket; closed on drop.
#[derive(Debug)]
pub struct UdpSocket {
    fd: Fd,
}

impl UdpSocket {
    /// Bind to `addr` (port 0: an ephemeral port).
    pub fn bind(addr: SocketAddr) -> Result<UdpSocket, Errno> {
        let fd = socket(SOCK_DGRAM)?;
        let s = UdpSocket { fd };
        addr_call(nr::BIND, fd, &addr)?;
        Ok(s)
    }
    pub fn fd(&self) -> Fd {
        self.fd
    }
    pub fn send_to(&self, buf: &[u8], to: SocketAddr) -> Result<usize, Errno> {
        let raw = to.raw();
        call_ptr(
            nr::SENDTO,
            [
                self.fd as usize,
                buf.as_ptr() as usize,
                buf.len(),
                0,
                &raw as *const SockAddrIn as usize,
                core::mem::size_of::<SockAddrIn>(),
            ],
        )
    }
    pub fn recv_from(&self, buf: &mut [u8]) -> Result<(usize, SocketAddr), Errno> {
        let mut raw = SockAddrIn::default();
        let n = call_ptr(
            nr::RECVFROM,
            [
                self.fd as usize,
                buf.as_mut_ptr() as usize,
                buf.len(),
                0,
                &mut raw as *mut SockAddrIn as usize,
                0,
            ],
        )?;
        Ok((n, SocketAddr::from_raw(&raw)))
    }
    pub fn set_read_timeout(&self, ms: Option<u64>) -> Result<(), Errno> {
        set_timeout(self.fd, SO_RCVTIMEO, ms)
    }
    pub fn local_addr(&self) -> Result<SocketAddr, Errno> {
        name_call(nr::GETSOCKNAME, self.fd)
    }
}

impl Drop for UdpSocket {
    fn drop(&mut self) {
        let _ = sys::close(self.fd);
    }
}

/// Why a name could not be resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResolveError {
    /// The server says the name does not exist.
    NxDomain,
    /// No answer from any server within the timeout and retries.
    Timeout,
    /// `/etc/resolv.conf` is missing or names no server.
    NoServer,
    /// The answer was unusable (truncated, no A record, malformed, server failure).
    Dns(DnsError),
    /// A socket call failed (e.g. `EACCES` without `capNet`).
    Sys(Errno),
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResolveError::NxDomain => f.write_str("no such host (NXDOMAIN)"),
            ResolveError::Timeout => f.write_str("no answer from the name server (timed out)"),
            ResolveError::NoServer => f.write_str("no nameserver configured in /etc/resolv.conf"),
            ResolveError::Dns(e) => write!(f, "{e}"),
            ResolveError::Sys(e) => f.write_str(e.description()),
        }
    }
}

/// Resolver settings from `/etc/resolv.conf` (format: [`swiftos_dns::conf`]), with the
/// servers as socket addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvConf {
    pub servers: Vec<SocketAddr>,
    pub timeout_ms: u64,
    pub attempts: u32,
}

impl ResolvConf {
    pub fn parse(text: &str) -> ResolvConf {
        let c = swiftos_dns::ResolvConf::parse(text);
        ResolvConf {
            servers: c
                .servers
                .into_iter()
                .map(|(ip, port)| SocketAddr::new(ip, port))
                .collect(),
            timeout_ms: c.timeout_ms,
            attempts: c.attempts,
        }
    }
}

/// A DNS stub resolver with a TTL cache.
pub struct Resolver {
    pub conf: ResolvConf,
    cache: Cache,
    next_id: u16,
}

impl Resolver {
    pub fn new(conf: ResolvConf) -> Resolver {
        Resolver {
            conf,
            cache: Cache::new(64),
            next_id: (crate::time::monotonic_ns() as u16) | 1,
        }
    }

    /// A resolver configured from `/etc/resolv.conf` (no servers if it is missing).
    pub fn from_system() -> Resolver {
        let text = crate::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
        Resolver::new(ResolvConf::parse(&text))
    }

    /// The IPv4 addresses of `name` (an address literal or `localhost` resolve directly).
    pub fn lookup(&mut self, name: &str) -> Result<Vec<[u8; 4]>, ResolveError> {
        if let Some(ip) = parse_ipv4(name) {
            return Ok(vec![ip]);
        }
        if name.eq_ignore_ascii_case("localhost") {
            return Ok(vec![[127, 0, 0, 1]]);
        }
        swiftos_dns::wire::validate_name(name).map_err(ResolveError::Dns)?;
        let now = crate::time::monotonic_ns() / 1_000_000;
        match self.cache.get(name, now) {
            Some(Cached::Addrs(a)) => return Ok(a),
            Some(Cached::NxDomain) => return Err(ResolveError::NxDomain),
            None => {}
        }
        if self.conf.servers.is_empty() {
            return Err(ResolveError::NoServer);
        }
        let sock = UdpSocket::bind(SocketAddr::new([0; 4], 0)).map_err(ResolveError::Sys)?;
        let mut buf = vec![0u8; 1500];
        for _ in 0..self.conf.attempts {
            for &server in &self.conf.servers.clone() {
                let id = self.next_id;
                self.next_id = self.next_id.wrapping_mul(75).wrapping_add(74) | 1;
                let q = swiftos_dns::build_query(id, name).map_err(ResolveError::Dns)?;
                sock.send_to(&q, server).map_err(ResolveError::Sys)?;
                let deadline = crate::time::monotonic_ns() + self.conf.timeout_ms * 1_000_000;
                loop {
                    let left = deadline.saturating_sub(crate::time::monotonic_ns()) / 1_000_000;
                    if left == 0 {
                        break;
                    }
                    let mut p = [PollFd {
                        fd: sock.fd(),
                        events: POLLIN,
                        revents: 0,
                    }];
                    if poll(&mut p, left as i64).map_err(ResolveError::Sys)? == 0 {
                        break;
                    }
                    let (n, from) = match sock.recv_from(&mut buf) {
                        Ok(r) => r,
                        Err(Errno::EAGAIN) | Err(Errno::EINTR) => continue,
                        Err(e) => return Err(ResolveError::Sys(e)),
                    };
                    if from != server {
                        continue;
                    }
                    let now = crate::time::monotonic_ns() / 1_000_000;
                    match swiftos_dns::parse_response(&buf[..n], id, name) {
                        Ok(a) => {
                            self.cache
                                .insert(name, Cached::Addrs(a.addrs.clone()), a.ttl, now);
                            return Ok(a.addrs);
                        }
                        Err(DnsError::NxDomain) => {
                            self.cache.insert(
                                name,
                                Cached::NxDomain,
                                swiftos_dns::cache::NEGATIVE_TTL,
                                now,
                            );
                            return Err(ResolveError::NxDomain);
                        }
                        // A stray or stale answer: keep waiting for ours.
                        Err(DnsError::Mismatch) | Err(DnsError::Malformed(_)) => continue,
                        Err(e) => return Err(ResolveError::Dns(e)),
                    }
                }
            }
        }
        Err(ResolveError::Timeout)
    }
}

/// Resolve `host` (name or address) with the system resolver.
pub fn resolve(host: &str) -> Result<Vec<[u8; 4]>, ResolveError> {
    Resolver::from_system().lookup(host)
}

/// Split `HOST[:PORT]` (port defaults to `default_port`).
pub fn split_host_port(s: &str, default_port: u16) -> Option<(&str, u16)> {
    match s.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() => Some((h, p.parse().ok()?)),
        Some(_) => None,
        None if !s.is_empty() => Some((s, default_port)),
        None => None,
    }
}
