//! `cargo xtask run`: serve the seed repository, start the guest's DNS server and boot SwiftOS
//! on this terminal.
//!
//! One run owns its package-store image (a lock next to it refuses a second run on the same
//! image in words) and the ports it serves on (a taken port is refused up front, naming the
//! process that holds it). Everything it starts (repository server, DNS server, QEMU) ends with
//! it, however it ends ([`swiftos_harness::end_with_parent`]).

use anyhow::{bail, Context, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use swiftos_harness::net::DNS_PORT;
use swiftos_harness::QemuConfig;

use crate::{artifacts, seed, store};

/// What `cargo xtask run` was asked for.
pub struct RunOptions {
    pub repo_port: u16,
    pub httpd_port: u16,
    pub store: PathBuf,
    pub fresh_store: bool,
}

pub fn run(o: &RunOptions) -> Result<()> {
    let _lock = StoreLock::take(&o.store)?;
    check_ports(o)?;
    artifacts::all()?;
    if o.fresh_store || !o.store.exists() {
        store::preseed(&o.store, &seed::ports()?, store::DEFAULT_SIZE, o.repo_port)?;
    }
    let web_root = seed::publish()?;
    let addr = SocketAddr::from(([127, 0, 0, 1], o.repo_port));
    let server = seed::serve(&web_root, addr).with_context(|| {
        format!(
            "serving the seed repository on {addr} (pick another port with --repo-port {})",
            seed::free_port().unwrap_or(8081)
        )
    })?;
    println!(
        "Seed repository {} served at http://{addr}/ (the guest sees http://10.0.2.2:{}/; access log {}).",
        web_root.display(),
        o.repo_port,
        server.log.display()
    );
    // The loopback DNS server the guest's /etc/resolv.conf points at (10.0.2.2:15353): it
    // answers the project's names (repo.swiftos.test -> 10.0.2.2) and NXDOMAIN for the rest.
    let _dns = swiftos_harness::net::try_start_dns()?;
    println!(
        "DNS for the guest on 127.0.0.1:{DNS_PORT} (repo.swiftos.test -> 10.0.2.2); guest port 8080 is http://127.0.0.1:{}/ here.",
        o.httpd_port
    );
    println!(
        "Booting SwiftOS. Log in as user/user (or root/root, guest/guest). Ctrl-A X quits QEMU."
    );
    println!(
        "Package store: {} (mounted at /pkg; `pkg list` shows what it holds).",
        o.store.display()
    );
    let status = QemuConfig {
        store_image: Some(o.store.clone()),
        ..QemuConfig::default()
    }
    .with_user_net(&[(o.httpd_port, 8080)], &[])
    .command(true)
    .status()
    .context("starting qemu-system-aarch64")?;
    if !status.success() {
        bail!("QEMU exited with {status}");
    }
    Ok(())
}

/// An exclusive lock on a store image, held while a run uses it (`IMAGE.lock` beside it, with
/// the holder's process id inside). Released when dropped or when the process ends.
#[derive(Debug)]
pub struct StoreLock {
    _file: File,
}

impl StoreLock {
    pub fn take(image: &Path) -> Result<StoreLock> {
        let path = lock_path(image);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                bail!(
                    "{} is in use by another `cargo xtask run` ({}): two machines writing one \
                     package store would damage it. End that run first (`poweroff` in its \
                     guest, or Ctrl-A X), or boot another store with --store FILE",
                    image.display(),
                    if holder.is_empty() {
                        "process unknown".to_string()
                    } else {
                        format!("process {holder}")
                    }
                );
            }
            Err(TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("locking {}", path.display()))
            }
        }
        file.set_len(0)?;
        file.rewind()?;
        writeln!(file, "{}", std::process::id())?;
        Ok(StoreLock { _file: file })
    }
}

/// `build/store.img` -> `build/store.img.lock`.
fn lock_path(image: &Path) -> PathBuf {
    let mut name = image.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    image.with_file_name(name)
}

/// Refuse, in words, ports another program holds: better now than after the build, or than a
/// guest quietly talking to another run's servers.
fn check_ports(o: &RunOptions) -> Result<()> {
    let tcp = [
        (o.repo_port, "the seed repository", "--repo-port"),
        (o.httpd_port, "the guest's web server", "--httpd-port"),
    ];
    for (port, what, flag) in tcp {
        if TcpListener::bind(("127.0.0.1", port)).is_err() {
            bail!(
                "127.0.0.1:{port}, where {what} would be served, is in use{}; pick another \
                 port with {flag} {}",
                owner_words("tcp", port),
                seed::free_port().unwrap_or(0)
            );
        }
    }
    if UdpSocket::bind(("127.0.0.1", DNS_PORT)).is_err() {
        bail!(
            "127.0.0.1:{DNS_PORT}, where the guest's DNS server must listen (the base image's \
             /etc/resolv.conf names 10.0.2.2:{DNS_PORT}), is in use{}: another `cargo xtask \
             run`, or one left over; end it first",
            owner_words("udp", DNS_PORT)
        );
    }
    Ok(())
}

fn owner_words(proto: &str, port: u16) -> String {
    match port_owner(proto, port) {
        Some((pid, name)) => format!(" by process {pid} ({name})"),
        None => String::new(),
    }
}

/// The process holding a socket bound to `port` (`proto`: `tcp` or `udp`), read from /proc:
/// the socket's inode in /proc/net/PROTO, then the process with that socket open.
fn port_owner(proto: &str, port: u16) -> Option<(u32, String)> {
    let table = std::fs::read_to_string(format!("/proc/net/{proto}")).ok()?;
    let inode = table.lines().skip(1).find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        let local_port = f.get(1)?.rsplit(':').next()?;
        (u16::from_str_radix(local_port, 16).ok()? == port)
            .then(|| f.get(9).map(|s| s.to_string()))?
    })?;
    let wanted = format!("socket:[{inode}]");
    for p in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = p.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(p.path().join("fd")) else {
            continue;
        };
        let holds = fds.flatten().any(|fd| {
            std::fs::read_link(fd.path()).is_ok_and(|t| t.as_os_str() == wanted.as_str())
        });
        if holds {
            let name = std::fs::read_to_string(p.path().join("comm")).unwrap_or_default();
            return Some((pid, name.trim().to_string()));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_one_store_is_refused_in_words() {
        let dir = std::env::temp_dir().join(format!("xtask-lock-{}", std::process::id()));
        let img = dir.join("store.img");
        let first = StoreLock::take(&img).unwrap();
        let err = StoreLock::take(&img).unwrap_err().to_string();
        assert!(
            err.contains("is in use by another `cargo xtask run`"),
            "{err}"
        );
        assert!(
            err.contains(&format!("process {}", std::process::id())),
            "{err}"
        );
        drop(first);
        StoreLock::take(&img).unwrap();
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_holder_of_a_port_is_named() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let (pid, _) = port_owner("tcp", port).expect("our own listener is found");
        assert_eq!(pid, std::process::id());
        let o = RunOptions {
            repo_port: port,
            httpd_port: 1,
            store: PathBuf::from("/nonexistent"),
            fresh_store: false,
        };
        let err = check_ports(&o).unwrap_err().to_string();
        assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
        assert!(
            err.contains(&format!("by process {}", std::process::id())),
            "{err}"
        );
        assert!(err.contains("--repo-port"), "{err}");
    }
}
