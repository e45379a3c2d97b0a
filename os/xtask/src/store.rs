//! Package-store disk images: the second virtio-blk disk, mounted at `/pkg` in the guest.
//!
//! A preseeded store is made the way a user would make one: the seed repository is published and
//! served on loopback, the host package client (`pkg --root DIR`) installs the chosen packages
//! into a scratch system root, the repository is then re-pointed at the name the guest uses
//! (`http://repo.swiftos.test:PORT/`), and `swiftos-image store build` turns the scratch root's
//! `pkg/` directory into a store image.

use anyhow::{anyhow, Context, Result};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use swiftos_harness::repo_root;
use swiftos_image::store::{self as store_image, StoreSummary};
use swiftos_pkg::HostPlatform;
use swiftos_pkg_core::{Pkg, PublicKey, TrustedRoot};

use crate::seed;

/// The store image `cargo xtask run` attaches (kept between runs: it is the guest's disk).
pub fn default_image() -> PathBuf {
    repo_root().join("build/store.img")
}

/// Default store size (the image file is sparse).
pub const DEFAULT_SIZE: &str = "256M";

/// The host package client over the system root `root` (`pkg --root ROOT`), in-process.
fn host_pkg(root: &Path) -> Result<Pkg<HostPlatform>> {
    let platform = HostPlatform::new(root, 60)
        .map_err(|e| anyhow!("host package client over {}: {e}", root.display()))?;
    Ok(Pkg::new(platform))
}

fn said(what: &str) -> impl FnOnce(swiftos_pkg_core::Error) -> anyhow::Error + '_ {
    move |e| anyhow!("{what}: {}", swiftos_pkg_core::report::failure(&e))
}

fn print_store(path: &Path, s: &StoreSummary) {
    println!(
        "{}: package store, {} MiB, {} files, {} directories, {} KiB used",
        path.display(),
        s.size >> 20,
        s.files,
        s.dirs,
        s.used_bytes >> 10
    );
}

/// A blank, formatted store image.
pub fn create_blank(out: &Path, size: &str) -> Result<()> {
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let s = store_image::create(out, store_image::parse_size(size)?)
        .with_context(|| format!("creating {}", out.display()))?;
    print_store(out, &s);
    Ok(())
}

/// Build a store image at `out` holding `packages` from the seed repository, configured for the
/// seed repository at `http://repo.swiftos.test:{guest_repo_port}/`.
pub fn preseed(out: &Path, packages: &[String], size: &str, guest_repo_port: u16) -> Result<()> {
    let web_root = seed::publish()?;
    let keys = seed::keys_dir()?;
    let root_key = swpkg_keys::read_public_key(&keys.join("root.pub"))?;
    let scratch = repo_root().join("build/store-root");
    if scratch.exists() {
        std::fs::remove_dir_all(&scratch)
            .with_context(|| format!("removing {}", scratch.display()))?;
    }
    std::fs::create_dir_all(&scratch)?;
    let mut pkg = host_pkg(&scratch)?;
    let addr: SocketAddr = format!("127.0.0.1:{}", seed::free_port()?).parse()?;
    let _server = seed::serve(&web_root, addr)?;
    let url = format!("http://{addr}/");
    let root = TrustedRoot::Key(PublicKey::Ed25519(root_key));
    pkg.repo_set(&url, root, &[])
        .map_err(said("pkg repo set (host, preseeding)"))?;
    pkg.update().map_err(said("pkg update (host)"))?;
    if !packages.is_empty() {
        println!("== store: installing {} ==", packages.join(" "));
        pkg.install(packages)
            .map_err(said("pkg install (host, preseeding)"))?;
    }
    // What the guest will use: the same repository under its DNS name, with the trust and the
    // verified metadata kept, so `pkg search`/`pkg info` work before any `pkg update`.
    let guest_url = format!("http://repo.swiftos.test:{guest_repo_port}/");
    pkg.repo_relocate(&guest_url)
        .map_err(said("pkg repo set (host, guest URL)"))?;
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    println!("== store: writing {} ==", out.display());
    let from = scratch.join("pkg");
    let s = store_image::build(&from, out, store_image::parse_size(size)?)
        .with_context(|| format!("building {} from {}", out.display(), from.display()))?;
    print_store(out, &s);
    Ok(())
}
