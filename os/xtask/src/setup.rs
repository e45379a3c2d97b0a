//! Idempotent machine set-up: Debian packages, QEMU and Rust targets the build needs.
//!
//! Set-up never quietly uninstalls what the user had: every `apt-get install` is simulated
//! first, and one that would remove a package is refused in words. QEMU is the one known case
//! (a machine with a newer `qemu-utils` than Debian 12's, which `Breaks` Debian 12's
//! `qemu-system-common`): then Debian's `qemu-system-arm` is unpacked into the user cache
//! instead of installed, and only its libraries are installed.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Debian packages every build and test needs (QEMU is handled by [`ensure_qemu`]).
pub const DEBIAN_PACKAGES: &[&str] = &[
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
    // The TUF interoperability tests' peer: python-tuf in a virtual environment (see
    // [`ensure_tuf_python`]) made with Debian's Python.
    "python3-venv",
];

/// The pinned Python packages of the TUF peer (python-tuf, securesystemslib with its
/// `cryptography` backend), one `name==version` per line.
pub const TUF_REQUIREMENTS: &str = "catalog/tuf-client/tests/python/requirements.txt";

/// The Debian package that carries `qemu-system-aarch64`.
const QEMU_PACKAGE: &str = "qemu-system-arm";
/// The packages unpacked for a private QEMU (the binary, its shared data and firmware).
const QEMU_UNPACK: &[&str] = &["qemu-system-arm", "qemu-system-common", "qemu-system-data"];

/// What set-up found or made: the tools later steps run.
#[derive(Debug)]
pub struct Tools {
    /// The `qemu-system-aarch64` to run (a name on `PATH` or a path in the user cache).
    pub qemu: PathBuf,
    /// The Python of the virtual environment holding python-tuf.
    pub tuf_python: PathBuf,
}

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

fn apt(args: &[&str]) -> Vec<String> {
    let mut v = sudo_prefix();
    v.push("apt-get".into());
    v.extend(args.iter().map(|s| s.to_string()));
    v
}

/// Install whatever is missing; does nothing when all is present.
pub fn ensure() -> Result<Tools> {
    let mut updated = false;
    ensure_packages_once(DEBIAN_PACKAGES, &mut updated)?;
    let qemu = ensure_qemu(&mut updated)?;
    ensure_rust_target("aarch64-unknown-none")?;
    let tuf_python = ensure_tuf_python()?;
    Ok(Tools { qemu, tuf_python })
}

/// A virtual environment with the pinned python-tuf ([`TUF_REQUIREMENTS`]) in the user cache,
/// `<cache>/python-tuf/<hash of the requirements>/`, made with Debian's Python and filled from
/// PyPI on first use; returns its `python`.
fn ensure_tuf_python() -> Result<PathBuf> {
    use sha2::Digest;
    let req = swiftos_harness::repo_root().join(TUF_REQUIREMENTS);
    let pins = std::fs::read(&req).with_context(|| format!("reading {}", req.display()))?;
    let hash = hex_prefix(&sha2::Sha256::digest(&pins));
    let venv = swport::cache::user_cache_dir()?
        .join("python-tuf")
        .join(hash);
    let python = venv.join("bin/python");
    if venv.join("ready").exists() {
        return Ok(python);
    }
    println!(
        "Making the python-tuf environment {} (pinned in {TUF_REQUIREMENTS})",
        venv.display()
    );
    let _ = std::fs::remove_dir_all(&venv);
    run(
        &[
            "/usr/bin/python3".into(),
            "-m".into(),
            "venv".into(),
            venv.display().to_string(),
        ],
        "python3 -m venv",
    )?;
    run(
        &[
            venv.join("bin/pip").display().to_string(),
            "install".into(),
            "--quiet".into(),
            "--no-deps".into(),
            "--requirement".into(),
            req.display().to_string(),
        ],
        "pip install (python-tuf)",
    )?;
    atomic_write::write(venv.join("ready"), &pins)?;
    Ok(python)
}

fn hex_prefix(digest: &[u8]) -> String {
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Install the given Debian packages if any is missing.
pub fn ensure_packages(pkgs: &[&str]) -> Result<()> {
    ensure_packages_once(pkgs, &mut false)
}

fn apt_update(updated: &mut bool) -> Result<()> {
    if !*updated {
        run(&apt(&["update", "-q"]), "apt-get update")?;
        *updated = true;
    }
    Ok(())
}

fn ensure_packages_once(pkgs: &[&str], updated: &mut bool) -> Result<()> {
    let missing: Vec<&str> = pkgs.iter().copied().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    println!("Installing Debian packages: {}", missing.join(" "));
    apt_update(updated)?;
    let removed = apt_removals(&missing)?;
    if !removed.is_empty() {
        bail!(
            "installing {} would make apt-get REMOVE {} (a conflict with what this machine has); \
             nothing was changed. Resolve the conflict by hand (`apt-get install -s {}` shows \
             why), then run the command again",
            missing.join(" "),
            removed.join(", "),
            missing.join(" ")
        );
    }
    let mut install = apt(&["install", "-y", "-q", "--no-install-recommends"]);
    install.extend(missing.iter().map(|s| s.to_string()));
    run(&install, "apt-get install")
}

/// The packages (`name version`) that `apt-get install` of `pkgs` would remove, found by a
/// simulation that changes nothing.
fn apt_removals(pkgs: &[&str]) -> Result<Vec<String>> {
    let out = Command::new("apt-get")
        .args(["install", "-s", "-q", "--no-install-recommends"])
        .args(pkgs)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .output()
        .context("simulating apt-get install")?;
    if !out.status.success() {
        bail!(
            "apt-get cannot install {}:\n{}",
            pkgs.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(parse_removals(&String::from_utf8_lossy(&out.stdout)))
}

/// `Remv NAME [VERSION]` lines of `apt-get -s` output, as `NAME VERSION`.
fn parse_removals(sim: &str) -> Vec<String> {
    sim.lines()
        .filter_map(|l| l.strip_prefix("Remv "))
        .map(|rest| {
            let mut it = rest.split_whitespace();
            let name = it.next().unwrap_or_default();
            let ver = it.next().unwrap_or_default().trim_matches(['[', ']']);
            format!("{name} {ver}").trim().to_string()
        })
        .collect()
}

/// `qemu-system-aarch64`: `$SWIFTOS_QEMU` when set, Debian's when installed (or installable
/// without removing anything), else a private copy unpacked into the user cache.
fn ensure_qemu(updated: &mut bool) -> Result<PathBuf> {
    if let Some(q) = std::env::var_os(swiftos_harness::QEMU_ENV) {
        return Ok(PathBuf::from(q));
    }
    let system = PathBuf::from("qemu-system-aarch64");
    if installed(QEMU_PACKAGE) {
        return Ok(system);
    }
    let version = candidate_version(QEMU_PACKAGE)?;
    let private = private_qemu_dir(&version)?;
    let binary = private.join("usr/bin/qemu-system-aarch64");
    if binary.exists() {
        ensure_libraries(&binary, updated)?;
        return Ok(binary);
    }
    apt_update(updated)?;
    let removed = apt_removals(&[QEMU_PACKAGE])?;
    if removed.is_empty() {
        println!("Installing Debian packages: {QEMU_PACKAGE}");
        let mut install = apt(&["install", "-y", "-q", "--no-install-recommends"]);
        install.push(QEMU_PACKAGE.into());
        run(&install, "apt-get install")?;
        return Ok(system);
    }
    println!(
        "Installing {QEMU_PACKAGE} would remove {} from this machine (its version Breaks \
         Debian 12's qemu-system-common), so it is not installed: Debian's {QEMU_PACKAGE} \
         {version} is unpacked into {} instead, and only its libraries are installed.",
        removed.join(", "),
        private.display()
    );
    unpack_private_qemu(&private)?;
    ensure_libraries(&binary, updated)?;
    Ok(binary)
}

/// The version `apt-get install PKG` would install.
fn candidate_version(pkg: &str) -> Result<String> {
    let out = Command::new("apt-cache")
        .args(["show", "--no-all-versions", pkg])
        .output()
        .context("running apt-cache")?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Version: "))
        .map(|v| v.trim().to_string())
        .with_context(|| {
            format!("apt knows no package {pkg}: is Debian 12's main in the apt sources?")
        })
}

/// `<user cache>/qemu/<version>`: one directory per Debian version of the package.
fn private_qemu_dir(version: &str) -> Result<PathBuf> {
    let safe: String = version
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".+-~".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok(swport::cache::user_cache_dir()?.join("qemu").join(safe))
}

/// Download the QEMU packages (`apt-get download`, no installation) and unpack them into a
/// temporary directory renamed to `dest` when complete.
fn unpack_private_qemu(dest: &Path) -> Result<()> {
    let parent = dest.parent().context("cache path has a parent")?;
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let tmp = parent.join(format!(".unpack-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let debs = tmp.join("debs");
    std::fs::create_dir_all(&debs)?;
    let st = Command::new("apt-get")
        .arg("download")
        .args(QEMU_UNPACK)
        .current_dir(&debs)
        .status()
        .context("running apt-get download")?;
    if !st.success() {
        bail!("apt-get download {} failed ({st})", QEMU_UNPACK.join(" "));
    }
    let root = tmp.join("root");
    for deb in std::fs::read_dir(&debs)? {
        let deb = deb?.path();
        let st = Command::new("dpkg-deb")
            .arg("-x")
            .arg(&deb)
            .arg(&root)
            .status()
            .context("running dpkg-deb")?;
        if !st.success() {
            bail!("dpkg-deb -x {} failed ({st})", deb.display());
        }
    }
    std::fs::rename(&root, dest)
        .with_context(|| format!("moving {} to {}", root.display(), dest.display()))?;
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}

/// Install the shared libraries the private QEMU needs (its package's `Depends`, without the
/// QEMU packages themselves), then check that every library resolves.
fn ensure_libraries(binary: &Path, updated: &mut bool) -> Result<()> {
    // The `Depends` come from apt, which describes the same version as the unpacked copy.
    let out = Command::new("apt-cache")
        .args(["show", "--no-all-versions", QEMU_PACKAGE])
        .output()
        .context("running apt-cache")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let deps = text
        .lines()
        .find_map(|l| l.strip_prefix("Depends: "))
        .map(parse_depends)
        .unwrap_or_default();
    let libs: Vec<&str> = deps
        .iter()
        .map(String::as_str)
        .filter(|d| !d.starts_with("qemu-"))
        .collect();
    ensure_packages_once(&libs, updated)?;
    let ldd = Command::new("ldd")
        .arg(binary)
        .output()
        .context("running ldd")?;
    let report = String::from_utf8_lossy(&ldd.stdout);
    let unresolved: Vec<&str> = report.lines().filter(|l| l.contains("not found")).collect();
    if !unresolved.is_empty() {
        bail!(
            "{} needs libraries this machine lacks:\n{}",
            binary.display(),
            unresolved.join("\n")
        );
    }
    Ok(())
}

/// Package names of a Debian `Depends` field (first alternative, versions dropped).
fn parse_depends(field: &str) -> Vec<String> {
    field
        .split(',')
        .filter_map(|d| d.split('|').next())
        .filter_map(|d| d.split_whitespace().next())
        .map(|n| n.split(':').next().unwrap_or(n).to_string())
        .filter(|n| !n.is_empty())
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removals_are_read_from_an_apt_simulation() {
        let sim = "NOTE: This is only a simulation!\n\
                   Remv qemu-utils [1:10.0.2+ds-2+deb13u1~bpo12+1]\n\
                   Inst qemu-system-common (1:7.2+dfsg-7+deb12u18+b2 Debian:12.14/oldstable [amd64])\n\
                   Conf qemu-system-common (1:7.2+dfsg-7+deb12u18+b2 Debian:12.14/oldstable [amd64])\n";
        assert_eq!(
            parse_removals(sim),
            ["qemu-utils 1:10.0.2+ds-2+deb13u1~bpo12+1"]
        );
        assert!(parse_removals("Inst a (1 x)\nConf a (1 x)\n").is_empty());
    }

    #[test]
    fn depends_fields_give_package_names() {
        assert_eq!(
            parse_depends(
                "libaio1 (>= 0.3.93), libc6 (>= 2.34), a | b, qemu-system-common (= 1:7.2), x:any"
            ),
            ["libaio1", "libc6", "a", "qemu-system-common", "x"]
        );
    }
}
