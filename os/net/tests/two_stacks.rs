//! Two complete stacks joined by the in-memory link: real smoltcp handshakes, transfers,
//! refusals and timeouts, through the POSIX-like socket table.

use swiftos_net::link::{pair, QueueDevice};
use swiftos_net::stack::{Addr, SockOpts};
use swiftos_net::{Errno, NetConfig, SockKind, Stack};

const GUEST: [u8; 4] = [10, 0, 2, 15];
const HOST: [u8; 4] = [10, 0, 2, 2];

struct Net {
    a: Stack,
    b: Stack,
    da: QueueDevice,
    db: QueueDevice,
    now: u64,
}

impl Net {
    fn new() -> Net {
        let (mut da, mut db) = pair(1500);
        let a = Stack::new(NetConfig::qemu_user([2, 0, 0, 0, 0, 0x0a]), &mut da, 0, 1);
        let mut cb = NetConfig::qemu_user([2, 0, 0, 0, 0, 0x0b]);
        cb.apply("addr=10.0.2.2/24,gw=none").unwrap();
        let b = Stack::new(cb, &mut db, 0, 2);
        Net {
            a,
            b,
            da,
            db,
            now: 0,
        }
    }

    /// Run both stacks for `ms` simulated milliseconds in 1 ms steps.
    fn run(&mut self, ms: u64) {
        for _ in 0..ms {
            self.step();
        }
    }

    fn step(&mut self) {
        self.now += 1;
        for _ in 0..4 {
            self.a.poll(self.now, &mut self.da);
            self.b.poll(self.now, &mut self.db);
        }
    }

    /// Run until `f` holds (at most `ms` milliseconds).
    fn until(&mut self, ms: u64, mut f: impl FnMut(&mut Net) -> bool) -> bool {
        for _ in 0..ms {
            if f(self) {
                return true;
            }
            self.step();
        }
        f(self)
    }
}

/// A listener on B port `port`, a connection from A to it; returns (a_sock, b_conn).
fn connected(n: &mut Net, port: u16) -> (u32, u32) {
    let l = n.b.socket(SockKind::Tcp).unwrap();
    n.b.bind(l, Addr::new([0; 4], port)).unwrap();
    n.b.listen(l, 4).unwrap();
    let c = n.a.socket(SockKind::Tcp).unwrap();
    assert_eq!(
        n.a.connect(c, Addr::new(HOST, port)),
        Err(Errno::EINPROGRESS)
    );
    assert_eq!(n.a.connect_status(c), Err(Errno::EAGAIN));
    assert!(n.until(2000, |n| n.a.connect_status(c) != Err(Errno::EAGAIN)));
    let mut acc = None;
    assert!(n.until(2000, |n| {
        acc = n.b.accept(l).ok();
        acc.is_some()
    }));
    let (conn, peer) = acc.unwrap();
    assert_eq!(peer.ip, GUEST);
    assert_eq!(n.a.sockname(c).unwrap().port, peer.port);
    assert_eq!(n.a.peername(c).unwrap(), Addr::new(HOST, port));
    (c, conn)
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// Move `data` from `src` (on stack `from_a`?) to `dst`, reading everything back.
fn transfer(n: &mut Net, c: u32, conn: u32, data: &[u8], a_to_b: bool) -> Vec<u8> {
    let mut sent = 0;
    let mut got = Vec::new();
    let mut buf = vec![0u8; 8192];
    for _ in 0..200_000 {
        let (tx, rx) = if a_to_b {
            (&mut n.a, &mut n.b)
        } else {
            (&mut n.b, &mut n.a)
        };
        let (ts, rs) = if a_to_b { (c, conn) } else { (conn, c) };
        if sent < data.len() {
            match tx.send(ts, &data[sent..]) {
                Ok(k) => sent += k,
                Err(Errno::EAGAIN) => {}
                Err(e) => panic!("send: {e:?}"),
            }
            if sent == data.len() {
                tx.shutdown(ts, swiftos_abi::net::SHUT_WR).unwrap();
            }
        }
        match rx.recv(rs, &mut buf, false) {
            Ok(0) => return got,
            Ok(k) => got.extend_from_slice(&buf[..k]),
            Err(Errno::EAGAIN) => n.step(),
            Err(e) => panic!("recv: {e:?}"),
        }
    }
    panic!(
        "transfer stalled after {} of {} bytes",
        got.len(),
        data.len()
    );
}

#[test]
fn tcp_handshake_transfer_both_ways_and_eof() {
    let mut n = Net::new();
    let (c, conn) = connected(&mut n, 8080);
    assert!(n.a.readiness(c).writable);
    assert!(!n.b.readiness(conn).readable);
    let up = pattern(300_000);
    assert_eq!(transfer(&mut n, c, conn, &up, true), up);
    // B's side sees EOF; B can still send (half-close).
    let down = pattern(200_001);
    assert_eq!(transfer(&mut n, c, conn, &down, false), down);
    assert!(n.a.readiness(c).readable, "EOF is readable");
    let mut buf = [0u8; 16];
    assert_eq!(n.a.recv(c, &mut buf, false), Ok(0));
    n.a.close(c);
    n.b.close(conn);
    n.run(200);
    // Everything is eventually released (TIME-WAIT included, after the linger limit).
    n.run(swiftos_net::stack::LINGER_MS + 100);
    assert!(n.a.sockets().is_empty(), "{:?}", n.a.sockets());
}

#[test]
fn peek_and_nodelay_small_writes() {
    let mut n = Net::new();
    let (c, conn) = connected(&mut n, 7);
    let mut o = n.a.opts(c).unwrap();
    o.nodelay = true;
    n.a.set_opts(c, o).unwrap();
    assert_eq!(n.a.send(c, b"ping"), Ok(4));
    let mut buf = [0u8; 16];
    assert!(n.until(500, |n| n.b.readiness(conn).readable));
    assert_eq!(n.b.recv(conn, &mut buf, true), Ok(4));
    assert_eq!(n.b.recv(conn, &mut buf, false), Ok(4));
    assert_eq!(&buf[..4], b"ping");
    assert_eq!(n.b.recv(conn, &mut buf, false), Err(Errno::EAGAIN));
}

#[test]
fn refused_when_nothing_listens() {
    let mut n = Net::new();
    let c = n.a.socket(SockKind::Tcp).unwrap();
    assert_eq!(n.a.connect(c, Addr::new(HOST, 9)), Err(Errno::EINPROGRESS));
    assert!(n.until(2000, |n| n.a.connect_status(c) != Err(Errno::EAGAIN)));
    // The first status call that left EAGAIN consumed the outcome: ask a fresh socket.
    let c2 = n.a.socket(SockKind::Tcp).unwrap();
    assert_eq!(n.a.connect(c2, Addr::new(HOST, 9)), Err(Errno::EINPROGRESS));
    let mut r = Err(Errno::EAGAIN);
    n.until(2000, |n| {
        r = n.a.connect_status(c2);
        r != Err(Errno::EAGAIN)
    });
    assert_eq!(r, Err(Errno::ECONNREFUSED));
}

#[test]
fn unreachable_host_stays_pending_until_aborted() {
    let mut n = Net::new();
    let c = n.a.socket(SockKind::Tcp).unwrap();
    // Nobody answers ARP for .99: the handshake never completes.
    assert_eq!(
        n.a.connect(c, Addr::new([10, 0, 2, 99], 80)),
        Err(Errno::EINPROGRESS)
    );
    n.run(3000);
    assert_eq!(n.a.connect_status(c), Err(Errno::EAGAIN));
    assert!(n.a.poll_delay(n.now).is_some(), "a timer is pending");
    n.a.abort_connect(c, Errno::ETIMEDOUT);
    assert_eq!(n.a.take_error(c), Ok(Some(Errno::ETIMEDOUT)));
}

#[test]
fn bind_conflicts_and_reuseaddr() {
    let mut n = Net::new();
    let l = n.b.socket(SockKind::Tcp).unwrap();
    n.b.bind(l, Addr::new([0; 4], 80)).unwrap();
    n.b.listen(l, 2).unwrap();
    let l2 = n.b.socket(SockKind::Tcp).unwrap();
    assert_eq!(n.b.bind(l2, Addr::new([0; 4], 80)), Err(Errno::EADDRINUSE));
    assert_eq!(
        n.b.bind(l2, Addr::new([1, 2, 3, 4], 81)),
        Err(Errno::EADDRNOTAVAIL)
    );
    // A connection lingers after the listener and the connection are closed.
    let c = n.a.socket(SockKind::Tcp).unwrap();
    let _ = n.a.connect(c, Addr::new(HOST, 80));
    let mut acc = None;
    n.until(2000, |n| {
        acc = n.b.accept(l).ok();
        acc.is_some()
    });
    let (conn, _) = acc.expect("accepted");
    n.b.close(conn);
    n.b.close(l);
    n.run(5);
    let l3 = n.b.socket(SockKind::Tcp).unwrap();
    assert_eq!(n.b.bind(l3, Addr::new([0; 4], 80)), Err(Errno::EADDRINUSE));
    n.b.set_opts(
        l3,
        SockOpts {
            reuse_addr: true,
            ..SockOpts::default()
        },
    )
    .unwrap();
    n.b.bind(l3, Addr::new([0; 4], 80)).unwrap();
    n.b.listen(l3, 1).unwrap();
}

#[test]
fn backlog_accepts_several_pending_connections() {
    let mut n = Net::new();
    let l = n.b.socket(SockKind::Tcp).unwrap();
    n.b.bind(l, Addr::new([0; 4], 8080)).unwrap();
    n.b.listen(l, 8).unwrap();
    let cs: Vec<u32> = (0..8)
        .map(|_| {
            let c = n.a.socket(SockKind::Tcp).unwrap();
            assert_eq!(
                n.a.connect(c, Addr::new(HOST, 8080)),
                Err(Errno::EINPROGRESS)
            );
            c
        })
        .collect();
    n.run(200);
    for &c in &cs {
        assert_eq!(n.a.connect_status(c), Ok(()));
        assert_eq!(n.a.connect_status(c), Err(Errno::EISCONN));
    }
    assert!(n.b.readiness(l).readable);
    let mut accepted = Vec::new();
    while let Ok((s, _)) = n.b.accept(l) {
        accepted.push(s);
    }
    assert_eq!(accepted.len(), 8);
    assert_eq!(n.b.accept(l), Err(Errno::EAGAIN));
    // Each accepted socket talks to its own client.
    for (i, &c) in cs.iter().enumerate() {
        n.a.send(c, &[i as u8]).unwrap();
    }
    n.run(100);
    let mut seen: Vec<u8> = accepted
        .iter()
        .map(|&s| {
            let mut b = [0u8; 4];
            assert_eq!(n.b.recv(s, &mut b, false), Ok(1));
            b[0]
        })
        .collect();
    seen.sort();
    assert_eq!(seen, (0..8).collect::<Vec<u8>>());
}

#[test]
fn reset_is_reported() {
    let mut n = Net::new();
    let (c, conn) = connected(&mut n, 5000);
    // Closing with unread data resets the connection.
    n.a.send(c, b"unread").unwrap();
    n.run(50);
    n.b.close(conn);
    n.run(50);
    let mut buf = [0u8; 8];
    assert_eq!(n.a.recv(c, &mut buf, false), Err(Errno::ECONNRESET));
    assert!(n.a.readiness(c).readable);
    assert!(matches!(
        n.a.send(c, b"x"),
        Err(Errno::ECONNRESET) | Err(Errno::EPIPE)
    ));
}

#[test]
fn udp_round_trip_and_truncation() {
    let mut n = Net::new();
    let srv = n.b.socket(SockKind::Udp).unwrap();
    n.b.bind(srv, Addr::new([0; 4], 7)).unwrap();
    let dup = n.b.socket(SockKind::Udp).unwrap();
    assert_eq!(n.b.bind(dup, Addr::new([0; 4], 7)), Err(Errno::EADDRINUSE));
    let cli = n.a.socket(SockKind::Udp).unwrap();
    assert_eq!(n.a.sendto(cli, b"hello", Addr::new(HOST, 7)), Ok(5));
    assert_eq!(n.a.sendto(cli, b"world!", Addr::new(HOST, 7)), Ok(6));
    let mut buf = [0u8; 64];
    assert!(n.until(1000, |n| n.b.readiness(srv).readable));
    let (k, from) = n.b.recvfrom(srv, &mut buf, false).unwrap();
    assert_eq!(&buf[..k], b"hello");
    assert_eq!(from.ip, GUEST);
    assert_eq!(from, n.a.sockname(cli).unwrap().with_ip(GUEST));
    // Datagrams are not merged; a short buffer truncates.
    let (k, _) = n.b.recvfrom(srv, &mut buf[..3], false).unwrap();
    assert_eq!(&buf[..k], b"wor");
    assert_eq!(n.b.recvfrom(srv, &mut buf, false), Err(Errno::EAGAIN));
    // Echo back via a connected client socket.
    n.b.sendto(srv, b"echo", from).unwrap();
    assert!(n.until(1000, |n| n.a.readiness(cli).readable));
    assert_eq!(n.a.recv(cli, &mut buf, false), Ok(4));
    assert_eq!(
        n.a.sendto(cli, &vec![0u8; 70_000], Addr::new(HOST, 7)),
        Err(Errno::EMSGSIZE)
    );
}

#[test]
fn unconnected_errors() {
    let mut n = Net::new();
    let t = n.a.socket(SockKind::Tcp).unwrap();
    let mut buf = [0u8; 4];
    assert_eq!(n.a.send(t, b"x"), Err(Errno::ENOTCONN));
    assert_eq!(n.a.recv(t, &mut buf, false), Err(Errno::ENOTCONN));
    assert_eq!(n.a.peername(t), Err(Errno::ENOTCONN));
    assert_eq!(n.a.accept(t), Err(Errno::EINVAL));
    assert_eq!(n.a.shutdown(t, 1), Err(Errno::ENOTCONN));
    assert_eq!(n.a.send(999, b"x"), Err(Errno::EBADF));
    let u = n.a.socket(SockKind::Udp).unwrap();
    assert_eq!(n.a.send(u, b"x"), Err(Errno::EDESTADDRREQ));
    assert_eq!(n.a.listen(u, 1), Err(Errno::EOPNOTSUPP));
    assert_eq!(
        n.a.connect(t, Addr::new([0; 4], 80)),
        Err(Errno::EADDRNOTAVAIL)
    );
}

#[test]
fn peer_reusing_its_port_reaches_the_listener_after_close() {
    let mut n = Net::new();
    let l = n.b.socket(SockKind::Tcp).unwrap();
    n.b.bind(l, Addr::new([0; 4], 8080)).unwrap();
    n.b.listen(l, 2).unwrap();
    for round in 0..3 {
        // The client always uses local port 40000, like a host client whose port is reused.
        let c = n.a.socket(SockKind::Tcp).unwrap();
        n.a.bind(c, Addr::new([0; 4], 40000)).unwrap();
        assert_eq!(
            n.a.connect(c, Addr::new(HOST, 8080)),
            Err(Errno::EINPROGRESS)
        );
        let mut acc = None;
        assert!(
            n.until(3000, |n| {
                acc = n.b.accept(l).ok();
                acc.is_some()
            }),
            "round {round}: not accepted"
        );
        let (s, _) = acc.unwrap();
        assert!(n.until(1000, |n| n.a.connect_status(c) != Err(Errno::EAGAIN)));
        // The server closes first (it ends in TIME-WAIT), then the client.
        n.b.send(s, b"bye").unwrap();
        n.b.shutdown(s, swiftos_abi::net::SHUT_WR).unwrap();
        n.b.close(s);
        let mut buf = [0u8; 8];
        assert!(n.until(1000, |n| n.a.recv(c, &mut buf, false) == Ok(0)
            || n.a.readiness(c).hup));
        n.a.close(c);
        n.run(100);
    }
}

#[test]
fn reconfigured_address_is_reachable() {
    let mut n = Net::new();
    let mut c = *n.b.config();
    c.apply("addr=10.0.2.3/24").unwrap();
    n.b.reconfigure(c);
    assert_eq!(n.b.config().addr, [10, 0, 2, 3]);
    let l = n.b.socket(SockKind::Tcp).unwrap();
    n.b.bind(l, Addr::new([10, 0, 2, 3], 80)).unwrap();
    n.b.listen(l, 1).unwrap();
    let s = n.a.socket(SockKind::Tcp).unwrap();
    let _ = n.a.connect(s, Addr::new([10, 0, 2, 3], 80));
    let mut r = Err(Errno::EAGAIN);
    n.until(2000, |n| {
        r = n.a.connect_status(s);
        r != Err(Errno::EAGAIN)
    });
    assert_eq!(r, Ok(()));
    // The old address no longer answers.
    let s2 = n.a.socket(SockKind::Tcp).unwrap();
    let _ = n.a.connect(s2, Addr::new(HOST, 80));
    n.run(1500);
    assert_eq!(n.a.connect_status(s2), Err(Errno::EAGAIN));
}

#[test]
fn nonblocking_connect_then_poll_then_use() {
    let mut n = Net::new();
    let l = n.b.socket(SockKind::Tcp).unwrap();
    n.b.bind(l, Addr::new([0; 4], 9000)).unwrap();
    n.b.listen(l, 1).unwrap();
    let c = n.a.socket(SockKind::Tcp).unwrap();
    assert_eq!(
        n.a.connect(c, Addr::new(HOST, 9000)),
        Err(Errno::EINPROGRESS)
    );
    assert!(!n.a.readiness(c).writable);
    assert!(n.until(2000, |n| n.a.readiness(c).writable));
    // Like a C program: SO_ERROR is 0, then the socket is simply used.
    assert_eq!(n.a.take_error(c), Ok(None));
    assert_eq!(n.a.send(c, b"hi"), Ok(2));
    assert_eq!(n.a.connect(c, Addr::new(HOST, 9000)), Err(Errno::EISCONN));
    // A refused non-blocking connect reports ECONNREFUSED through SO_ERROR once.
    let d = n.a.socket(SockKind::Tcp).unwrap();
    assert_eq!(
        n.a.connect(d, Addr::new(HOST, 9001)),
        Err(Errno::EINPROGRESS)
    );
    assert!(n.until(2000, |n| n.a.readiness(d).error));
    assert_eq!(n.a.take_error(d), Ok(Some(Errno::ECONNREFUSED)));
    assert_eq!(n.a.take_error(d), Ok(None));
    assert_eq!(n.a.send(d, b"x"), Err(Errno::ENOTCONN));
}

#[test]
fn socket_limit_gives_enobufs_not_a_crash() {
    let mut n = Net::new();
    n.a.set_socket_limit(6);
    let l = n.a.socket(SockKind::Tcp).unwrap();
    n.a.bind(l, Addr::new([0; 4], 80)).unwrap();
    n.a.listen(l, 32).unwrap(); // gets 6 slots, not 32
    let c = n.a.socket(SockKind::Tcp).unwrap();
    assert_eq!(n.a.connect(c, Addr::new(HOST, 80)), Err(Errno::ENOBUFS));
    assert_eq!(n.a.socket(SockKind::Udp), Err(Errno::ENOBUFS));
    n.a.close(l);
    n.run(5);
    let u = n.a.socket(SockKind::Udp);
    assert!(u.is_ok(), "{u:?}");
}
