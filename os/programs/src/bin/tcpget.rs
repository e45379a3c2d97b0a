//! `tcpget`: fetch a URL path over HTTP/1.1 and print the status line and the body.
#![no_std]
#![no_main]

use swiftos_programs::*;
use swiftos_rt::net::{self, Ip, SocketAddr, TcpStream};
use swiftos_rt::sys;
swiftos_rt::entry!(main);

const HELP: &str = "Usage: tcpget [-q] [-o FILE] [-t SECONDS] HOST[:PORT] [PATH]\n\
Fetch PATH (default /) from the HTTP server HOST (a name from /etc/resolv.conf's DNS or an\n\
IPv4 address; PORT defaults to 80) with an HTTP/1.1 GET. Prints the status line on standard\n\
error and the body on standard output. Redirects are reported, never followed.\n\
  -o FILE     write the body to FILE instead\n\
  -q          do not print the body; report its size and the transfer rate\n\
  -t SECONDS  connect/read timeout (default 10)\n\
Exit status: 0 for a 2xx answer, 1 for any other status or error.\n\
Example: tcpget repo.swiftos.test:8080 /index.html\n";

fn find(h: &[u8], pat: &[u8]) -> Option<usize> {
    h.windows(pat.len()).position(|w| w == pat)
}

/// Decode a chunked body; `None` if malformed.
fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = find(b, b"\r\n")?;
        let line = core::str::from_utf8(&b[..eol]).ok()?;
        let size = usize::from_str_radix(line.split(';').next()?.trim(), 16).ok()?;
        b = &b[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(b.get(..size)?);
        b = b.get(size + 2..)?;
    }
}

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let o = match options("tcpget", &args, "q", "ot", HELP) {
        Ok(o) => o,
        Err(c) => return c,
    };
    let (Some(target), path) = (o.operands.first(), o.operands.get(1)) else {
        return usage_error("tcpget", "missing HOST");
    };
    let path = path.map(String::as_str).unwrap_or("/");
    if !path.starts_with('/') {
        return usage_error("tcpget", "PATH must start with /");
    }
    let timeout_s: u64 = match o.value('t').map(|v| v.parse()) {
        None => 10,
        Some(Ok(v)) if v > 0 => v,
        _ => return usage_error("tcpget", "bad -t value"),
    };
    let Some((host, port)) = net::split_host_port(target, 80) else {
        return usage_error("tcpget", "bad HOST[:PORT]");
    };
    let ip = match net::resolve(host) {
        Ok(a) => a[0],
        Err(e) => {
            eprintln!("tcpget: cannot resolve {host}: {e}");
            return 1;
        }
    };
    let addr = SocketAddr::new(ip, port);
    let start = swiftos_rt::time::monotonic_ns();
    let s = match TcpStream::connect_timeout(addr, timeout_s * 1000) {
        Ok(s) => s,
        Err(e) => {
            let hint = match e {
                Errno::ECONNREFUSED => " (nothing listens on that port)",
                Errno::ETIMEDOUT => " (no answer from the host)",
                Errno::EACCES => " (this account lacks the capNet capability)",
                _ => "",
            };
            eprintln!(
                "tcpget: cannot connect to {host} ({}:{port}): {}{hint}",
                Ip(ip),
                e.description()
            );
            return 1;
        }
    };
    let _ = s.set_read_timeout(Some(timeout_s * 1000));
    let host_hdr = if port == 80 {
        String::from(host)
    } else {
        format!("{host}:{port}")
    };
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {host_hdr}\r\nUser-Agent: tcpget/0.1\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    if let Err(e) = s.write_all(req.as_bytes()) {
        report("tcpget", "sending the request", e);
        return 1;
    }
    let mut resp = Vec::new();
    if let Err(e) = s.read_to_end(&mut resp) {
        let what = if e == Errno::EAGAIN {
            "reading the response: timed out"
        } else {
            "reading the response"
        };
        if e == Errno::EAGAIN {
            eprintln!("tcpget: {what}");
        } else {
            report("tcpget", what, e);
        }
        return 1;
    }
    let secs = (swiftos_rt::time::monotonic_ns() - start) as f64 / 1e9;
    let Some(hdr_end) = find(&resp, b"\r\n\r\n") else {
        eprintln!(
            "tcpget: the server sent no HTTP header ({} bytes)",
            resp.len()
        );
        return 1;
    };
    let head = String::from_utf8_lossy(&resp[..hdr_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or("");
    let code: u16 = status
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let mut chunked = false;
    let mut location = None;
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            let v = v.trim();
            if k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked") {
                chunked = true;
            } else if k.eq_ignore_ascii_case("location") {
                location = Some(String::from(v));
            }
        }
    }
    let raw = &resp[hdr_end + 4..];
    let body = if chunked {
        match dechunk(raw) {
            Some(b) => b,
            None => {
                eprintln!("tcpget: malformed chunked body");
                return 1;
            }
        }
    } else {
        raw.to_vec()
    };
    eprintln!("{status}");
    if let Some(loc) = location {
        eprintln!("tcpget: redirect to {loc} (not followed)");
    }
    if o.has('q') {
        let rate = if secs > 0.0 {
            body.len() as f64 / secs / 1e6
        } else {
            0.0
        };
        println!("{} bytes in {:.3} s ({:.2} MB/s)", body.len(), secs, rate);
    } else if let Some(file) = o.value('o') {
        if let Err(e) = swiftos_rt::fs::write(file, &body) {
            report("tcpget", file, e);
            return 1;
        }
    } else if let Err(e) = sys::write_all(1, &body) {
        report("tcpget", "write error", e);
        return 1;
    }
    if (200..300).contains(&code) {
        0
    } else {
        1
    }
}
