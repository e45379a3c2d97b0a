//! Networking helpers for the QEMU tests: QEMU user-mode networking with host port forwards,
//! free loopback ports, the loopback DNS server (Debian's `dnsmasq`, answering only the test
//! names) and a tiny host HTTP server. Nothing here talks to any address but 127.0.0.1 and the
//! guest behind QEMU's user network.

use crate::QemuConfig;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The port the guest's `/etc/resolv.conf` names on 10.0.2.2 (forwarded by QEMU to the host's
/// 127.0.0.1). Must match `os/base/etc/resolv.conf`.
pub const DNS_PORT: u16 = 15353;

/// Names the test DNS server knows. Everything else is NXDOMAIN.
pub const TEST_NAMES: &[(&str, &str)] = &[
    ("repo.swiftos.test", "10.0.2.2"),
    ("host.swiftos.test", "10.0.2.2"),
];
/// A CNAME the test server answers: alias → target.
pub const TEST_CNAME: (&str, &str) = ("alias.swiftos.test", "repo.swiftos.test");

/// A free TCP port on host loopback (bound then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl QemuConfig {
    /// Add a virtio-net device on QEMU user networking with `tcp` and `udp` forwards
    /// `(host port on 127.0.0.1, guest port)`.
    pub fn with_user_net(mut self, tcp: &[(u16, u16)], udp: &[(u16, u16)]) -> QemuConfig {
        let mut netdev = String::from("user,id=n0,net=10.0.2.0/24,host=10.0.2.2,restrict=off");
        for (h, g) in tcp {
            netdev.push_str(&format!(",hostfwd=tcp:127.0.0.1:{h}-:{g}"));
        }
        for (h, g) in udp {
            netdev.push_str(&format!(",hostfwd=udp:127.0.0.1:{h}-:{g}"));
        }
        self.extra.extend([
            "-netdev".to_string(),
            netdev,
            "-device".to_string(),
            "virtio-net-device,netdev=n0".to_string(),
        ]);
        self
    }
}

/// The loopback DNS server, running while this value lives (dropping it stops `dnsmasq`).
/// Tests that use DNS hold one each; they take turns on [`DNS_PORT`].
pub struct TestDns {
    child: Child,
    _turn: MutexGuard<'static, ()>,
}

static DNS_TURN: Mutex<()> = Mutex::new(());

/// Why the loopback DNS server did not start.
#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    #[error("could not run dnsmasq ({0}); install dnsmasq-base (`cargo xtask setup`)")]
    Spawn(std::io::Error),
    #[error(
        "the guest's DNS server could not listen on 127.0.0.1:{port}: {said}\n\
         Another `cargo xtask run` (or a left-over dnsmasq) may hold the port; \
         `ss -lunp 'sport = :{port}'` names it"
    )]
    PortBusy { port: u16, said: String },
}

/// Start `dnsmasq` on 127.0.0.1:[`DNS_PORT`], answering [`TEST_NAMES`] and [`TEST_CNAME`],
/// NXDOMAIN for everything else, forwarding nothing (`--no-resolv`, `--local=/#/`). Panics
/// (for tests) if it cannot; [`try_start_dns`] says why instead.
pub fn start_dns() -> TestDns {
    try_start_dns().unwrap_or_else(|e| panic!("{e}"))
}

/// [`start_dns`], with the reason when the server does not come up (the port is taken).
/// The server ends with this process however it ends ([`crate::end_with_parent`]).
pub fn try_start_dns() -> Result<TestDns, DnsError> {
    let turn = DNS_TURN.lock().unwrap_or_else(|e| e.into_inner());
    let mut c = Command::new("dnsmasq");
    crate::end_with_parent(&mut c);
    c.args([
        "--keep-in-foreground",
        "--conf-file=/dev/null",
        "--no-resolv",
        "--no-hosts",
        "--no-poll",
        "--pid-file=",
        "--user=root",
        // Keep root's group too: a change of group ID (dnsmasq's default is `dip`) clears the
        // parent-death signal, and the server would outlive a killed run.
        "--group=root",
        "--bind-interfaces",
        "--listen-address=127.0.0.1",
        "--interface=lo",
        "--local=/#/",
        "--log-facility=-",
    ])
    .arg(format!("--port={DNS_PORT}"));
    for (name, ip) in TEST_NAMES {
        c.arg(format!("--host-record={name},{ip}"));
    }
    c.arg(format!("--cname={},{}", TEST_CNAME.0, TEST_CNAME.1));
    c.stdout(Stdio::null()).stderr(Stdio::piped());
    let mut child = c.spawn().map_err(DnsError::Spawn)?;
    // dnsmasq binds before it settles; one that cannot bind exits at once.
    std::thread::sleep(Duration::from_millis(300));
    if let Ok(Some(_)) = child.try_wait() {
        let mut said = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = e.read_to_string(&mut said);
        }
        return Err(DnsError::PortBusy {
            port: DNS_PORT,
            said: said.trim().to_string(),
        });
    }
    // Keep reading its log so a full pipe never blocks it.
    if let Some(mut e) = child.stderr.take() {
        std::thread::spawn(move || std::io::copy(&mut e, &mut std::io::sink()));
    }
    Ok(TestDns { child, _turn: turn })
}

impl Drop for TestDns {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 server on 127.0.0.1 serving fixed `(path, body)` pairs (404 otherwise)
/// in a background thread. Returns the port and the list of request lines seen.
pub fn http_server(files: Vec<(String, Vec<u8>)>) -> (u16, Arc<Mutex<Vec<String>>>) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = l.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    let files = Arc::new(files);
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let files = files.clone();
            let seen = seen2.clone();
            std::thread::spawn(move || serve_one(s, &files, &seen));
        }
    });
    (port, seen)
}

fn serve_one(mut s: TcpStream, files: &[(String, Vec<u8>)], seen: &Mutex<Vec<String>>) {
    let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
    let mut req = Vec::new();
    let mut buf = [0u8; 1024];
    while !req.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => req.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&req).to_string();
    let line = text.lines().next().unwrap_or("").to_string();
    seen.lock().unwrap().push(line.clone());
    let path = line.split_whitespace().nth(1).unwrap_or("/");
    let (status, body) = match files.iter().find(|(p, _)| p == path) {
        Some((_, b)) => ("200 OK", b.clone()),
        None => ("404 Not Found", b"not found\n".to_vec()),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = s.write_all(head.as_bytes());
    let _ = s.write_all(&body);
}
