//! Signed package repositories for the QEMU package tests.
//!
//! Everything is real: packages are built by the `swpkg` host library, the TUF metadata is
//! written and signed by the one publisher, `catalog_hosted::publish`, with the seed
//! repository's development keys (the root whose public key the base image pins at
//! `/etc/swos/repo-root.pub`), and the files are served by the real `repo-server` binary. A [`ThrottledProxy`] can sit in front of it to slow a
//! transfer down and to cut every connection at once (a server killed mid-download).

use std::fs;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use catalog_core::Compat;
use catalog_hosted::layout::package_target;
use catalog_hosted::{PackageSigner, PublishOptions};
use catalog_signer::Expiry;

use crate::{repo_root, target_dir};
pub use swiftos_harness::servers::{image_tool_binary, repo_server_binary, RepoServer};

/// Fixture failures (set-up problems, never the behaviour under test).
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("repository: {0}")]
    Repo(#[from] catalog_signer::RepoError),
    #[error("keys: {0}")]
    Keys(#[from] catalog_hosted::HostedError),
    #[error("package: {0}")]
    Package(#[from] swpkg_host::Error),
    #[error("{0}")]
    KeyFile(#[from] swpkg_keys::Error),
    #[error("seed: {0}")]
    Seed(#[from] swiftos_seed::SeedError),
    #[error("{0}")]
    Server(#[from] swiftos_harness::servers::ServerError),
    #[error("{0}")]
    Other(String),
}

type Result<T> = std::result::Result<T, FixtureError>;

fn io<'a>(what: impl Into<String> + 'a) -> impl FnOnce(std::io::Error) -> FixtureError + 'a {
    move |source| FixtureError::Io {
        what: what.into(),
        source,
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The seed repository's development role keys (`build/keys/seed-keys`), created on first use
/// by [`swiftos_seed::keys_dir`] (the base image pins their root key).
pub fn seed_keys_dir() -> Result<PathBuf> {
    Ok(swiftos_seed::keys_dir(&repo_root())?)
}

/// One file of a test package: path inside the package, contents, permission bits.
pub struct PkgFile {
    pub path: String,
    pub data: Vec<u8>,
    pub mode: u32,
}

impl PkgFile {
    /// A regular data file (0644).
    pub fn data(path: &str, data: impl Into<Vec<u8>>) -> PkgFile {
        PkgFile {
            path: path.into(),
            data: data.into(),
            mode: 0o644,
        }
    }
    /// An executable (0755).
    pub fn exe(path: &str, data: impl Into<Vec<u8>>) -> PkgFile {
        PkgFile {
            path: path.into(),
            data: data.into(),
            mode: 0o755,
        }
    }
}

/// Build a `.swpkg` in `work` from files, with `deps` as `(name, requirement)`, signed with the
/// root key of the key directory `keys` (the named opt-in [`PackageSigner::RootKey`]: the base
/// image trusts the pinned root key for packages with no further set-up).
pub fn build_package(
    work: &Path,
    keys: &Path,
    name: &str,
    version: &str,
    deps: &[(&str, &str)],
    files: &[PkgFile],
) -> Result<PathBuf> {
    let key = PackageSigner::RootKey.key_file(keys);
    build_package_signed(work, &key, name, version, deps, files)
}

/// [`build_package`] signed with the secret key file `key`.
pub fn build_package_signed(
    work: &Path,
    key: &Path,
    name: &str,
    version: &str,
    deps: &[(&str, &str)],
    files: &[PkgFile],
) -> Result<PathBuf> {
    let stage = work.join(format!("stage-{name}-{version}"));
    let _ = fs::remove_dir_all(&stage);
    for f in files {
        let p = stage.join(&f.path);
        fs::create_dir_all(p.parent().unwrap_or(&stage))
            .map_err(io(format!("creating the parent of {}", p.display())))?;
        fs::write(&p, &f.data).map_err(io(format!("writing {}", p.display())))?;
        fs::set_permissions(&p, fs::Permissions::from_mode(f.mode))
            .map_err(io(format!("chmod {}", p.display())))?;
    }
    let mut toml = format!(
        "name = \"{name}\"\nversion = \"{version}\"\ndescription = \"the {name} test package\"\nlicense = \"MIT\"\n"
    );
    if !deps.is_empty() {
        toml.push_str("[depends]\n");
        for (d, r) in deps {
            toml.push_str(&format!("{d} = \"{r}\"\n"));
        }
    }
    let manifest = work.join(format!("{name}-{version}.toml"));
    fs::write(&manifest, toml).map_err(io(format!("writing {}", manifest.display())))?;
    let out = work.join(format!("{name}-{version}.swpkg"));
    let key = swpkg_keys::read_secret_key(key)?;
    swpkg_host::build_package(
        &manifest,
        &stage,
        &key,
        swpkg_host::BuildOptions { mtime: 0 },
        &out,
    )?;
    Ok(out)
}

/// A signed repository on disk (`DIR/metadata`, `DIR/targets`), the layout `pkg repo set URL`
/// expects below its URL, written by the one publisher ([`catalog_hosted::publish`]): packages
/// given to [`TestRepo::add`] wait in `DIR.incoming/` until the next [`TestRepo::publish_at`].
pub struct TestRepo {
    pub dir: PathBuf,
    opts: PublishOptions,
}

impl TestRepo {
    /// A repository signed with the role keys in `keys`, declaring `compat`, valid for `expiry`;
    /// it is created (its root signed at `now`) by the first [`TestRepo::publish_at`].
    pub fn create(
        dir: &Path,
        keys: &Path,
        compat: &Compat,
        expiry: Expiry,
        now: i64,
    ) -> Result<TestRepo> {
        let mut incoming = dir.as_os_str().to_owned();
        incoming.push(".incoming");
        let incoming = PathBuf::from(incoming);
        let _ = fs::remove_dir_all(&incoming);
        fs::create_dir_all(&incoming).map_err(io(format!("creating {}", incoming.display())))?;
        let mut opts = PublishOptions::new(&incoming, keys, dir);
        opts.compat = compat.clone();
        opts.expiry = expiry;
        opts.now = Some(now);
        // The fixture's packages are signed with the root key (`build_package`), by name.
        opts.root_signed_packages = true;
        Ok(TestRepo {
            dir: dir.to_path_buf(),
            opts,
        })
    }

    /// A SwiftOS-compatible repository signed with the seed keys, valid from now on.
    pub fn seed_signed(dir: &Path) -> Result<TestRepo> {
        TestRepo::create(
            dir,
            &seed_keys_dir()?,
            &Compat::swiftos(),
            Expiry::default(),
            now(),
        )
    }

    /// Add a built package for the next publication; returns its target path (its index entry
    /// comes from its own manifest).
    pub fn add(&mut self, swpkg_file: &Path) -> Result<String> {
        let inspected = swpkg_host::inspect_package(swpkg_file)?;
        let meta = catalog_signer::package_meta(&inspected.manifest);
        let file_name = swpkg_file.file_name().unwrap_or_default();
        let dest = self.opts.packages.join(file_name);
        fs::copy(swpkg_file, &dest).map_err(io(format!("copying to {}", dest.display())))?;
        Ok(package_target(&meta.name, &meta.version))
    }

    /// Publish the added packages: new targets, snapshot and timestamp metadata signed as of
    /// `at` (the root too, on the first publication).
    pub fn publish_at(&mut self, at: i64) -> Result<()> {
        self.opts.now = Some(at);
        catalog_hosted::publish(&self.opts)?;
        let incoming = &self.opts.packages;
        fs::remove_dir_all(incoming).map_err(io(format!("emptying {}", incoming.display())))?;
        fs::create_dir_all(incoming).map_err(io(format!("creating {}", incoming.display())))?;
        Ok(())
    }

    /// [`TestRepo::publish_at`] now.
    pub fn publish(&mut self) -> Result<()> {
        self.publish_at(now())
    }

    /// The file a target path is stored in (`targets/<path>`, and its consistent-snapshot
    /// copies `targets/.../<sha256>.<name>`).
    pub fn target_files(&self, target: &str) -> Vec<PathBuf> {
        let plain = self.dir.join("targets").join(target);
        let mut v = vec![plain.clone()];
        if let (Some(parent), Some(name)) = (plain.parent(), plain.file_name()) {
            let suffix = format!(".{}", name.to_string_lossy());
            if let Ok(rd) = fs::read_dir(parent) {
                for e in rd.flatten() {
                    let n = e.file_name().to_string_lossy().into_owned();
                    if n.ends_with(&suffix) && n.len() > suffix.len() {
                        v.push(e.path());
                    }
                }
            }
        }
        v.retain(|p| p.exists());
        v
    }
}

/// Copy a directory tree (a snapshot of a repository, to replay it later).
pub fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to).map_err(io(format!("creating {}", to.display())))?;
    for e in fs::read_dir(from).map_err(io(format!("listing {}", from.display())))? {
        let e = e.map_err(io(format!("listing {}", from.display())))?;
        let dst = to.join(e.file_name());
        if e.path().is_dir() {
            copy_tree(&e.path(), &dst)?;
        } else {
            fs::copy(e.path(), &dst).map_err(io(format!("copying to {}", dst.display())))?;
        }
    }
    Ok(())
}

/// A TCP proxy on 127.0.0.1 that forwards to `upstream` at most `bytes_per_sec` towards the
/// client, and can drop every connection at once ([`ThrottledProxy::kill`]), like a server
/// whose process dies mid-transfer.
pub struct ThrottledProxy {
    pub port: u16,
    stop: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<TcpStream>>>,
    /// Bytes sent towards clients so far.
    pub sent: Arc<Mutex<u64>>,
}

impl ThrottledProxy {
    /// Listen on `port` (0: any free port).
    pub fn start(port: u16, upstream: u16, bytes_per_sec: u64) -> Result<ThrottledProxy> {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .map_err(io(format!("binding the proxy on port {port}")))?;
        let port = listener.local_addr().map_err(io("proxy address"))?.port();
        listener
            .set_nonblocking(true)
            .map_err(io("proxy non-blocking"))?;
        let stop = Arc::new(AtomicBool::new(false));
        let conns: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let sent: Arc<Mutex<u64>> = Arc::default();
        let (st, cs, sn) = (stop.clone(), conns.clone(), sent.clone());
        thread::spawn(move || {
            while !st.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let _ = client.set_nonblocking(false);
                        let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                            continue;
                        };
                        if let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) {
                            let mut g = cs.lock().unwrap_or_else(|e| e.into_inner());
                            g.push(c2);
                            g.push(s2);
                        }
                        spawn_pipe(client, server, bytes_per_sec, st.clone(), sn.clone());
                    }
                    Err(_) => thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Ok(ThrottledProxy {
            port,
            stop,
            conns,
            sent,
        })
    }

    /// Stop listening and reset every open connection.
    pub fn kill(&self) {
        self.stop.store(true, Ordering::SeqCst);
        for c in self
            .conns
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
        {
            let _ = c.shutdown(Shutdown::Both);
        }
        // Let the accept loop notice and release the port.
        thread::sleep(Duration::from_millis(100));
    }
}

impl Drop for ThrottledProxy {
    fn drop(&mut self) {
        self.kill();
    }
}

fn spawn_pipe(
    client: TcpStream,
    server: TcpStream,
    bytes_per_sec: u64,
    stop: Arc<AtomicBool>,
    sent: Arc<Mutex<u64>>,
) {
    // client -> server: unthrottled (requests are small).
    if let (Ok(mut c), Ok(mut s)) = (client.try_clone(), server.try_clone()) {
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = c.read(&mut buf) {
                if n == 0 || s.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            let _ = s.shutdown(Shutdown::Write);
        });
    }
    // server -> client: in 10 slices per second.
    thread::spawn(move || {
        let (mut s, mut c) = (server, client);
        let slice = (bytes_per_sec / 10).max(1) as usize;
        let mut buf = vec![0u8; slice];
        loop {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            let t = Instant::now();
            let n = match s.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if c.write_all(&buf[..n]).is_err() {
                break;
            }
            *sent.lock().unwrap_or_else(|e| e.into_inner()) += n as u64;
            let spent = t.elapsed();
            if spent < Duration::from_millis(100) {
                thread::sleep(Duration::from_millis(100) - spent);
            }
        }
        let _ = c.shutdown(Shutdown::Both);
        let _ = s.shutdown(Shutdown::Both);
    });
}

/// Pseudo-random, incompressible bytes (xorshift; the same `seed` gives the same bytes).
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut v = Vec::with_capacity(len + 8);
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(len);
    v
}

/// A blank, formatted package-store image of `size` (e.g. `"128M"`) at `path`.
pub fn blank_store(path: &Path, size: &str) -> Result<()> {
    let out = Command::new(image_tool_binary()?)
        .args(["store", "create", "--size", size])
        .arg(path)
        .output()
        .map_err(io("running swiftos-image store create"))?;
    if !out.status.success() {
        return Err(FixtureError::Other(format!(
            "swiftos-image store create {}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(())
}

/// A fresh, empty work directory `target/pkg-tests/NAME`.
pub fn work_dir(name: &str) -> Result<PathBuf> {
    let d = target_dir().join("pkg-tests").join(name);
    if d.exists() {
        fs::remove_dir_all(&d).map_err(io(format!("removing {}", d.display())))?;
    }
    fs::create_dir_all(&d).map_err(io(format!("creating {}", d.display())))?;
    Ok(d)
}

/// The seed repository web root `cargo xtask seed` publishes (with the Lua package).
pub fn seed_web_root() -> Result<PathBuf> {
    let d = repo_root().join("build/seed/repo");
    if !d.join("metadata/timestamp.json").exists() {
        return Err(FixtureError::Other(format!(
            "{} is not published: run `cargo xtask seed` (cargo xtask test does it before the package tests)",
            d.display()
        )));
    }
    Ok(d)
}
