//! The in-guest `pkg` client's mechanics, in real QEMU: its HTTP/1.1 client (chunked bodies,
//! `Range` resumes checked against `Content-Range`, a server that cuts the connection or lies
//! about the range), zstd decompression of real packages, and the `/tmp/pkg.lock` store lock.
//!
//! A small HTTP server in this file serves a signed test repository (the lead's repository
//! fixture) with `Transfer-Encoding: chunked` and misbehaves on request. The client works on
//! `--root /tmp/r` (RAM), so no package store disk is needed; the last test uses the real
//! store at `/pkg` with the pinned root key and the `/usr` overlay. `python_tuf_ecdsa_repository`
//! serves a repository python-tuf signed with ECDSA keys (`swiftos_tests::python_tuf`).
//! Serial logs: `target/qemu-logs/pkg-guest-*.log`.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use catalog_core::Compat;
use catalog_signer::Expiry;
use swiftos_tests::net::start_dns;
use swiftos_tests::python_tuf::{self, PeerRepo};
use swiftos_tests::repo_fixture::{
    build_package, build_package_signed, copy_tree, noise, now, seed_keys_dir, work_dir, PkgFile,
    RepoServer, TestRepo,
};
use swiftos_tests::{Guest, QemuConfig};

/// Downloads and installs on a busy 2-core machine under TCG.
const SLOW: Duration = Duration::from_secs(300);
/// Size of the incompressible test package's payload.
const BIG: usize = 4 << 20;

/// How the test server behaves for `.swpkg` downloads.
#[derive(Debug, Clone, Copy, Default)]
struct Mode {
    /// Close the connection after this many body bytes.
    cut_after: Option<usize>,
    /// Answer a `Range` request with a 206 whose `Content-Range` starts elsewhere.
    lie_about_range: bool,
    /// Accept the connection and never answer.
    stall: bool,
}

/// A tiny HTTP/1.1 server over a directory: chunked bodies (odd chunk sizes), `Range:
/// bytes=N-` answered with 206 + `Content-Range`, and the misbehaviours of [`Mode`]. Every
/// request line and its `Range` header are logged.
struct Server {
    port: u16,
    mode: Arc<Mutex<Mode>>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(root: &Path) -> Server {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().unwrap().port();
        let mode = Arc::new(Mutex::new(Mode::default()));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (root, m, lg) = (root.to_path_buf(), mode.clone(), log.clone());
        thread::spawn(move || {
            for s in l.incoming().flatten() {
                let (root, m, lg) = (root.clone(), m.clone(), lg.clone());
                thread::spawn(move || {
                    let _ = serve(s, &root, &m, &lg);
                });
            }
        });
        Server { port, mode, log }
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

fn serve(
    s: TcpStream,
    root: &Path,
    mode: &Mutex<Mode>,
    log: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let mut r = BufReader::new(s.try_clone()?);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut range: Option<usize> = None;
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 || h == "\r\n" {
            break;
        }
        if let Some(v) = h.to_ascii_lowercase().strip_prefix("range: bytes=") {
            range = v.trim().trim_end_matches('-').parse().ok();
        }
    }
    log.lock().unwrap().push(match range {
        Some(n) => format!("GET {path} Range: bytes={n}-"),
        None => format!("GET {path}"),
    });
    let mut w = s;
    let file: PathBuf = root.join(path.trim_start_matches('/'));
    let data = match (path.contains(".."), std::fs::read(&file)) {
        (false, Ok(d)) => d,
        _ => {
            w.write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )?;
            return Ok(());
        }
    };
    let m = *mode.lock().unwrap();
    let package = path.ends_with(".swpkg");
    if m.stall && package {
        thread::sleep(Duration::from_secs(60));
        return Ok(());
    }
    let (status, from) = match range {
        Some(n) if n < data.len() => (206, n),
        _ => (200, 0),
    };
    let mut head =
        format!("HTTP/1.1 {status} X\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n");
    if status == 206 {
        let start = if m.lie_about_range && package {
            0
        } else {
            from
        };
        head.push_str(&format!(
            "Content-Range: bytes {start}-{}/{}\r\n",
            data.len() - 1,
            data.len()
        ));
    }
    head.push_str("\r\n");
    w.write_all(head.as_bytes())?;
    let body = &data[from..];
    let limit = if package {
        m.cut_after.unwrap_or(usize::MAX)
    } else {
        usize::MAX
    };
    let mut sent = 0;
    // Odd chunk sizes, so chunk boundaries fall anywhere in the client's reads.
    for (i, chunk) in body.chunks(7919).enumerate() {
        let chunk = &chunk[..chunk.len().min(limit.saturating_sub(sent))];
        if chunk.is_empty() {
            // Cut: drop the connection without the final chunk.
            return Ok(());
        }
        write!(
            w,
            "{:x}{}\r\n",
            chunk.len(),
            if i % 3 == 0 { ";x=y" } else { "" }
        )?;
        w.write_all(chunk)?;
        w.write_all(b"\r\n")?;
        sent += chunk.len();
        if package {
            // Pace large bodies a little so a cut happens mid-transfer, not before it starts.
            thread::sleep(Duration::from_millis(1));
        }
    }
    w.write_all(b"0\r\nX-Trailer: done\r\n\r\n")?;
    Ok(())
}

/// A seed-signed repository with `hello` (a real program and a data file) and `bigdata`
/// ([`BIG`] incompressible bytes), plus the root key at `/root.pub` of the served tree.
fn test_repo(work: &Path) -> TestRepo {
    let keys = seed_keys_dir().unwrap();
    let mut repo = TestRepo::seed_signed(&work.join("repo")).unwrap();
    let pk = work.join("packages");
    std::fs::create_dir_all(&pk).unwrap();
    let cat = std::fs::read(swiftos_tests::repo_root().join("build/bin/cat"))
        .expect("build/bin/cat (run cargo xtask build)");
    let hello = build_package(
        &pk,
        &keys,
        "hello",
        "1.0.0",
        &[],
        &[
            PkgFile::exe("bin/hello", cat),
            PkgFile::data("share/hello/message", "hello from a package\n"),
        ],
    )
    .unwrap();
    let big = build_package(
        &pk,
        &keys,
        "bigdata",
        "1.0.0",
        &[],
        &[PkgFile::data("share/bigdata/blob", noise(BIG, 11))],
    )
    .unwrap();
    let linky = symlink_package(&pk, &keys);
    repo.add(&hello).unwrap();
    repo.add(&big).unwrap();
    repo.add(&linky).unwrap();
    repo.publish().unwrap();
    std::fs::copy(keys.join("root.pub"), repo.dir.join("root.pub")).unwrap();
    std::fs::copy(&hello, repo.dir.join("hello-local.swpkg")).unwrap();
    repo
}

/// `linky`: a package with a symbolic link (`bin/alias -> real`), which SwiftOS cannot hold.
fn symlink_package(work: &Path, keys: &Path) -> PathBuf {
    let stage = work.join("stage-linky");
    let _ = std::fs::remove_dir_all(&stage);
    std::fs::create_dir_all(stage.join("bin")).unwrap();
    std::fs::write(stage.join("bin/real"), "data\n").unwrap();
    std::os::unix::fs::symlink("real", stage.join("bin/alias")).unwrap();
    let toml = work.join("linky-1.0.0.toml");
    std::fs::write(
        &toml,
        "name = \"linky\"\nversion = \"1.0.0\"\ndescription = \"has a symlink\"\nlicense = \"MIT\"\n",
    )
    .unwrap();
    let out = work.join("linky-1.0.0.swpkg");
    let key = swpkg_keys::read_secret_key(&keys.join("root.key")).unwrap();
    swpkg_host::build_package(
        &toml,
        &stage,
        &key,
        swpkg_host::BuildOptions { mtime: 0 },
        &out,
    )
    .unwrap();
    out
}

fn ok(g: &mut Guest, cmd: &str) -> String {
    g.run_ok(cmd, SLOW)
}

fn fails(g: &mut Guest, cmd: &str) -> String {
    g.run_fails(cmd, SLOW)
}

fn has(out: &str, what: &[&str], context: &str) {
    for w in what {
        assert!(out.contains(w), "{context}: expected {w:?} in:\n{out}");
    }
}

fn machine(store: Option<&Path>) -> QemuConfig {
    QemuConfig {
        store_image: store.map(Path::to_path_buf),
        ..QemuConfig::default()
    }
    .with_user_net(&[], &[])
}

#[test]
fn http_chunked_ranges_resume_zstd_and_lock() {
    let work = work_dir("pkg-guest").unwrap();
    let repo = test_repo(&work);
    let srv = Server::start(&repo.dir);
    let url = format!("http://10.0.2.2:{}/", srv.port);
    let _dns = start_dns();
    let mut g = Guest::boot("pkg-guest-http", &machine(None)).expect("boot");
    g.login("root", "root").expect("login");
    let r = "pkg --root /tmp/r";

    // Trust: the root key travels over HTTP like any file; the metadata must be signed by it.
    ok(
        &mut g,
        &format!("tcpget -o /tmp/root.pub 10.0.2.2:{} /root.pub", srv.port),
    );
    let out = ok(
        &mut g,
        &format!("{r} repo set {url} --root-key /tmp/root.pub"),
    );
    has(&out, &["repository set to"], "repo set");
    let out = ok(&mut g, &format!("{r} update"));
    has(
        &out,
        &["repository metadata verified: 3 package(s) available"],
        "update",
    );
    let out = ok(&mut g, &format!("{r} search hello"));
    has(&out, &["hello 1.0.0 - the hello test package"], "search");
    let out = ok(&mut g, &format!("{r} search"));
    has(
        &out,
        &[
            "bigdata 1.0.0",
            "hello 1.0.0 - the hello test package",
            "linky 1.0.0",
        ],
        "search with no word",
    );

    // A real package: chunked download, zstd, signature, files in place.
    let out = ok(&mut g, &format!("{r} install hello"));
    has(
        &out,
        &["+ hello 1.0.0", "generation 0 -> 1"],
        "install hello",
    );
    let out = ok(
        &mut g,
        "cat /tmp/r/pkg/store/hello-1.0.0/root/share/hello/message",
    );
    has(&out, &["hello from a package"], "installed file");
    let out = ok(
        &mut g,
        "/tmp/r/pkg/store/hello-1.0.0/root/bin/hello /tmp/root.pub",
    );
    has(
        &out,
        &["swpkg-ed25519-public-v1"],
        "the installed program runs",
    );
    ok(&mut g, &format!("{r} verify"));

    // SwiftOS has no symbolic links: such a package is refused, clearly, and nothing changes.
    let before = ok(&mut g, &format!("{r} list --generations"));
    let out = fails(&mut g, &format!("{r} install linky"));
    has(
        &out,
        &[
            "contains a symbolic link (-> real)",
            "SwiftOS has no symbolic links",
            "nothing was changed",
        ],
        "symlink package",
    );
    assert_eq!(ok(&mut g, &format!("{r} list --generations")), before);
    ok(&mut g, "ls /tmp/r/pkg/store/hello-1.0.0");
    let (out, _) = g.run_status("ls /tmp/r/pkg").unwrap();
    assert!(!out.contains("staging"), "staging left behind:\n{out}");

    // Precise network errors: unknown host, closed port, a stalled server.
    let out = fails(
        &mut g,
        &format!(
            "{r} repo set http://nosuch.swiftos.test:{}/ --root-key /tmp/root.pub",
            srv.port
        ),
    );
    has(
        &out,
        &[
            "cannot download the root metadata",
            "cannot resolve nosuch.swiftos.test: no such host (NXDOMAIN)",
        ],
        "DNS failure",
    );
    assert!(!out.contains("Other("), "{out}");
    let out = fails(
        &mut g,
        &format!("{r} repo set http://10.0.2.2:1/ --root-key /tmp/root.pub"),
    );
    has(
        &out,
        &[
            "cannot connect to 10.0.2.2 (10.0.2.2:1)",
            "nothing listens on that port",
        ],
        "refused",
    );
    // The configuration is untouched by the failures; a host name works through DNS.
    let out = ok(&mut g, &format!("{r} repo show"));
    has(
        &out,
        &[&format!("url: http://10.0.2.2:{}", srv.port)],
        "repo show",
    );
    ok(
        &mut g,
        &format!(
            "{r} repo set http://repo.swiftos.test:{}/ --root-key /tmp/root.pub",
            srv.port
        ),
    );
    ok(&mut g, &format!("{r} update"));
    srv.set(Mode {
        stall: true,
        ..Mode::default()
    });
    let out = fails(&mut g, &format!("{r} --timeout 2 install bigdata"));
    has(
        &out,
        &["timed out after 2 s", "nothing was changed"],
        "stalled server",
    );

    // The server cuts the connection: the part stays, nothing is installed.
    srv.set(Mode {
        cut_after: Some(300 << 10),
        ..Mode::default()
    });
    let out = fails(&mut g, &format!("{r} install bigdata"));
    has(
        &out,
        &[
            "bigdata-1.0.0.swpkg",
            "run the command again to resume",
            "nothing was changed",
        ],
        "cut",
    );
    let out = ok(&mut g, &format!("{r} list"));
    assert!(
        !out.contains("bigdata"),
        "a cut download installed something:\n{out}"
    );

    // A server that answers the range with other bytes is refused, the part kept.
    srv.set(Mode {
        lie_about_range: true,
        ..Mode::default()
    });
    let out = fails(&mut g, &format!("{r} install bigdata"));
    has(&out, &["Content-Range"], "lying range");

    // An honest server: the download resumes where it stopped and the package verifies.
    srv.set(Mode::default());
    let out = ok(&mut g, &format!("{r} install bigdata"));
    has(
        &out,
        &[
            "resuming bigdata-1.0.0.swpkg at byte ",
            "+ bigdata 1.0.0",
            "generation 1 -> 2",
        ],
        "resume",
    );
    has(&out, &["MB/s"], "download progress with the rate");
    let resumed: Vec<String> = srv
        .log()
        .into_iter()
        .filter(|l| l.contains("bigdata") && l.contains("Range: bytes="))
        .collect();
    assert!(
        !resumed.is_empty(),
        "no Range request reached the server: {:?}",
        srv.log()
    );
    ok(&mut g, &format!("{r} verify bigdata"));
    let out = ok(
        &mut g,
        "ls -l /tmp/r/pkg/store/bigdata-1.0.0/root/share/bigdata",
    );
    has(&out, &[&BIG.to_string()], "blob size");

    // The lock: a live holder (init, pid 1) blocks; a dead one is taken over; none is left.
    ok(&mut g, "echo 1 > /tmp/pkg.lock");
    let out = fails(&mut g, &format!("{r} remove bigdata"));
    has(
        &out,
        &[
            "another pkg is working on this system",
            "process 1 holds /tmp/pkg.lock",
        ],
        "lock held",
    );
    ok(&mut g, "echo 99999 > /tmp/pkg.lock");
    let out = ok(&mut g, &format!("{r} remove bigdata"));
    has(
        &out,
        &["- bigdata 1.0.0", "generation 2 -> 3"],
        "stale lock taken over",
    );
    let (out, _) = g.run_status("ls /tmp").unwrap();
    assert!(
        !out.contains("pkg.lock"),
        "the lock was left behind:\n{out}"
    );

    // The real repository server (Content-Length bodies): a full download, with its rate.
    let rs = RepoServer::start(&repo.dir, None).unwrap();
    ok(
        &mut g,
        &format!(
            "{r} repo set http://10.0.2.2:{}/ --root-key /tmp/root.pub",
            rs.port
        ),
    );
    ok(&mut g, &format!("{r} update"));
    let out = ok(&mut g, &format!("{r} gc --keep 0"));
    has(&out, &["deleted 2 generation(s) and 1 package(s)"], "gc");
    let out = ok(&mut g, &format!("{r} install bigdata"));
    has(
        &out,
        &[
            "bigdata-1.0.0.swpkg: 50% (",
            "bigdata-1.0.0.swpkg: 100% of 4.0 MiB, 4.0 MiB received in ",
            "MB/s",
            "+ bigdata 1.0.0",
        ],
        "content-length download",
    );
    eprintln!(
        "guest download: {}",
        out.lines().find(|l| l.contains("MB/s")).unwrap_or("")
    );
    ok(&mut g, &format!("{r} verify"));

    // A local package file, checked against the key given with --key, into a fresh root.
    ok(
        &mut g,
        &format!(
            "tcpget -o /tmp/hello-1.0.0.swpkg 10.0.2.2:{} /hello-local.swpkg",
            srv.port
        ),
    );
    let out = fails(&mut g, "pkg --root /tmp/r2 install /tmp/hello-1.0.0.swpkg");
    has(
        &out,
        &["a local package needs --key PUB"],
        "local file without key",
    );
    // Files that are not packages: said in words, nothing changed.
    ok(&mut g, "echo garbage > /tmp/garbage.swpkg");
    ok(&mut g, "touch /tmp/empty.swpkg");
    for (file, want) in [
        (
            "/tmp/garbage.swpkg",
            "not a .swpkg package (it is not zstd-compressed data)",
        ),
        (
            "/tmp/empty.swpkg",
            "the file is empty or too short to be a .swpkg package",
        ),
        ("/tmp", "is a directory, not a .swpkg package file"),
    ] {
        let out = fails(
            &mut g,
            &format!("pkg --root /tmp/r2 install {file} --key /tmp/root.pub"),
        );
        has(&out, &[want, "nothing was changed"], file);
    }
    let out = ok(
        &mut g,
        "pkg --root /tmp/r2 install /tmp/hello-1.0.0.swpkg --key /tmp/root.pub",
    );
    has(
        &out,
        &["+ hello 1.0.0", "generation 0 -> 1"],
        "local file install",
    );
    let out = ok(&mut g, "pkg --root /tmp/r2 info hello");
    has(
        &out,
        &["installed: 1.0.0 (explicit, from file)"],
        "local file info",
    );

    // Capabilities: reading works for everybody, changing needs capPkgAdmin.
    g.send_line("exit").unwrap();
    g.login("user", "user").expect("login user");
    let out = ok(&mut g, &format!("{r} list"));
    has(&out, &["hello 1.0.0"], "list as user");
    let out = fails(&mut g, &format!("{r} install bigdata"));
    has(
        &out,
        &["pkg install: needs capPkgAdmin (log in as root)"],
        "user install",
    );
    g.send_line("exit").unwrap();
    g.login("root", "root").expect("login root");
    g.send_line("poweroff").unwrap();
    let _ = g.wait_exit(Duration::from_secs(60));
}

/// Package keys: a package signed by the repository's package key (not its root key) installs
/// because the signed targets metadata lists that key. A key the publisher retires (a new
/// targets version without it, no root key involved) is no longer trusted: its package is
/// refused, with the key named and nothing changed, until `pkg repo set --package-key` trusts
/// it as a local choice.
#[test]
fn package_keys_come_from_signed_metadata_or_a_local_choice() {
    let work = work_dir("pkg-guest-package-key").unwrap();
    let keys = work.join("keys");
    copy_tree(&seed_keys_dir().unwrap(), &keys).unwrap();
    let (retired, retired_pub, _) = swpkg_keys::keygen(&keys, "package-retired").unwrap();
    let mut repo = TestRepo::create(
        &work.join("repo"),
        &keys,
        &Compat::swiftos(),
        Expiry::default(),
        now(),
    )
    .unwrap();
    let data = |n: &str| [PkgFile::data(&format!("share/{n}/message"), "signed\n")];
    let pkgs = work.join("packages");
    let package_key = keys.join("package.key");
    let keyed = build_package_signed(&pkgs, &package_key, "keyed", "1.0.0", &[], &data("keyed"));
    let odd = build_package_signed(&pkgs, &retired, "odd", "1.0.0", &[], &data("odd"));
    repo.add(&keyed.unwrap()).unwrap();
    repo.add(&odd.unwrap()).unwrap();
    repo.publish().unwrap();
    // Retire the key: the next targets version lists only package.pub.
    let kept = work.join("retired.pub");
    std::fs::rename(&retired_pub, &kept).unwrap();
    std::fs::remove_file(&retired).unwrap();
    repo.publish().unwrap();
    std::fs::copy(keys.join("root.pub"), repo.dir.join("root.pub")).unwrap();
    std::fs::copy(&kept, repo.dir.join("retired.pub")).unwrap();
    let srv = Server::start(&repo.dir);
    let url = format!("http://10.0.2.2:{}/", srv.port);
    let mut g = Guest::boot("pkg-guest-package-key", &machine(None)).expect("boot");
    g.login("root", "root").expect("login");
    let r = "pkg --root /tmp/r";
    for f in ["root.pub", "retired.pub"] {
        ok(
            &mut g,
            &format!("tcpget -o /tmp/{f} 10.0.2.2:{} /{f}", srv.port),
        );
    }
    ok(
        &mut g,
        &format!("{r} repo set {url} --root-key /tmp/root.pub"),
    );
    ok(&mut g, &format!("{r} update"));
    let out = ok(&mut g, &format!("{r} install keyed"));
    has(&out, &["+ keyed 1.0.0"], "the listed package key");
    let out = fails(&mut g, &format!("{r} install odd"));
    has(
        &out,
        &[
            "odd-1.0.0.swpkg: manifest signature does not verify with key",
            "nothing was changed",
        ],
        "a retired key",
    );
    let out = ok(&mut g, &format!("{r} list"));
    has(
        &out,
        &["keyed 1.0.0"],
        "the refusal kept the installed package",
    );
    let set = format!("{r} repo set {url} --root-key /tmp/root.pub --package-key /tmp/retired.pub");
    ok(&mut g, &set);
    ok(&mut g, &format!("{r} update"));
    let out = ok(&mut g, &format!("{r} install odd"));
    has(&out, &["+ odd 1.0.0"], "a key trusted by a local choice");
    g.send_line("poweroff").unwrap();
    let _ = g.wait_exit(Duration::from_secs(60));
}

/// The real store: `pkg update URL` with the pinned root key, install, the package under /usr,
/// remove, rollback, and `pkg activate` after a reboot.
#[test]
fn real_store_pinned_root_overlay_and_activate() {
    let work = work_dir("pkg-guest-store").unwrap();
    let mut repo = test_repo(&work);
    let srv = Server::start(&repo.dir);
    let store = work.join("store.img");
    // An all-zero disk: the kernel formats it at boot.
    std::fs::File::create(&store)
        .and_then(|f| f.set_len(64 << 20))
        .unwrap();
    let cfg = machine(Some(&store));
    let mut g = Guest::boot("pkg-guest-store", &cfg).expect("boot");
    g.login("root", "root").expect("login");
    let out = ok(&mut g, &format!("pkg update http://10.0.2.2:{}/", srv.port));
    has(
        &out,
        &["repository set to", "3 package(s) available"],
        "update URL",
    );
    let out = ok(&mut g, "pkg install hello");
    has(&out, &["+ hello 1.0.0", "active now under /usr"], "install");
    let out = ok(&mut g, "cat /usr/share/hello/message");
    has(&out, &["hello from a package"], "overlay");
    let out = ok(&mut g, "hello /usr/share/hello/message");
    has(
        &out,
        &["hello from a package"],
        "the program runs from /usr/bin",
    );
    // A new release: update + upgrade switches /usr at once; rollback returns.
    let hello11 = build_package(
        &work.join("packages"),
        &seed_keys_dir().unwrap(),
        "hello",
        "1.1.0",
        &[],
        &[
            PkgFile::exe(
                "bin/hello",
                std::fs::read(swiftos_tests::repo_root().join("build/bin/cat")).unwrap(),
            ),
            PkgFile::data("share/hello/message", "hello from release 1.1\n"),
        ],
    )
    .unwrap();
    repo.add(&hello11).unwrap();
    repo.publish().unwrap();
    ok(&mut g, "pkg update");
    let out = ok(&mut g, "pkg upgrade");
    has(
        &out,
        &[
            "+ hello 1.1.0",
            "- hello 1.0.0",
            "generation 1 -> 2",
            "active now under /usr",
        ],
        "upgrade",
    );
    let out = ok(&mut g, "cat /usr/share/hello/message");
    has(
        &out,
        &["hello from release 1.1"],
        "upgraded file under /usr",
    );
    let out = ok(&mut g, "pkg rollback");
    has(&out, &["generation 2 -> 1"], "rollback of the upgrade");
    let out = ok(&mut g, "cat /usr/share/hello/message");
    has(&out, &["hello from a package"], "old file back under /usr");

    let out = ok(&mut g, "pkg remove hello");
    has(
        &out,
        &[
            "- hello 1.0.0",
            "generation 1 -> 3",
            "active now: no packages under /usr",
        ],
        "remove",
    );
    fails(&mut g, "cat /usr/share/hello/message");
    ok(&mut g, "pkg rollback");
    ok(&mut g, "cat /usr/share/hello/message");
    g.send_line("poweroff").unwrap();
    let _ = g.wait_exit(Duration::from_secs(60));

    // After a reboot init's `pkg activate --boot` brings the packages back under /usr.
    let mut g = Guest::boot("pkg-guest-store-2", &cfg).expect("boot");
    g.login("root", "root").expect("login");
    has(
        &g.transcript(),
        &["this boot uses generation 1"],
        "activate at boot",
    );
    let out = ok(&mut g, "cat /usr/share/hello/message");
    has(&out, &["hello from a package"], "overlay after reboot");
    let out = ok(&mut g, "pkg activate");
    has(
        &out,
        &["now active: generation 1 (1 package(s): hello 1.0.0), verified"],
        "activate",
    );

    // Damage a stored file on the disk itself (installed packages are sealed, so not even root
    // can change one from inside): the next boot reports it and falls back to an intact
    // generation (0: nothing), deleting nothing; `pkg verify` still shows the damage.
    g.send_line("poweroff").unwrap();
    let _ = g.wait_exit(Duration::from_secs(60));
    let mut disk = std::fs::read(&store).unwrap();
    let needle = b"hello from a package";
    let mut hits = 0;
    let mut i = 0;
    while i + needle.len() <= disk.len() {
        if &disk[i..i + needle.len()] == needle {
            disk[i] ^= 0x20;
            hits += 1;
            i += needle.len();
        } else {
            i += 1;
        }
    }
    assert!(hits > 0, "the message's bytes are on the store disk");
    std::fs::write(&store, disk).unwrap();
    let mut g = Guest::boot("pkg-guest-store-3", &cfg).expect("boot");
    g.login("root", "root").expect("login");
    has(
        &g.transcript(),
        &[
            "package store: data block 0 of /pkg/store/hello-1.0.0/root/share/hello/message is damaged (crc32 mismatch)",
            "damaged: generation 1: hello 1.0.0: /share/hello/message cannot be read",
            "generation 1 is damaged (1 problem(s) above); falling back: this boot uses generation 0 (no packages)",
        ],
        "fallback at boot",
    );
    fails(&mut g, "cat /usr/share/hello/message");
    let out = fails(&mut g, "pkg verify");
    has(
        &out,
        &["/share/hello/message cannot be read"],
        "verify after fallback",
    );
    // `pkg list` describes the generation in use (the fallback) and says what `current` names.
    let out = ok(&mut g, "pkg list");
    has(
        &out,
        &[
            "/pkg/current names generation 1 (hello 1.0.0)",
            "which is damaged",
            "generation 0 (no packages) is in use",
        ],
        "list after fallback",
    );
    g.send_line("poweroff").unwrap();
    let _ = g.wait_exit(Duration::from_secs(60));
}

/// Three packages (`hello`, a real program, needs `libgreet`, a data file; `extra`) published
/// by a SwiftOS publisher and listed by python-tuf in a repository signed with `key_type` keys
/// (`swiftos_tests::python_tuf::PeerRepo`, the host `pkg` tests' fixture). The server also
/// serves what a person gets from the publisher out of band: `/keys/package.pub` (the package
/// signing key) and `/keys/root.pem` (the root's public key, PEM).
fn python_tuf_repo(work: &Path, key_type: &str) -> (PeerRepo, u16) {
    python_tuf_repo_with_root_keys(work, key_type, 1)
}

/// [`python_tuf_repo`] with `root_keys` root keys, all needed (threshold `root_keys`).
fn python_tuf_repo_with_root_keys(
    work: &Path,
    key_type: &str,
    root_keys: usize,
) -> (PeerRepo, u16) {
    let peer = PeerRepo::new(work);
    let cat = std::fs::read(swiftos_tests::repo_root().join("build/bin/cat"))
        .expect("build/bin/cat (run cargo xtask build)");
    peer.package(
        "libgreet",
        &[],
        &[PkgFile::data(
            "share/libgreet/message",
            "hello from libgreet\n",
        )],
    );
    peer.package(
        "hello",
        &[("libgreet", "^1")],
        &[PkgFile::exe("bin/hello", cat)],
    );
    peer.package("extra", &[], &[PkgFile::data("share/extra/x", "extra\n")]);
    assert_eq!(peer.publish_with_root_keys(key_type, root_keys), 3);
    let keys = peer.served().join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    std::fs::copy(peer.package_key(), keys.join("package.pub")).unwrap();
    std::fs::write(keys.join("root.pem"), peer.root_key_pem()).unwrap();
    let port = python_tuf::serve_port(peer.served());
    (peer, port)
}

/// The in-OS `pkg` on a repository python-tuf signed with ECDSA P-256 keys, on the real store:
/// root trusted by its PEM key and by its `1.root.json`, fetched in the guest; update, install
/// with a dependency, the program runs from /usr; a tampered package and a frozen timestamp are
/// refused and leave `pkg list` unchanged. Needs `SWIFTOS_TUF_PYTHON` (set by `cargo xtask`).
#[test]
fn python_tuf_ecdsa_repository() {
    let work = work_dir("pkg-guest-python-tuf").unwrap();
    let (peer, port) = python_tuf_repo(&work, "ecdsa");
    for key in peer.root_keys() {
        assert_eq!(key.scheme, "ecdsa-sha2-nistp256", "{key:?}");
    }
    let store = work.join("store.img");
    std::fs::File::create(&store)
        .and_then(|f| f.set_len(64 << 20))
        .unwrap();
    let mut g = Guest::boot("pkg-guest-python-tuf", &machine(Some(&store))).expect("boot");
    g.login("root", "root").expect("login");
    trust_update_install_and_run(&mut g, port);
    let before = ok(&mut g, "pkg list");
    has(&before, &["hello 1.0.0", "libgreet 1.0.0"], "list");

    // A package whose bytes differ from the ECDSA-signed pin, then a frozen timestamp.
    peer.attack(&["target-hash", "--target", "packages/extra-1.0.0.swpkg"]);
    let out = fails(&mut g, "pkg install extra");
    has(
        &out,
        &["extra-1.0.0.swpkg sha256 mismatch", "nothing was changed"],
        "tampered package",
    );
    assert_eq!(
        ok(&mut g, "pkg list"),
        before,
        "a refused install changed the list"
    );
    fails(&mut g, "cat /usr/share/extra/x");
    peer.attack(&["freeze"]);
    let out = fails(&mut g, "pkg update");
    has(
        &out,
        &[
            "timestamp metadata version 3 expired",
            "previously trusted metadata is kept",
        ],
        "frozen timestamp",
    );
    assert_eq!(
        ok(&mut g, "pkg list"),
        before,
        "a refused update changed the list"
    );
    g.send_line("poweroff").unwrap();
    let _ = g.wait_exit(Duration::from_secs(60));
}

/// As a person would: fetch the root metadata, the root's PEM key and the package key with
/// `tcpget`, trust the repository by the key and by the metadata, update, install `hello` (and
/// its dependency) and run it from /usr.
fn trust_update_install_and_run(g: &mut Guest, port: u16) {
    let (host, url) = (
        format!("10.0.2.2:{port}"),
        format!("http://10.0.2.2:{port}/"),
    );
    for (file, path) in [
        ("/tmp/root.json", "/metadata/1.root.json"),
        ("/tmp/root.pem", "/keys/root.pem"),
        ("/tmp/package.pub", "/keys/package.pub"),
    ] {
        ok(g, &format!("tcpget -o {file} {host} {path}"));
    }
    let out = ok(g, "cat /tmp/root.pem");
    has(&out, &["-----BEGIN PUBLIC KEY-----"], "root key file");
    for (how, trust) in [
        ("--root-key PEM", "--root-key /tmp/root.pem"),
        ("--trusted-root", "--trusted-root /tmp/root.json"),
    ] {
        let cmd = format!("pkg repo set {url} {trust} --package-key /tmp/package.pub");
        has(&ok(g, &cmd), &["repository set to"], how);
    }
    let out = ok(g, "pkg update");
    has(
        &out,
        &["repository metadata verified: 3 package(s) available"],
        "update",
    );
    let out = ok(g, "pkg install hello");
    has(
        &out,
        &["+ hello 1.0.0", "+ libgreet 1.0.0", "active now under /usr"],
        "install with a dependency",
    );
    let out = ok(g, "hello /usr/share/libgreet/message");
    has(&out, &["hello from libgreet"], "the installed program runs");
}

/// Run `cmd` in the guest and return how long it took (harness clock, from typing the line to
/// the next prompt); it must succeed.
fn timed(g: &mut Guest, cmd: &str) -> Duration {
    let t = Instant::now();
    let out = g
        .run_within(cmd, SLOW)
        .unwrap_or_else(|e| panic!("`{cmd}`: {e}"));
    let took = t.elapsed();
    let status = g.run("echo $?").unwrap();
    assert_eq!(status.trim(), "0", "`{cmd}` failed:\n{out}");
    took
}

fn median_ms(v: &[Duration]) -> f64 {
    let mut v = v.to_vec();
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1e3
}

/// Root keys of the benchmark's larger repositories.
const MANY_ROOT_KEYS: usize = 40;

/// Signature verification in the guest per scheme, measured around whole commands. Six
/// python-tuf repositories of one shape (same packages, consistent snapshots, one key each for
/// timestamp, snapshot and targets), signed with ed25519, ECDSA P-256 or RSA-3072
/// (rsassa-pss-sha256) keys, with 1 or [`MANY_ROOT_KEYS`] root keys, all required. Per run and
/// repository, in a fresh `--root`: `pkg repo set --trusted-root` (checks the root's
/// self-signatures: 1 or N) and `pkg update` (the root again, then timestamp, snapshot, targets:
/// 3 more, plus the downloads and the package index). The repositories alternate within each
/// run, so the ratios to ed25519 compare like with like; the difference between N and 1 root keys,
/// divided by N - 1, is the guest's cost of one more key and signature of that scheme. Run by
/// `cargo xtask bench`; prints medians, asserts nothing on time.
#[test]
#[ignore = "benchmark: run by cargo xtask bench"]
fn signature_verification_benchmark() {
    const RUNS: usize = 7;
    let work = work_dir("pkg-guest-signature-bench").unwrap();
    let mut repos = Vec::new();
    for n in [1, MANY_ROOT_KEYS] {
        for k in ["ed25519", "ecdsa", "rsa"] {
            let name = format!("{k}-{n}");
            let port = python_tuf_repo_with_root_keys(&work.join(&name), k, n).1;
            repos.push((name, port));
        }
    }
    let mut g = Guest::boot("pkg-guest-signature-bench", &machine(None)).expect("boot");
    g.login("root", "root").expect("login");
    for (name, port) in &repos {
        ok(
            &mut g,
            &format!("tcpget -o /tmp/{name}.json 10.0.2.2:{port} /metadata/1.root.json"),
        );
    }
    let port = repos[0].1;
    ok(
        &mut g,
        &format!("tcpget -o /tmp/package.pub 10.0.2.2:{port} /keys/package.pub"),
    );
    let mut set = vec![Vec::new(); repos.len()];
    let mut update = vec![Vec::new(); repos.len()];
    for run in 0..RUNS {
        for (i, (name, port)) in repos.iter().enumerate() {
            let r = format!("pkg -q --root /tmp/b{run}-{name}");
            set[i].push(timed(
                &mut g,
                &format!(
                    "{r} repo set http://10.0.2.2:{port}/ --trusted-root /tmp/{name}.json \
                     --package-key /tmp/package.pub"
                ),
            ));
            update[i].push(timed(&mut g, &format!("{r} update")));
        }
    }
    eprintln!("signature verification in the guest, median of {RUNS} runs (harness clock):");
    report_signature_benchmark(&repos, &set, &update);
    g.send_line("poweroff").unwrap();
    let _ = g.wait_exit(Duration::from_secs(60));
}

/// Print the benchmark's medians, each against the ed25519 repository with as many root keys,
/// and the cost of one more root key and signature per scheme.
fn report_signature_benchmark(
    repos: &[(String, u16)],
    set: &[Vec<Duration>],
    update: &[Vec<Duration>],
) {
    let set: Vec<f64> = set.iter().map(|v| median_ms(v)).collect();
    let update: Vec<f64> = update.iter().map(|v| median_ms(v)).collect();
    for (i, (name, _)) in repos.iter().enumerate() {
        let base = i - i % 3;
        eprintln!(
            "  {name:11} repo set --trusted-root {:7.1} ms ({:.2} x ed25519), update {:7.1} ms \
             ({:.2} x ed25519)",
            set[i],
            set[i] / set[base],
            update[i],
            update[i] / update[base]
        );
    }
    for (i, k) in ["ed25519", "ecdsa", "rsa"].iter().enumerate() {
        let per = (set[i + 3] - set[i]) / (MANY_ROOT_KEYS - 1) as f64;
        eprintln!("  {k:8} one more root key and signature (repo set): {per:.2} ms");
    }
}
