//! Package-store disk images: the second virtio-blk disk, mounted at `/pkg` in the guest.
//!
//! A preseeded store is made the way a user would make one: the seed repository is published and
//! served on loopback, the host package client (`pkg --root DIR`) installs the chosen packages
//! into a scratch system root, the repository is then re-pointed at the name the guest uses
//! (`http://repo.swiftos.test:PORT/`), and `swiftos-image store build` turns the scratch root's
//! `pkg/` directory into a store image.

use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use swiftos_tests::repo_root;

use crate::artifacts::{check, image_tool};
use crate::seed;

/// The store image `cargo xtask run` attaches (kept between runs: it is the guest's disk).
pub fn default_image() -> PathBuf {
    repo_root().join("build/store.img")
}

/// Default store size (the image file is sparse).
pub const DEFAULT_SIZE: &str = "256M";

fn host_pkg(root: &Path) -> Command {
    let mut c = super::cargo();
    c.current_dir(repo_root())
        .args(["run", "--quiet", "-p", "swiftos-pkg", "--bin", "pkg", "--"])
        .arg("--root")
        .arg(root);
    c
}

/// A blank, formatted store image.
pub fn create_blank(out: &Path, size: &str) -> Result<()> {
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    image_tool(&[
        "store".as_ref(),
        "create".as_ref(),
        "--size".as_ref(),
        size.as_ref(),
        out.as_os_str(),
    ])
}

/// Build a store image at `out` holding `packages` from the seed repository, configured for the
/// seed repository at `http://repo.swiftos.test:{guest_repo_port}/`.
pub fn preseed(out: &Path, packages: &[String], size: &str, guest_repo_port: u16) -> Result<()> {
    let web_root = seed::publish()?;
    let keys = seed::keys_dir()?;
    let root_pub = keys.join("root.pub");
    let scratch = repo_root().join("build/store-root");
    if scratch.exists() {
        std::fs::remove_dir_all(&scratch)
            .with_context(|| format!("removing {}", scratch.display()))?;
    }
    std::fs::create_dir_all(&scratch)?;
    if !packages.is_empty() {
        let addr: SocketAddr = format!("127.0.0.1:{}", seed::free_port()?).parse()?;
        let _server = seed::serve(&web_root, addr)?;
        let url = format!("http://{addr}/");
        check(
            host_pkg(&scratch)
                .args(["repo", "set", &url, "--root-key"])
                .arg(&root_pub),
            "pkg repo set (host, preseeding)",
        )?;
        check(host_pkg(&scratch).arg("update"), "pkg update (host)")?;
        println!("== store: installing {} ==", packages.join(" "));
        check(
            host_pkg(&scratch).arg("install").args(packages),
            "pkg install (host, preseeding)",
        )?;
    }
    // The metadata just verified against the seed's root: `repo set` below forgets it (another
    // address could be another repository), but it is the same repository under its DNS name,
    // so it is put back and `pkg search`/`pkg info` work in the guest before any `pkg update`.
    let metadata_dir = scratch.join("pkg/etc/metadata");
    let mut verified = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&metadata_dir) {
        for e in entries.flatten() {
            if e.path().is_file() {
                verified.push((e.file_name(), std::fs::read(e.path())?));
            }
        }
    }
    // What the guest will use: the DNS name of the seed repository, the same trusted root.
    let guest_url = format!("http://repo.swiftos.test:{guest_repo_port}/");
    check(
        host_pkg(&scratch)
            .args(["repo", "set", &guest_url, "--trusted-root"])
            .arg(web_root.join("metadata/1.root.json"))
            .arg("--package-key")
            .arg(&root_pub),
        "pkg repo set (host, guest URL)",
    )?;
    for (name, bytes) in verified {
        let path = metadata_dir.join(&name);
        if !path.exists() {
            std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        }
    }
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    println!("== store: writing {} ==", out.display());
    image_tool(&[
        "store".as_ref(),
        "build".as_ref(),
        "--from".as_ref(),
        scratch.join("pkg").as_os_str(),
        "--size".as_ref(),
        size.as_ref(),
        out.as_os_str(),
    ])
}
