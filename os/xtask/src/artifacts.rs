//! Building the target-side artefacts: kernel ELF, userland programs, `build/base.img`.

use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use swiftos_harness::{base_image_path, repo_root};

const TARGET: &str = "aarch64-unknown-none";

/// Run a command, failing with `what` if it does not succeed.
pub fn check(cmd: &mut Command, what: &str) -> Result<()> {
    let st = cmd
        .status()
        .with_context(|| format!("{what}: could not start {:?}", cmd.get_program()))?;
    if !st.success() {
        bail!("{what} failed ({st})");
    }
    Ok(())
}

/// Build AArch64 packages in release mode; returns the executables cargo produced.
fn build_target(packages: &[&str]) -> Result<Vec<PathBuf>> {
    let mut c = super::cargo();
    c.current_dir(repo_root())
        .args(["build", "--release", "--target", TARGET])
        .arg("--message-format=json-render-diagnostics");
    for p in packages {
        c.args(["-p", p]);
    }
    c.stdout(Stdio::piped());
    let out = c
        .spawn()
        .context("starting cargo build")?
        .wait_with_output()?;
    if !out.status.success() {
        bail!("building {} for {TARGET} failed", packages.join(", "));
    }
    let mut exes = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if v["reason"] == "compiler-artifact" {
            if let Some(exe) = v["executable"].as_str() {
                exes.push(PathBuf::from(exe));
            }
        }
    }
    Ok(exes)
}

/// Where the base image pins the seed repository's root public key (`pkg repo set URL` trusts
/// a repository whose root metadata this key signs).
pub const PINNED_ROOT_KEY: &str = "/etc/swos/repo-root.pub";

/// Build kernel, programs and the base image. Returns the image path.
pub fn all() -> Result<PathBuf> {
    let root = repo_root();
    println!("== building kernel and userland for {TARGET} ==");
    let exes = build_target(&["swiftos-kernel", "swiftos-programs", "swiftos-ktest"])?;
    let bin_dir = root.join("build/bin");
    if bin_dir.exists() {
        std::fs::remove_dir_all(&bin_dir)?;
    }
    std::fs::create_dir_all(&bin_dir)?;
    let mut n = 0;
    for exe in &exes {
        let name = exe.file_name().unwrap_or_default();
        if name == "swiftos-kernel" {
            continue;
        }
        std::fs::copy(exe, bin_dir.join(name))
            .with_context(|| format!("copying {}", exe.display()))?;
        n += 1;
    }
    println!("== building build/base.img ({n} programs) ==");
    let img = base_image_path();
    // The package client's trust anchor: the seed repository's root key, pinned read-only.
    let keys = crate::seed::keys_dir()?;
    let opts = swiftos_image::BuildOptions {
        base: Some(root.join("os/base")),
        bins: vec![bin_dir],
        mkdirs: vec![swiftos_image::DirSpec {
            path: "/etc/swos".into(),
            mode: 0o755,
        }],
        adds: vec![swiftos_image::AddSpec {
            src: keys.join("root.pub"),
            dest: PINNED_ROOT_KEY.into(),
            mode: Some(0o644),
        }],
        // Programs keep symbols in target/; the image carries only their loadable bytes.
        strip: true,
        mtime: Some(source_date_epoch()),
        ..Default::default()
    };
    let s = swiftos_image::build_to_file(&opts, &img)
        .with_context(|| format!("building {}", img.display()))?;
    println!(
        "{}: {} entries ({} files), image {} bytes, sha256 {}",
        img.display(),
        s.entries,
        s.files,
        s.image_bytes,
        s.sha256
    );
    Ok(img)
}

/// File times in the image: `SOURCE_DATE_EPOCH` if set, else the time of the checked-out commit
/// (so the same commit always gives the same image), else 0.
fn source_date_epoch() -> i64 {
    if let Some(v) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse().ok())
    {
        return v;
    }
    Command::new("git")
        .args(["log", "-1", "--format=%ct"])
        .current_dir(repo_root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(0)
}

/// A kernel that does nothing but power off through PSCI: the baseline for the boot benchmark.
pub fn minimal_kernel() -> Result<PathBuf> {
    let dir = repo_root().join("build/minimal");
    std::fs::create_dir_all(&dir)?;
    let src = dir.join("poweroff.S");
    atomic_write::write(
        &src,
        "// PSCI SYSTEM_OFF: the smallest kernel QEMU can boot and stop.\n\
         .globl _start\n_start:\n  movz x0, #0x0008\n  movk x0, #0x8400, lsl #16\n  hvc #0\n1: b 1b\n",
    )?;
    let obj = dir.join("poweroff.o");
    let elf = dir.join("poweroff.elf");
    check(
        Command::new("aarch64-linux-gnu-as")
            .arg(&src)
            .arg("-o")
            .arg(&obj),
        "assembling the minimal kernel",
    )?;
    check(
        Command::new("aarch64-linux-gnu-ld")
            .args(["-Ttext=0x40200000", "-e", "_start", "-o"])
            .arg(&elf)
            .arg(&obj),
        "linking the minimal kernel",
    )?;
    Ok(elf)
}
