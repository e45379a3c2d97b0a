//! Host servers the tests and `cargo xtask` start: `repo-server` on a loopback port, and the
//! workspace's host binaries they run, built once per process.

use std::fs;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use crate::{end_with_parent, repo_root, target_dir};

/// A server or binary that could not be started.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A file or process operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The server or the build did not come up; the message says what to look at.
    #[error("{0}")]
    Failed(String),
}

type Result<T> = std::result::Result<T, ServerError>;

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> ServerError {
    let what = what.into();
    move |source| ServerError::Io { what, source }
}

/// Build a host binary of this workspace once per test process (`cargo build -p PACKAGE`, in
/// `profile`: `debug` or `release`) and return its path in the target directory.
fn built_binary(built: &Mutex<bool>, package: &str, bin: &str, profile: &str) -> Result<PathBuf> {
    let mut built = built.lock().unwrap_or_else(|e| e.into_inner());
    if !*built {
        let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        c.current_dir(repo_root())
            .args(["build", "--quiet", "-p", package]);
        if profile == "release" {
            c.arg("--release");
        }
        let status = c
            .status()
            .map_err(io(format!("running cargo build -p {package}")))?;
        if !status.success() {
            return Err(ServerError::Failed(format!(
                "cargo build -p {package} failed: {status}"
            )));
        }
        *built = true;
    }
    Ok(target_dir().join(profile).join(bin))
}

/// The `repo-server` binary, built on first use.
pub fn repo_server_binary() -> Result<PathBuf> {
    static BUILT: Mutex<bool> = Mutex::new(false);
    built_binary(&BUILT, "repo-server", "repo-server", "debug")
}

/// A running `repo-server` on 127.0.0.1; killed when dropped.
pub struct RepoServer {
    child: Child,
    pub port: u16,
    pub log: PathBuf,
}

impl RepoServer {
    /// Serve `root` on a free loopback port (or `port`), and wait until it accepts connections.
    pub fn start(root: &Path, port: Option<u16>) -> Result<RepoServer> {
        let port = port.unwrap_or_else(crate::net::free_port);
        let log = target_dir().join(format!("qemu-logs/repo-server-{port}.log"));
        RepoServer::start_logged(root, port, log)
    }

    /// Serve `root` on 127.0.0.1:`port` with the access log in `log`, and wait until it
    /// accepts connections. The server ends with this process however it ends.
    pub fn start_logged(root: &Path, port: u16, log: PathBuf) -> Result<RepoServer> {
        let bin = repo_server_binary()?;
        let _ = fs::create_dir_all(log.parent().unwrap_or(Path::new(".")));
        let child = end_with_parent(&mut Command::new(&bin))
            .arg("--root")
            .arg(root)
            .arg("--bind")
            .arg(format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log).map_err(io(format!("creating {}", log.display())))?)
            .spawn()
            .map_err(io(format!("starting {}", bin.display())))?;
        let mut s = RepoServer { child, port, log };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Ok(Some(st)) = s.child.try_wait() {
                return Err(ServerError::Failed(format!(
                    "repo-server exited at start-up ({st}); log {}",
                    s.log.display()
                )));
            }
            if Instant::now() > deadline {
                return Err(ServerError::Failed(format!(
                    "repo-server did not listen on {addr} within 30 s"
                )));
            }
            thread::sleep(Duration::from_millis(50));
        }
        Ok(s)
    }

    /// The access log so far.
    pub fn access_log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for RepoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The host image tool (`swiftos-image`), built on first use.
pub fn image_tool_binary() -> Result<PathBuf> {
    static BUILT: Mutex<bool> = Mutex::new(false);
    built_binary(&BUILT, "swiftos-image", "swiftos-image", "release")
}
