//! The seed repository (`seed/seed.toml`): package its ports, publish a signed web root, and
//! serve it with `repo-server`.

use anyhow::{bail, Context, Result};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Command;
use swiftos_tests::repo_root;

use crate::artifacts::check;

/// Where the published seed web root is written.
pub fn repo_dir() -> PathBuf {
    repo_root().join("build/seed/repo")
}

/// `seed/seed.toml`, parsed by hand: three keys, no dependency needed.
#[derive(Debug)]
struct SeedConfig {
    name: String,
    channel: String,
    ports: Vec<String>,
}

fn parse_config(text: &str, path: &Path) -> Result<SeedConfig> {
    let mut name = None;
    let mut channel = None;
    let mut ports = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let (k, v) = line
            .split_once('=')
            .with_context(|| format!("{}:{}: expected `key = value`", path.display(), i + 1))?;
        let v = v.trim();
        let unquote = |s: &str| -> Result<String> {
            s.strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .map(str::to_string)
                .with_context(|| format!("{}:{}: expected a \"string\"", path.display(), i + 1))
        };
        match k.trim() {
            "name" => name = Some(unquote(v)?),
            "channel" => channel = Some(unquote(v)?),
            "ports" => {
                let inner = v
                    .strip_prefix('[')
                    .and_then(|s| s.strip_suffix(']'))
                    .with_context(|| {
                        format!("{}:{}: expected [\"port\", ...]", path.display(), i + 1)
                    })?;
                ports = Some(
                    inner
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(unquote)
                        .collect::<Result<Vec<_>>>()?,
                );
            }
            other => bail!("{}:{}: unknown key `{other}`", path.display(), i + 1),
        }
    }
    Ok(SeedConfig {
        name: name.with_context(|| format!("{}: missing `name`", path.display()))?,
        channel: channel.with_context(|| format!("{}: missing `channel`", path.display()))?,
        ports: ports.with_context(|| format!("{}: missing `ports`", path.display()))?,
    })
}

fn swport() -> Command {
    let mut c = super::cargo();
    c.current_dir(repo_root())
        .args(["run", "--quiet", "-p", "swport", "--"]);
    c
}

/// The ports `seed/seed.toml` lists.
pub fn ports() -> Result<Vec<String>> {
    let path = repo_root().join("seed/seed.toml");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok(parse_config(&text, &path)?.ports)
}

/// Package the seed ports and publish them into [`repo_dir`]. Returns the web root.
pub fn publish() -> Result<PathBuf> {
    let root = repo_root();
    let cfg_path = root.join("seed/seed.toml");
    let text = std::fs::read_to_string(&cfg_path)
        .with_context(|| format!("reading {}", cfg_path.display()))?;
    let cfg = parse_config(&text, &cfg_path)?;
    // Development role keys, made on first use (the base image pins their root key).
    let keys = swiftos_tests::repo_fixture::seed_keys_dir()?;
    let packages = root.join("build/seed/packages");
    std::fs::create_dir_all(&packages)?;
    for port in &cfg.ports {
        println!("== seed: packaging {port} ==");
        check(
            swport()
                .args(["recipe", "package", port, "--out"])
                .arg(&packages)
                .arg("--key")
                .arg(keys.join("root.key")),
            &format!("swport recipe package {port}"),
        )?;
    }
    let out = repo_dir();
    if let Some(changed) = changed_package(&packages, &out)? {
        // Published files never change, so a rebuilt package with the same version (after a
        // sysroot or ABI change) cannot join the existing repository: start a new one.
        println!(
            "== seed: {changed} was rebuilt with new contents; re-creating {} (guests that used \
             the old repository: run `pkg repo set URL` again, its metadata versions restart) ==",
            out.display()
        );
        std::fs::remove_dir_all(&out).with_context(|| format!("removing {}", out.display()))?;
    }
    std::fs::create_dir_all(&out)?;
    println!("== seed: publishing {} ==", out.display());
    check(
        swport()
            .args(["repo", "publish", "--packages"])
            .arg(&packages)
            .arg("--keys")
            .arg(&keys)
            .arg("--out")
            .arg(&out)
            .args(["--name", &cfg.name, "--channel", &cfg.channel]),
        "swport repo publish",
    )?;
    Ok(out)
}

/// The first package in `packages` whose published copy in `web_root` has other bytes.
fn changed_package(packages: &Path, web_root: &Path) -> Result<Option<String>> {
    let published = web_root.join("targets/packages");
    let mut names: Vec<_> = std::fs::read_dir(packages)
        .with_context(|| format!("listing {}", packages.display()))?
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .collect();
    names.sort();
    for name in names {
        let old = published.join(&name);
        if old.is_file() && std::fs::read(&old)? != std::fs::read(packages.join(&name))? {
            return Ok(Some(name.to_string_lossy().into_owned()));
        }
    }
    Ok(None)
}

pub use swiftos_tests::repo_fixture::RepoServer;

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
    println!("== seed: swport repo verify-url http://{addr}/ ==");
    check(
        swport()
            .args([
                "repo",
                "verify-url",
                &format!("http://{addr}/"),
                "--root-key",
            ])
            .arg(web_root.join("repo-root.pub")),
        "verifying the served seed repository",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_config_parses_and_rejects_garbage() {
        let p = Path::new("seed.toml");
        let c = parse_config(
            "# c\nname = \"s\"\nchannel = \"dev\"\nports = [\"lua\", \"zlib\"]\n",
            p,
        )
        .unwrap();
        assert_eq!((c.name.as_str(), c.channel.as_str()), ("s", "dev"));
        assert_eq!(c.ports, ["lua", "zlib"]);
        assert!(parse_config("name = s\n", p).is_err());
        assert!(parse_config("bogus = \"x\"\n", p).is_err());
        assert!(parse_config("name = \"s\"\nchannel = \"c\"\n", p)
            .unwrap_err()
            .to_string()
            .contains("missing `ports`"));
    }

    #[test]
    fn the_checked_in_seed_config_is_valid() {
        let p = repo_root().join("seed/seed.toml");
        let c = parse_config(&std::fs::read_to_string(&p).unwrap(), &p).unwrap();
        assert!(c.ports.iter().any(|p| p == "lua"));
    }
}
