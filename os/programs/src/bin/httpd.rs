//! `httpd`: a small static-file HTTP/1.1 server for `/www`, serving many clients at once from
//! one `poll` loop.
#![no_std]
#![no_main]

use swiftos_abi::fcntl::{F_GETFL, F_SETFL, O_NONBLOCK};
use swiftos_abi::net::{PollFd, POLLERR, POLLHUP, POLLIN, POLLOUT};
use swiftos_programs::*;
use swiftos_rt::net::{self, SocketAddr, TcpListener, TcpStream};
use swiftos_rt::sys;
swiftos_rt::entry!(main);

const HELP: &str = "Usage: httpd [-p PORT] [-r ROOT] [-v]\n\
Serve the files under ROOT (default /www) over HTTP/1.1 on PORT (default 8080): GET and HEAD,\n\
index.html for directories, Content-Type from the file extension, 404 for missing files,\n\
many concurrent clients. Stop it with Ctrl-C.\n\
\x20 -v  log each request on standard error\n\
Example: httpd -p 8080\n";

/// Most clients served at once; more wait in the listen backlog.
const MAX_CLIENTS: usize = 64;
/// Longest request header accepted.
const MAX_REQUEST: usize = 8192;

struct Client {
    s: TcpStream,
    peer: SocketAddr,
    req: Vec<u8>,
    out: Vec<u8>,
    sent: usize,
    /// Response queued; close after sending.
    responding: bool,
}

fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match ext.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "txt" | "md" => "text/plain; charset=utf-8",
        "css" => "text/css",
        "js" => "text/javascript",
        "json" => "application/json",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "wasm" => "application/wasm",
        "pdf" => "application/pdf",
        "gz" => "application/gzip",
        "tar" => "application/x-tar",
        _ => "application/octet-stream",
    }
}

/// Decode `%XX` escapes; `None` for bad escapes or NUL.
fn percent_decode(p: &str) -> Option<String> {
    let b = p.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let h = core::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(h, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    if out.contains(&0) {
        return None;
    }
    String::from_utf8(out).ok()
}

fn response(status: &str, ctype: &str, body: &[u8], head_only: bool, len: usize) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 {status}\r\nServer: SwiftOS-httpd/0.1\r\nContent-Type: {ctype}\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    if !head_only {
        r.extend_from_slice(body);
    }
    r
}

fn error_page(code: &str, head_only: bool) -> Vec<u8> {
    let body = format!("<!doctype html><title>{code}</title><h1>{code}</h1>\n");
    response(
        code,
        "text/html; charset=utf-8",
        body.as_bytes(),
        head_only,
        body.len(),
    )
}

/// Build the answer to one request header.
fn handle(root: &str, req: &[u8], verbose: bool, peer: SocketAddr) -> Vec<u8> {
    let text = String::from_utf8_lossy(req);
    let line = text.lines().next().unwrap_or("");
    let mut parts = line.split_whitespace();
    let (method, target, version) = (parts.next(), parts.next(), parts.next());
    let (Some(method), Some(target), Some(version)) = (method, target, version) else {
        return error_page("400 Bad Request", false);
    };
    if verbose {
        eprintln!("httpd: {peer} {method} {target}");
    }
    if !version.starts_with("HTTP/1.") {
        return error_page("505 HTTP Version Not Supported", false);
    }
    let head_only = method == "HEAD";
    if method != "GET" && !head_only {
        return error_page("405 Method Not Allowed", false);
    }
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let Some(path) = percent_decode(path) else {
        return error_page("400 Bad Request", head_only);
    };
    if !path.starts_with('/') || path.split('/').any(|c| c == "..") {
        return error_page("403 Forbidden", head_only);
    }
    let mut full = format!("{root}{path}");
    if let Ok(st) = sys::stat(&full) {
        if swiftos_rt::fs::is_dir(&st) {
            if !full.ends_with('/') {
                full.push('/');
            }
            full.push_str("index.html");
        }
    }
    match swiftos_rt::fs::read(&full) {
        Ok(body) => response("200 OK", content_type(&full), &body, head_only, body.len()),
        Err(Errno::ENOENT) | Err(Errno::ENOTDIR) => error_page("404 Not Found", head_only),
        Err(Errno::EACCES) | Err(Errno::EPERM) => error_page("403 Forbidden", head_only),
        Err(_) => error_page("500 Internal Server Error", head_only),
    }
}

fn set_nonblocking(fd: i32) {
    if let Ok(fl) = sys::fcntl(fd, F_GETFL, 0) {
        let _ = sys::fcntl(fd, F_SETFL, fl | O_NONBLOCK as usize);
    }
}

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let o = match options("httpd", &args, "v", "pr", HELP) {
        Ok(o) => o,
        Err(c) => return c,
    };
    let port: u16 = match o.value('p').map(|p| p.parse()) {
        None => 8080,
        Some(Ok(p)) if p > 0 => p,
        _ => return usage_error("httpd", "bad port"),
    };
    let root = String::from(o.value('r').unwrap_or("/www").trim_end_matches('/'));
    let verbose = o.has('v');
    let listener = match TcpListener::bind(SocketAddr::new([0; 4], port)) {
        Ok(l) => l,
        Err(e) => {
            let hint = net_hint(e);
            eprintln!(
                "httpd: cannot listen on port {port}: {}{hint}",
                e.description()
            );
            return 1;
        }
    };
    set_nonblocking(listener.fd());
    println!("httpd: serving {root} on port {port} (Ctrl-C stops)");
    let mut clients: Vec<Client> = Vec::new();
    loop {
        let mut fds = Vec::with_capacity(clients.len() + 1);
        fds.push(PollFd {
            fd: listener.fd(),
            events: if clients.len() < MAX_CLIENTS {
                POLLIN
            } else {
                0
            },
            revents: 0,
        });
        for c in &clients {
            fds.push(PollFd {
                fd: c.s.fd(),
                events: if c.responding { POLLOUT } else { POLLIN },
                revents: 0,
            });
        }
        if let Err(e) = net::poll(&mut fds, -1) {
            report("httpd", "poll", e);
            return 1;
        }
        if fds[0].revents & POLLIN != 0 {
            while clients.len() < MAX_CLIENTS {
                match listener.accept() {
                    Ok((s, peer)) => {
                        set_nonblocking(s.fd());
                        clients.push(Client {
                            s,
                            peer,
                            req: Vec::new(),
                            out: Vec::new(),
                            sent: 0,
                            responding: false,
                        });
                    }
                    Err(Errno::EAGAIN) => break,
                    Err(e) => {
                        report("httpd", "accept", e);
                        break;
                    }
                }
            }
        }
        let mut buf = [0u8; 2048];
        let mut finished = Vec::new();
        // `fds[1..]` matches `clients` as they were before this round's accepts.
        for (i, p) in fds.iter().enumerate().skip(1) {
            let ev = p.revents;
            let c = &mut clients[i - 1];
            let mut close = ev & POLLERR != 0;
            if !close && !c.responding && ev & (POLLIN | POLLHUP) != 0 {
                match c.s.read(&mut buf) {
                    Ok(0) => close = true,
                    Ok(n) => {
                        c.req.extend_from_slice(&buf[..n]);
                        let end = c.req.windows(4).position(|w| w == b"\r\n\r\n");
                        if let Some(end) = end {
                            c.out = handle(&root, &c.req[..end], verbose, c.peer);
                            c.responding = true;
                        } else if c.req.len() > MAX_REQUEST {
                            c.out = error_page("431 Request Header Fields Too Large", false);
                            c.responding = true;
                        }
                    }
                    Err(Errno::EAGAIN) | Err(Errno::EINTR) => {}
                    Err(_) => close = true,
                }
            }
            if !close && c.responding {
                match c.s.write(&c.out[c.sent..]) {
                    Ok(n) => c.sent += n,
                    Err(Errno::EAGAIN) | Err(Errno::EINTR) => {}
                    Err(_) => close = true,
                }
                if c.sent >= c.out.len() {
                    let _ = c.s.shutdown(swiftos_abi::net::SHUT_WR);
                    close = true;
                }
            }
            if close {
                finished.push(i - 1);
            }
        }
        for i in finished.into_iter().rev() {
            clients.remove(i);
        }
    }
}
