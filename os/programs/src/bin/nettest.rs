//! `nettest`: in-guest checks of the socket ABI that host tools cannot see: `poll` over a
//! pipe, a socket and the console together, timeouts, non-blocking errors, socket options and
//! error codes. Prints one `ok`/`FAIL` line per check and a summary.
#![no_std]
#![no_main]

use swiftos_abi::fcntl::{F_GETFL, F_SETFL, O_NONBLOCK};
use swiftos_abi::net::*;
use swiftos_abi::nr;
use swiftos_programs::*;
use swiftos_rt::net::{self, SocketAddr, TcpListener, TcpStream, UdpSocket};
use swiftos_rt::sys;
swiftos_rt::entry!(main);

const HELP: &str = "Usage: nettest\n\
Socket ABI self-test (needs capNet): poll over a pipe, a UDP socket and the console together,\n\
poll and SO_RCVTIMEO timeouts, EAGAIN on non-blocking sockets, EADDRINUSE, ECONNREFUSED,\n\
socket options. Prints one line per check and `N checks, M failed`; exit status 1 on failure.\n\
Example: nettest\n";

struct T {
    n: u32,
    failed: u32,
}

impl T {
    fn check(&mut self, what: &str, ok: bool, detail: &str) {
        self.n += 1;
        if ok {
            println!("nettest: ok   {what}");
        } else {
            self.failed += 1;
            println!("nettest: FAIL {what}: {detail}");
        }
    }
}

fn now_ms() -> u64 {
    swiftos_rt::time::monotonic_ns() / 1_000_000
}

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    if let Err(c) = options("nettest", &args, "", "", HELP) {
        return c;
    }
    let mut t = T { n: 0, failed: 0 };
    let [r, w] = match sys::pipe() {
        Ok(p) => p,
        Err(e) => {
            report("nettest", "pipe", e);
            return 1;
        }
    };
    let u = match UdpSocket::bind(SocketAddr::new([0; 4], 0)) {
        Ok(u) => u,
        Err(e) => {
            report("nettest", "udp bind", e);
            return 1;
        }
    };
    let port = u.local_addr().map(|a| a.port).unwrap_or(0);
    t.check("ephemeral port", port >= 49152, &format!("port {port}"));

    // Nothing readable yet: poll with timeout 0 reports only writability.
    let mut fds = [
        PollFd {
            fd: r,
            events: POLLIN,
            revents: 0,
        },
        PollFd {
            fd: u.fd(),
            events: POLLIN | POLLOUT,
            revents: 0,
        },
        PollFd {
            fd: 1,
            events: POLLOUT,
            revents: 0,
        },
        PollFd {
            fd: 60,
            events: POLLIN,
            revents: 0,
        },
    ];
    let n = net::poll(&mut fds, 0);
    t.check(
        "poll(0): socket and console writable, bad fd POLLNVAL, empty pipe quiet",
        n == Ok(3)
            && fds[0].revents == 0
            && fds[1].revents == POLLOUT
            && fds[2].revents == POLLOUT
            && fds[3].revents == POLLNVAL,
        &format!("{n:?} {fds:?}"),
    );

    // A timeout with nothing ready.
    let mut one = [PollFd {
        fd: r,
        events: POLLIN,
        revents: 0,
    }];
    let t0 = now_ms();
    let n = net::poll(&mut one, 200);
    let dt = now_ms() - t0;
    t.check(
        "poll timeout 200 ms",
        n == Ok(0) && (190..2000).contains(&dt),
        &format!("{n:?} after {dt} ms"),
    );

    // Pipe data wakes a poll that also watches the socket.
    let _ = sys::write(w, b"x");
    let mut fds = [
        PollFd {
            fd: u.fd(),
            events: POLLIN,
            revents: 0,
        },
        PollFd {
            fd: r,
            events: POLLIN,
            revents: 0,
        },
    ];
    let n = net::poll(&mut fds, -1);
    t.check(
        "poll: pipe readable next to an idle socket",
        n == Ok(1) && fds[1].revents == POLLIN && fds[0].revents == 0,
        &format!("{n:?} {fds:?}"),
    );
    let _ = sys::close(w);
    let mut b = [0u8; 4];
    let _ = sys::read(r, &mut b);
    let mut one = [PollFd {
        fd: r,
        events: POLLIN,
        revents: 0,
    }];
    let n = net::poll(&mut one, 0);
    t.check(
        "poll: pipe without writers is POLLHUP",
        n == Ok(1) && one[0].revents & POLLHUP != 0,
        &format!("{n:?} {one:?}"),
    );

    // SO_RCVTIMEO on a quiet UDP socket.
    let _ = u.set_read_timeout(Some(300));
    let t0 = now_ms();
    let mut buf = [0u8; 16];
    let e = u.recv_from(&mut buf);
    let dt = now_ms() - t0;
    t.check(
        "SO_RCVTIMEO 300 ms -> EAGAIN",
        e == Err(Errno::EAGAIN) && (290..3000).contains(&dt),
        &format!("{e:?} after {dt} ms"),
    );

    // Non-blocking recv.
    let _ = u.set_read_timeout(None);
    let fl = sys::fcntl(u.fd(), F_GETFL, 0).unwrap_or(0);
    let _ = sys::fcntl(u.fd(), F_SETFL, fl | O_NONBLOCK as usize);
    t.check(
        "non-blocking recv -> EAGAIN",
        u.recv_from(&mut buf) == Err(Errno::EAGAIN),
        "",
    );
    t.check(
        "MSG_DONTWAIT on a TCP socket that is not connected -> ENOTCONN",
        match TcpListener::bind(SocketAddr::new([0; 4], 0)) {
            Ok(l) => {
                net::recv(l.fd(), &mut buf, MSG_DONTWAIT) == Err(Errno::ENOTCONN)
                    || net::recv(l.fd(), &mut buf, MSG_DONTWAIT) == Err(Errno::EINVAL)
            }
            Err(_) => false,
        },
        "",
    );

    // Port conflicts.
    let a = TcpListener::bind(SocketAddr::new([0; 4], 8999));
    let b2 = UdpSocket::bind(SocketAddr::new([0; 4], port));
    t.check(
        "UDP port in use -> EADDRINUSE",
        matches!(b2, Err(Errno::EADDRINUSE)),
        &format!("{b2:?}"),
    );
    let s = sys_socket(SOCK_STREAM);
    let e = s.and_then(|fd| {
        let raw = SockAddrIn::new([0; 4], 8999);
        let r = call(
            nr::BIND,
            [fd as usize, &raw as *const _ as usize, 16, 0, 0, 0],
        );
        let _ = sys::close(fd);
        r
    });
    t.check(
        "TCP bind over a listener -> EADDRINUSE",
        a.is_ok() && e == Err(Errno::EADDRINUSE),
        &format!("{e:?}"),
    );

    // Options round trip.
    let fd = sys_socket(SOCK_STREAM).unwrap_or(-1);
    let _ = net::setsockopt_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
    let nd = net::getsockopt_int(fd, IPPROTO_TCP, TCP_NODELAY);
    let ty = net::getsockopt_int(fd, SOL_SOCKET, SO_TYPE);
    let bad = net::setsockopt_int(fd, SOL_SOCKET, 999, 1);
    t.check(
        "TCP_NODELAY, SO_TYPE, unknown option -> ENOPROTOOPT",
        nd == Ok(1) && ty == Ok(SOCK_STREAM as i32) && bad == Err(Errno::ENOPROTOOPT),
        &format!("{nd:?} {ty:?} {bad:?}"),
    );
    let _ = sys::close(fd);
    t.check(
        "socket call on a pipe -> ENOTSOCK",
        net::shutdown(r, SHUT_RDWR) == Err(Errno::ENOTSOCK),
        "",
    );
    let e = TcpStream::connect(SocketAddr::new([10, 0, 2, 2], 1));
    t.check(
        "connect to a closed host port -> ECONNREFUSED",
        matches!(e, Err(Errno::ECONNREFUSED)),
        &format!("{e:?}"),
    );
    let e = call(nr::SOCKET, [AF_INET as usize, 9, 0, 0, 0, 0]);
    t.check(
        "socket type 9 -> EPROTOTYPE",
        e == Err(Errno::EPROTOTYPE),
        &format!("{e:?}"),
    );

    println!("nettest: {} checks, {} failed", t.n, t.failed);
    if t.failed == 0 {
        0
    } else {
        1
    }
}

/// A raw system call for the cases the runtime wrappers do not expose.
fn call(n: usize, a: [usize; 6]) -> Result<usize, Errno> {
    // SAFETY: every pointer argument passed here points at a live local of the stated size.
    swiftos_abi::decode_result(unsafe { sys::syscall6(n, a) })
}

fn sys_socket(ty: u32) -> Result<i32, Errno> {
    call(nr::SOCKET, [AF_INET as usize, ty as usize, 0, 0, 0, 0]).map(|fd| fd as i32)
}
