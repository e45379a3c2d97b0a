//! `tcpecho`: a TCP echo server (every byte a client sends comes back), many clients at once.
#![no_std]
#![no_main]

use swiftos_abi::fcntl::{F_GETFL, F_SETFL, O_NONBLOCK};
use swiftos_abi::net::{PollFd, POLLERR, POLLHUP, POLLIN, POLLOUT};
use swiftos_programs::*;
use swiftos_rt::net::{self, SocketAddr, TcpListener, TcpStream};
use swiftos_rt::sys;
swiftos_rt::entry!(main);

const HELP: &str = "Usage: tcpecho [-p PORT] [-v]\n\
Echo server: accept TCP connections on PORT (default 7) and send every byte back until the\n\
client closes. Serves many clients at once. Stop it with Ctrl-C.\n\
\x20 -v  log connections on standard error\n\
Example: tcpecho -p 7\n";

struct Client {
    s: TcpStream,
    peer: SocketAddr,
    pending: Vec<u8>,
    sent: usize,
    eof: bool,
    total: u64,
}

fn set_nonblocking(fd: i32) {
    if let Ok(fl) = sys::fcntl(fd, F_GETFL, 0) {
        let _ = sys::fcntl(fd, F_SETFL, fl | O_NONBLOCK as usize);
    }
}

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let o = match options("tcpecho", &args, "v", "p", HELP) {
        Ok(o) => o,
        Err(c) => return c,
    };
    let port: u16 = match o.value('p').map(|p| p.parse()) {
        None => 7,
        Some(Ok(p)) if p > 0 => p,
        _ => return usage_error("tcpecho", "bad port"),
    };
    let verbose = o.has('v');
    let l = match TcpListener::bind(SocketAddr::new([0; 4], port)) {
        Ok(l) => l,
        Err(e) => {
            let hint = net_hint(e);
            eprintln!(
                "tcpecho: cannot listen on port {port}: {}{hint}",
                e.description()
            );
            return 1;
        }
    };
    set_nonblocking(l.fd());
    println!("tcpecho: listening on port {port}");
    let mut clients: Vec<Client> = Vec::new();
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        let mut fds = vec![PollFd {
            fd: l.fd(),
            events: POLLIN,
            revents: 0,
        }];
        for c in &clients {
            let events = if c.sent < c.pending.len() {
                POLLOUT
            } else {
                POLLIN
            };
            fds.push(PollFd {
                fd: c.s.fd(),
                events,
                revents: 0,
            });
        }
        if let Err(e) = net::poll(&mut fds, -1) {
            report("tcpecho", "poll", e);
            return 1;
        }
        let mut done = Vec::new();
        for (i, p) in fds.iter().enumerate().skip(1) {
            let c = &mut clients[i - 1];
            let mut close = p.revents & POLLERR != 0;
            if !close && c.sent < c.pending.len() && p.revents & POLLOUT != 0 {
                match c.s.write(&c.pending[c.sent..]) {
                    Ok(n) => c.sent += n,
                    Err(Errno::EAGAIN) => {}
                    Err(_) => close = true,
                }
            }
            if c.sent >= c.pending.len() {
                c.pending.clear();
                c.sent = 0;
                if c.eof {
                    close = true;
                }
            }
            if !close && c.pending.is_empty() && p.revents & (POLLIN | POLLHUP) != 0 {
                match c.s.read(&mut buf) {
                    Ok(0) => {
                        c.eof = true;
                        close = true;
                    }
                    Ok(n) => {
                        c.total += n as u64;
                        match c.s.write(&buf[..n]) {
                            Ok(w) if w == n => {}
                            Ok(w) => {
                                c.pending.extend_from_slice(&buf[w..n]);
                            }
                            Err(Errno::EAGAIN) => c.pending.extend_from_slice(&buf[..n]),
                            Err(_) => close = true,
                        }
                    }
                    Err(Errno::EAGAIN) => {}
                    Err(_) => close = true,
                }
            }
            if close {
                done.push(i - 1);
            }
        }
        for i in done.into_iter().rev() {
            let c = clients.remove(i);
            if verbose {
                eprintln!("tcpecho: {} closed after {} bytes", c.peer, c.total);
            }
            let _ = c.s.shutdown(swiftos_abi::net::SHUT_WR);
        }
        if fds[0].revents & POLLIN != 0 {
            loop {
                match l.accept() {
                    Ok((s, peer)) => {
                        set_nonblocking(s.fd());
                        if verbose {
                            eprintln!("tcpecho: connection from {peer}");
                        }
                        clients.push(Client {
                            s,
                            peer,
                            pending: Vec::new(),
                            sent: 0,
                            eof: false,
                            total: 0,
                        });
                    }
                    Err(Errno::EAGAIN) => break,
                    Err(e) => {
                        report("tcpecho", "accept", e);
                        break;
                    }
                }
            }
        }
    }
}
