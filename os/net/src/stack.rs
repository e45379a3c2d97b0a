//! The socket table over smoltcp: POSIX-like TCP (bind, listen with a backlog, accept,
//! connect, send, recv, shutdown) and UDP (bind, sendto, recvfrom) sockets, options, readiness
//! for `poll`, and errors as ABI errno values.
//!
//! All calls are non-blocking: "would wait" is [`Errno::EAGAIN`] (and `EINPROGRESS` for a
//! fresh `connect`). Call [`Stack::poll`] whenever a frame arrived, a socket call ran, or
//! [`Stack::poll_delay`] expired.

use crate::config::NetConfig;
use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;
use core::net::Ipv4Addr;
use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet};
use smoltcp::phy::Device;
use smoltcp::socket::{tcp, udp};
use smoltcp::time::{Duration, Instant};
use smoltcp::wire::{
    EthernetAddress, HardwareAddress, IpAddress, IpCidr, IpEndpoint, IpListenEndpoint,
};
use swiftos_abi::net::{SockAddrIn, SockInfo, SOCKINFO_TCP, SOCKINFO_UDP};
use swiftos_abi::Errno;

/// A socket's id in the table (the kernel keeps it in the open-file object).
pub type SocketId = u32;

/// TCP buffer sizes (each direction).
pub const TCP_BUF: usize = 64 * 1024;
/// UDP: datagrams and payload bytes buffered per direction.
pub const UDP_PACKETS: usize = 64;
pub const UDP_BUF: usize = 64 * 1024;
/// Largest backlog honoured by `listen`.
pub const MAX_BACKLOG: usize = 32;
/// First ephemeral port.
pub const EPHEMERAL_FIRST: u16 = 49152;
/// Default cap on smoltcp sockets (each TCP one holds `2 * TCP_BUF` bytes of buffers).
pub const DEFAULT_SOCKET_LIMIT: usize = 256;
/// How long a closed TCP connection may linger (flushing data, waiting for the peer's FIN)
/// before it is aborted.
pub const LINGER_MS: u64 = 30_000;

/// Socket type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockKind {
    Tcp,
    Udp,
}

/// An IPv4 endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Addr {
    pub ip: [u8; 4],
    pub port: u16,
}

impl Addr {
    pub const fn new(ip: [u8; 4], port: u16) -> Addr {
        Addr { ip, port }
    }
    pub fn from_sockaddr(s: &SockAddrIn) -> Result<Addr, Errno> {
        if u32::from(s.sin_family) != swiftos_abi::net::AF_INET {
            return Err(Errno::EAFNOSUPPORT);
        }
        Ok(Addr::new(s.octets(), s.port()))
    }
    pub fn to_sockaddr(self) -> SockAddrIn {
        SockAddrIn::new(self.ip, self.port)
    }
    /// The same port on another address.
    pub fn with_ip(self, ip: [u8; 4]) -> Addr {
        Addr {
            ip,
            port: self.port,
        }
    }
    fn is_unspecified(&self) -> bool {
        self.ip == [0; 4]
    }
    fn endpoint(&self) -> IpEndpoint {
        IpEndpoint::new(IpAddress::Ipv4(Ipv4Addr::from(self.ip)), self.port)
    }
    fn from_endpoint(e: IpEndpoint) -> Addr {
        let IpAddress::Ipv4(a) = e.addr;
        Addr::new(a.octets(), e.port)
    }
}

/// What `poll` may report for a socket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Readiness {
    pub readable: bool,
    pub writable: bool,
    /// The peer closed (or the socket can never carry data again).
    pub hup: bool,
    /// A pending error (`SO_ERROR`).
    pub error: bool,
}

/// Per-socket options.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SockOpts {
    pub reuse_addr: bool,
    pub nodelay: bool,
    pub keepalive: bool,
    /// Receive / send timeouts in milliseconds (`None` = wait forever). The stack only stores
    /// them; the kernel applies them while blocking.
    pub rcv_timeout_ms: Option<u64>,
    pub snd_timeout_ms: Option<u64>,
}

enum TcpState {
    Fresh,
    Bound(Addr),
    Listening {
        local: Addr,
        /// smoltcp sockets in `Listen` (one per backlog slot).
        slots: Vec<SocketHandle>,
    },
    Connecting(SocketHandle),
    Connected {
        h: SocketHandle,
        /// Whether a blocked/non-blocking `connect` has been told it succeeded.
        reported: bool,
    },
}

struct TcpSock {
    state: TcpState,
    shut_rd: bool,
    shut_wr: bool,
    error: Option<Errno>,
}

struct UdpSock {
    h: SocketHandle,
    local: Option<Addr>,
    peer: Option<Addr>,
    shut_rd: bool,
}

enum Body {
    Tcp(TcpSock),
    Udp(UdpSock),
}

struct Entry {
    body: Body,
    opts: SockOpts,
}

/// The interface plus every socket.
pub struct Stack {
    iface: Interface,
    sockets: SocketSet<'static>,
    table: BTreeMap<SocketId, Entry>,
    /// Closed TCP connections still flushing, with the time they were closed.
    closing: Vec<(SocketHandle, u64)>,
    next_id: SocketId,
    next_port: u16,
    config: NetConfig,
    now_ms: u64,
    limit: usize,
}

fn tcp_socket() -> tcp::Socket<'static> {
    tcp::Socket::new(
        tcp::SocketBuffer::new(vec![0u8; TCP_BUF]),
        tcp::SocketBuffer::new(vec![0u8; TCP_BUF]),
    )
}

fn udp_socket() -> udp::Socket<'static> {
    udp::Socket::new(
        udp::PacketBuffer::new(
            vec![udp::PacketMetadata::EMPTY; UDP_PACKETS],
            vec![0u8; UDP_BUF],
        ),
        udp::PacketBuffer::new(
            vec![udp::PacketMetadata::EMPTY; UDP_PACKETS],
            vec![0u8; UDP_BUF],
        ),
    )
}

fn apply_tcp_opts(s: &mut tcp::Socket<'_>, o: &SockOpts) {
    s.set_nagle_enabled(!o.nodelay);
    s.set_keep_alive(o.keepalive.then(|| Duration::from_secs(60)));
}

/// TCP state as the ABI's `TCP_*` number.
fn state_code(s: tcp::State) -> u32 {
    use swiftos_abi::net::*;
    match s {
        tcp::State::Closed => TCP_CLOSED,
        tcp::State::Listen => TCP_LISTEN,
        tcp::State::SynSent => TCP_SYN_SENT,
        tcp::State::SynReceived => TCP_SYN_RECEIVED,
        tcp::State::Established => TCP_ESTABLISHED,
        tcp::State::FinWait1 => TCP_FIN_WAIT_1,
        tcp::State::FinWait2 => TCP_FIN_WAIT_2,
        tcp::State::CloseWait => TCP_CLOSE_WAIT,
        tcp::State::Closing => TCP_CLOSING,
        tcp::State::LastAck => TCP_LAST_ACK,
        tcp::State::TimeWait => TCP_TIME_WAIT,
    }
}

impl Stack {
    /// Bring up the interface on `device` with `config`. `seed` randomises initial sequence
    /// numbers (the kernel passes the timer counter). A multicast/zero MAC is replaced by a
    /// locally administered one.
    pub fn new<D: Device + ?Sized>(
        config: NetConfig,
        device: &mut D,
        now_ms: u64,
        seed: u64,
    ) -> Stack {
        let mut config = config;
        if config.mac[0] & 1 != 0 || config.mac == [0; 6] {
            config.mac = [0x02, 0x53, 0x57, 0x46, 0x54, 0x01];
        }
        let mut c = Config::new(HardwareAddress::Ethernet(EthernetAddress(config.mac)));
        c.random_seed = seed;
        let mut iface = Interface::new(c, device, Instant::from_millis(now_ms as i64));
        iface.update_ip_addrs(|a| {
            // Capacity is at least one address; the list starts empty.
            let _ = a.push(IpCidr::new(
                IpAddress::Ipv4(Ipv4Addr::from(config.addr)),
                config.prefix_len,
            ));
        });
        if let Some(gw) = config.gateway {
            // Only fails when the route table is full, and it starts empty.
            let _ = iface
                .routes_mut()
                .add_default_ipv4_route(Ipv4Addr::from(gw));
        }
        Stack {
            iface,
            sockets: SocketSet::new(Vec::new()),
            table: BTreeMap::new(),
            closing: Vec::new(),
            next_id: 1,
            next_port: EPHEMERAL_FIRST + (seed % 1024) as u16,
            config,
            now_ms,
            limit: DEFAULT_SOCKET_LIMIT,
        }
    }

    /// Cap the number of stack sockets (listen slots and lingering connections included) so
    /// socket buffers cannot exhaust the kernel heap. New sockets beyond it get `ENOBUFS`.
    pub fn set_socket_limit(&mut self, limit: usize) {
        self.limit = limit.max(4);
    }

    fn room(&self) -> usize {
        self.limit.saturating_sub(self.sockets.iter().count())
    }

    pub fn config(&self) -> &NetConfig {
        &self.config
    }

    /// Change the interface address, prefix and gateway (the MAC stays). Existing
    /// connections keep their old local address and will fail; new sockets use the new one.
    pub fn reconfigure(&mut self, config: NetConfig) {
        let config = NetConfig {
            mac: self.config.mac,
            ..config
        };
        self.iface.update_ip_addrs(|a| {
            a.clear();
            let _ = a.push(IpCidr::new(
                IpAddress::Ipv4(Ipv4Addr::from(config.addr)),
                config.prefix_len,
            ));
        });
        let routes = self.iface.routes_mut();
        routes.remove_default_ipv4_route();
        if let Some(gw) = config.gateway {
            let _ = routes.add_default_ipv4_route(Ipv4Addr::from(gw));
        }
        self.config = config;
    }

    /// Process received frames, run timers and transmit. Returns `true` if some socket's
    /// state may have changed (wake waiters).
    pub fn poll<D: Device + ?Sized>(&mut self, now_ms: u64, device: &mut D) -> bool {
        self.now_ms = now_ms;
        let now = Instant::from_millis(now_ms as i64);
        let changed = self.iface.poll(now, device, &mut self.sockets)
            == smoltcp::iface::PollResult::SocketStateChanged;
        self.reap_closing(now_ms);
        self.refill_listeners();
        changed
    }

    /// Milliseconds until [`Stack::poll`] must run again (`None`: only on new frames).
    pub fn poll_delay(&mut self, now_ms: u64) -> Option<u64> {
        let now = Instant::from_millis(now_ms as i64);
        let d = self
            .iface
            .poll_delay(now, &self.sockets)
            .map(|d| d.total_millis());
        // Lingering sockets must be reaped even if smoltcp has nothing scheduled.
        let linger = self
            .closing
            .iter()
            .map(|&(_, t)| (t + LINGER_MS).saturating_sub(now_ms))
            .min();
        match (d, linger) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn reap_closing(&mut self, now_ms: u64) {
        let sockets = &mut self.sockets;
        self.closing.retain(|&(h, t)| {
            let s = sockets.get_mut::<tcp::Socket>(h);
            if now_ms >= t + LINGER_MS {
                s.abort();
            }
            // TIME-WAIT is dropped at once: both FINs were exchanged, and a peer that reuses
            // the same port for its next connection (QEMU's user network forwards the host
            // client's port unchanged) must reach the listener, not the dead connection.
            // An aborted socket still has to send its RST before it can go.
            if s.state() == tcp::State::TimeWait
                || (s.state() == tcp::State::Closed && s.send_queue() == 0)
            {
                sockets.remove(h);
                false
            } else {
                true
            }
        });
    }

    /// Listeners whose slots were reset back to `Closed` (e.g. the SYN sender vanished) listen
    /// again.
    fn refill_listeners(&mut self) {
        for e in self.table.values_mut() {
            if let Body::Tcp(TcpSock {
                state: TcpState::Listening { local, slots },
                ..
            }) = &mut e.body
            {
                for &h in slots.iter() {
                    let s = self.sockets.get_mut::<tcp::Socket>(h);
                    if s.state() == tcp::State::Closed {
                        let _ = s.listen(listen_ep(*local));
                    }
                }
            }
        }
    }

    fn entry(&mut self, id: SocketId) -> Result<&mut Entry, Errno> {
        self.table.get_mut(&id).ok_or(Errno::EBADF)
    }

    /// Create a socket.
    pub fn socket(&mut self, kind: SockKind) -> Result<SocketId, Errno> {
        if self.table.len() >= self.limit {
            return Err(Errno::ENFILE);
        }
        if kind == SockKind::Udp && self.room() == 0 {
            return Err(Errno::ENOBUFS);
        }
        let id = self.next_id;
        self.next_id = self.next_id.checked_add(1).ok_or(Errno::ENFILE)?;
        let body = match kind {
            SockKind::Tcp => Body::Tcp(TcpSock {
                state: TcpState::Fresh,
                shut_rd: false,
                shut_wr: false,
                error: None,
            }),
            SockKind::Udp => Body::Udp(UdpSock {
                h: self.sockets.add(udp_socket()),
                local: None,
                peer: None,
                shut_rd: false,
            }),
        };
        self.table.insert(
            id,
            Entry {
                body,
                opts: SockOpts::default(),
            },
        );
        Ok(id)
    }

    pub fn kind(&self, id: SocketId) -> Result<SockKind, Errno> {
        match self.table.get(&id).map(|e| &e.body) {
            Some(Body::Tcp(_)) => Ok(SockKind::Tcp),
            Some(Body::Udp(_)) => Ok(SockKind::Udp),
            None => Err(Errno::EBADF),
        }
    }

    /// Close a socket: TCP connections finish sending and close gracefully in the
    /// background; pending connections of a listener are reset.
    pub fn close(&mut self, id: SocketId) {
        let Some(e) = self.table.remove(&id) else {
            return;
        };
        match e.body {
            Body::Udp(u) => {
                self.sockets.remove(u.h);
            }
            Body::Tcp(t) => match t.state {
                TcpState::Fresh | TcpState::Bound(_) => {}
                TcpState::Listening { slots, .. } => {
                    for h in slots {
                        let s = self.sockets.get_mut::<tcp::Socket>(h);
                        if s.state() == tcp::State::Listen {
                            self.sockets.remove(h);
                        } else {
                            s.abort();
                            self.closing.push((h, self.now_ms));
                        }
                    }
                }
                TcpState::Connecting(h) | TcpState::Connected { h, .. } => {
                    let s = self.sockets.get_mut::<tcp::Socket>(h);
                    if s.state() == tcp::State::Closed {
                        self.sockets.remove(h);
                    } else {
                        if s.recv_queue() > 0 {
                            // Unread data: like other stacks, reset instead of a clean close.
                            s.abort();
                        } else {
                            s.close();
                        }
                        self.closing.push((h, self.now_ms));
                    }
                }
            },
        }
    }

    /// Local ports in use by `kind` sockets (`strict`: count lingering connections too).
    fn port_busy(&self, kind: SockKind, port: u16, strict: bool) -> bool {
        let in_table = self.table.values().any(|e| match (&e.body, kind) {
            (Body::Udp(u), SockKind::Udp) => u.local.is_some_and(|l| l.port == port),
            (Body::Tcp(t), SockKind::Tcp) => match &t.state {
                TcpState::Fresh => false,
                TcpState::Bound(l) | TcpState::Listening { local: l, .. } => l.port == port,
                TcpState::Connecting(h) | TcpState::Connected { h, .. } => {
                    strict
                        && self
                            .sockets
                            .get::<tcp::Socket>(*h)
                            .local_endpoint()
                            .is_some_and(|e| e.port == port)
                }
            },
            _ => false,
        });
        in_table
            || (kind == SockKind::Tcp
                && strict
                && self.closing.iter().any(|&(h, _)| {
                    self.sockets
                        .get::<tcp::Socket>(h)
                        .local_endpoint()
                        .is_some_and(|e| e.port == port)
                }))
    }

    fn ephemeral(&mut self, kind: SockKind) -> Result<u16, Errno> {
        for _ in 0..(65535 - EPHEMERAL_FIRST as u32 + 1) {
            let p = self.next_port;
            self.next_port = if p == 65535 { EPHEMERAL_FIRST } else { p + 1 };
            if !self.port_busy(kind, p, true) {
                return Ok(p);
            }
        }
        Err(Errno::EADDRINUSE)
    }

    fn check_local_ip(&self, a: &Addr) -> Result<(), Errno> {
        if a.is_unspecified() || a.ip == self.config.addr {
            Ok(())
        } else {
            Err(Errno::EADDRNOTAVAIL)
        }
    }

    /// `bind`. Port 0 picks an ephemeral port.
    pub fn bind(&mut self, id: SocketId, mut addr: Addr) -> Result<(), Errno> {
        self.check_local_ip(&addr)?;
        let kind = self.kind(id)?;
        let reuse = self.entry(id)?.opts.reuse_addr;
        if addr.port == 0 {
            addr.port = self.ephemeral(kind)?;
        } else if self.port_busy(kind, addr.port, !reuse) {
            return Err(Errno::EADDRINUSE);
        }
        match &mut self.entry(id)?.body {
            Body::Tcp(t) => match t.state {
                TcpState::Fresh => t.state = TcpState::Bound(addr),
                _ => return Err(Errno::EINVAL),
            },
            Body::Udp(u) => {
                if u.local.is_some() {
                    return Err(Errno::EINVAL);
                }
                let h = u.h;
                u.local = Some(addr);
                self.sockets
                    .get_mut::<udp::Socket>(h)
                    .bind(listen_ep(addr))
                    .map_err(|_| Errno::EINVAL)?;
            }
        }
        Ok(())
    }

    /// `listen(backlog)`; an unbound socket gets an ephemeral port.
    pub fn listen(&mut self, id: SocketId, backlog: usize) -> Result<(), Errno> {
        let backlog = backlog.clamp(1, MAX_BACKLOG);
        let local = match &self.entry(id)?.body {
            Body::Udp(_) => return Err(Errno::EOPNOTSUPP),
            Body::Tcp(t) => match &t.state {
                TcpState::Fresh => None,
                TcpState::Bound(a) => Some(*a),
                TcpState::Listening { .. } => return Ok(()),
                _ => return Err(Errno::EINVAL),
            },
        };
        let local = match local {
            Some(a) => a,
            None => Addr::new([0; 4], self.ephemeral(SockKind::Tcp)?),
        };
        let backlog = backlog.min(self.room());
        if backlog == 0 {
            return Err(Errno::ENOBUFS);
        }
        let opts = self.entry(id)?.opts;
        let mut slots = Vec::with_capacity(backlog);
        for _ in 0..backlog {
            let mut s = tcp_socket();
            apply_tcp_opts(&mut s, &opts);
            s.listen(listen_ep(local)).map_err(|_| Errno::EINVAL)?;
            slots.push(self.sockets.add(s));
        }
        if let Body::Tcp(t) = &mut self.entry(id)?.body {
            t.state = TcpState::Listening { local, slots };
        }
        Ok(())
    }

    /// `accept`: a new connected socket and the peer's address, or `EAGAIN`.
    pub fn accept(&mut self, id: SocketId) -> Result<(SocketId, Addr), Errno> {
        let e = self.table.get_mut(&id).ok_or(Errno::EBADF)?;
        let opts = e.opts;
        let Body::Tcp(TcpSock {
            state: TcpState::Listening { local, slots },
            ..
        }) = &mut e.body
        else {
            return Err(Errno::EINVAL);
        };
        let local = *local;
        let pos = slots.iter().position(|&h| {
            let st = self.sockets.get::<tcp::Socket>(h).state();
            !matches!(
                st,
                tcp::State::Listen | tcp::State::SynReceived | tcp::State::Closed
            )
        });
        let Some(pos) = pos else {
            return Err(Errno::EAGAIN);
        };
        let h = slots.remove(pos);
        let mut fresh = tcp_socket();
        apply_tcp_opts(&mut fresh, &opts);
        fresh.listen(listen_ep(local)).map_err(|_| Errno::EINVAL)?;
        let nh = self.sockets.add(fresh);
        if let Some(Entry {
            body:
                Body::Tcp(TcpSock {
                    state: TcpState::Listening { slots, .. },
                    ..
                }),
            ..
        }) = self.table.get_mut(&id)
        {
            slots.push(nh);
        }
        let peer = self
            .sockets
            .get::<tcp::Socket>(h)
            .remote_endpoint()
            .map(Addr::from_endpoint)
            .unwrap_or(Addr::new([0; 4], 0));
        let nid = self.next_id;
        self.next_id = self.next_id.checked_add(1).ok_or(Errno::ENFILE)?;
        self.table.insert(
            nid,
            Entry {
                body: Body::Tcp(TcpSock {
                    state: TcpState::Connected { h, reported: true },
                    shut_rd: false,
                    shut_wr: false,
                    error: None,
                }),
                opts: SockOpts {
                    rcv_timeout_ms: None,
                    snd_timeout_ms: None,
                    ..opts
                },
            },
        );
        Ok((nid, peer))
    }

    /// `connect`. TCP: starts the handshake and answers `EINPROGRESS`; call again (or
    /// [`Stack::connect_status`]) for the outcome: `EAGAIN` while pending, then `Ok` once or
    /// the failure (`ECONNREFUSED`). UDP: sets the default peer.
    pub fn connect(&mut self, id: SocketId, remote: Addr) -> Result<(), Errno> {
        if remote.is_unspecified() || remote.port == 0 {
            return Err(Errno::EADDRNOTAVAIL);
        }
        let kind = self.kind(id)?;
        if kind == SockKind::Udp {
            if self.udp_local(id)?.is_none() {
                self.bind(id, Addr::new([0; 4], 0))?;
            }
            if let Body::Udp(u) = &mut self.entry(id)?.body {
                u.peer = Some(remote);
            }
            return Ok(());
        }
        let local = match &self.entry(id)?.body {
            Body::Tcp(t) => match &t.state {
                TcpState::Fresh => None,
                TcpState::Bound(a) => Some(*a),
                TcpState::Connecting(_) | TcpState::Connected { .. } => {
                    return self.connect_status(id)
                }
                TcpState::Listening { .. } => return Err(Errno::EINVAL),
            },
            Body::Udp(_) => return Err(Errno::EINVAL),
        };
        if !self.config.in_subnet(remote.ip) && self.config.gateway.is_none() {
            return Err(Errno::ENETUNREACH);
        }
        if self.room() == 0 {
            return Err(Errno::ENOBUFS);
        }
        let port = match local {
            Some(a) => a.port,
            None => self.ephemeral(SockKind::Tcp)?,
        };
        let opts = self.entry(id)?.opts;
        let mut s = tcp_socket();
        apply_tcp_opts(&mut s, &opts);
        s.connect(self.iface.context(), remote.endpoint(), port)
            .map_err(|e| match e {
                tcp::ConnectError::InvalidState => Errno::EISCONN,
                tcp::ConnectError::Unaddressable => Errno::EADDRNOTAVAIL,
            })?;
        let h = self.sockets.add(s);
        if let Body::Tcp(t) = &mut self.entry(id)?.body {
            t.state = TcpState::Connecting(h);
        }
        Err(Errno::EINPROGRESS)
    }

    /// Outcome of a pending `connect`.
    pub fn connect_status(&mut self, id: SocketId) -> Result<(), Errno> {
        let sockets = &mut self.sockets;
        let e = self.table.get_mut(&id).ok_or(Errno::EBADF)?;
        let Body::Tcp(t) = &mut e.body else {
            return Err(Errno::EINVAL);
        };
        match t.state {
            TcpState::Connecting(h) => {
                let st = sockets.get::<tcp::Socket>(h).state();
                match st {
                    tcp::State::SynSent | tcp::State::SynReceived => Err(Errno::EAGAIN),
                    tcp::State::Closed => {
                        sockets.remove(h);
                        t.state = TcpState::Fresh;
                        Err(Errno::ECONNREFUSED)
                    }
                    _ => {
                        t.state = TcpState::Connected { h, reported: true };
                        Ok(())
                    }
                }
            }
            TcpState::Connected {
                ref mut reported, ..
            } => {
                if *reported {
                    Err(Errno::EISCONN)
                } else {
                    *reported = true;
                    Ok(())
                }
            }
            _ => Err(t.error.take().unwrap_or(Errno::ENOTCONN)),
        }
    }

    /// Give up a pending `connect` with `err` (the kernel's timeout: `ETIMEDOUT`).
    pub fn abort_connect(&mut self, id: SocketId, err: Errno) {
        if let Some(Entry {
            body: Body::Tcp(t), ..
        }) = self.table.get_mut(&id)
        {
            if let TcpState::Connecting(h) = t.state {
                self.sockets.get_mut::<tcp::Socket>(h).abort();
                self.closing.push((h, self.now_ms));
                t.state = TcpState::Fresh;
                t.error = Some(err);
            }
        }
    }

    /// A finished non-blocking connect becomes `Connected` (or fails with `ECONNREFUSED`,
    /// kept for `SO_ERROR`) as soon as the socket is used, as POSIX programs expect after
    /// `poll` said "writable".
    fn settle(&mut self, id: SocketId) {
        let Some(Entry {
            body: Body::Tcp(t), ..
        }) = self.table.get_mut(&id)
        else {
            return;
        };
        let TcpState::Connecting(h) = t.state else {
            return;
        };
        match self.sockets.get::<tcp::Socket>(h).state() {
            tcp::State::SynSent | tcp::State::SynReceived => {}
            tcp::State::Closed => {
                self.sockets.remove(h);
                t.state = TcpState::Fresh;
                t.error = Some(Errno::ECONNREFUSED);
            }
            _ => t.state = TcpState::Connected { h, reported: true },
        }
    }

    fn tcp_conn(&mut self, id: SocketId) -> Result<(&mut TcpSock, SocketHandle), Errno> {
        self.settle(id);
        let e = self.table.get_mut(&id).ok_or(Errno::EBADF)?;
        let Body::Tcp(t) = &mut e.body else {
            return Err(Errno::EINVAL);
        };
        match t.state {
            TcpState::Connected { h, .. } => Ok((t, h)),
            TcpState::Connecting(_) => Err(Errno::EAGAIN),
            _ => Err(t.error.take().unwrap_or(Errno::ENOTCONN)),
        }
    }

    fn udp_local(&self, id: SocketId) -> Result<Option<Addr>, Errno> {
        match self.table.get(&id).map(|e| &e.body) {
            Some(Body::Udp(u)) => Ok(u.local),
            Some(_) => Err(Errno::EINVAL),
            None => Err(Errno::EBADF),
        }
    }

    /// `send` on a connected socket (TCP stream or connected UDP).
    pub fn send(&mut self, id: SocketId, data: &[u8]) -> Result<usize, Errno> {
        if self.kind(id)? == SockKind::Udp {
            let peer = match &self.entry(id)?.body {
                Body::Udp(u) => u.peer.ok_or(Errno::EDESTADDRREQ)?,
                Body::Tcp(_) => return Err(Errno::EINVAL),
            };
            return self.sendto(id, data, peer);
        }
        let (t, h) = self.tcp_conn(id)?;
        if t.shut_wr {
            return Err(Errno::EPIPE);
        }
        let s = self.sockets.get_mut::<tcp::Socket>(h);
        if !s.may_send() {
            return Err(if s.state() == tcp::State::Closed {
                Errno::ECONNRESET
            } else {
                Errno::EPIPE
            });
        }
        if data.is_empty() {
            return Ok(0);
        }
        match s.send_slice(data) {
            Ok(0) => Err(Errno::EAGAIN),
            Ok(n) => Ok(n),
            Err(_) => Err(Errno::EPIPE),
        }
    }

    /// `recv` on a TCP socket (or a UDP one, discarding the source). 0 = end of stream.
    pub fn recv(&mut self, id: SocketId, buf: &mut [u8], peek: bool) -> Result<usize, Errno> {
        if self.kind(id)? == SockKind::Udp {
            return self.recvfrom(id, buf, peek).map(|(n, _)| n);
        }
        let (t, h) = self.tcp_conn(id)?;
        if t.shut_rd {
            return Ok(0);
        }
        let s = self.sockets.get_mut::<tcp::Socket>(h);
        if buf.is_empty() {
            return Ok(0);
        }
        let r = if peek {
            if s.may_recv() || s.recv_queue() > 0 {
                s.peek_slice(buf).map_err(|_| tcp::RecvError::InvalidState)
            } else {
                s.recv_slice(buf)
            }
        } else {
            s.recv_slice(buf)
        };
        match r {
            Ok(0) => Err(Errno::EAGAIN),
            Ok(n) => Ok(n),
            Err(tcp::RecvError::Finished) => Ok(0),
            Err(tcp::RecvError::InvalidState) => Err(Errno::ECONNRESET),
        }
    }

    /// `sendto` on a UDP socket (binds an ephemeral port first if needed).
    pub fn sendto(&mut self, id: SocketId, data: &[u8], to: Addr) -> Result<usize, Errno> {
        if self.kind(id)? == SockKind::Tcp {
            return self.send(id, data);
        }
        if to.is_unspecified() || to.port == 0 {
            return Err(Errno::EDESTADDRREQ);
        }
        if data.len() > UDP_BUF.min(65507) {
            return Err(Errno::EMSGSIZE);
        }
        if self.udp_local(id)?.is_none() {
            self.bind(id, Addr::new([0; 4], 0))?;
        }
        let Body::Udp(u) = &self.entry(id)?.body else {
            return Err(Errno::EINVAL);
        };
        let h = u.h;
        let s = self.sockets.get_mut::<udp::Socket>(h);
        match s.send_slice(data, to.endpoint()) {
            Ok(()) => Ok(data.len()),
            Err(udp::SendError::BufferFull) => Err(Errno::EAGAIN),
            Err(udp::SendError::Unaddressable) => Err(Errno::ENETUNREACH),
        }
    }

    /// `recvfrom` on a UDP socket: one datagram (truncated to `buf`, the rest discarded).
    pub fn recvfrom(
        &mut self,
        id: SocketId,
        buf: &mut [u8],
        peek: bool,
    ) -> Result<(usize, Addr), Errno> {
        let Body::Udp(u) = &self.entry(id)?.body else {
            let n = self.recv(id, buf, peek)?;
            let peer = self.peername(id)?;
            return Ok((n, peer));
        };
        if u.shut_rd {
            return Ok((0, Addr::new([0; 4], 0)));
        }
        let h = u.h;
        let s = self.sockets.get_mut::<udp::Socket>(h);
        let r = if peek {
            s.peek().map(|(d, m)| (d, *m))
        } else {
            s.recv()
        };
        match r {
            Ok((data, meta)) => {
                let n = data.len().min(buf.len());
                buf[..n].copy_from_slice(&data[..n]);
                Ok((n, Addr::from_endpoint(meta.endpoint)))
            }
            Err(_) => Err(Errno::EAGAIN),
        }
    }

    /// `shutdown(how)`: `SHUT_WR` sends FIN after the queued data.
    pub fn shutdown(&mut self, id: SocketId, how: u32) -> Result<(), Errno> {
        use swiftos_abi::net::{SHUT_RD, SHUT_RDWR, SHUT_WR};
        if how > SHUT_RDWR {
            return Err(Errno::EINVAL);
        }
        if let Body::Udp(u) = &mut self.entry(id)?.body {
            if how != SHUT_WR {
                u.shut_rd = true;
            }
            return Ok(());
        }
        let (t, h) = self.tcp_conn(id).map_err(|e| {
            if e == Errno::EAGAIN {
                Errno::ENOTCONN
            } else {
                e
            }
        })?;
        if how == SHUT_RD || how == SHUT_RDWR {
            t.shut_rd = true;
        }
        if how == SHUT_WR || how == SHUT_RDWR {
            t.shut_wr = true;
            self.sockets.get_mut::<tcp::Socket>(h).close();
        }
        Ok(())
    }

    /// What `poll` would report now.
    pub fn readiness(&self, id: SocketId) -> Readiness {
        let Some(e) = self.table.get(&id) else {
            return Readiness {
                error: true,
                ..Readiness::default()
            };
        };
        match &e.body {
            Body::Udp(u) => {
                let s = self.sockets.get::<udp::Socket>(u.h);
                Readiness {
                    readable: s.can_recv() || u.shut_rd,
                    writable: s.can_send(),
                    hup: false,
                    error: false,
                }
            }
            Body::Tcp(t) => match &t.state {
                TcpState::Fresh | TcpState::Bound(_) => Readiness {
                    hup: true,
                    error: t.error.is_some(),
                    ..Readiness::default()
                },
                TcpState::Listening { slots, .. } => Readiness {
                    readable: slots.iter().any(|&h| {
                        !matches!(
                            self.sockets.get::<tcp::Socket>(h).state(),
                            tcp::State::Listen | tcp::State::SynReceived | tcp::State::Closed
                        )
                    }),
                    ..Readiness::default()
                },
                TcpState::Connecting(h) => {
                    let st = self.sockets.get::<tcp::Socket>(*h).state();
                    let pending = matches!(st, tcp::State::SynSent | tcp::State::SynReceived);
                    Readiness {
                        readable: false,
                        writable: !pending,
                        hup: st == tcp::State::Closed,
                        error: st == tcp::State::Closed,
                    }
                }
                TcpState::Connected { h, .. } => {
                    let s = self.sockets.get::<tcp::Socket>(*h);
                    let eof = !s.may_recv();
                    Readiness {
                        readable: s.can_recv() || eof || t.shut_rd,
                        writable: s.can_send() || !s.may_send(),
                        hup: eof && !s.may_send(),
                        error: s.state() == tcp::State::Closed && !s.can_recv() && !t.shut_wr,
                    }
                }
            },
        }
    }

    pub fn opts(&self, id: SocketId) -> Result<SockOpts, Errno> {
        self.table.get(&id).map(|e| e.opts).ok_or(Errno::EBADF)
    }

    /// Replace a socket's options (applied to its live connection(s) at once).
    pub fn set_opts(&mut self, id: SocketId, opts: SockOpts) -> Result<(), Errno> {
        let e = self.table.get_mut(&id).ok_or(Errno::EBADF)?;
        e.opts = opts;
        if let Body::Tcp(t) = &e.body {
            let hs: Vec<SocketHandle> = match &t.state {
                TcpState::Listening { slots, .. } => slots.clone(),
                TcpState::Connecting(h) | TcpState::Connected { h, .. } => vec![*h],
                _ => Vec::new(),
            };
            for h in hs {
                apply_tcp_opts(self.sockets.get_mut::<tcp::Socket>(h), &opts);
            }
        }
        Ok(())
    }

    /// `SO_ERROR`: the pending error, cleared by reading.
    pub fn take_error(&mut self, id: SocketId) -> Result<Option<Errno>, Errno> {
        self.settle(id);
        let e = self.table.get_mut(&id).ok_or(Errno::EBADF)?;
        Ok(match &mut e.body {
            Body::Tcp(t) => t.error.take(),
            Body::Udp(_) => None,
        })
    }

    /// `getsockname`.
    pub fn sockname(&self, id: SocketId) -> Result<Addr, Errno> {
        let e = self.table.get(&id).ok_or(Errno::EBADF)?;
        let unspec = Addr::new([0; 4], 0);
        Ok(match &e.body {
            Body::Udp(u) => u.local.unwrap_or(unspec),
            Body::Tcp(t) => match &t.state {
                TcpState::Fresh => unspec,
                TcpState::Bound(a) | TcpState::Listening { local: a, .. } => *a,
                TcpState::Connecting(h) | TcpState::Connected { h, .. } => self
                    .sockets
                    .get::<tcp::Socket>(*h)
                    .local_endpoint()
                    .map(Addr::from_endpoint)
                    .unwrap_or(unspec),
            },
        })
    }

    /// `getpeername`.
    pub fn peername(&self, id: SocketId) -> Result<Addr, Errno> {
        let e = self.table.get(&id).ok_or(Errno::EBADF)?;
        match &e.body {
            Body::Udp(u) => u.peer.ok_or(Errno::ENOTCONN),
            Body::Tcp(t) => match &t.state {
                TcpState::Connected { h, .. } => self
                    .sockets
                    .get::<tcp::Socket>(*h)
                    .remote_endpoint()
                    .map(Addr::from_endpoint)
                    .ok_or(Errno::ENOTCONN),
                _ => Err(Errno::ENOTCONN),
            },
        }
    }

    /// The socket table for `netstat` (lingering connections included).
    pub fn sockets(&self) -> Vec<SockInfo> {
        let mut out = Vec::new();
        let unspec = SockAddrIn::new([0; 4], 0);
        let tcp_row = |s: &tcp::Socket<'_>| SockInfo {
            kind: SOCKINFO_TCP,
            state: state_code(s.state()),
            local: s
                .local_endpoint()
                .map(|e| Addr::from_endpoint(e).to_sockaddr())
                .unwrap_or(unspec),
            remote: s
                .remote_endpoint()
                .map(|e| Addr::from_endpoint(e).to_sockaddr())
                .unwrap_or(unspec),
            recv_queue: s.recv_queue() as u32,
            send_queue: s.send_queue() as u32,
        };
        for e in self.table.values() {
            match &e.body {
                Body::Udp(u) => {
                    let s = self.sockets.get::<udp::Socket>(u.h);
                    out.push(SockInfo {
                        kind: SOCKINFO_UDP,
                        state: 0,
                        local: u.local.map(Addr::to_sockaddr).unwrap_or(unspec),
                        remote: u.peer.map(Addr::to_sockaddr).unwrap_or(unspec),
                        recv_queue: s.recv_queue() as u32,
                        send_queue: s.send_queue() as u32,
                    });
                }
                Body::Tcp(t) => match &t.state {
                    TcpState::Fresh => {}
                    TcpState::Bound(a) => out.push(SockInfo {
                        kind: SOCKINFO_TCP,
                        state: swiftos_abi::net::TCP_CLOSED,
                        local: a.to_sockaddr(),
                        ..SockInfo::default()
                    }),
                    TcpState::Listening { local, slots } => {
                        out.push(SockInfo {
                            kind: SOCKINFO_TCP,
                            state: swiftos_abi::net::TCP_LISTEN,
                            local: local.to_sockaddr(),
                            remote: unspec,
                            recv_queue: 0,
                            send_queue: 0,
                        });
                        for &h in slots {
                            let s = self.sockets.get::<tcp::Socket>(h);
                            if s.state() != tcp::State::Listen {
                                out.push(tcp_row(s));
                            }
                        }
                    }
                    TcpState::Connecting(h) | TcpState::Connected { h, .. } => {
                        out.push(tcp_row(self.sockets.get::<tcp::Socket>(*h)))
                    }
                },
            }
        }
        for &(h, _) in &self.closing {
            out.push(tcp_row(self.sockets.get::<tcp::Socket>(h)));
        }
        out
    }

    /// Number of open sockets in the table.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

fn listen_ep(a: Addr) -> IpListenEndpoint {
    IpListenEndpoint {
        addr: (!a.is_unspecified()).then(|| IpAddress::Ipv4(Ipv4Addr::from(a.ip))),
        port: a.port,
    }
}
