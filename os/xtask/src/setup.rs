//! Idempotent machine set-up: Debian packages and Rust targets the build needs.

use anyhow::{bail, Context, Result};
use std::process::Command;

/// Debian packages every build and test needs.
pub const DEBIAN_PACKAGES: &[&str] = &[
    // qemu-system-aarch64
    "qemu-system-arm",
    // The cross C toolchain for the newlib sysroot and ports.
    "gcc-aarch64-linux-gnu",
    "binutils-aarch64-linux-gnu",
    // Port builds (swport): make, patch and xz for sources and recipes.
    "make",
    "patch",
    "xz-utils",
    // Networking tests: the loopback DNS server and the HTTP client.
    "dnsmasq-base",
    "curl",
    // Package-format tests compare with `tar --zstd`.
    "zstd",
    // Repository tests: the root served by Debian's nginx too (proves it is static), the wrk
    // benchmark, and the headless-browser test of the package browser.
    "nginx-light",
    "wrk",
    "chromium",
];

fn installed(pkg: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", pkg])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

fn sudo_prefix() -> Vec<String> {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    if root {
        vec![]
    } else {
        vec!["sudo".into()]
    }
}

fn run(argv: &[String], what: &str) -> Result<()> {
    let st = Command::new(&argv[0])
        .args(&argv[1..])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .with_context(|| format!("{what}: could not run {}", argv[0]))?;
    if !st.success() {
        bail!("{what} failed ({st}): {}", argv.join(" "));
    }
    Ok(())
}

/// Install whatever is missing; does nothing when all is present.
pub fn ensure() -> Result<()> {
    ensure_packages(DEBIAN_PACKAGES)?;
    ensure_rust_target("aarch64-unknown-none")
}

/// Install the given Debian packages if any is missing.
pub fn ensure_packages(pkgs: &[&str]) -> Result<()> {
    let missing: Vec<&str> = pkgs.iter().copied().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    println!("Installing Debian packages: {}", missing.join(" "));
    let sudo = sudo_prefix();
    let mut update = sudo.clone();
    update.extend(["apt-get".into(), "update".into(), "-q".into()]);
    run(&update, "apt-get update")?;
    let mut install = sudo;
    install.extend(["apt-get", "install", "-y", "-q", "--no-install-recommends"].map(String::from));
    install.extend(missing.iter().map(|s| s.to_string()));
    run(&install, "apt-get install")
}

fn ensure_rust_target(target: &str) -> Result<()> {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("running rustup (is Rust installed through rustup?)")?;
    if String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.trim() == target)
    {
        return Ok(());
    }
    println!("Adding Rust target {target}");
    run(
        &[
            "rustup".into(),
            "target".into(),
            "add".into(),
            target.into(),
        ],
        "rustup target add",
    )
}
