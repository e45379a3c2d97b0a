//! `ifconfig`: show the network interface's address, gateway, MAC and counters.
#![no_std]
#![no_main]

use swiftos_programs::*;
use swiftos_rt::net::{self, Ip};
swiftos_rt::entry!(main);

const HELP: &str = "Usage: ifconfig\n\
Show the virtio-net interface: IPv4 address and prefix, gateway, MAC address, MTU and packet\n\
counters. The address comes from the kernel command line (ip=A.B.C.D/LEN gw=A.B.C.D) or the\n\
QEMU user-network default 10.0.2.15/24 via 10.0.2.2.\n";

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    if let Err(c) = options("ifconfig", &args, "", "", HELP) {
        return c;
    }
    let i = match net::net_info() {
        Ok(i) => i,
        Err(Errno::ENETDOWN) => {
            eprintln!("ifconfig: no network device (start QEMU with -device virtio-net-device)");
            return 1;
        }
        Err(e) => {
            report("ifconfig", "net_info", e);
            return 1;
        }
    };
    let m = i.mac;
    println!(
        "eth0: flags=UP,BROADCAST,RUNNING  mtu {}\n    inet {}/{}  gateway {}\n    ether {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}\n    RX packets {}  bytes {}\n    TX packets {}  bytes {}",
        i.mtu,
        Ip(i.addr),
        i.prefix_len,
        if i.gateway == [0; 4] { String::from("none") } else { format!("{}", Ip(i.gateway)) },
        m[0], m[1], m[2], m[3], m[4], m[5],
        i.rx_packets,
        i.rx_bytes,
        i.tx_packets,
        i.tx_bytes
    );
    0
}
