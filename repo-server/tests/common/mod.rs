//! Shared test helpers: a published repository root made with the real tools, and the
//! `repo-server` binary started on a free loopback port.

#![allow(dead_code)]

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A published root (`www`) plus the keys and a scratch directory.
pub struct Published {
    pub tmp: tempfile::TempDir,
    pub www: PathBuf,
    pub keys: PathBuf,
    pub work: PathBuf,
}

/// Build a package with swpkg signed by `keys/package.key`.
pub fn build_package(
    work: &Path,
    keys: &Path,
    out_dir: &Path,
    name: &str,
    version: &str,
    deps: &[(&str, &str)],
) {
    let stage = work.join(format!("stage-{name}-{version}"));
    fs::create_dir_all(stage.join("bin")).unwrap();
    fs::write(
        stage.join("bin").join(name),
        format!("#!/bin/sh\necho {name} {version}\n"),
    )
    .unwrap();
    let mut toml = format!(
        "name = \"{name}\"\nversion = \"{version}\"\ndescription = \"the {name} test package\"\nlicense = \"MIT\"\n"
    );
    if !deps.is_empty() {
        toml.push_str("[depends]\n");
        for (d, r) in deps {
            toml.push_str(&format!("{d} = \"{r}\"\n"));
        }
    }
    let mf = work.join(format!("{name}-{version}.toml"));
    fs::write(&mf, toml).unwrap();
    let sk = swpkg_keys::read_secret_key(&keys.join("package.key")).unwrap();
    swpkg_host::build_package(
        &mf,
        &stage,
        &sk,
        swpkg_host::BuildOptions { mtime: 0 },
        &out_dir.join(format!("{name}-{version}.swpkg")),
    )
    .unwrap();
}

/// Publish `libgreet 1.0.0` and `hello 1.0.0` (needs libgreet ^1) into a fresh root.
pub fn publish_root() -> Published {
    let tmp = tempfile::tempdir().unwrap();
    let www = tmp.path().join("www");
    let keys = tmp.path().join("keys");
    let work = tmp.path().join("work");
    let incoming = tmp.path().join("incoming");
    fs::create_dir_all(&work).unwrap();
    fs::create_dir_all(&incoming).unwrap();
    catalog_hosted::generate_keys(&keys).unwrap();
    build_package(&work, &keys, &incoming, "libgreet", "1.0.0", &[]);
    build_package(
        &work,
        &keys,
        &incoming,
        "hello",
        "1.0.0",
        &[("libgreet", "^1")],
    );
    catalog_hosted::publish(&catalog_hosted::PublishOptions::new(&incoming, &keys, &www)).unwrap();
    Published {
        tmp,
        www,
        keys,
        work,
    }
}

/// A running `repo-server`; stopped (SIGKILL) when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub addr: String,
    pub log: PathBuf,
}

impl Server {
    pub fn start(root: &Path, log_dir: &Path) -> Server {
        Server::start_with(root, log_dir, &[])
    }

    pub fn start_with(root: &Path, log_dir: &Path, extra: &[&str]) -> Server {
        let log = log_dir.join(format!("server-{}.log", std::process::id()));
        let mut child = Command::new(env!("CARGO_BIN_EXE_repo-server"))
            .arg("--root")
            .arg(root)
            .args(["--bind", "127.0.0.1:0", "--grace", "2"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .split_whitespace()
            .last()
            .unwrap_or_else(|| {
                panic!(
                    "no address line, stderr: {}",
                    fs::read_to_string(&log).unwrap_or_default()
                )
            })
            .trim_end_matches('/')
            .to_string();
        let addr = base.trim_start_matches("http://").to_string();
        Server {
            child,
            base,
            addr,
            log,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Run curl with `args`; returns (exit ok, stdout bytes).
pub fn curl(args: &[&str]) -> (bool, Vec<u8>) {
    let out = Command::new("curl")
        .args(["-s", "--max-time", "10"])
        .args(args)
        .output()
        .expect("curl (Debian package curl) is needed for these tests");
    (out.status.success(), out.stdout)
}
