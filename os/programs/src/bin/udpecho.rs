//! `udpecho`: a UDP echo server (each datagram is sent back to its sender).
#![no_std]
#![no_main]

use swiftos_programs::*;
use swiftos_rt::net::{SocketAddr, UdpSocket};
swiftos_rt::entry!(main);

const HELP: &str = "Usage: udpecho [-p PORT] [-v]\n\
Echo server: every UDP datagram received on PORT (default 7) is sent back to its sender.\n\
Stop it with Ctrl-C.\n\
\x20 -v  log each datagram on standard error\n\
Example: udpecho -p 7\n";

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let o = match options("udpecho", &args, "v", "p", HELP) {
        Ok(o) => o,
        Err(c) => return c,
    };
    let port: u16 = match o.value('p').map(|p| p.parse()) {
        None => 7,
        Some(Ok(p)) if p > 0 => p,
        _ => return usage_error("udpecho", "bad port"),
    };
    let s = match UdpSocket::bind(SocketAddr::new([0; 4], port)) {
        Ok(s) => s,
        Err(e) => {
            let hint = net_hint(e);
            eprintln!(
                "udpecho: cannot bind port {port}: {}{hint}",
                e.description()
            );
            return 1;
        }
    };
    println!("udpecho: listening on port {port}");
    let mut buf = vec![0u8; 65536];
    loop {
        match s.recv_from(&mut buf) {
            Ok((n, from)) => {
                if o.has('v') {
                    eprintln!("udpecho: {n} bytes from {from}");
                }
                if let Err(e) = s.send_to(&buf[..n], from) {
                    report("udpecho", "send", e);
                }
            }
            Err(Errno::EINTR) => {}
            Err(e) => {
                report("udpecho", "receive", e);
                return 1;
            }
        }
    }
}
