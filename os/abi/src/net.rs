//! Socket ABI: address family and socket type constants, `sockaddr_in`, socket options,
//! `poll` structures and the records returned by `net_info` / `net_sockets`.
//!
//! Layouts follow the usual BSD/Linux C structures so the sysroot's `<sys/socket.h>`,
//! `<netinet/in.h>` and `<poll.h>` (generated from this crate) are thin pass-throughs.

use crate::types::Timespec;
use core::mem::{offset_of, size_of};

/// IPv4 address family (the only one supported).
pub const AF_INET: u32 = 2;
/// Stream (TCP) socket.
pub const SOCK_STREAM: u32 = 1;
/// Datagram (UDP) socket.
pub const SOCK_DGRAM: u32 = 2;
/// `socket`/`accept` flag: start in non-blocking mode (same bit as `O_NONBLOCK`).
pub const SOCK_NONBLOCK: u32 = crate::fcntl::O_NONBLOCK;
/// `socket`/`accept` flag: close on `exec` (same bit as `O_CLOEXEC`).
pub const SOCK_CLOEXEC: u32 = crate::fcntl::O_CLOEXEC;
/// Mask of the socket type bits in `socket`'s `type` argument.
pub const SOCK_TYPE_MASK: u32 = 0xf;

pub const IPPROTO_IP: u32 = 0;
pub const IPPROTO_TCP: u32 = 6;
pub const IPPROTO_UDP: u32 = 17;

/// `INADDR_ANY` (0.0.0.0), host order.
pub const INADDR_ANY: u32 = 0;
/// `INADDR_LOOPBACK` (127.0.0.1), host order.
pub const INADDR_LOOPBACK: u32 = 0x7f00_0001;

/// `recv`/`send` flags.
pub const MSG_PEEK: u32 = 0x2;
pub const MSG_DONTWAIT: u32 = 0x40;
pub const MSG_NOSIGNAL: u32 = 0x4000;

/// `shutdown` directions.
pub const SHUT_RD: u32 = 0;
pub const SHUT_WR: u32 = 1;
pub const SHUT_RDWR: u32 = 2;

/// Option levels.
pub const SOL_SOCKET: u32 = 1;
/// `SOL_SOCKET` options. Integer options take an `i32`; timeouts take a [`Timeval`].
pub const SO_REUSEADDR: u32 = 2;
pub const SO_TYPE: u32 = 3;
pub const SO_ERROR: u32 = 4;
pub const SO_SNDBUF: u32 = 7;
pub const SO_RCVBUF: u32 = 8;
pub const SO_KEEPALIVE: u32 = 9;
pub const SO_RCVTIMEO: u32 = 20;
pub const SO_SNDTIMEO: u32 = 21;
/// `IPPROTO_TCP` options.
pub const TCP_NODELAY: u32 = 1;

/// `struct sockaddr_in`: port and address in network byte order, as in C.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SockAddrIn {
    /// [`AF_INET`].
    pub sin_family: u16,
    /// Port, big-endian.
    pub sin_port: u16,
    /// IPv4 address, big-endian (first octet in the lowest byte).
    pub sin_addr: u32,
    pub sin_zero: [u8; 8],
}
const _: () = {
    assert!(size_of::<SockAddrIn>() == 16);
    assert!(offset_of!(SockAddrIn, sin_port) == 2);
    assert!(offset_of!(SockAddrIn, sin_addr) == 4);
};

impl SockAddrIn {
    /// Build from the four octets of an address and a host-order port.
    pub fn new(octets: [u8; 4], port: u16) -> SockAddrIn {
        SockAddrIn {
            sin_family: AF_INET as u16,
            sin_port: port.to_be(),
            sin_addr: u32::from_ne_bytes(octets),
            sin_zero: [0; 8],
        }
    }
    /// The address octets (`10.0.2.2` → `[10, 0, 2, 2]`).
    pub fn octets(&self) -> [u8; 4] {
        self.sin_addr.to_ne_bytes()
    }
    /// The port in host order.
    pub fn port(&self) -> u16 {
        u16::from_be(self.sin_port)
    }
}

/// `struct timeval` for `SO_RCVTIMEO` / `SO_SNDTIMEO` (zero = no timeout).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timeval {
    pub tv_sec: i64,
    pub tv_usec: i64,
}
const _: () = assert!(size_of::<Timeval>() == 16);

impl Timeval {
    /// The timeout in milliseconds (`None` = no timeout; negative values are invalid).
    pub fn to_millis(&self) -> Option<u64> {
        if self.tv_sec < 0 || self.tv_usec < 0 {
            return None;
        }
        let ms = (self.tv_sec as u64)
            .saturating_mul(1000)
            .saturating_add(self.tv_usec as u64 / 1000);
        if ms == 0 && self.tv_usec == 0 {
            None
        } else {
            Some(ms.max(1))
        }
    }
    pub fn from_millis(ms: u64) -> Timeval {
        Timeval {
            tv_sec: (ms / 1000) as i64,
            tv_usec: ((ms % 1000) * 1000) as i64,
        }
    }
}

/// `struct pollfd`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PollFd {
    pub fd: i32,
    /// Requested events (`POLLIN`, `POLLOUT`).
    pub events: i16,
    /// Returned events (also `POLLERR`, `POLLHUP`, `POLLNVAL`, never requested).
    pub revents: i16,
}
const _: () = {
    assert!(size_of::<PollFd>() == 8);
    assert!(offset_of!(PollFd, events) == 4);
    assert!(offset_of!(PollFd, revents) == 6);
};

pub const POLLIN: i16 = 0x001;
pub const POLLPRI: i16 = 0x002;
pub const POLLOUT: i16 = 0x004;
pub const POLLERR: i16 = 0x008;
pub const POLLHUP: i16 = 0x010;
pub const POLLNVAL: i16 = 0x020;
/// Most descriptors one `poll` call accepts.
pub const POLL_MAX: usize = 256;

/// `net_info` result: the interface's configuration and counters.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NetInfo {
    /// Address octets (`[10, 0, 2, 15]`).
    pub addr: [u8; 4],
    pub gateway: [u8; 4],
    pub prefix_len: u8,
    /// 1 when a network device is present and up.
    pub up: u8,
    pub mac: [u8; 6],
    pub mtu: u32,
    pub _pad: u32,
    pub rx_packets: u64,
    pub tx_packets: u64,
    pub rx_bytes: u64,
    pub tx_bytes: u64,
    /// Time the interface came up (monotonic clock).
    pub up_since: Timespec,
}
const _: () = {
    assert!(size_of::<NetInfo>() == 72);
    assert!(offset_of!(NetInfo, mac) == 10);
    assert!(offset_of!(NetInfo, rx_packets) == 24);
};

/// `SockInfo::kind` values.
pub const SOCKINFO_TCP: u32 = 1;
pub const SOCKINFO_UDP: u32 = 2;

/// TCP states in `SockInfo::state` (RFC 793 order, as smoltcp reports them).
pub const TCP_CLOSED: u32 = 0;
pub const TCP_LISTEN: u32 = 1;
pub const TCP_SYN_SENT: u32 = 2;
pub const TCP_SYN_RECEIVED: u32 = 3;
pub const TCP_ESTABLISHED: u32 = 4;
pub const TCP_FIN_WAIT_1: u32 = 5;
pub const TCP_FIN_WAIT_2: u32 = 6;
pub const TCP_CLOSE_WAIT: u32 = 7;
pub const TCP_CLOSING: u32 = 8;
pub const TCP_LAST_ACK: u32 = 9;
pub const TCP_TIME_WAIT: u32 = 10;

/// Name of a `TCP_*` state for tools like `netstat`.
pub fn tcp_state_name(state: u32) -> &'static str {
    match state {
        TCP_CLOSED => "CLOSED",
        TCP_LISTEN => "LISTEN",
        TCP_SYN_SENT => "SYN_SENT",
        TCP_SYN_RECEIVED => "SYN_RECV",
        TCP_ESTABLISHED => "ESTABLISHED",
        TCP_FIN_WAIT_1 => "FIN_WAIT1",
        TCP_FIN_WAIT_2 => "FIN_WAIT2",
        TCP_CLOSE_WAIT => "CLOSE_WAIT",
        TCP_CLOSING => "CLOSING",
        TCP_LAST_ACK => "LAST_ACK",
        TCP_TIME_WAIT => "TIME_WAIT",
        _ => "?",
    }
}

/// One row of `net_sockets`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SockInfo {
    /// [`SOCKINFO_TCP`] or [`SOCKINFO_UDP`].
    pub kind: u32,
    /// A `TCP_*` state (0 for UDP).
    pub state: u32,
    pub local: SockAddrIn,
    pub remote: SockAddrIn,
    /// Bytes waiting in the receive and send buffers.
    pub recv_queue: u32,
    pub send_queue: u32,
}
const _: () = assert!(size_of::<SockInfo>() == 48);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockaddr_byte_order_matches_c() {
        let a = SockAddrIn::new([10, 0, 2, 2], 8080);
        assert_eq!(a.octets(), [10, 0, 2, 2]);
        assert_eq!(a.port(), 8080);
        // In memory the port is big-endian: 8080 = 0x1f90.
        assert_eq!(a.sin_port.to_ne_bytes(), [0x1f, 0x90]);
        assert_eq!(a.sin_addr.to_ne_bytes(), [10, 0, 2, 2]);
    }

    #[test]
    fn timeval_millis() {
        assert_eq!(Timeval::default().to_millis(), None);
        assert_eq!(Timeval::from_millis(1500).to_millis(), Some(1500));
        assert_eq!(
            Timeval {
                tv_sec: 0,
                tv_usec: 10
            }
            .to_millis(),
            Some(1)
        );
        assert_eq!(
            Timeval {
                tv_sec: -1,
                tv_usec: 0
            }
            .to_millis(),
            None
        );
    }
}
