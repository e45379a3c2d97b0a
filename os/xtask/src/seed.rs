//! The seed repository (`seed/seed.toml`, the `swiftos-seed` crate): publish it in-process and
//! serve it with `repo-server`.

use anyhow::Result;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use swiftos_harness::repo_root;
use swiftos_seed::SeedConfig;

/// The ports `seed/seed.toml` lists.
pub fn ports() -> Result<Vec<String>> {
    let path = SeedConfig::path_in(&repo_root());
    Ok(SeedConfig::load(&path)?.ports)
}

/// The seed repository's development keys (made on first use; the base image pins their root
/// key).
pub fn keys_dir() -> Result<PathBuf> {
    Ok(swiftos_seed::keys_dir(&repo_root())?)
}

/// Package the seed ports and publish them into [`repo_dir`], in-process (`swiftos-seed`).
/// Returns the web root.
pub fn publish() -> Result<PathBuf> {
    Ok(swiftos_seed::publish(&repo_root())?)
}

pub use swiftos_harness::servers::RepoServer;

/// A loopback port nobody listens on right now.
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Where `repo-server`'s access log goes (kept off the terminal QEMU's console is on).
pub fn server_log() -> PathBuf {
    repo_root().join("build/seed/repo-server.log")
}

/// Start `repo-server` on `web_root` at `addr` and wait until it accepts connections.
pub fn serve(web_root: &Path, addr: SocketAddr) -> Result<RepoServer> {
    Ok(RepoServer::start_logged(
        web_root,
        addr.port(),
        server_log(),
    )?)
}

/// The full seed check of `cargo xtask test`: publish, serve on a free port, verify over HTTP
/// the way a client would.
pub fn publish_serve_verify() -> Result<()> {
    let web_root = publish()?;
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()?).parse()?;
    let _server = serve(&web_root, addr)?;
    let url = format!("http://{addr}/");
    println!("== seed: verifying {url} the way a client would ==");
    let r = swiftos_seed::verify_served(&url, &web_root)?;
    println!(
        "{url}: {} targets verified, {}/{} packages pass every check",
        r.targets_ok, r.packages_ok, r.packages_total
    );
    for p in &r.problems {
        eprintln!("problem: {p}");
    }
    if !r.is_ok() {
        anyhow::bail!(
            "verifying the served seed repository {url}: {} problem(s) found",
            r.problems.len()
        );
    }
    Ok(())
}
