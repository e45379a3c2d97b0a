//! `netstat`: list the kernel's TCP and UDP sockets.
#![no_std]
#![no_main]

use swiftos_abi::net::{tcp_state_name, SockAddrIn, SOCKINFO_TCP};
use swiftos_programs::*;
use swiftos_rt::net::{self, Ip};
swiftos_rt::entry!(main);

const HELP: &str = "Usage: netstat\n\
List every TCP and UDP socket: protocol, receive and send queue bytes, local and remote\n\
address, and the TCP state.\n";

fn addr(a: &SockAddrIn) -> String {
    if a.port() == 0 && a.octets() == [0; 4] {
        String::from("*:*")
    } else {
        format!("{}:{}", Ip(a.octets()), a.port())
    }
}

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    if let Err(c) = options("netstat", &args, "", "", HELP) {
        return c;
    }
    let rows = match net::net_sockets() {
        Ok(r) => r,
        Err(e) => {
            report("netstat", "net_sockets", e);
            return 1;
        }
    };
    println!("Proto Recv-Q Send-Q Local Address          Foreign Address        State");
    for r in rows {
        let (proto, state) = if r.kind == SOCKINFO_TCP {
            ("tcp", tcp_state_name(r.state))
        } else {
            ("udp", "")
        };
        println!(
            "{proto:<5} {:>6} {:>6} {:<22} {:<22} {state}",
            r.recv_queue,
            r.send_queue,
            addr(&r.local),
            addr(&r.remote)
        );
    }
    0
}
