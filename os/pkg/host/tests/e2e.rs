//! Host end-to-end tests of `pkg --root`: real packages (swpkg host library), a real signed
//! repository (catalog-signer), served over real HTTP on 127.0.0.1 by a tiny server thread that
//! supports `Range` and can misbehave (truncate, stall) on request.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use catalog_core::index::PackageMeta;
use catalog_core::Compat;
use catalog_signer::{Expiry, KeyPair, Repository, RoleSpec, RootSpec, Signers};
use ed25519_dalek::SigningKey;

const SEED: [u8; 32] = [42u8; 32];

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

// ---- the HTTP server ----------------------------------------------------------------------

#[derive(Default)]
struct ServerState {
    /// Path substrings whose next request is cut off half-way (once each).
    truncate_once: HashSet<String>,
    /// Path substring whose requests never get an answer.
    stall: Option<String>,
    /// (path, Range header) of every request.
    log: Vec<(String, Option<String>)>,
}

struct Server {
    base: String,
    state: Arc<Mutex<ServerState>>,
}

impl Server {
    fn start(dir: PathBuf) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}/repo", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(ServerState::default()));
        let st = state.clone();
        thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let (dir, st) = (dir.clone(), st.clone());
                thread::spawn(move || {
                    let _ = serve(conn, &dir, &st);
                });
            }
        });
        Server { base, state }
    }

    fn requests_with_range(&self) -> Vec<(String, Option<String>)> {
        self.state
            .lock()
            .unwrap()
            .log
            .iter()
            .filter(|(_, r)| r.is_some())
            .cloned()
            .collect()
    }
}

fn serve(mut conn: TcpStream, dir: &Path, st: &Mutex<ServerState>) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut range = None;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("range") {
                range = Some(v.trim().to_string());
            }
        }
    }
    let (truncate, stall) = {
        let mut s = st.lock().unwrap();
        s.log.push((path.clone(), range.clone()));
        let t = s
            .truncate_once
            .iter()
            .find(|k| path.contains(k.as_str()))
            .cloned();
        if let Some(k) = &t {
            s.truncate_once.remove(k);
        }
        (
            t.is_some(),
            s.stall.as_ref().is_some_and(|k| path.contains(k.as_str())),
        )
    };
    if stall {
        thread::sleep(Duration::from_secs(6));
        return Ok(());
    }
    let rel = path.strip_prefix("/repo/").unwrap_or("");
    let file = dir.join(rel);
    let Ok(body) =
        fs::read(&file)
            .map_err(|_| ())
            .and_then(|b| if rel.is_empty() { Err(()) } else { Ok(b) })
    else {
        conn.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?;
        return Ok(());
    };
    let len = body.len();
    let start = range
        .as_deref()
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|&n| n < len);
    let (head, part) = match start {
        Some(n) => (
            format!(
                "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {n}-{}/{len}\r\nConnection: close\r\n\r\n",
                len - n,
                len - 1
            ),
            &body[n..],
        ),
        None => (format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"), &body[..]),
    };
    conn.write_all(head.as_bytes())?;
    if truncate {
        conn.write_all(&part[..part.len() / 2])?;
        conn.flush()?;
        return conn.shutdown(std::net::Shutdown::Both);
    }
    conn.write_all(part)
}

// ---- packages and repository ----------------------------------------------------------------

struct Fixture {
    _tmp: tempfile::TempDir,
    work: PathBuf,
    root: PathBuf,
    repo_dir: PathBuf,
    pub_key: PathBuf,
    server: Server,
    repo: Repository,
    tuf_key: KeyPair,
}

fn build_pkg(
    work: &Path,
    name: &str,
    version: &str,
    deps: &[(&str, &str)],
    files: &[(&str, &str)],
    seed: [u8; 32],
) -> PathBuf {
    build_pkg_with(work, name, version, deps, files, seed, "")
}

/// [`build_pkg`] with extra top-level source-manifest lines (e.g. `conflicts = [..]`).
fn build_pkg_with(
    work: &Path,
    name: &str,
    version: &str,
    deps: &[(&str, &str)],
    files: &[(&str, &str)],
    seed: [u8; 32],
    extra: &str,
) -> PathBuf {
    let stage = work.join(format!("stage-{name}-{version}"));
    let _ = fs::remove_dir_all(&stage);
    for (p, content) in files {
        let f = stage.join(p);
        fs::create_dir_all(f.parent().unwrap()).unwrap();
        fs::write(&f, content).unwrap();
        if p.starts_with("bin/") {
            fs::set_permissions(&f, fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
    let mut toml = format!(
        "name = \"{name}\"\nversion = \"{version}\"\ndescription = \"the {name} test package\"\nlicense = \"MIT\"\n{extra}"
    );
    if !deps.is_empty() {
        toml.push_str("[depends]\n");
        for (d, r) in deps {
            toml.push_str(&format!("{d} = \"{r}\"\n"));
        }
    }
    let mf = work.join(format!("{name}-{version}.toml"));
    fs::write(&mf, toml).unwrap();
    let out = work.join(format!("{name}-{version}.swpkg"));
    let key = SigningKey::from_bytes(&seed);
    swpkg_host::build_package(
        &mf,
        &stage,
        &key,
        swpkg_host::BuildOptions { mtime: 0 },
        &out,
    )
    .unwrap();
    out
}

impl Fixture {
    fn new(consistent: bool, expiry: Expiry, publish_time: i64) -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let work = tmp.path().join("work");
        let root = tmp.path().join("sysroot");
        let repo_dir = tmp.path().join("served");
        fs::create_dir_all(&work).unwrap();
        let tuf_key = KeyPair::from_seed(SEED);
        let pub_key = work.join("repo-root.pub");
        fs::write(
            &pub_key,
            swpkg_core::format_public_key(&SigningKey::from_bytes(&SEED).verifying_key()),
        )
        .unwrap();
        let spec = RootSpec {
            root: RoleSpec::of(&[&tuf_key], 1),
            timestamp: RoleSpec::of(&[&tuf_key], 1),
            snapshot: RoleSpec::of(&[&tuf_key], 1),
            targets: RoleSpec::of(&[&tuf_key], 1),
        };
        let repo = Repository::create(
            &repo_dir,
            &spec,
            &[&tuf_key],
            consistent,
            expiry,
            &Compat::swiftos(),
            publish_time,
        )
        .unwrap();
        let server = Server::start(repo_dir.clone());
        let mut f = Fixture {
            _tmp: tmp,
            work,
            root,
            repo_dir,
            pub_key,
            server,
            repo,
            tuf_key,
        };
        f.add(
            "libgreet",
            "1.0.0",
            &[],
            &[("lib/greet.txt", "hello from libgreet 1.0\n")],
            SEED,
        );
        f.add(
            "hello",
            "1.0.0",
            &[("libgreet", "^1")],
            &[("bin/hello", "#!/bin/sh\necho hello 1.0\n")],
            SEED,
        );
        f.publish(publish_time);
        f
    }

    fn add(
        &mut self,
        name: &str,
        version: &str,
        deps: &[(&str, &str)],
        files: &[(&str, &str)],
        seed: [u8; 32],
    ) {
        let path = build_pkg(&self.work, name, version, deps, files, seed);
        let bytes = fs::read(&path).unwrap();
        let meta = PackageMeta {
            name: name.into(),
            version: version.into(),
            deps: deps
                .iter()
                .map(|(d, r)| (d.to_string(), r.to_string()))
                .collect(),
            description: format!("the {name} test package"),
            size: files.iter().map(|(_, c)| c.len() as u64).sum(),
            arch: "aarch64".into(),
            abi: swiftos_abi::ABI_VERSION,
        };
        self.repo.add_package(&meta, &bytes).unwrap();
    }

    fn publish(&mut self, at: i64) {
        let k = [&self.tuf_key];
        self.repo
            .publish(
                &Signers {
                    targets: &k,
                    snapshot: &k,
                    timestamp: &k,
                },
                at,
            )
            .unwrap();
    }

    fn pkg(&self, args: &[&str]) -> (bool, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_pkg"))
            .arg("--root")
            .arg(&self.root)
            .args(["--timeout", "2"])
            .args(args)
            .output()
            .unwrap();
        let so = String::from_utf8_lossy(&out.stdout).into_owned();
        let se = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.success(), so, se)
    }

    fn ok(&self, args: &[&str]) -> String {
        let (ok, so, se) = self.pkg(args);
        assert!(ok, "pkg {args:?} failed:\nstdout: {so}\nstderr: {se}");
        so
    }

    fn fails(&self, args: &[&str]) -> String {
        let (ok, so, se) = self.pkg(args);
        assert!(!ok, "pkg {args:?} should fail:\nstdout: {so}\nstderr: {se}");
        // Shown with `--nocapture`: the messages users see.
        eprintln!("$ pkg {}\n{se}", args.join(" "));
        se
    }

    fn setup_client(&self) {
        self.ok(&[
            "repo",
            "set",
            &self.server.base,
            "--root-key",
            self.pub_key.to_str().unwrap(),
        ]);
        self.ok(&["update"]);
    }

    /// Every file, directory and symlink under the root with content and mode.
    fn tree(&self) -> BTreeMap<String, String> {
        tree_of(&self.root)
    }

    fn read_root(&self, rel: &str) -> String {
        fs::read_to_string(self.root.join(rel)).unwrap()
    }
}

fn tree_of(root: &Path) -> BTreeMap<String, String> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        let Ok(rd) = fs::read_dir(dir) else { return };
        for e in rd {
            let e = e.unwrap();
            let p = e.path();
            let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
            let m = fs::symlink_metadata(&p).unwrap();
            let mode = m.permissions().mode() & 0o7777;
            if m.file_type().is_symlink() {
                out.insert(
                    rel,
                    format!("link {}", fs::read_link(&p).unwrap().display()),
                );
            } else if m.is_dir() {
                out.insert(rel, format!("dir {mode:o}"));
                walk(base, &p, out);
            } else {
                let bytes = fs::read(&p).unwrap();
                out.insert(rel, format!("file {mode:o} {}", digest(&bytes)));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn digest(b: &[u8]) -> String {
    use sha2::Digest as _;
    let d = sha2::Sha256::digest(b);
    d.iter().map(|x| format!("{x:02x}")).collect()
}

/// Assert two trees are identical, printing only the differences.
#[track_caller]
fn same_tree(after: &BTreeMap<String, String>, before: &BTreeMap<String, String>) {
    let mut diffs = Vec::new();
    for (k, v) in before {
        match after.get(k) {
            None => diffs.push(format!("missing {k}")),
            Some(w) if w != v => diffs.push(format!("changed {k}")),
            _ => {}
        }
    }
    for k in after.keys() {
        if !before.contains_key(k) {
            diffs.push(format!("new {k}"));
        }
    }
    assert!(diffs.is_empty(), "tree changed: {diffs:#?}");
}

fn installed(f: &Fixture) -> String {
    f.ok(&["list"])
}

// ---- the tests ------------------------------------------------------------------------------

#[test]
fn install_upgrade_rollback_remove_over_http() {
    let mut f = Fixture::new(true, Expiry::default(), now());
    f.setup_client();

    let s = f.ok(&["search", "hello"]);
    assert!(s.contains("hello 1.0.0"), "{s}");
    // No word: every package, as `apk search` lists them.
    let s = f.ok(&["search"]);
    for name in ["hello 1.0.0", "libgreet"] {
        assert!(s.contains(name), "{s}");
    }
    let s = f.ok(&["info", "hello"]);
    assert!(
        s.contains("depends: libgreet ^1") && s.contains("installed: no"),
        "{s}"
    );

    let s = f.ok(&["install", "hello"]);
    assert!(
        s.contains("+ hello 1.0.0")
            && s.contains("+ libgreet 1.0.0")
            && s.contains("generation 0 -> 1"),
        "{s}"
    );
    assert_eq!(installed(&f), "hello 1.0.0\nlibgreet 1.0.0 (dependency)\n");
    assert_eq!(
        f.read_root("pkg/store/hello-1.0.0/root/bin/hello"),
        "#!/bin/sh\necho hello 1.0\n"
    );
    let mode = fs::metadata(f.root.join("pkg/store/hello-1.0.0/root/bin/hello"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o755);
    assert_eq!(f.read_root("pkg/current"), "1\n");
    let s = f.ok(&["files", "hello"]);
    assert!(s.contains("/bin/hello"), "{s}");
    assert_eq!(
        f.ok(&["verify"]),
        "all installed files match their manifests\n"
    );
    let bin = f.root.join("pkg/store/hello-1.0.0/root/bin/hello");
    fs::write(&bin, "#!/bin/sh\necho HELLO 1.0\n").unwrap();
    let (ok, so, se) = f.pkg(&["verify", "hello"]);
    assert!(
        !ok && so.starts_with("hello 1.0.0: /bin/hello content changed (sha256 "),
        "{so}{se}"
    );
    assert!(se.contains("1 problem(s) in the store"), "{se}");
    fs::write(&bin, "#!/bin/sh\necho hello 1.0\n").unwrap();
    fs::set_permissions(&bin, fs::Permissions::from_mode(0o755)).unwrap();
    // Idle store: no staging or cache leftovers.
    assert!(!f.root.join("pkg/staging").exists() && !f.root.join("pkg/cache").exists());

    // Removing a needed package is refused and changes nothing.
    let before = f.tree();
    let e = f.fails(&["remove", "libgreet"]);
    assert!(
        e.contains("libgreet is needed by hello 1.0.0") && e.contains("nothing was changed"),
        "{e}"
    );
    same_tree(&f.tree(), &before);

    // Publish newer versions; update; upgrade.
    f.add(
        "libgreet",
        "1.1.0",
        &[],
        &[("lib/greet.txt", "hello from libgreet 1.1\n")],
        SEED,
    );
    f.add(
        "hello",
        "1.1.0",
        &[("libgreet", "^1.1")],
        &[("bin/hello", "#!/bin/sh\necho hello 1.1\n")],
        SEED,
    );
    f.publish(now());
    f.ok(&["update"]);
    let s = f.ok(&["upgrade"]);
    assert!(
        s.contains("+ hello 1.1.0")
            && s.contains("- hello 1.0.0")
            && s.contains("generation 1 -> 2"),
        "{s}"
    );
    assert_eq!(installed(&f), "hello 1.1.0\nlibgreet 1.1.0 (dependency)\n");
    let s = f.ok(&["upgrade"]);
    assert!(s.contains("nothing to do"), "{s}");
    assert_eq!(f.read_root("pkg/current"), "2\n");

    // Rollback returns to generation 1 exactly.
    let s = f.ok(&["rollback"]);
    assert!(s.contains("generation 2 -> 1"), "{s}");
    assert_eq!(installed(&f), "hello 1.0.0\nlibgreet 1.0.0 (dependency)\n");
    let s = f.ok(&["list", "--generations"]);
    assert!(
        s.contains("* generation 1") && s.contains("  generation 2"),
        "{s}"
    );

    // Remove: the dependency nothing needs any more goes too.
    let s = f.ok(&["remove", "hello"]);
    assert!(
        s.contains("- hello 1.0.0")
            && s.contains("- libgreet 1.0.0")
            && s.contains("generation 1 -> 3"),
        "{s}"
    );
    assert_eq!(installed(&f), "no packages installed\n");
    // Rolling back again restores generation 1.
    f.ok(&["rollback"]);
    assert_eq!(installed(&f), "hello 1.0.0\nlibgreet 1.0.0 (dependency)\n");

    // gc keeps the active generation and what it uses.
    let s = f.ok(&["gc", "--keep", "0"]);
    assert_eq!(
        s,
        "deleted 2 generation(s) and 2 package(s) from the store\n"
    );
    let mut store: Vec<String> = fs::read_dir(f.root.join("pkg/store"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    store.sort();
    assert_eq!(store, ["hello-1.0.0", "libgreet-1.0.0"]);
    assert_eq!(installed(&f), "hello 1.0.0\nlibgreet 1.0.0 (dependency)\n");
    // Generation 1 was the first: rolling back from it empties the system, and stops there.
    f.ok(&["rollback"]);
    assert_eq!(installed(&f), "no packages installed\n");
    let e = f.fails(&["rollback"]);
    assert!(e.contains("generation 0 has no previous generation"), "{e}");
}

#[test]
fn local_file_install_checks_key_and_dependencies() {
    let f = Fixture::new(false, Expiry::default(), now());
    let lib = build_pkg(
        &f.work,
        "libgreet",
        "2.0.0",
        &[],
        &[("lib/greet.txt", "v2\n")],
        SEED,
    );
    let app = build_pkg(
        &f.work,
        "app",
        "0.1.0",
        &[("libgreet", ">=2")],
        &[("bin/app", "x\n")],
        SEED,
    );
    let key = f.pub_key.to_str().unwrap();
    // Missing dependency: refused, nothing changed.
    let before = f.tree();
    let e = f.fails(&["install", app.to_str().unwrap(), "--key", key]);
    assert!(
        e.contains("app needs libgreet >=2, which is not installed")
            && e.contains("nothing was changed"),
        "{e}"
    );
    same_tree(&f.tree(), &before);
    // Wrong key: refused.
    let other = f.work.join("other.pub");
    fs::write(
        &other,
        swpkg_core::format_public_key(&SigningKey::from_bytes(&[7u8; 32]).verifying_key()),
    )
    .unwrap();
    let e = f.fails(&[
        "install",
        lib.to_str().unwrap(),
        "--key",
        other.to_str().unwrap(),
    ]);
    assert!(
        e.contains("signature does not verify") && e.contains("nothing was changed"),
        "{e}"
    );
    same_tree(&f.tree(), &before);
    // Right key, in dependency order.
    f.ok(&["install", lib.to_str().unwrap(), "--key", key]);
    f.ok(&["install", app.to_str().unwrap(), "--key", key]);
    assert_eq!(installed(&f), "app 0.1.0\nlibgreet 2.0.0\n");
    assert_eq!(f.read_root("pkg/store/app-0.1.0/root/bin/app"), "x\n");
}

#[test]
fn truncated_download_is_resumed_on_retry() {
    let f = Fixture::new(false, Expiry::default(), now());
    f.setup_client();
    f.server
        .state
        .lock()
        .unwrap()
        .truncate_once
        .insert("hello-1.0.0.swpkg".into());
    let before = f.tree();
    let e = f.fails(&["install", "hello"]);
    assert!(
        e.contains("download of hello-1.0.0.swpkg stopped after"),
        "{e}"
    );
    assert!(e.contains("run the command again to resume"), "{e}");
    // The installed state is untouched; only the resumable partial download was kept.
    let mut after = f.tree();
    let part: Vec<String> = after
        .keys()
        .filter(|k| k.starts_with("pkg/cache"))
        .cloned()
        .collect();
    assert!(
        part.iter().any(|k| k.ends_with("hello-1.0.0.swpkg.part")),
        "{part:?}"
    );
    for k in part {
        after.remove(&k);
    }
    if !before.contains_key("pkg") {
        assert_eq!(after.remove("pkg").as_deref(), Some("dir 755"));
    }
    same_tree(&after, &before);

    let s = f.ok(&["install", "hello"]);
    assert!(s.contains("resuming hello-1.0.0.swpkg at byte"), "{s}");
    let ranged = f.server.requests_with_range();
    assert!(
        ranged
            .iter()
            .any(|(p, r)| p.ends_with("hello-1.0.0.swpkg") && r.as_deref() != Some("bytes=0-")),
        "{ranged:?}"
    );
    assert_eq!(installed(&f), "hello 1.0.0\nlibgreet 1.0.0 (dependency)\n");
    assert!(!f.root.join("pkg/cache").exists());
}

#[test]
fn stalled_server_times_out_and_changes_nothing() {
    let f = Fixture::new(false, Expiry::default(), now());
    f.setup_client();
    f.server.state.lock().unwrap().stall = Some("packages/".into());
    let before = f.tree();
    let t0 = std::time::Instant::now();
    let e = f.fails(&["install", "hello"]);
    assert!(
        e.contains("timed out") && e.contains("nothing was changed"),
        "{e}"
    );
    assert!(
        t0.elapsed() < Duration::from_secs(6),
        "took {:?}",
        t0.elapsed()
    );
    same_tree(&f.tree(), &before);
}

#[test]
fn tampered_package_is_refused_and_nothing_changes() {
    let f = Fixture::new(false, Expiry::default(), now());
    f.setup_client();
    f.ok(&["install", "libgreet"]);
    let p = f.repo_dir.join("targets/packages/hello-1.0.0.swpkg");
    let mut bytes = fs::read(&p).unwrap();
    let i = bytes.len() / 2;
    bytes[i] ^= 0x55;
    fs::write(&p, &bytes).unwrap();
    let before = f.tree();
    let e = f.fails(&["install", "hello"]);
    assert!(
        e.starts_with(
            "pkg: install hello: package hello-1.0.0.swpkg sha256 mismatch (repository says "
        ),
        "{e}"
    );
    assert!(e.trim_end().ends_with("; nothing was changed"), "{e}");
    same_tree(&f.tree(), &before);
}

#[test]
fn correctly_published_package_with_wrong_signer_is_refused() {
    let mut f = Fixture::new(false, Expiry::default(), now());
    // The repository metadata is valid, but the package manifest is signed by another key.
    f.add("evil", "1.0.0", &[], &[("bin/evil", "boom\n")], [9u8; 32]);
    f.publish(now());
    f.setup_client();
    let before = f.tree();
    let e = f.fails(&["install", "evil"]);
    assert!(
        e.contains("package evil-1.0.0.swpkg: manifest signature does not verify")
            && e.contains("nothing was changed"),
        "{e}"
    );
    same_tree(&f.tree(), &before);
}

#[test]
fn expired_metadata_is_refused() {
    // Published two days ago: the timestamp (1 day) has expired.
    let f = Fixture::new(false, Expiry::default(), now() - 2 * 86_400);
    f.ok(&[
        "repo",
        "set",
        &f.server.base,
        "--root-key",
        f.pub_key.to_str().unwrap(),
    ]);
    let before = f.tree();
    let e = f.fails(&["update"]);
    assert!(e.contains("expired") && e.contains("timestamp"), "{e}");
    same_tree(&f.tree(), &before);
    let e = f.fails(&["install", "hello"]);
    assert!(e.contains("run `pkg update` first"), "{e}");
    same_tree(&f.tree(), &before);
}

#[test]
fn corrupt_store_records_give_clear_errors() {
    let f = Fixture::new(false, Expiry::default(), now());
    f.setup_client();
    f.ok(&["install", "hello"]);
    let gen = f.root.join("pkg/generations/1.json");
    let good = fs::read(&gen).unwrap();
    for garbage in [
        &b""[..],
        b"{",
        b"\xff\xfe\x00",
        &good[..good.len() / 2],
        b"{\"format\":1}",
    ] {
        fs::write(&gen, garbage).unwrap();
        let before = f.tree();
        // The damaged generation is named, and the one in use (0, the only older one) shown.
        let (ok, so, se) = f.pkg(&["list"]);
        assert!(ok && so == "no packages installed\n", "{so}{se}");
        assert!(
            se.contains("/pkg/current names generation 1, which is damaged (/pkg/generations/1.json is corrupt")
                && se.contains("generation 0 (no packages) is in use"),
            "{se}"
        );
        same_tree(&f.tree(), &before);
    }
    // A transaction starts from the generation in use and its commit repairs `current`.
    let s = f.ok(&["install", "libgreet"]);
    assert!(
        s.contains("note: /pkg/current names generation 1, which is damaged")
            && s.contains("+ libgreet 1.0.0")
            && s.contains("generation 0 -> 2"),
        "{s}"
    );
    assert_eq!(f.read_root("pkg/current"), "2\n");
    assert_eq!(installed(&f), "libgreet 1.0.0\n");
    fs::write(&gen, &good).unwrap();
    fs::write(f.root.join("pkg/current"), "banana\n").unwrap();
    let (ok, so, se) = f.pkg(&["list"]);
    assert!(ok && so == "libgreet 1.0.0\n", "{so}{se}");
    assert!(
        se.contains("note: /pkg/current is unreadable (/pkg/current is corrupt"),
        "{se}"
    );
    fs::write(f.root.join("pkg/current"), "1\n").unwrap();
    fs::write(f.root.join("pkg/etc/repo.json"), "nonsense").unwrap();
    let e = f.fails(&["install", "hello"]);
    assert!(e.contains("/pkg/etc/repo.json is corrupt"), "{e}");
    assert_eq!(installed(&f), "hello 1.0.0\nlibgreet 1.0.0 (dependency)\n");
}

#[test]
fn help_teaches_with_examples() {
    let out = Command::new(env!("CARGO_BIN_EXE_pkg"))
        .arg("--help")
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(
        s.contains("Examples:") && s.contains("repo set") && s.contains("rollback"),
        "{s}"
    );
}

// ---- fault injection ------------------------------------------------------------------------

mod faults {
    use swiftos_pkg::HostPlatform;
    use swiftos_pkg_core::platform::{
        FetchError, FsError, FsErrorKind, NodeMeta, Platform, Response, Sink, Source, SourceError,
    };

    /// When mutating operations fail.
    #[derive(Clone, Copy, Debug)]
    pub enum Mode {
        /// Only the k-th mutating operation fails (a transient error: disk full, EIO).
        Once(usize),
        /// The k-th and every later mutating operation fails (power loss: nothing more reaches disk).
        From(usize),
    }

    /// [`HostPlatform`] with injected write failures.
    pub struct Faulty {
        pub inner: HostPlatform,
        pub count: std::rc::Rc<std::cell::Cell<usize>>,
        pub mode: Mode,
    }

    fn tick(
        count: &std::cell::Cell<usize>,
        mode: Mode,
        op: &'static str,
        path: &str,
    ) -> Result<(), FsError> {
        let n = count.get() + 1;
        count.set(n);
        let fail = match mode {
            Mode::Once(k) => n == k,
            Mode::From(k) => n >= k,
        };
        if fail {
            return Err(FsError::new(
                FsErrorKind::Other,
                op,
                path,
                format!("injected fault at operation {n}"),
            ));
        }
        Ok(())
    }

    pub struct W {
        inner: <HostPlatform as Platform>::Writer,
        count: std::rc::Rc<std::cell::Cell<usize>>,
        mode: Mode,
    }

    impl Sink for W {
        fn write_all(&mut self, data: &[u8]) -> Result<(), FsError> {
            tick(&self.count, self.mode, "write", "")?;
            self.inner.write_all(data)
        }
        fn finish(self) -> Result<(), FsError> {
            tick(&self.count, self.mode, "sync", "")?;
            self.inner.finish()
        }
    }

    impl Faulty {
        fn t(&self, op: &'static str, path: &str) -> Result<(), FsError> {
            tick(&self.count, self.mode, op, path)
        }
    }

    impl Platform for Faulty {
        type File = <HostPlatform as Platform>::File;
        type Unpacked = <HostPlatform as Platform>::Unpacked;
        type Writer = W;
        type Body = <HostPlatform as Platform>::Body;
        fn read(&mut self, path: &str, limit: u64) -> Result<Vec<u8>, FsError> {
            self.inner.read(path, limit)
        }
        fn open(&mut self, path: &str) -> Result<Self::File, FsError> {
            self.inner.open(path)
        }
        fn open_unpacked(&mut self, path: &str) -> Result<Self::Unpacked, FsError> {
            self.inner.open_unpacked(path)
        }
        fn open_unpacked_user(&mut self, path: &str) -> Result<Self::Unpacked, FsError> {
            self.inner.open_unpacked_user(path)
        }
        fn metadata(&mut self, path: &str) -> Result<Option<NodeMeta>, FsError> {
            self.inner.metadata(path)
        }
        fn list(&mut self, path: &str) -> Result<Vec<String>, FsError> {
            self.inner.list(path)
        }
        fn create_dir_all(&mut self, path: &str) -> Result<(), FsError> {
            self.t("mkdir", path)?;
            self.inner.create_dir_all(path)
        }
        fn create(&mut self, path: &str, mode: u32) -> Result<W, FsError> {
            self.t("create", path)?;
            let inner = self.inner.create(path, mode)?;
            Ok(W {
                inner,
                count: self.count.clone(),
                mode: self.mode,
            })
        }
        fn append(&mut self, path: &str) -> Result<W, FsError> {
            self.t("append", path)?;
            let inner = self.inner.append(path)?;
            Ok(W {
                inner,
                count: self.count.clone(),
                mode: self.mode,
            })
        }
        fn symlink(&mut self, target: &str, path: &str) -> Result<(), FsError> {
            self.t("symlink", path)?;
            self.inner.symlink(target, path)
        }
        fn read_link(&mut self, path: &str) -> Result<String, FsError> {
            self.inner.read_link(path)
        }
        fn rename(&mut self, from: &str, to: &str) -> Result<(), FsError> {
            self.t("rename", from)?;
            self.inner.rename(from, to)
        }
        fn remove_file(&mut self, path: &str) -> Result<(), FsError> {
            self.t("remove", path)?;
            self.inner.remove_file(path)
        }
        fn remove_dir_all(&mut self, path: &str) -> Result<(), FsError> {
            self.t("remove", path)?;
            self.inner.remove_dir_all(path)
        }
        fn lock(&mut self) -> Result<(), FsError> {
            self.inner.lock()
        }
        fn get(&mut self, url: &str, from: u64) -> Result<Response<Self::Body>, FetchError> {
            self.inner.get(url, from)
        }
        fn now(&self) -> i64 {
            self.inner.now()
        }
        fn say(&mut self, _line: &str) {}
    }

    #[allow(dead_code)]
    fn _source_is_used(_: &mut dyn Source, _: SourceError) {}
}

fn faulty_pkg(
    f: &Fixture,
    mode: faults::Mode,
) -> (
    swiftos_pkg_core::Pkg<faults::Faulty>,
    std::rc::Rc<std::cell::Cell<usize>>,
) {
    let mut inner = swiftos_pkg::HostPlatform::new(&f.root, 2).unwrap();
    inner.set_quiet(true);
    let count = std::rc::Rc::new(std::cell::Cell::new(0));
    (
        swiftos_pkg_core::Pkg::new(faults::Faulty {
            inner,
            count: count.clone(),
            mode,
        }),
        count,
    )
}

/// Every operation of an upgrade, failed in turn (transient fault): each attempt fails cleanly
/// and leaves the tree byte-identical; then a power-loss at each point leaves either the old or
/// the new generation active, and the next command recovers.
#[test]
fn a_fault_at_any_write_leaves_the_previous_generation() {
    let mut f = Fixture::new(false, Expiry::default(), now());
    f.setup_client();
    f.ok(&["install", "hello"]);
    f.add(
        "libgreet",
        "1.1.0",
        &[],
        &[("lib/greet.txt", "v1.1\n")],
        SEED,
    );
    f.add(
        "hello",
        "1.1.0",
        &[("libgreet", "^1.1")],
        &[("bin/hello", "1.1\n")],
        SEED,
    );
    f.publish(now());
    f.ok(&["update"]);
    let pristine = tempfile::tempdir().unwrap();
    copy_tree(&f.root, pristine.path());
    let before = f.tree();

    // Count the mutating operations of a successful upgrade.
    let (mut pkg, count) = faulty_pkg(&f, faults::Mode::Once(usize::MAX));
    pkg.upgrade().unwrap();
    drop(pkg);
    let total = count.get();
    assert!(total > 10, "only {total} operations?");
    let upgraded = f.tree();

    for k in 1..=total {
        restore(&f.root, pristine.path());
        let (mut pkg, _) = faulty_pkg(&f, faults::Mode::Once(k));
        match pkg.upgrade() {
            // The fault hit a best-effort step after the commit (cache clean-up).
            Ok(_) => assert_eq!(
                f.ok(&["list"]),
                "hello 1.1.0\nlibgreet 1.1.0 (dependency)\n",
                "fault at {k}"
            ),
            Err(e) => {
                assert!(
                    e.to_string().contains("injected fault"),
                    "fault at {k}: {e}"
                );
                let mut after = f.tree();
                after.retain(|k, _| !k.starts_with("pkg/cache"));
                same_tree(&after, &before);
            }
        }
    }
    for k in 1..=total {
        restore(&f.root, pristine.path());
        let (mut pkg, _) = faulty_pkg(&f, faults::Mode::From(k));
        let _ = pkg.upgrade();
        drop(pkg); // releases the store lock, as the end of a process would
        let list = f.ok(&["list"]);
        assert!(
            list == "hello 1.0.0\nlibgreet 1.0.0 (dependency)\n"
                || list == "hello 1.1.0\nlibgreet 1.1.0 (dependency)\n",
            "power loss at {k}: {list}"
        );
        // The next command recovers and completes the job.
        f.ok(&["upgrade"]);
        assert_eq!(
            f.ok(&["list"]),
            "hello 1.1.0\nlibgreet 1.1.0 (dependency)\n",
            "power loss at {k}"
        );
        assert!(
            !f.root.join("pkg/staging").exists(),
            "power loss at {k}: staging left behind"
        );
    }
    let _ = upgraded;
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let (src, dst) = (e.path(), to.join(e.file_name()));
        let m = fs::symlink_metadata(&src).unwrap();
        if m.file_type().is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&src).unwrap(), &dst).unwrap();
        } else if m.is_dir() {
            copy_tree(&src, &dst);
            fs::set_permissions(&dst, m.permissions()).unwrap();
        } else {
            fs::copy(&src, &dst).unwrap();
        }
    }
}

fn restore(root: &Path, pristine: &Path) {
    fs::remove_dir_all(root).unwrap();
    copy_tree(pristine, root);
}

#[test]
fn conflicting_packages_and_concurrent_runs_are_refused() {
    let f = Fixture::new(false, Expiry::default(), now());
    let key = f.pub_key.to_str().unwrap();
    let a = build_pkg(
        &f.work,
        "editor-a",
        "1.0.0",
        &[],
        &[("bin/edit", "a\n")],
        SEED,
    );
    let b = build_pkg_with(
        &f.work,
        "editor-b",
        "1.0.0",
        &[],
        &[("bin/edit2", "b\n")],
        SEED,
        "conflicts = [\"editor-a\"]\n",
    );
    f.ok(&["install", a.to_str().unwrap(), "--key", key]);
    let before = f.tree();
    let e = f.fails(&["install", b.to_str().unwrap(), "--key", key]);
    assert!(
        e.contains("editor-b 1.0.0 conflicts with editor-a; remove editor-a first")
            && e.contains("nothing was changed"),
        "{e}"
    );
    same_tree(&f.tree(), &before);

    // While another process holds the store lock, a transaction is refused at once.
    use swiftos_pkg_core::Platform as _;
    let mut holder = swiftos_pkg::HostPlatform::new(&f.root, 2).unwrap();
    holder.lock().unwrap();
    let e = f.fails(&["remove", "editor-a"]);
    assert!(e.contains("another pkg is working on this system"), "{e}");
    drop(holder);
    f.ok(&["remove", "editor-a"]);
    assert_eq!(installed(&f), "no packages installed\n");
}

#[test]
fn cached_metadata_that_expires_after_update_is_refused() {
    // A timestamp that lives 4 seconds: update succeeds, then the cached copy expires.
    let expiry = Expiry {
        timestamp: 4,
        ..Expiry::default()
    };
    let f = Fixture::new(false, expiry, now());
    f.setup_client();
    std::thread::sleep(Duration::from_secs(5));
    let before = f.tree();
    let e = f.fails(&["install", "hello"]);
    assert!(
        e.contains("timestamp") && e.contains("expired") && e.contains("nothing was changed"),
        "{e}"
    );
    same_tree(&f.tree(), &before);
    let e = f.fails(&["search", "hello"]);
    assert!(
        e.contains("expired") && e.contains("run `pkg update` to fetch fresh metadata"),
        "{e}"
    );
}

#[test]
fn update_url_trusts_the_pinned_root_and_activate_falls_back() {
    let f = Fixture::new(true, Expiry::default(), now());
    // Without a pinned key (ROOT/etc/swos/repo-root.pub) `update URL` says what is missing.
    let e = f.fails(&["update", &f.server.base]);
    // The message names the real file under the root, not the path inside it.
    let real = f.root.join("etc/swos/repo-root.pub");
    assert!(e.contains(&format!("{} is missing", real.display())), "{e}");
    assert!(!f.root.join("pkg/etc/repo.json").exists());
    // A pinned key of another repository is refused and nothing is configured.
    fs::create_dir_all(f.root.join("etc/swos")).unwrap();
    fs::write(
        f.root.join("etc/swos/repo-root.pub"),
        swpkg_core::format_public_key(&SigningKey::from_bytes(&[9; 32]).verifying_key()),
    )
    .unwrap();
    let e = f.fails(&["update", &f.server.base]);
    assert!(e.contains("does not name the trusted root key"), "{e}");
    assert!(!f.root.join("pkg/etc/repo.json").exists());
    // The right pinned key: repo set + update in one step; config and metadata under /pkg/etc.
    fs::copy(&f.pub_key, f.root.join("etc/swos/repo-root.pub")).unwrap();
    let s = f.ok(&["update", &f.server.base]);
    assert!(
        s.contains("repository set to") && s.contains("2 package(s) available"),
        "{s}"
    );
    assert!(f.root.join("pkg/etc/repo.json").exists());
    assert!(f.root.join("pkg/etc/metadata/timestamp.json").exists());
    assert!(!f.root.join("etc/pkg").exists());
    // `repo set URL` alone also uses the pinned key.
    f.ok(&["repo", "set", &f.server.base]);
    f.ok(&["update"]);

    f.ok(&["install", "libgreet"]);
    f.ok(&["install", "hello"]);
    let s = f.ok(&["activate", "--boot"]);
    assert!(
        s.contains(
            "this boot uses generation 2 (2 package(s): hello 1.0.0, libgreet 1.0.0), verified"
        ),
        "{s}"
    );
    // Damage generation 2's newest package: activate reports it and uses generation 1,
    // without deleting anything or moving `current`.
    fs::write(f.root.join("pkg/store/hello-1.0.0/root/bin/hello"), "x").unwrap();
    let mut before = f.tree();
    let s = f.ok(&["activate"]);
    assert!(
        s.contains("damaged: generation 2: hello 1.0.0: /bin/hello is 1 bytes"),
        "{s}"
    );
    // The fallback is recorded for the other commands (see commands_work_from_the_generation_in_use).
    assert_eq!(f.read_root("pkg/fallback"), "2 1\n");
    before.insert("pkg/fallback".into(), f.tree()["pkg/fallback"].clone());
    assert!(
        s.contains("generation 2 is damaged (1 problem(s) above); falling back: now active: generation 1 (1 package(s): libgreet 1.0.0)"),
        "{s}"
    );
    same_tree(&f.tree(), &before);
    assert_eq!(f.read_root("pkg/current"), "2\n");
}

#[test]
fn a_damaged_store_copy_is_fetched_again_not_reused() {
    let f = Fixture::new(true, Expiry::default(), now());
    f.setup_client();
    f.ok(&["install", "hello"]);
    // Damage hello's store copy, remove hello (generation 2 has nothing), install it again:
    // the damaged copy must not be reused.
    let bin = f.root.join("pkg/store/hello-1.0.0/root/bin/hello");
    fs::remove_file(&bin).unwrap();
    f.ok(&["remove", "hello"]);
    let s = f.ok(&["install", "hello"]);
    assert!(
        s.contains(
            "hello 1.0.0 in the store is damaged (/bin/hello is missing): fetching it again"
        ) && s.contains("downloading hello-1.0.0.swpkg")
            && !s.contains("downloading libgreet")
            && s.contains("+ hello 1.0.0")
            && s.contains("generation 2 -> 3"),
        "{s}"
    );
    assert_eq!(
        f.ok(&["verify"]),
        "all installed files match their manifests\n"
    );
    assert_eq!(
        f.read_root("pkg/store/hello-1.0.0/root/bin/hello"),
        "#!/bin/sh\necho hello 1.0\n"
    );
    // Generation 1 used the same store id: it is intact again too, so rollback works.
    f.ok(&["rollback"]);
    f.ok(&["rollback"]);
    assert_eq!(installed(&f), "hello 1.0.0\nlibgreet 1.0.0 (dependency)\n");

    // An installed package whose copy is damaged: `pkg install NAME` repairs it (new
    // generation, same packages) instead of saying there is nothing to do.
    let lib = f.root.join("pkg/store/libgreet-1.0.0/root/lib/greet.txt");
    fs::write(&lib, "x").unwrap();
    let s = f.ok(&["install", "libgreet"]);
    assert!(
        s.contains(
            "libgreet 1.0.0 in the store is damaged (/lib/greet.txt is 1 bytes, expected 24): fetching it again"
        ) && s.contains("downloading libgreet-1.0.0.swpkg")
            && s.contains("generation 1 -> 4"),
        "{s}"
    );
    assert_eq!(
        f.ok(&["verify"]),
        "all installed files match their manifests\n"
    );
    assert_eq!(installed(&f), "hello 1.0.0\nlibgreet 1.0.0\n");
    // Intact: nothing to do, as before.
    let s = f.ok(&["install", "libgreet"]);
    assert!(s.contains("nothing to do"), "{s}");

    // Rollback never switches to a generation whose files are damaged.
    f.ok(&["remove", "hello"]);
    fs::remove_file(&bin).unwrap();
    let before = f.tree();
    let e = f.fails(&["rollback"]);
    assert!(
        e.contains(
            "pkg: rollback: cannot roll back to generation 4: it is damaged (hello 1.0.0: /bin/hello is missing); \
             `pkg install` of that version fetches a damaged package again; nothing was changed"
        ),
        "{e}"
    );
    same_tree(&f.tree(), &before);
    assert_eq!(installed(&f), "libgreet 1.0.0\n");
}

#[test]
fn local_file_of_an_installed_version_is_already_installed() {
    let f = Fixture::new(true, Expiry::default(), now());
    f.setup_client();
    f.ok(&["install", "hello"]);
    let file = f.work.join("hello-1.0.0.swpkg");
    let file = file.to_str().unwrap();
    let key = f.pub_key.to_str().unwrap();
    // The same id, installed from the repository: nothing changes (no new generation, the
    // origin stays "repo" so `pkg upgrade` still handles it).
    let before = f.tree();
    let s = f.ok(&["install", file, "--key", key]);
    assert_eq!(s, "hello 1.0.0 is already installed\n");
    same_tree(&f.tree(), &before);
    let s = f.ok(&["info", "hello"]);
    assert!(s.contains("installed: 1.0.0 (explicit, from repo)"), "{s}");

    // A damaged store copy is replaced from the file (and that is a new generation).
    fs::write(
        f.root.join("pkg/store/hello-1.0.0/root/bin/hello"),
        "#!/bin/sh\necho HELLO 1.0\n",
    )
    .unwrap();
    let s = f.ok(&["install", file, "--key", key]);
    assert!(
        s.contains("hello 1.0.0 in the store is damaged (/bin/hello content changed (sha256 ")
            && s.contains("): installing it again from hello-1.0.0.swpkg")
            && s.contains("generation 1 -> 2"),
        "{s}"
    );
    assert_eq!(
        f.ok(&["verify"]),
        "all installed files match their manifests\n"
    );
}

#[test]
fn commands_work_from_the_generation_in_use() {
    let f = Fixture::new(true, Expiry::default(), now());
    f.setup_client();
    f.ok(&["install", "libgreet"]);
    f.ok(&["install", "hello"]);
    // Damage generation 2 (hello's file); activate falls back to generation 1.
    fs::remove_file(f.root.join("pkg/store/hello-1.0.0/root/bin/hello")).unwrap();
    let s = f.ok(&["activate"]);
    assert!(s.contains("falling back: now active: generation 1"), "{s}");
    assert_eq!(f.read_root("pkg/current"), "2\n");
    // list, files and install describe generation 1, the one in use.
    let (ok, so, se) = f.pkg(&["list"]);
    assert!(ok && so == "libgreet 1.0.0\n", "{so}{se}");
    assert!(
        se.contains(
            "note: /pkg/current names generation 2 (hello 1.0.0, libgreet 1.0.0), which is damaged (`pkg activate` \
             found it damaged; `pkg verify` shows why); generation 1 (1 package(s)) is in use"
        ),
        "{se}"
    );
    let e = f.fails(&["files", "hello"]);
    assert!(e.contains("no package named hello installed"), "{e}");
    let s = f.ok(&["install", "hello"]);
    assert!(
        s.contains(
            "hello 1.0.0 in the store is damaged (/bin/hello is missing): fetching it again"
        ) && s.contains("+ hello 1.0.0")
            && s.contains("generation 1 -> 3")
            && !s.contains("nothing to do"),
        "{s}"
    );
    // The commit repaired `current` and ended the fallback.
    assert_eq!(f.read_root("pkg/current"), "3\n");
    assert!(!f.root.join("pkg/fallback").exists());
    let (_, so, se) = f.pkg(&["list"]);
    assert_eq!(
        (so.as_str(), se.as_str()),
        ("hello 1.0.0\nlibgreet 1.0.0\n", "")
    );

    // `current` names a generation whose file is gone: every command still works, from the
    // newest intact generation, and the next commit repairs `current`.
    fs::write(f.root.join("pkg/current"), "7\n").unwrap();
    let (ok, so, se) = f.pkg(&["list"]);
    assert!(ok && so == "hello 1.0.0\nlibgreet 1.0.0\n", "{so}{se}");
    assert!(
        se.contains("note: /pkg/current names generation 7, which is damaged (")
            && se.contains("7.json")
            && se.contains("generation 3 (2 package(s)) is in use"),
        "{se}"
    );
    let s = f.ok(&["install", "hello"]);
    assert!(s.contains("nothing to do"), "{s}");
    let s = f.ok(&["remove", "hello"]);
    assert!(
        s.contains("- hello 1.0.0") && s.contains("generation 3 -> 8"),
        "{s}"
    );
    assert_eq!(f.read_root("pkg/current"), "8\n");
    fs::write(f.root.join("pkg/current"), "9\n").unwrap();
    let s = f.ok(&["rollback"]);
    assert!(s.contains("generation 8 -> 3"), "{s}");
    assert_eq!(f.read_root("pkg/current"), "3\n");
    let s = f.ok(&["activate"]);
    assert!(
        s.contains(
            "now active: generation 3 (2 package(s): hello 1.0.0, libgreet 1.0.0), verified"
        ),
        "{s}"
    );
}
