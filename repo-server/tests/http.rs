//! repo-server over real HTTP on 127.0.0.1: reqwest, curl and raw TCP clients against the
//! binary serving a root published by catalog-hosted.

mod common;

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{curl, publish_root, Server};
use reqwest::blocking::Client;
use reqwest::StatusCode;

fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// A root with a 3 MiB file, an inside symlink and an escaping symlink.
fn fixture() -> (common::Published, Server, Vec<u8>) {
    let p = publish_root();
    let big: Vec<u8> = (0..3 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    fs::write(p.www.join("big.bin"), &big).unwrap();
    fs::write(p.tmp.path().join("secret.txt"), "root:x:0:0:top secret\n").unwrap();
    std::os::unix::fs::symlink(p.tmp.path().join("secret.txt"), p.www.join("evil")).unwrap();
    std::os::unix::fs::symlink("/etc", p.www.join("etc")).unwrap();
    std::os::unix::fs::symlink("hosted-repo.json", p.www.join("alias.json")).unwrap();
    let s = Server::start(&p.www, p.tmp.path());
    (p, s, big)
}

fn raw(addr: &str, request: &[u8]) -> String {
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    c.write_all(request).unwrap();
    let mut out = Vec::new();
    let _ = c.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn get_head_types_cache_and_errors() {
    let (p, s, big) = fixture();
    let c = client();
    let r = c.get(s.url("/hosted-repo.json")).send().unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(r.headers()["cache-control"], "public, max-age=60");
    assert_eq!(
        r.bytes().unwrap(),
        fs::read(p.www.join("hosted-repo.json")).unwrap()
    );

    let r = c.head(s.url("/big.bin")).send().unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["content-length"],
        big.len().to_string().as_str()
    );
    assert_eq!(r.headers()["accept-ranges"], "bytes");
    assert!(r.headers().contains_key("etag") && r.headers().contains_key("last-modified"));
    assert!(r.bytes().unwrap().is_empty());

    let r = c.get(s.url("/metadata/timestamp.json")).send().unwrap();
    assert_eq!(r.headers()["cache-control"], "no-cache");
    let r = c.get(s.url("/metadata/1.root.json")).send().unwrap();
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let hashed = fs::read_dir(p.www.join("targets/packages"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .find(|n| n.len() > 65 && n.as_bytes()[64] == b'.')
        .unwrap();
    let r = c
        .get(s.url(&format!("/targets/packages/{hashed}")))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(r.headers()["content-type"], "application/vnd.swiftos.swpkg");
    let r = c
        .get(s.url("/targets/packages/hello-1.0.0.swpkg.sha256"))
        .send()
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/plain; charset=utf-8");

    // The browser at /, no listings, 404s, read-only.
    let r = c.get(s.url("/")).send().unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    assert!(r.text().unwrap().contains("id=\"q\""));
    for path in [
        "/metadata/",
        "/metadata",
        "/targets/packages/",
        "/nope.json",
        "/browse/nope.html",
    ] {
        let r = c.get(s.url(path)).send().unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let r = c.get(s.url("/browse/hello.html/")).send().unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = c.post(s.url("/hosted-repo.json")).body("x").send().unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()["allow"], "GET, HEAD");
    let r = c.delete(s.url("/hosted-repo.json")).send().unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(p.www.join("hosted-repo.json").exists());
    // A symlink that stays inside is served.
    assert_eq!(
        c.get(s.url("/alias.json")).send().unwrap().status(),
        StatusCode::OK
    );

    // The access log has one line per request.
    std::thread::sleep(Duration::from_millis(200));
    let log = s.log_text();
    assert!(log.contains("path=/hosted-repo.json status=200"), "{log}");
    assert!(
        log.contains("method=POST") && log.contains("status=405"),
        "{log}"
    );
}

#[test]
fn files_with_modification_times_outside_http_dates_are_served() {
    // Regression: the server formatted the mtime with `httpdate::fmt_http_date`, which panics
    // for times before 1970 (or after 9999), so every request for such a file was dropped.
    let (p, s, _) = fixture();
    let set = |name: &str, t: std::time::SystemTime| {
        let path = p.www.join(name);
        fs::write(&path, name).unwrap();
        fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(t)
            .unwrap();
    };
    let day = Duration::from_secs(86_400);
    set("old.txt", std::time::UNIX_EPOCH - day * 3650);
    // File systems clamp what they cannot store; where they can, this is past 9999.
    set("future.txt", std::time::UNIX_EPOCH + day * 366 * 8100);
    let c = client();
    let r = c.get(s.url("/old.txt")).send().unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["last-modified"],
        "Thu, 01 Jan 1970 00:00:00 GMT"
    );
    assert_eq!(r.text().unwrap(), "old.txt");
    let r = c.get(s.url("/future.txt")).send().unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().contains_key("last-modified"));
    assert_eq!(r.text().unwrap(), "future.txt");
}

#[test]
fn ranges_and_conditional_requests() {
    let (_p, s, big) = fixture();
    let c = client();
    let get = |range: &str| {
        c.get(s.url("/big.bin"))
            .header("range", range)
            .send()
            .unwrap()
    };
    let n = big.len();
    let r = get("bytes=0-99");
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        r.headers()["content-range"],
        format!("bytes 0-99/{n}").as_str()
    );
    assert_eq!(r.bytes().unwrap(), &big[..100]);
    let r = get("bytes=1000000-");
    assert_eq!(
        r.headers()["content-length"],
        (n - 1_000_000).to_string().as_str()
    );
    assert_eq!(r.bytes().unwrap(), &big[1_000_000..]);
    let r = get("bytes=-10");
    assert_eq!(r.bytes().unwrap(), &big[n - 10..]);
    for bad in [
        format!("bytes={n}-"),
        "bytes=9-3".into(),
        "bytes=x-y".into(),
        "bytes=-0".into(),
    ] {
        let r = get(&bad);
        assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE, "{bad}");
        assert_eq!(
            r.headers()["content-range"],
            format!("bytes */{n}").as_str()
        );
    }
    let r = get("bytes=0-1,5-6");
    assert_eq!(r.status(), StatusCode::OK, "several ranges: the whole file");
    assert_eq!(r.bytes().unwrap().len(), n);

    // ETag / If-None-Match, Last-Modified / If-Modified-Since, If-Range.
    let r = c.get(s.url("/metadata/timestamp.json")).send().unwrap();
    let tag = r.headers()["etag"].to_str().unwrap().to_string();
    let lm = r.headers()["last-modified"].to_str().unwrap().to_string();
    let r = c
        .get(s.url("/metadata/timestamp.json"))
        .header("if-none-match", &tag)
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(r.headers()["etag"], tag.as_str());
    assert!(r.bytes().unwrap().is_empty());
    let r = c
        .get(s.url("/metadata/timestamp.json"))
        .header("if-none-match", "\"other\"")
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = c
        .get(s.url("/metadata/timestamp.json"))
        .header("if-modified-since", &lm)
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    let r = c
        .get(s.url("/metadata/timestamp.json"))
        .header("if-modified-since", "Sat, 01 Jan 2000 00:00:00 GMT")
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = c
        .get(s.url("/big.bin"))
        .header("range", "bytes=0-9")
        .header("if-range", "\"stale\"")
        .send()
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "a stale If-Range gets the whole file"
    );
    let big_tag = c.head(s.url("/big.bin")).send().unwrap().headers()["etag"]
        .to_str()
        .unwrap()
        .to_string();
    let r = c
        .get(s.url("/big.bin"))
        .header("range", "bytes=0-9")
        .header("if-range", &big_tag)
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);

    // The same through Debian's curl.
    let (ok, body) = curl(&["-r", "10-19", &s.url("/big.bin")]);
    assert!(ok);
    assert_eq!(body, &big[10..20]);
    let (ok, body) = curl(&["-C", "3145000", &s.url("/big.bin")]);
    assert!(ok, "resume with -C");
    assert_eq!(body, &big[3_145_000..]);
    let (_, head) = curl(&["-I", &s.url("/metadata/timestamp.json")]);
    let head = String::from_utf8_lossy(&head).to_lowercase();
    assert!(
        head.starts_with("http/1.1 200") && head.contains("cache-control: no-cache"),
        "{head}"
    );
    let (_, head) = curl(&[
        "-I",
        "-H",
        &format!("If-None-Match: {tag}"),
        &s.url("/metadata/timestamp.json"),
    ]);
    assert!(String::from_utf8_lossy(&head).starts_with("HTTP/1.1 304"));
    let (_, head) = curl(&["-I", "-r", "999999999-", &s.url("/big.bin")]);
    assert!(String::from_utf8_lossy(&head).starts_with("HTTP/1.1 416"));
}

#[test]
fn traversal_and_escaping_symlinks_are_refused() {
    let (_p, s, _) = fixture();
    for path in [
        "/../etc/passwd",
        "/../../../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "/..%2f..%2fetc%2fpasswd",
        "/metadata/../../secret.txt",
        "/%2fetc/passwd",
        "//etc/passwd",
        "/..\\..\\etc\\passwd",
        "/%5c..%5c..%5cetc%5cpasswd",
        "/metadata/%00",
        "/hosted-repo.json%00.html",
        "/evil",
        "/etc/passwd",
        "/.%2e/secret.txt",
    ] {
        let (_, out) = curl(&["--path-as-is", "-i", &s.url(path)]);
        let out = String::from_utf8_lossy(&out);
        let status = out.split_whitespace().nth(1).unwrap_or("");
        assert!(matches!(status, "400" | "403" | "404"), "{path}: {out}");
        assert!(!out.contains("root:"), "{path} leaked: {out}");
    }
    // Straight over TCP: an absolute-form target and a raw NUL byte.
    let out = raw(
        &s.addr,
        b"GET http://localhost/../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(
        !out.contains("root:") && !out.starts_with("HTTP/1.1 200"),
        "{out}"
    );
    let out = raw(
        &s.addr,
        b"GET /metadata/\0/../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(
        !out.contains("root:") && !out.starts_with("HTTP/1.1 200"),
        "{out}"
    );
    let out = raw(&s.addr, b"GET /evil HTTP/1.0\r\n\r\n");
    assert!(out.starts_with("HTTP/1.0 403"), "{out}");
    // Still serving.
    let (ok, body) = curl(&[&s.url("/hosted-repo.json")]);
    assert!(ok && !body.is_empty());
}

#[test]
fn disconnects_and_200_concurrent_connections() {
    let (_p, s, big) = fixture();
    // Clients that vanish mid-transfer, twenty times.
    for _ in 0..20 {
        let mut c = TcpStream::connect(&s.addr).unwrap();
        c.write_all(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut buf = [0u8; 8192];
        let _ = c.read(&mut buf).unwrap();
        drop(c);
    }
    // 200 connections open at once, then each sends its request, then all read.
    let mut conns: Vec<TcpStream> = (0..200)
        .map(|_| TcpStream::connect(&s.addr).unwrap())
        .collect();
    for (i, c) in conns.iter_mut().enumerate() {
        let path = if i % 2 == 0 {
            "/big.bin"
        } else {
            "/metadata/1.root.json"
        };
        c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        c.write_all(
            format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .unwrap();
    }
    let started = Instant::now();
    let handles: Vec<_> = conns
        .into_iter()
        .enumerate()
        .map(|(i, mut c)| {
            std::thread::spawn(move || {
                let mut out = Vec::new();
                c.read_to_end(&mut out).unwrap();
                (i, out)
            })
        })
        .collect();
    let root1 = fs::read(_p.www.join("metadata/1.root.json")).unwrap();
    for h in handles {
        let (i, out) = h.join().unwrap();
        let split = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        assert!(out.starts_with(b"HTTP/1.1 200"), "connection {i}");
        let body = &out[split..];
        if i % 2 == 0 {
            assert!(body == &big[..], "connection {i}: {} bytes", body.len());
        } else {
            assert_eq!(body, &root1[..], "connection {i}");
        }
    }
    eprintln!(
        "200 concurrent connections (100 x 3 MiB) served in {:?}",
        started.elapsed()
    );
    let r = client().get(s.url("/hosted-repo.json")).send().unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[test]
fn start_up_errors_and_graceful_shutdown() {
    let tmp = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_repo-server"))
        .arg("--root")
        .arg(tmp.path().join("missing"))
        .args(["--bind", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("missing") && err.contains("swport repo publish"),
        "{err}"
    );

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_repo-server"))
        .arg("--root")
        .arg(tmp.path())
        .args(["--bind", &addr])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("port is taken") && err.contains("--bind"),
        "{err}"
    );

    let help = std::process::Command::new(env!("CARGO_BIN_EXE_repo-server"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("--root <DIR>") && help.contains("Examples:"),
        "{help}"
    );

    // SIGTERM: exits 0 promptly and says so.
    let (p, mut s, _) = fixture();
    let _ = p;
    assert_eq!(
        client().get(s.url("/")).send().unwrap().status(),
        StatusCode::OK
    );
    // SAFETY: plain kill(2) on the pid of a child process we started and have not reaped.
    let rc = unsafe { libc::kill(s.child.id() as libc::pid_t, libc::SIGTERM) };
    assert_eq!(rc, 0);
    let t = Instant::now();
    let status = loop {
        if let Some(st) = s.child.try_wait().unwrap() {
            break st;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "still running after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    let log = s.log_text();
    assert!(
        log.contains("SIGTERM received") && log.contains("stopped"),
        "{log}"
    );
}

#[test]
fn slow_clients_are_disconnected() {
    let p = publish_root();
    let s = Server::start_with(&p.www, p.tmp.path(), &["--header-timeout", "1"]);
    let mut slow = TcpStream::connect(&s.addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    slow.write_all(b"GET /hosted-repo.json HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    // Meanwhile other clients are served.
    let r = client().get(s.url("/hosted-repo.json")).send().unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let t = Instant::now();
    let mut out = Vec::new();
    let _ = slow.read_to_end(&mut out);
    let waited = t.elapsed();
    assert!(
        waited < Duration::from_secs(5),
        "still connected after {waited:?}"
    );
    let text = String::from_utf8_lossy(&out);
    assert!(out.is_empty() || text.starts_with("HTTP/1.1 408"), "{text}");
    // An idle kept-alive connection is closed too.
    let mut idle = TcpStream::connect(&s.addr).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    idle.write_all(b"GET /repo-root.pub HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let t = Instant::now();
    let mut out = Vec::new();
    let _ = idle.read_to_end(&mut out);
    assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 200"));
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "idle connection kept {:?}",
        t.elapsed()
    );
}
