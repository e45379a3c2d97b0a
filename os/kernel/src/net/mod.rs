//! Networking in the kernel: the `swiftos-net` (smoltcp) stack over the virtio-net device
//! ([`device`]), driven by the device interrupt and a one-shot timer deadline recorded in
//! [`crate::time::deadlines`] (never a busy poll). The socket system calls that use it are
//! decoded in `crate::syscall::net`; this module knows nothing of user memory or descriptors.

mod device;

use crate::drivers::{self, gic};
use crate::time::deadlines::{self, Source};
use crate::{arch, fs, time, wakeup};
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};
use device::{Counters, NetDev};
use spin::Mutex;
use swiftos_abi::net::{NetInfo, SockInfo};
use swiftos_abi::{Errno, Timespec};
use swiftos_net::stack::Readiness;
use swiftos_net::{NetConfig, SocketId, Stack};

struct Net {
    stack: Stack,
    dev: NetDev,
    up_since_ns: u64,
}

static NET: Mutex<Option<Net>> = Mutex::new(None);
/// GIC id of the virtio-net interrupt (0 = no device).
static NET_IRQ: AtomicU32 = AtomicU32::new(0);
fn now_ms() -> u64 {
    time::monotonic_ns() / 1_000_000
}

/// Find the virtio-net device among the virtio-mmio `slots`, bring the interface up with the
/// default QEMU user-network configuration overridden by the command line (`ip=A/LEN`,
/// `gw=A|none`). Returns a line for the boot log.
pub fn probe(slots: &[(u64, u32)], ip: Option<&str>, gw: Option<&str>) -> Option<String> {
    let (nic, irq) = drivers::net::probe(slots)?;
    let mut config = NetConfig::qemu_user(nic.mac_address());
    let spec = command_line_spec(ip, gw);
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

/// The kernel command line's `ip=A/LEN` and `gw=A|none` as a `NetConfig::apply` spec.
fn command_line_spec(ip: Option<&str>, gw: Option<&str>) -> String {
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
    spec
}

/// Apply `/etc/net.conf` from the base image (`addr=A.B.C.D/LEN`, `gw=A.B.C.D|none`, `#`
/// comments); the kernel command line's `ip=`/`gw=` still win. Called once the root file system
/// is mounted.
pub fn load_config_file(ctx: &fs::FsCtx, ip: Option<&str>, gw: Option<&str>) {
    if NET.lock().is_none() {
        return;
    }
    let Some(text) = read_small_file(ctx, "/etc/net.conf") else {
        return;
    };
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
    let spec = command_line_spec(ip, gw);
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

/// The first 8 KiB (or so) of the file at `path`, if it can be opened.
fn read_small_file(ctx: &fs::FsCtx, path: &str) -> Option<Vec<u8>> {
    let mut h = fs::open(ctx, path, swiftos_abi::fcntl::O_RDONLY, 0).ok()?;
    if fs::is_console(&h) {
        fs::close(h);
        return None;
    }
    let mut text = Vec::new();
    let mut buf = [0u8; 512];
    while text.len() < 8192 {
        match fs::read(&mut h, &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => text.extend_from_slice(&buf[..n]),
        }
    }
    fs::close(h);
    Some(text)
}

/// Run the stack (receive, timers, transmit) and schedule the next timer poll.
fn pump(n: &mut Net) {
    let now = now_ms();
    n.stack.poll(now, &mut n.dev);
    let next = n
        .stack
        .poll_delay(now)
        .map(|d| time::monotonic_ns().saturating_add(d.max(1) * 1_000_000));
    deadlines::set(Source::Network, next);
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
    wakeup::io_event();
    true
}

/// Timer interrupt at `now_ns`: run the stack if its deadline passed and wake I/O waiters.
pub fn on_timer(now_ns: u64) {
    if deadlines::due(Source::Network, now_ns) {
        if let Some(n) = NET.lock().as_mut() {
            pump(n);
        }
        wakeup::io_event();
    }
}

/// Close a socket whose last descriptor went away.
pub fn close(id: SocketId) {
    if let Some(n) = NET.lock().as_mut() {
        n.stack.close(id);
        pump(n);
    }
}

/// Run `f` on the stack, then pump it so queued segments leave at once (`ENETDOWN` without a
/// network device).
pub fn with_stack<R>(f: impl FnOnce(&mut Stack) -> Result<R, Errno>) -> Result<R, Errno> {
    let mut g = NET.lock();
    let n = g.as_mut().ok_or(Errno::ENETDOWN)?;
    let r = f(&mut n.stack);
    pump(n);
    r
}

/// Readiness of socket `id` (`None` without a network device).
pub fn readiness(id: SocketId) -> Option<Readiness> {
    NET.lock().as_ref().map(|n| n.stack.readiness(id))
}

/// The interface's configuration, counters and uptime.
pub fn info() -> Result<NetInfo, Errno> {
    let g = NET.lock();
    let n = g.as_ref().ok_or(Errno::ENETDOWN)?;
    let c = n.stack.config();
    let up = n.up_since_ns;
    Ok(NetInfo {
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
    })
}

/// One row per socket in the stack's table.
pub fn sockets() -> Result<Vec<SockInfo>, Errno> {
    let g = NET.lock();
    Ok(g.as_ref().ok_or(Errno::ENETDOWN)?.stack.sockets())
}
