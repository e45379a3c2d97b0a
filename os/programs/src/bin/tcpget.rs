//! `tcpget`: fetch a URL path over HTTP/1.1 and print the status line and the body, streamed
//! (the HTTP client of `pkg`, `swiftos_programs::http`).
#![no_std]
#![no_main]

use swiftos_programs::http::{self, Failure};
use swiftos_programs::*;
use swiftos_rt::fs::File;
use swiftos_rt::sys;
swiftos_rt::entry!(main);

const HELP: &str = "Usage: tcpget [-q] [-o FILE] [-t SECONDS] HOST[:PORT] [PATH]\n\
Fetch PATH (default /) from the HTTP server HOST (a name from /etc/resolv.conf's DNS or an\n\
IPv4 address; PORT defaults to 80) with an HTTP/1.1 GET. Prints the status line on standard\n\
error and the body on standard output. Redirects are reported, never followed.\n\
\x20 -o FILE     write the body to FILE instead\n\
\x20 -q          do not print the body; report its size and the transfer rate\n\
\x20 -t SECONDS  connect/read timeout (default 10)\n\
Exit status: 0 for a 2xx answer, 1 for any other status or error.\n\
Example: tcpget repo.swiftos.test:8080 /index.html\n";

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
    if swiftos_rt::net::split_host_port(target, 80).is_none() {
        return usage_error("tcpget", "bad HOST[:PORT]");
    }
    let url = format!("http://{target}{path}");
    let start = swiftos_rt::time::monotonic_ns();
    let mut r = match http::request(&url, 0, timeout_s, "tcpget/0.1") {
        Ok(r) => r,
        Err(Failure::Protocol(e)) => {
            eprintln!("tcpget: {e}");
            return 1;
        }
        Err(e @ (Failure::Timeout { .. } | Failure::Io { .. } | Failure::Closed { .. })) => {
            eprintln!("tcpget: reading the response: {e}");
            return 1;
        }
        Err(e) => {
            eprintln!("tcpget: {e}");
            return 1;
        }
    };
    eprintln!("{} {} {}", r.head.version, r.head.status, r.head.reason);
    if let Some(loc) = &r.head.location {
        eprintln!("tcpget: redirect to {loc} (not followed)");
    }
    let out = match o.value('o') {
        Some(file) if !o.has('q') => match File::create(file) {
            Ok(f) => Some((f, file)),
            Err(e) => {
                report("tcpget", file, e);
                return 1;
            }
        },
        _ => None,
    };
    let mut buf = vec![0u8; 64 << 10];
    let mut total: u64 = 0;
    loop {
        let n = match r.body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                eprintln!("tcpget: reading the response: {e}");
                return 1;
            }
        };
        total += n as u64;
        let written = match (&out, o.has('q')) {
            (_, true) => Ok(()),
            (Some((f, _)), false) => f.write_all(&buf[..n]),
            (None, false) => sys::write_all(1, &buf[..n]),
        };
        if let Err(e) = written {
            match &out {
                Some((_, file)) => report("tcpget", file, e),
                None => report("tcpget", "write error", e),
            }
            return 1;
        }
    }
    if o.has('q') {
        let ns = swiftos_rt::time::monotonic_ns()
            .saturating_sub(start)
            .max(1);
        let secs = ns as f64 / 1e9;
        let rate = total as f64 / secs / 1e6;
        println!("{total} bytes in {secs:.3} s ({rate:.2} MB/s)");
    }
    if (200..300).contains(&r.head.status) {
        0
    } else {
        1
    }
}
