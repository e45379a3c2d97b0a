//! `cargo xtask fresh-check`: the README's two commands on a new Debian 12 machine.
//!
//! This machine keeps whatever earlier runs installed, so a green run here can hide a missing
//! set-up step. The fresh check builds a throwaway Debian 12 root with `debootstrap` (the
//! mirror and suites taken from this machine's apt configuration), clones the current commit
//! into it, gives it this machine's rustup toolchain *without* the AArch64 target (set-up must
//! add it, as on a user's machine), and runs `cargo xtask test`, then `cargo xtask run` up to
//! `login:` (logging in as root and powering off, like a person), inside a `chroot` in a
//! private mount namespace (nothing it mounts is seen outside, or outlives it).

use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use swiftos_harness::{repo_root, Guest};

use crate::artifacts::check as run_checked;
use crate::setup;

/// Packages the root starts with beyond debootstrap's `minbase`: what a machine with rustup's
/// Rust has (a C compiler and libc headers for rustc's linker, git to clone, CA certificates).
pub const STARTING_PACKAGES: &[&str] = &["ca-certificates", "git", "gcc", "libc6-dev"];

/// The Rust target set-up must add itself.
const AARCH64_TARGET: &str = "aarch64-unknown-none";

pub struct Options {
    pub keep: bool,
    pub root: Option<PathBuf>,
}

/// One apt source of this machine (`deb URI SUITE COMPONENTS`).
#[derive(Debug, PartialEq)]
pub struct AptSource {
    pub uri: String,
    pub suites: Vec<String>,
    pub components: Vec<String>,
    pub signed_by: Option<String>,
}

pub fn check(o: &Options) -> Result<()> {
    let started = Instant::now();
    if !is_root() {
        bail!("cargo xtask fresh-check needs root (debootstrap, chroot and mount namespaces)");
    }
    setup::ensure_packages(&["debootstrap"])?;
    let sources = machine_apt_sources()?;
    let (mirror, suite) = debian_mirror(&sources)?;
    let commit = git(&["rev-parse", "HEAD"])?;
    if !git(&["status", "--porcelain", "--untracked-files=no"])?.is_empty() {
        println!(
            "fresh-check: note: uncommitted changes are not part of the check (it clones {commit})"
        );
    }
    let dir = o
        .root
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("/var/tmp/swiftos-fresh-{}", std::process::id())));
    if dir.exists() {
        bail!("{} exists; remove it or pass another --root", dir.display());
    }
    let result = check_in(&dir, &mirror, &suite, &sources, &commit);
    if o.keep || result.is_err() {
        println!("fresh-check: the root is kept at {}", dir.display());
    } else {
        remove_root(&dir)?;
    }
    let report = result?;
    println!(
        "fresh-check: PASSED in {:.1} min (commit {commit}): {report}",
        started.elapsed().as_secs_f64() / 60.0
    );
    Ok(())
}

fn check_in(
    dir: &Path,
    mirror: &str,
    suite: &str,
    sources: &[AptSource],
    commit: &str,
) -> Result<String> {
    let mut times = Vec::new();
    let t = Instant::now();
    println!(
        "== fresh-check: debootstrap {suite} (minbase + {}) from {mirror} into {} ==",
        STARTING_PACKAGES.join(","),
        dir.display()
    );
    run_checked(
        Command::new("debootstrap")
            .arg("--variant=minbase")
            .arg(format!("--include={}", STARTING_PACKAGES.join(",")))
            .arg(suite)
            .arg(dir)
            .arg(mirror),
        "debootstrap",
    )?;
    configure_root(dir, sources)?;
    let packages = in_root_output(dir, "dpkg-query -W -f='${Package}\\n' | wc -l")?;
    times.push(format!("root {:.0} s", t.elapsed().as_secs_f64()));

    let t = Instant::now();
    println!("== fresh-check: clone {commit} and this machine's rustup toolchain ==");
    let clone = dir.join("root/swiftos");
    run_checked(
        Command::new("git")
            .args(["clone", "--quiet", "--no-hardlinks"])
            .arg(repo_root())
            .arg(&clone),
        "git clone",
    )?;
    run_checked(
        Command::new("git")
            .current_dir(&clone)
            .args(["checkout", "--quiet", "--detach", commit]),
        "git checkout",
    )?;
    install_toolchain(dir)?;
    times.push(format!(
        "clone+toolchain {:.0} s",
        t.elapsed().as_secs_f64()
    ));

    let t = Instant::now();
    println!("== fresh-check: cargo xtask test (inside the root) ==");
    let counts = run_tests_in_root(dir)?;
    times.push(format!(
        "cargo xtask test {:.1} min",
        t.elapsed().as_secs_f64() / 60.0
    ));

    let t = Instant::now();
    println!("== fresh-check: cargo xtask run to login: (inside the root) ==");
    boot_with_run_command(dir)?;
    times.push(format!(
        "cargo xtask run {:.0} s",
        t.elapsed().as_secs_f64()
    ));
    Ok(format!(
        "{counts}; root started with {} packages (debootstrap minbase + {}); {}",
        packages.trim(),
        STARTING_PACKAGES.join(" "),
        times.join(", ")
    ))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn git(args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .current_dir(repo_root())
        .args(args)
        .output()
        .context("running git")?;
    if !out.status.success() {
        bail!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// This machine's apt sources (`/etc/apt/sources.list`, `*.list` and deb822 `*.sources` in
/// `/etc/apt/sources.list.d/`), `deb` entries only.
fn machine_apt_sources() -> Result<Vec<AptSource>> {
    let mut out = Vec::new();
    let main = Path::new("/etc/apt/sources.list");
    if let Ok(text) = std::fs::read_to_string(main) {
        out.extend(parse_one_line_sources(&text));
    }
    if let Ok(dir) = std::fs::read_dir("/etc/apt/sources.list.d") {
        for e in dir.flatten() {
            let p = e.path();
            let Ok(text) = std::fs::read_to_string(&p) else {
                continue;
            };
            match p.extension().and_then(|x| x.to_str()) {
                Some("list") => out.extend(parse_one_line_sources(&text)),
                Some("sources") => out.extend(parse_deb822_sources(&text)),
                _ => {}
            }
        }
    }
    Ok(out)
}

/// `deb [options] URI SUITE COMPONENT...` lines.
pub fn parse_one_line_sources(text: &str) -> Vec<AptSource> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let Some(rest) = line.strip_prefix("deb ") else {
            continue;
        };
        let mut rest = rest.trim();
        let mut signed_by = None;
        if let Some(opts) = rest.strip_prefix('[') {
            let Some((opts, after)) = opts.split_once(']') else {
                continue;
            };
            signed_by = opts
                .split_whitespace()
                .find_map(|o| o.strip_prefix("signed-by="))
                .map(str::to_string);
            rest = after.trim();
        }
        let f: Vec<&str> = rest.split_whitespace().collect();
        if f.len() >= 2 {
            out.push(AptSource {
                uri: f[0].to_string(),
                suites: vec![f[1].to_string()],
                components: f[2..].iter().map(|s| s.to_string()).collect(),
                signed_by,
            });
        }
    }
    out
}

/// deb822 stanzas (`Types: deb`, `URIs:`, `Suites:`, `Components:`, `Signed-By:`), skipping
/// ones marked `Enabled: no`.
pub fn parse_deb822_sources(text: &str) -> Vec<AptSource> {
    let mut out = Vec::new();
    for stanza in text.split("\n\n") {
        let field = |name: &str| -> Option<String> {
            stanza.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().to_string())
            })
        };
        let words = |name: &str| -> Vec<String> {
            field(name)
                .map(|v| v.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default()
        };
        if !words("Types").iter().any(|t| t == "deb")
            || field("Enabled").is_some_and(|e| e.eq_ignore_ascii_case("no"))
        {
            continue;
        }
        for uri in words("URIs") {
            out.push(AptSource {
                uri,
                suites: words("Suites"),
                components: words("Components"),
                signed_by: field("Signed-By"),
            });
        }
    }
    out
}

/// The Debian mirror and release suite to debootstrap from: the source carrying a suite
/// without a `-updates`/`-security` suffix and the `main` component.
pub fn debian_mirror(sources: &[AptSource]) -> Result<(String, String)> {
    sources
        .iter()
        .filter(|s| s.components.iter().any(|c| c == "main"))
        .find_map(|s| {
            s.suites
                .iter()
                .find(|x| !x.contains('-') && !x.contains('/'))
                .map(|suite| (s.uri.clone(), suite.clone()))
        })
        .context(
            "found no Debian release in this machine's apt sources (a `deb URI SUITE main` entry \
             in /etc/apt/sources.list or /etc/apt/sources.list.d/)",
        )
}

/// Give the root this machine's apt sources for the same release (and their keyrings), name
/// server and local CA certificates, as a new machine of the same kind would have.
fn configure_root(dir: &Path, sources: &[AptSource]) -> Result<()> {
    let (_, suite) = debian_mirror(sources)?;
    let mut list =
        String::from("# This machine's apt sources for the release (cargo xtask fresh-check).\n");
    for s in sources {
        for x in s.suites.iter().filter(|x| x.starts_with(&suite)) {
            let opts = match &s.signed_by {
                Some(k) if Path::new(k).is_file() => {
                    let inside = dir.join(k.trim_start_matches('/'));
                    if let Some(p) = inside.parent() {
                        std::fs::create_dir_all(p)?;
                    }
                    std::fs::copy(k, &inside).with_context(|| format!("copying {k}"))?;
                    format!("[signed-by={k}] ")
                }
                _ => String::new(),
            };
            list.push_str(&format!(
                "deb {opts}{} {x} {}\n",
                s.uri,
                s.components.join(" ")
            ));
        }
    }
    atomic_write::write(dir.join("etc/apt/sources.list"), list)?;
    std::fs::copy("/etc/resolv.conf", dir.join("etc/resolv.conf"))
        .context("copying /etc/resolv.conf")?;
    let local_ca = Path::new("/usr/local/share/ca-certificates");
    if local_ca.is_dir() {
        let to = dir.join("usr/local/share/ca-certificates");
        std::fs::create_dir_all(&to)?;
        for e in std::fs::read_dir(local_ca)?.flatten() {
            std::fs::copy(e.path(), to.join(e.file_name()))?;
        }
        in_root_output(dir, "update-ca-certificates >/dev/null")?;
    }
    Ok(())
}

/// The default rustup toolchain of this machine, copied (hard links: no space, and nothing in
/// the root can change this machine's files in place) with its `rustup` proxies, then the
/// AArch64 target removed so that set-up has to add it.
fn install_toolchain(dir: &Path) -> Result<()> {
    let home = PathBuf::from(std::env::var_os("HOME").context("HOME is not set")?);
    let rustup_home = std::env::var_os("RUSTUP_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".rustup"));
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".cargo"));
    let default = std::fs::read_to_string(rustup_home.join("settings.toml"))?
        .lines()
        .find_map(|l| l.strip_prefix("default_toolchain = "))
        .map(|v| v.trim_matches('"').to_string())
        .context("this machine's rustup has no default toolchain")?;
    let to = dir.join("root/.rustup/toolchains");
    std::fs::create_dir_all(&to)?;
    run_checked(
        Command::new("cp")
            .arg("-al")
            .arg(rustup_home.join("toolchains").join(&default))
            .arg(to.join(&default)),
        "copying the rustup toolchain",
    )?;
    // rustup rewrites its records in lib/rustlib/ in place: those get copies of their own.
    for e in std::fs::read_dir(to.join(&default).join("lib/rustlib"))?.flatten() {
        if e.file_type()?.is_file() {
            let bytes = std::fs::read(e.path())?;
            std::fs::remove_file(e.path())?;
            atomic_write::write(e.path(), bytes)?;
        }
    }
    atomic_write::write(
        dir.join("root/.rustup/settings.toml"),
        format!("version = \"12\"\ndefault_toolchain = \"{default}\"\nprofile = \"default\"\n"),
    )?;
    let bin = dir.join("root/.cargo/bin");
    std::fs::create_dir_all(&bin)?;
    for e in std::fs::read_dir(cargo_home.join("bin"))?.flatten() {
        let name = e.file_name();
        let is_proxy = [
            "cargo",
            "rustc",
            "rustup",
            "rustdoc",
            "rustfmt",
            "cargo-clippy",
            "cargo-fmt",
            "clippy-driver",
        ]
        .iter()
        .any(|p| name == *p);
        if is_proxy {
            std::fs::copy(e.path(), bin.join(&name))?;
        }
    }
    in_root_output(
        dir,
        &format!(
            "rustup target list --installed | grep -qx {AARCH64_TARGET} && \
             rustup target remove {AARCH64_TARGET} >/dev/null 2>&1; \
             ! rustup target list --installed | grep -qx {AARCH64_TARGET}"
        ),
    )?;
    Ok(())
}

/// A command inside the root (a private mount namespace with /proc, /sys, /dev and a fresh
/// /tmp), as root with a user's login environment.
fn in_root(dir: &Path, script: &str) -> Command {
    let d = dir.display();
    // Build settings of this run (CI's) pass through; nothing else of this machine's environment.
    let pass: String = ["CARGO_INCREMENTAL", "CARGO_TERM_COLOR"]
        .iter()
        .filter_map(|k| Some(format!("{k}={} ", std::env::var(k).ok()?)))
        .collect();
    let mounts = format!(
        "mount -t proc proc {d}/proc && mount -t sysfs sys {d}/sys && \
         mount --rbind /dev {d}/dev && mount -t tmpfs tmp {d}/tmp && \
         exec chroot {d} /usr/bin/env -i HOME=/root USER=root LANG=C.UTF-8 TERM=dumb {pass}\
         PATH=/root/.cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
         /bin/bash -c \"$0\""
    );
    let mut c = Command::new("unshare");
    swiftos_harness::end_with_parent(&mut c);
    c.args(["--mount", "--propagation", "private", "--", "/bin/sh", "-c"])
        .arg(mounts)
        .arg(script);
    c
}

fn in_root_output(dir: &Path, script: &str) -> Result<String> {
    let out = in_root(dir, script).output().context("running unshare")?;
    if !out.status.success() {
        bail!(
            "inside the root, `{script}` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `cargo xtask test` in the clone, its output passed through and kept in
/// `target/fresh-check.log`; returns the summed test counts.
fn run_tests_in_root(dir: &Path) -> Result<String> {
    let log_path = swiftos_harness::target_dir().join("fresh-check.log");
    std::fs::create_dir_all(log_path.parent().unwrap_or(Path::new(".")))?;
    let mut log = std::fs::File::create(&log_path)?;
    let mut child = in_root(dir, "cd /root/swiftos && cargo xtask test 2>&1")
        .stdout(Stdio::piped())
        .spawn()
        .context("running unshare")?;
    let mut counts = TestCounts::default();
    for line in BufReader::new(child.stdout.take().expect("piped")).lines() {
        let line = line?;
        println!("{line}");
        writeln!(log, "{line}")?;
        counts.add_line(&line);
    }
    let st = child.wait()?;
    if !st.success() || counts.failed > 0 {
        bail!(
            "cargo xtask test failed inside the fresh root ({st}; {counts}); log {}",
            log_path.display()
        );
    }
    Ok(counts.to_string())
}

/// Sums of libtest's `test result:` lines.
#[derive(Default, Debug)]
pub struct TestCounts {
    pub passed: u64,
    pub failed: u64,
    pub ignored: u64,
}

impl TestCounts {
    pub fn add_line(&mut self, line: &str) {
        let Some(rest) = line.trim().strip_prefix("test result: ") else {
            return;
        };
        for part in rest.split(';') {
            let mut w = part.split_whitespace().rev();
            let (Some(what), Some(n)) = (w.next(), w.next()) else {
                continue;
            };
            let Ok(n) = n.parse::<u64>() else {
                continue;
            };
            match what {
                "passed" => self.passed += n,
                "failed" => self.failed += n,
                "ignored" => self.ignored += n,
                _ => {}
            }
        }
    }
}

impl std::fmt::Display for TestCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} passed, {} failed, {} ignored",
            self.passed, self.failed, self.ignored
        )
    }
}

/// `cargo xtask run` in the clone, driven like a person: wait for `login:`, log in as root,
/// `poweroff`, and see the run command end.
fn boot_with_run_command(dir: &Path) -> Result<()> {
    let mut g = Guest::start(
        "fresh-check-run",
        in_root(dir, "cd /root/swiftos && exec cargo xtask run"),
    )?;
    g.expect_within("login: ", Duration::from_secs(30 * 60))?;
    g.send_line("root")?;
    g.expect("Password: ")?;
    g.send_line("root")?;
    g.expect("# ")?;
    g.send_line("poweroff")?;
    let code = g.wait_exit(Duration::from_secs(120))?;
    if code != Some(0) {
        bail!(
            "cargo xtask run ended with {code:?} after poweroff (log {})",
            g.log_path().display()
        );
    }
    Ok(())
}

/// Remove the root, after checking that nothing is mounted inside it (mounts were made in a
/// private namespace, so none should be).
fn remove_root(dir: &Path) -> Result<()> {
    let canon = dir.canonicalize()?;
    let mounts = std::fs::read_to_string("/proc/self/mountinfo")?;
    if let Some(m) = mounts
        .lines()
        .filter_map(|l| l.split_whitespace().nth(4))
        .find(|m| Path::new(m).starts_with(&canon))
    {
        bail!(
            "{m} is still mounted inside {}: not removing it",
            canon.display()
        );
    }
    std::fs::remove_dir_all(&canon).with_context(|| format!("removing {}", canon.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apt_sources_in_both_formats_give_the_mirror_and_release() {
        let deb822 = "Types: deb\n# comment\nURIs: http://mirror.example/debian\n\
                      Suites: bookworm bookworm-updates\nComponents: main\n\
                      Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n\
                      Types: deb\nURIs: http://mirror.example/debian-security\n\
                      Suites: bookworm-security\nComponents: main\n\n\
                      Types: deb\nEnabled: no\nURIs: http://off.example/\nSuites: x\nComponents: main\n";
        let s = parse_deb822_sources(deb822);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].suites, ["bookworm", "bookworm-updates"]);
        assert_eq!(
            debian_mirror(&s).unwrap(),
            ("http://mirror.example/debian".into(), "bookworm".into())
        );
        let one = parse_one_line_sources(
            "# x\ndeb [arch=amd64 signed-by=/k.gpg] http://m.example/debian-security bookworm-security main\n\
             deb-src http://m.example/debian bookworm main\ndeb http://m.example/debian bookworm main contrib\n",
        );
        assert_eq!(one.len(), 2);
        assert_eq!(one[0].signed_by.as_deref(), Some("/k.gpg"));
        assert_eq!(
            debian_mirror(&one).unwrap(),
            ("http://m.example/debian".into(), "bookworm".into())
        );
        assert!(debian_mirror(&[]).is_err());
    }

    #[test]
    fn test_counts_sum_libtest_summaries() {
        let mut c = TestCounts::default();
        for l in [
            "test result: ok. 12 passed; 0 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.01s",
            "running 3 tests",
            "test result: FAILED. 1 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out",
        ] {
            c.add_line(l);
        }
        assert_eq!((c.passed, c.failed, c.ignored), (13, 2, 2));
    }
}
