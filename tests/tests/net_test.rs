//! Networking end to end: virtio-net + smoltcp in the guest, QEMU user networking, host
//! `curl`, a host HTTP server, the loopback `dnsmasq`, and the network tools.
//! Only 127.0.0.1 on the host and QEMU's user network (10.0.2.0/24) are ever contacted.

use sha2_free::sha256_hex;
use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::process::Command;
use std::time::{Duration, Instant};
use swiftos_tests::net::{free_port, http_server, start_dns};
use swiftos_tests::{Guest, QemuConfig};

/// A small SHA-256 so the test needs no extra crate (checked against a known vector below).
mod sha2_free {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];

    pub fn sha256_hex(data: &[u8]) -> String {
        let mut h: [u32; 8] = [
            0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
            0x5be0cd19,
        ];
        let mut msg = data.to_vec();
        let bits = (data.len() as u64) * 8;
        msg.push(0x80);
        while msg.len() % 64 != 56 {
            msg.push(0);
        }
        msg.extend_from_slice(&bits.to_be_bytes());
        for block in msg.chunks(64) {
            let mut w = [0u32; 64];
            for i in 0..16 {
                w[i] = u32::from_be_bytes(block[i * 4..i * 4 + 4].try_into().unwrap());
            }
            for i in 16..64 {
                let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
                let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
                w[i] = w[i - 16]
                    .wrapping_add(s0)
                    .wrapping_add(w[i - 7])
                    .wrapping_add(s1);
            }
            let mut v = h;
            for i in 0..64 {
                let s1 = v[4].rotate_right(6) ^ v[4].rotate_right(11) ^ v[4].rotate_right(25);
                let ch = (v[4] & v[5]) ^ (!v[4] & v[6]);
                let t1 = v[7]
                    .wrapping_add(s1)
                    .wrapping_add(ch)
                    .wrapping_add(K[i])
                    .wrapping_add(w[i]);
                let s0 = v[0].rotate_right(2) ^ v[0].rotate_right(13) ^ v[0].rotate_right(22);
                let maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
                let t2 = s0.wrapping_add(maj);
                v = [
                    t1.wrapping_add(t2),
                    v[0],
                    v[1],
                    v[2],
                    v[3].wrapping_add(t1),
                    v[4],
                    v[5],
                    v[6],
                ];
            }
            for i in 0..8 {
                h[i] = h[i].wrapping_add(v[i]);
            }
        }
        h.iter().map(|x| format!("{x:08x}")).collect()
    }
}

#[test]
fn sha256_known_vector() {
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

fn boot(name: &str, tcp: &[(u16, u16)], udp: &[(u16, u16)], user: &str) -> Guest {
    let cfg = QemuConfig::default().with_user_net(tcp, udp);
    let mut g = Guest::boot(name, &cfg).unwrap();
    g.login(user, user).unwrap();
    g
}

/// Deterministic pseudo-random bytes.
fn pattern(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// Wait until the guest prints `needle` (a server's "listening" line).
fn wait_for(g: &mut Guest, needle: &str) {
    g.expect_within(needle, Duration::from_secs(60)).unwrap();
}

/// Stop the foreground program with Ctrl-C and wait for the prompt.
fn interrupt(g: &mut Guest) {
    g.send(b"\x03").unwrap();
    let p = g.prompt.clone();
    g.expect_within(&p, Duration::from_secs(30)).unwrap();
}

fn curl(args: &[&str]) -> (String, bool) {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "60", "--noproxy", "*"])
        .args(args)
        .output()
        .expect("running curl");
    (
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
        out.status.success(),
    )
}

#[test]
fn httpd_serves_curl_head_404_and_100_concurrent_requests() {
    let port = free_port();
    let mut g = boot("net_httpd", &[(port, 8080)], &[], "user");
    let ifc = g.run("ifconfig").unwrap();
    assert!(ifc.contains("inet 10.0.2.15/24"), "{ifc}");
    g.send_line("httpd").unwrap();
    wait_for(&mut g, "serving /www on port 8080");
    let base = format!("http://127.0.0.1:{port}");
    let (page, ok) = curl(&[&format!("{base}/index.html")]);
    assert!(ok, "{page}");
    let index =
        std::fs::read_to_string(swiftos_tests::repo_root().join("os/base/www/index.html")).unwrap();
    assert_eq!(page, index);
    let (root, ok) = curl(&[&format!("{base}/")]);
    assert!(ok && root == index, "{root}");
    let (head, ok) = curl(&["-I", &format!("{base}/index.html")]);
    assert!(ok, "{head}");
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(head.contains("Content-Type: text/html"), "{head}");
    assert!(
        head.contains(&format!("Content-Length: {}", index.len())),
        "{head}"
    );
    let (nf, _) = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &format!("{base}/nope.txt"),
    ]);
    assert_eq!(nf, "404");
    let (trav, _) = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--path-as-is",
        &format!("{base}/../etc/passwd"),
    ]);
    assert_eq!(trav, "403");

    // 100 concurrent requests.
    let start = Instant::now();
    let mut args: Vec<String> = vec![
        "--parallel".into(),
        "--parallel-max".into(),
        "100".into(),
        "-o".into(),
        "/dev/null".into(),
        "-w".into(),
        "%{http_code}\\n".into(),
    ];
    for i in 0..100 {
        args.push(format!("{base}/index.html?{i}"));
        if i > 0 {
            args.push("-o".into());
            args.push("/dev/null".into());
        }
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (codes, _) = curl(&refs);
    let n200 = codes.lines().filter(|l| *l == "200").count();
    let secs = start.elapsed().as_secs_f64();
    println!("100 concurrent requests: {n200} × 200 in {secs:.2} s");
    assert_eq!(n200, 100, "{codes}");

    // Sequential request rate (benchmark figure).
    let start = Instant::now();
    let mut n = 0;
    while start.elapsed() < Duration::from_secs(5) {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.write_all(b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut v = Vec::new();
        s.read_to_end(&mut v).unwrap();
        assert!(v.starts_with(b"HTTP/1.1 200"));
        n += 1;
    }
    println!(
        "httpd sequential: {:.1} requests/s",
        n as f64 / start.elapsed().as_secs_f64()
    );

    // Ctrl-C stops it and frees the port: a second httpd can listen again.
    interrupt(&mut g);
    g.send_line("httpd").unwrap();
    wait_for(&mut g, "serving /www on port 8080");
    let (page, ok) = curl(&[&format!("{base}/index.html")]);
    assert!(ok && page == index);
    interrupt(&mut g);
}

#[test]
fn tcpget_fetches_from_host_and_reports_refused_and_timeout() {
    let small = b"hello from the host\n".to_vec();
    let (port, seen) = http_server(vec![("/hello.txt".into(), small.clone())]);
    let mut g = boot("net_tcpget", &[], &[], "user");
    let (out, code) = g
        .run_status(&format!("tcpget 10.0.2.2:{port} /hello.txt"))
        .unwrap();
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("HTTP/1.1 200 OK"), "{out}");
    assert!(out.contains("hello from the host"), "{out}");
    assert!(seen.lock().unwrap()[0].starts_with("GET /hello.txt HTTP/1.1"));
    let (out, code) = g
        .run_status(&format!("tcpget 10.0.2.2:{port} /missing"))
        .unwrap();
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("404"), "{out}");

    // Refused: nothing listens on this host port.
    let closed = free_port();
    let (out, code) = g
        .run_status(&format!("tcpget 10.0.2.2:{closed} /"))
        .unwrap();
    assert_eq!(code, 1);
    assert!(out.contains("Connection refused"), "{out}");
    // Timeout: nobody answers at .99 on the user network.
    let start = Instant::now();
    let (out, code) = g
        .run_status_within("tcpget -t 3 10.0.2.99:80 /", Duration::from_secs(60))
        .unwrap();
    assert_eq!(code, 1);
    assert!(out.contains("Connection timed out"), "{out}");
    assert!(start.elapsed() >= Duration::from_secs(3));
    // The in-guest socket ABI checks (poll over pipe + socket + console, timeouts, errors).
    let (out, code) = g
        .run_status_within("nettest", Duration::from_secs(60))
        .unwrap();
    assert!(out.contains("checks, 0 failed"), "{out}");
    assert_eq!(code, 0, "{out}");
    let ns = g.run("netstat").unwrap();
    assert!(ns.contains("Proto"), "{ns}");
}

#[test]
fn nslookup_resolves_test_names_and_reports_nxdomain() {
    let _dns = start_dns();
    let (port, _) = http_server(vec![("/dns".into(), b"named\n".to_vec())]);
    let mut g = boot("net_dns", &[], &[], "user");
    let (out, code) = g.run_status("nslookup repo.swiftos.test").unwrap();
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Address: 10.0.2.2"), "{out}");
    let (out, code) = g.run_status("nslookup alias.swiftos.test").unwrap();
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Address: 10.0.2.2"), "{out}");
    let (out, code) = g.run_status("nslookup nosuchname.swiftos.test").unwrap();
    assert_eq!(code, 1);
    assert!(out.contains("NXDOMAIN"), "{out}");
    let (out, code) = g.run_status("nslookup example.com").unwrap();
    assert_eq!(code, 1);
    assert!(out.contains("NXDOMAIN"), "{out}");
    // A name in tcpget goes through the same resolver.
    let (out, code) = g
        .run_status(&format!("tcpget repo.swiftos.test:{port} /dns"))
        .unwrap();
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("named"), "{out}");
}

#[test]
fn echo_servers_round_trip_and_20mb_both_ways() {
    let tport = free_port();
    let uport = free_port();
    let mut g = boot("net_echo", &[(tport, 7)], &[(uport, 7)], "user");

    g.send_line("udpecho").unwrap();
    wait_for(&mut g, "udpecho: listening on port 7");
    let u = UdpSocket::bind("127.0.0.1:0").unwrap();
    u.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut got = None;
    let mut buf = [0u8; 2048];
    for _ in 0..10 {
        u.send_to(b"ping over udp", ("127.0.0.1", uport)).unwrap();
        if let Ok((n, _)) = u.recv_from(&mut buf) {
            got = Some(buf[..n].to_vec());
            break;
        }
    }
    assert_eq!(got.as_deref(), Some(&b"ping over udp"[..]));
    interrupt(&mut g);

    g.send_line("tcpecho").unwrap();
    wait_for(&mut g, "tcpecho: listening on port 7");
    let mut s = TcpStream::connect(("127.0.0.1", tport)).unwrap();
    s.write_all(b"hello tcp\n").unwrap();
    let mut b = [0u8; 10];
    s.read_exact(&mut b).unwrap();
    assert_eq!(&b, b"hello tcp\n");
    drop(s);

    // 20 MB to the guest and the same 20 MB back, compared by sha256.
    let data = pattern(20 << 20, 0x5eed);
    let want = sha256_hex(&data);
    let mut s = TcpStream::connect(("127.0.0.1", tport)).unwrap();
    let mut r = s.try_clone().unwrap();
    r.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let start = Instant::now();
    let reader = std::thread::spawn(move || {
        let mut v = Vec::with_capacity(20 << 20);
        r.read_to_end(&mut v).unwrap();
        v
    });
    s.write_all(&data).unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let back = reader.join().unwrap();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "tcpecho 20 MiB each way in {secs:.2} s ({:.2} MB/s each direction)",
        20.0 * 1.048576 / secs
    );
    assert_eq!(back.len(), data.len());
    assert_eq!(sha256_hex(&back), want);
    interrupt(&mut g);
}

#[test]
fn tcpget_20mb_from_host_intact() {
    let data = pattern(20 << 20, 0xb16);
    let want = sha256_hex(&data);
    let (port, _) = http_server(vec![("/big".into(), data)]);
    let hport = free_port();
    let mut g = boot("net_big", &[(hport, 8080)], &[], "user");
    // Host → guest: the guest stores it in /tmp.
    let (out, code) = g
        .run_status_within(
            &format!("tcpget -o /tmp/big 10.0.2.2:{port} /big"),
            Duration::from_secs(180),
        )
        .unwrap();
    assert_eq!(code, 0, "{out}");
    let (out, _) = g
        .run_status_within(
            &format!("tcpget -q 10.0.2.2:{port} /big"),
            Duration::from_secs(180),
        )
        .unwrap();
    println!("host -> guest: {}", out.trim());
    // Guest → host: serve /tmp with httpd and fetch it back with curl.
    g.send_line("httpd -r /tmp").unwrap();
    wait_for(&mut g, "serving /tmp on port 8080");
    let dest = swiftos_tests::target_dir().join("qemu-logs/net_big.bin");
    let start = Instant::now();
    let (msg, ok) = curl(&[
        "-o",
        dest.to_str().unwrap(),
        &format!("http://127.0.0.1:{hport}/big"),
    ]);
    let secs = start.elapsed().as_secs_f64();
    assert!(ok, "{msg}");
    let back = std::fs::read(&dest).unwrap();
    let _ = std::fs::remove_file(&dest);
    println!(
        "guest -> host: {} bytes in {secs:.2} s ({:.2} MB/s)",
        back.len(),
        back.len() as f64 / secs / 1e6
    );
    assert_eq!(sha256_hex(&back), want);
    interrupt(&mut g);
}

#[test]
fn guest_without_capnet_is_refused() {
    let mut g = boot("net_denied", &[], &[], "guest");
    let (out, code) = g.run_status("tcpget 10.0.2.2:80 /").unwrap();
    assert_eq!(code, 1);
    assert!(out.contains("Permission denied"), "{out}");
    assert!(out.contains("capNet"), "{out}");
    let (out, code) = g.run_status("httpd -p 8081").unwrap();
    assert_eq!(code, 1);
    assert!(out.contains("Permission denied"), "{out}");
    let (out, code) = g.run_status("ifconfig").unwrap();
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Permission denied"), "{out}");
    let (out, code) = g.run_status("nslookup repo.swiftos.test").unwrap();
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("capNet"), "{out}");
    // --help needs no capability.
    for tool in [
        "tcpget", "httpd", "tcpecho", "udpecho", "nslookup", "ifconfig", "netstat", "nettest",
    ] {
        let (out, code) = g.run_status(&format!("{tool} --help")).unwrap();
        assert_eq!(code, 0, "{tool} --help: {out}");
        assert!(out.contains("Usage:"), "{tool} --help: {out}");
    }
}

/// CPU time (user + system) of process `pid` in seconds, from `/proc`.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap();
    ticks / 100.0
}

/// Benchmark for docs/PERFORMANCE.md (not part of the normal run):
/// `cargo test -p swiftos-tests --test net_test -- --ignored --nocapture net_benchmark`
#[test]
#[ignore]
fn net_benchmark() {
    let data = pattern(20 << 20, 0xbe4c);
    let (hport, _) = http_server(vec![("/big".into(), data)]);
    let port = free_port();
    let mut g = boot("net_bench", &[(port, 8080)], &[], "user");
    // Idle: a logged-in shell, the interface up, an idle listener.
    std::thread::sleep(Duration::from_secs(3));
    let c0 = cpu_seconds(g.qemu_pid());
    std::thread::sleep(Duration::from_secs(20));
    let idle = (cpu_seconds(g.qemu_pid()) - c0) / 20.0 * 100.0;
    println!("idle guest (shell prompt): QEMU uses {idle:.1} % of a host core");

    for _ in 0..3 {
        let out = g
            .run_within(
                &format!("tcpget -q 10.0.2.2:{hport} /big"),
                Duration::from_secs(180),
            )
            .unwrap();
        println!(
            "host -> guest 20 MiB: {}",
            out.trim().lines().last().unwrap_or("")
        );
    }
    g.run_within(
        &format!("tcpget -o /tmp/big 10.0.2.2:{hport} /big"),
        Duration::from_secs(180),
    )
    .unwrap();
    g.send_line("httpd -r /tmp").unwrap();
    wait_for(&mut g, "serving /tmp on port 8080");
    let c0 = cpu_seconds(g.qemu_pid());
    std::thread::sleep(Duration::from_secs(10));
    let idle = (cpu_seconds(g.qemu_pid()) - c0) / 10.0 * 100.0;
    println!("idle guest with httpd listening: QEMU uses {idle:.1} % of a host core");
    for _ in 0..3 {
        let start = Instant::now();
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.write_all(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut v = Vec::new();
        s.read_to_end(&mut v).unwrap();
        let secs = start.elapsed().as_secs_f64();
        println!(
            "guest -> host 20 MiB: {} bytes in {secs:.2} s ({:.2} MB/s)",
            v.len(),
            v.len() as f64 / secs / 1e6
        );
    }
    interrupt(&mut g);
    g.send_line("httpd").unwrap();
    wait_for(&mut g, "serving /www on port 8080");
    for conc in [1usize, 8] {
        let start = Instant::now();
        let handles: Vec<_> = (0..conc)
            .map(|_| {
                std::thread::spawn(move || {
                    let mut n = 0u32;
                    while start.elapsed() < Duration::from_secs(10) {
                        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
                        s.write_all(b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n")
                            .unwrap();
                        let mut v = Vec::new();
                        s.read_to_end(&mut v).unwrap();
                        assert!(v.starts_with(b"HTTP/1.1 200"));
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        let total: u32 = handles.into_iter().map(|h| h.join().unwrap()).sum();
        println!(
            "httpd, {conc} client(s): {:.1} requests/s",
            total as f64 / start.elapsed().as_secs_f64()
        );
    }
    interrupt(&mut g);
}

#[test]
fn kernel_command_line_sets_the_address() {
    let (port, _) = http_server(vec![("/x".into(), b"moved\n".to_vec())]);
    let mut cfg = QemuConfig::default().with_user_net(&[], &[]);
    cfg.extra.extend([
        "-append".to_string(),
        "ip=10.0.2.16/24 gw=10.0.2.2".to_string(),
    ]);
    let mut g = Guest::boot("net_cmdline", &cfg).unwrap();
    g.login("user", "user").unwrap();
    let ifc = g.run("ifconfig").unwrap();
    assert!(ifc.contains("inet 10.0.2.16/24"), "{ifc}");
    assert!(ifc.contains("gateway 10.0.2.2"), "{ifc}");
    let (out, code) = g.run_status(&format!("tcpget 10.0.2.2:{port} /x")).unwrap();
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("moved"), "{out}");
}

/// A process killed while it waited with a deadline (a connect timeout) must not leave the
/// timer firing: an idle guest costs about 2 % of a host core, the bug cost 50 % or more.
#[test]
fn idle_after_interrupted_timed_wait() {
    let mut g = boot("net_idle_intr", &[], &[], "user");
    g.send_line("tcpget -t 3 10.0.2.99:80 /").unwrap();
    std::thread::sleep(Duration::from_secs(1));
    interrupt(&mut g);
    std::thread::sleep(Duration::from_secs(4));
    let c0 = cpu_seconds(g.qemu_pid());
    std::thread::sleep(Duration::from_secs(10));
    let idle = (cpu_seconds(g.qemu_pid()) - c0) / 10.0 * 100.0;
    println!("idle after an interrupted timed wait: QEMU uses {idle:.1} % of a host core");
    assert!(idle < 20.0, "the guest keeps the host busy: {idle:.1} %");
}
