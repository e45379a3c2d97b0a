//! Repositories written by a real TUF implementation, python-tuf, for the interoperability
//! tests of every client: the host `tuf-client` (`catalog/tuf-client/tests`), the host `pkg`
//! (`os/pkg/host/tests/python_tuf.rs`) and the in-OS `pkg` in QEMU
//! (`tests/tests/pkg_python_tuf_test.rs`).
//!
//! `catalog/tuf-client/tests/python/repo.py` writes and changes the repositories with python-tuf's
//! Metadata API, run by the Python that [`TUF_PYTHON_ENV`] names (`cargo xtask` sets it to the
//! virtual environment `cargo xtask setup` makes). [`serve`] is a tiny file server on 127.0.0.1
//! (the guest reaches it as 10.0.2.2 over QEMU user networking). [`PeerRepo`] is a SwiftOS
//! publisher's real packages and package index, listed by python-tuf under its own keys.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::repo_fixture::{build_package, PkgFile};
use crate::{repo_root, TUF_PYTHON_ENV};

/// Serve files under `root` until the process exits; returns the base URL
/// (`http://127.0.0.1:PORT`).
pub fn serve(root: PathBuf) -> String {
    format!("http://127.0.0.1:{}", serve_port(root))
}

/// [`serve`], returning the port.
pub fn serve_port(root: PathBuf) -> u16 {
    serve_counting_port(root, "", Arc::new(AtomicUsize::new(0)))
}

/// [`serve`], also counting the requests whose path starts with `prefix` (e.g. `targets/`):
/// for tests that check what a client did not fetch.
pub fn serve_counting(root: PathBuf, prefix: &'static str) -> (String, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let port = serve_counting_port(root, prefix, count.clone());
    (format!("http://127.0.0.1:{port}"), count)
}

fn serve_counting_port(root: PathBuf, prefix: &'static str, count: Arc<AtomicUsize>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let _ = answer(stream, &root, prefix, &count);
        }
    });
    port
}

/// Answer one request: the file under `root`, or 404; count it when its path starts with
/// `prefix`.
fn answer(
    mut stream: std::net::TcpStream,
    root: &Path,
    prefix: &str,
    count: &AtomicUsize,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" {
            break;
        }
    }
    let path = line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .trim_start_matches('/')
        .to_string();
    if path.starts_with(prefix) {
        count.fetch_add(1, Ordering::SeqCst);
    }
    let resp = match (path.contains(".."), fs::read(root.join(&path))) {
        (false, Ok(body)) => {
            let mut r = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .into_bytes();
            r.extend_from_slice(&body);
            r
        }
        _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
    };
    stream.write_all(&resp)
}

/// The Python that has python-tuf; a missing one fails the test (never a silent skip).
pub fn python() -> PathBuf {
    match std::env::var_os(TUF_PYTHON_ENV) {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => panic!(
            "{TUF_PYTHON_ENV} is not set: these tests need python-tuf. Run them through \
             `cargo xtask test`, or run `cargo xtask setup` and then \
             `export {TUF_PYTHON_ENV}=$(ls -d ~/.cache/swiftos/python-tuf/*/bin/python | head -1)`"
        ),
    }
}

/// `catalog/tuf-client/tests/python/NAME` (`repo.py`, `client.py`).
pub fn script(name: &str) -> PathBuf {
    repo_root()
        .join("catalog/tuf-client/tests/python")
        .join(name)
}

/// Run `repo.py DIR ARGS...` (python-tuf writes or changes the repository in `DIR`); a failure
/// panics with the script's standard error.
pub fn repo_py(dir: &Path, args: &[&str]) {
    let out = Command::new(python())
        .arg(script("repo.py"))
        .arg(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", python().display()));
    assert!(
        out.status.success(),
        "repo.py {args:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A SwiftOS publisher's packages in a repository python-tuf signs: the publisher
/// (`catalog_hosted`: ed25519 keys in `keys/`, packages signed with `keys/root.key`, web root
/// with the package index in `web/`) and python-tuf's repository (`repo.py` directory `peer/`,
/// served from `peer/repo`) that lists exactly the publisher's targets under its own keys.
pub struct PeerRepo {
    /// The work directory holding everything below.
    pub dir: PathBuf,
}

impl PeerRepo {
    /// An empty publisher in `dir` (which must not exist or be empty) with fresh keys.
    pub fn new(dir: &Path) -> PeerRepo {
        let r = PeerRepo { dir: dir.into() };
        for d in [r.keys(), r.packages()] {
            fs::create_dir_all(&d).unwrap();
        }
        catalog_hosted::generate_keys(&r.keys()).unwrap();
        r
    }

    /// The publisher's key directory; `root.pub` is the key packages are signed with.
    pub fn keys(&self) -> PathBuf {
        self.dir.join("keys")
    }

    fn packages(&self) -> PathBuf {
        self.dir.join("packages")
    }

    /// The package signing key (`pkg repo set … --package-key FILE`).
    pub fn package_key(&self) -> PathBuf {
        self.keys().join("root.pub")
    }

    /// Build package `name` 1.0.0 with `deps` and `files`, signed with the publisher's key.
    pub fn package(&self, name: &str, deps: &[(&str, &str)], files: &[PkgFile]) -> PathBuf {
        build_package(&self.packages(), &self.keys(), name, "1.0.0", deps, files).unwrap()
    }

    /// Publish the packages (`catalog_hosted::publish`, which writes the package index), then
    /// let python-tuf make a repository with `key_type` keys (`ed25519`, `ecdsa`, `rsa`,
    /// `mixed`) and consistent snapshots that lists the publisher's targets. Returns the
    /// number of packages published.
    pub fn publish(&self, key_type: &str) -> usize {
        self.publish_with_root_keys(key_type, 1)
    }

    /// [`PeerRepo::publish`] with `n` root keys and a root threshold of `n` (every root
    /// signature must be checked).
    pub fn publish_with_root_keys(&self, key_type: &str, n: usize) -> usize {
        let web = self.dir.join("web");
        let mut opts = catalog_hosted::PublishOptions::new(&self.packages(), &self.keys(), &web);
        // The fixture's packages are signed with the root key (`build_package`), by name.
        opts.root_signed_packages = true;
        let published = catalog_hosted::publish(&opts).unwrap();
        let peer = self.peer();
        let n = n.to_string();
        repo_py(
            &peer,
            &[
                "new",
                "--keys",
                key_type,
                "--consistent-snapshot",
                "--root-keys",
                &n,
                "--root-threshold",
                &n,
            ],
        );
        repo_py(&peer, &["import-targets", web.to_str().unwrap()]);
        published.total_packages
    }

    /// `repo.py`'s directory (keys, history, and `repo/`, which is served).
    pub fn peer(&self) -> PathBuf {
        self.dir.join("peer")
    }

    /// What a server serves: `metadata/` and `targets/`.
    pub fn served(&self) -> PathBuf {
        self.peer().join("repo")
    }

    /// The first root metadata, which a client trusts out of band (`--trusted-root`).
    pub fn root_json(&self) -> PathBuf {
        self.served().join("metadata/1.root.json")
    }

    /// Every key object (`keytype`, `scheme`, `keyval`) the first root lists.
    pub fn root_keys(&self) -> Vec<catalog_core::Key> {
        let bytes = fs::read(self.root_json()).unwrap();
        let root = catalog_core::metadata::parse::<catalog_core::Root>(&bytes).unwrap();
        root.signed.keys.into_values().collect()
    }

    /// The public key of the root role as a PEM file would hold it (`--root-key FILE`; for
    /// ECDSA and RSA keys, the `keyval.public` text python-tuf wrote).
    pub fn root_key_pem(&self) -> String {
        let bytes = fs::read(self.root_json()).unwrap();
        let root = catalog_core::metadata::parse::<catalog_core::Root>(&bytes).unwrap();
        let id = &root.signed.roles["root"].keyids[0];
        root.signed.keys[id].keyval.public.clone().unwrap()
    }

    /// `repo.py attack ARGS...` on the python-tuf repository.
    pub fn attack(&self, args: &[&str]) {
        let mut all = vec!["attack"];
        all.extend_from_slice(args);
        repo_py(&self.peer(), &all);
    }
}
