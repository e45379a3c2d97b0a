//! `cargo xtask`: the SwiftOS build orchestration behind the README's two commands.
//!
//! * `cargo xtask run`  — install what is missing, build kernel, programs and base image, and
//!   boot SwiftOS in QEMU on this terminal.
//! * `cargo xtask test` — install what is missing, run the host tests, build, and run the QEMU
//!   tests that drive the serial console.

mod artifacts;
mod cache;
mod fresh;
mod run;
mod seed;
mod setup;
mod store;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::process::Command;
use std::time::{Duration, Instant};
use swiftos_harness::{Guest, QemuConfig};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Build, boot and test SwiftOS",
    long_about = "Build, boot and test SwiftOS.\n\n\
        Every command first installs what is missing on a Debian 12 machine (Debian packages such \
        as qemu-system-arm, and the Rust target aarch64-unknown-none); second runs reuse cached builds.",
    after_help = "Examples:\n  cargo xtask run          # boot SwiftOS, log in as user/user\n  \
        cargo xtask test         # the full test suite (what CI runs)\n  \
        cargo xtask seed         # package + publish the seed repository into build/seed/repo\n  \
        cargo xtask store-image --package lua   # a package-store disk with Lua installed\n  \
        cargo xtask image-list build/base.img"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Install missing Debian packages and Rust targets (idempotent).
    Setup,
    /// Build the kernel, the userland programs and build/base.img.
    Build,
    /// Build everything, publish and serve the seed repository, and boot SwiftOS on this
    /// terminal (Ctrl-A X leaves QEMU).
    Run {
        /// Loopback port for the seed repository (the guest sees it as 10.0.2.2:PORT).
        #[arg(long, default_value_t = 8080)]
        repo_port: u16,
        /// Loopback port forwarded to the guest's port 8080 (where `httpd` listens).
        #[arg(long, default_value_t = 8088)]
        httpd_port: u16,
        /// Package-store disk to attach (created, preseeded with the seed packages, when missing;
        /// kept between runs: it is the guest's persistent /pkg).
        #[arg(long, value_name = "IMG")]
        store: Option<std::path::PathBuf>,
        /// Start from a fresh store: recreate the store image first.
        #[arg(long)]
        fresh_store: bool,
    },
    /// Build a package-store disk image (mounted at /pkg in the guest) with packages from the
    /// seed repository installed by the host package client.
    #[command(after_help = "Examples:\n  cargo xtask store-image --package lua\n  \
                      cargo xtask store-image --blank -o /tmp/empty-store.img --size 64M")]
    StoreImage {
        /// Package to preinstall (repeatable; default: every seed package).
        #[arg(long = "package", value_name = "NAME")]
        packages: Vec<String>,
        /// Make an empty formatted store instead.
        #[arg(long, conflicts_with = "packages")]
        blank: bool,
        /// Image size (K, M or G suffix).
        #[arg(long, default_value = store::DEFAULT_SIZE)]
        size: String,
        /// Seed repository port the guest will use (http://repo.swiftos.test:PORT/).
        #[arg(long, default_value_t = 8080)]
        repo_port: u16,
        /// Output file [default: build/store.img, the disk `cargo xtask run` attaches].
        #[arg(short, long, value_name = "IMG")]
        out: Option<std::path::PathBuf>,
    },
    /// Package the seed ports (seed/seed.toml) and publish them into build/seed/repo.
    Seed,
    /// Run the whole test suite: host unit tests, then the QEMU tests.
    Test {
        /// Only run QEMU tests whose name contains this filter.
        #[arg(long)]
        qemu_filter: Option<String>,
        /// Skip the host unit tests.
        #[arg(long)]
        skip_host: bool,
    },
    /// Benchmarks (boot time against a minimal image, then the network benchmark); figures go
    /// to docs/PERFORMANCE.md by hand.
    Bench {
        /// How many boots to take the median of.
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// List the contents of a base image (like `ls -lR`).
    ImageList { image: std::path::PathBuf },
    /// Empty the per-user build cache ($XDG_CACHE_HOME/swiftos, default ~/.cache/swiftos):
    /// verified source tarballs, newlib sysroots, port builds (and set-up's private QEMU, when it
    /// unpacked one). They are keyed by content hash and shared by every clone, so the next build
    /// remakes them (cold, like a new machine).
    /// Keeps the clone's development keys (build/keys/: the base image pins the seed root key)
    /// and everything else under build/ (images, the package store, published repositories).
    CleanCache,
    /// Prove the README's two commands on a new Debian 12 machine: build a throwaway Debian 12
    /// root with debootstrap (mirror from this machine's apt configuration), clone the current
    /// commit into it, give it this machine's rustup toolchain without the AArch64 target, and
    /// run `cargo xtask test` and `cargo xtask run` (to `login:`) inside it.
    #[command(
        after_help = "Needs root (debootstrap, chroot, mount namespaces) and network \
        access to the Debian mirror, crates.io and the Rust toolchain server. The root is made \
        under /var/tmp and removed afterwards (--keep keeps it for a look inside)."
    )]
    FreshCheck {
        /// Keep the root afterwards (its path is printed).
        #[arg(long)]
        keep: bool,
        /// Where to make the root [default: a new directory under /var/tmp].
        #[arg(long, value_name = "DIR")]
        root: Option<std::path::PathBuf>,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Setup => setup(),
        Cmd::Build => {
            setup()?;
            artifacts::all().map(|_| ())
        }
        Cmd::Run {
            repo_port,
            httpd_port,
            store,
            fresh_store,
        } => {
            setup()?;
            let store = store.unwrap_or_else(store::default_image);
            run::run(&run::RunOptions {
                repo_port,
                httpd_port,
                store,
                fresh_store,
            })
        }
        Cmd::StoreImage {
            packages,
            blank,
            size,
            repo_port,
            out,
        } => {
            setup()?;
            let out = out.unwrap_or_else(store::default_image);
            if blank {
                store::create_blank(&out, &size)
            } else {
                let packages = if packages.is_empty() {
                    seed::ports()?
                } else {
                    packages
                };
                store::preseed(&out, &packages, &size, repo_port)
            }
        }
        Cmd::Seed => {
            setup()?;
            seed::publish().map(|_| ())
        }
        Cmd::Test {
            qemu_filter,
            skip_host,
        } => {
            setup()?;
            test(qemu_filter, skip_host)
        }
        Cmd::Bench { runs } => {
            setup()?;
            artifacts::all()?;
            bench(runs)
        }
        Cmd::FreshCheck { keep, root } => fresh::check(&fresh::Options { keep, root }),
        Cmd::CleanCache => cache::clean(),
        Cmd::ImageList { image } => {
            let entries = swiftos_image::list(&image)
                .map_err(|e| anyhow::anyhow!("cannot list {}: {e}", image.display()))?;
            print!("{}", swiftos_image::format_listing(&entries));
            Ok(())
        }
    }
}

/// Install what is missing, and tell every later step (and the tests it starts) which QEMU
/// to run.
fn setup() -> Result<()> {
    let tools = setup::ensure()?;
    // Set while the process is still single-threaded; children inherit it.
    std::env::set_var(swiftos_harness::QEMU_ENV, &tools.qemu);
    std::env::set_var(swiftos_harness::TUF_PYTHON_ENV, &tools.tuf_python);
    Ok(())
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn test(qemu_filter: Option<String>, skip_host: bool) -> Result<()> {
    let root = swiftos_harness::repo_root();
    if !skip_host {
        println!("== host unit tests (cargo test) ==");
        artifacts::check(cargo().current_dir(&root).arg("test"), "host unit tests")?;
    }
    artifacts::all()?;
    println!("== QEMU tests (tests/) ==");
    let mut c = cargo();
    c.current_dir(&root)
        .args(["test", "-p", "swiftos-tests", "--tests", "--"])
        .arg("--test-threads=2");
    if let Some(f) = &qemu_filter {
        c.arg(f);
    }
    artifacts::check(&mut c, "QEMU tests")?;
    if qemu_filter.is_none() {
        // The port tests need the built image and the cross toolchain, and build newlib and Lua
        // from verified Debian sources, so plain `cargo test` skips them (`#[ignore]`); the
        // full suite runs them here.
        println!("== port tests: sysroot, Lua package, C programs in QEMU (swport) ==");
        let mut c = cargo();
        c.current_dir(&root)
            .args(["test", "-p", "swport", "--tests", "--", "--ignored"])
            .arg("--test-threads=1");
        artifacts::check(&mut c, "port tests")?;
        println!("== seed repository: package, publish, serve, verify over HTTP ==");
        seed::publish_serve_verify()?;
        // The package tests install the seed's Lua package, so they run after the port phase.
        println!("== package tests: pkg in QEMU against signed repositories (tests/tests/pkg_test.rs) ==");
        ignored_qemu_tests("pkg_test", &["--skip=benchmark", "--test-threads=2"])?;
        // `cargo xtask run` itself (it publishes the seed, so after the port phase too).
        println!("== the run command: store lock, busy ports, nothing left when killed ==");
        ignored_qemu_tests("run_command_test", &["--test-threads=1"])?;
    }
    Ok(())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Boot-to-`login:` time against the time QEMU needs to start and power off a minimal image.
fn bench(runs: usize) -> Result<()> {
    let runs = runs.max(1);
    let minimal = artifacts::minimal_kernel()?;
    // The same boot with a package store holding the seed packages (mounting the store and
    // `pkg activate --boot` checking every active file are on the path to `login:`). A copy, so
    // the user's build/store.img is never touched.
    let store = swiftos_harness::target_dir().join("bench-store.img");
    store::preseed(&store, &seed::ports()?, "64M", 8080)?;
    let with_store = QemuConfig {
        store_image: Some(store.clone()),
        ..QemuConfig::default()
    };
    let mut boot = Vec::new();
    let mut boot_store = Vec::new();
    let mut baseline = Vec::new();
    for i in 0..runs {
        let t = Instant::now();
        let mut g = Guest::boot(&format!("bench-boot-{i}"), &QemuConfig::default())?;
        g.expect("login: ")?;
        boot.push(t.elapsed());
        drop(g);

        let t = Instant::now();
        let mut g = Guest::boot(&format!("bench-boot-store-{i}"), &with_store)?;
        g.expect("login: ")?;
        boot_store.push(t.elapsed());
        drop(g);

        let cfg = QemuConfig {
            kernel: minimal.clone(),
            base_image: None,
            ..QemuConfig::default()
        };
        let t = Instant::now();
        let mut g = Guest::boot(&format!("bench-minimal-{i}"), &cfg)?;
        g.wait_exit(Duration::from_secs(60))?;
        baseline.push(t.elapsed());
    }
    let (b, bs, m) = (median(boot), median(boot_store), median(baseline));
    println!(
        "boot to login prompt: median {:.1} ms over {runs} runs\n\
         QEMU start + power-off of a minimal image: median {:.1} ms\n\
         ratio: {:.2}\n\
         boot to login prompt with the seed packages in the store: median {:.1} ms",
        b.as_secs_f64() * 1e3,
        m.as_secs_f64() * 1e3,
        b.as_secs_f64() / m.as_secs_f64(),
        bs.as_secs_f64() * 1e3
    );
    println!("== network: TCP both ways, httpd requests/s, idle host CPU ==");
    ignored_qemu_tests("net_test", &["--nocapture", "net_benchmark"])?;
    println!("== package store: write and read throughput against /tmp ==");
    ignored_qemu_tests("store_test", &["--nocapture", "store_benchmark"])?;
    println!("== package install against a raw download of the same bytes ==");
    seed::publish()?;
    ignored_qemu_tests("pkg_test", &["--nocapture", "benchmark"])?;
    println!("== signature verification per scheme in the guest (python-tuf repositories) ==");
    ignored_qemu_tests(
        "pkg_guest_test",
        &["--nocapture", "signature_verification_benchmark"],
    )
}

/// Run the `#[ignore]`d tests of one `tests/tests/NAME.rs` file (benchmarks, and tests that need
/// the port phase's packages), with extra libtest arguments (filters, `--nocapture`).
fn ignored_qemu_tests(test: &str, args: &[&str]) -> Result<()> {
    let mut c = cargo();
    c.current_dir(swiftos_harness::repo_root())
        .args([
            "test",
            "-p",
            "swiftos-tests",
            "--test",
            test,
            "--",
            "--ignored",
        ])
        .args(args);
    artifacts::check(&mut c, &format!("tests/tests/{test}.rs (ignored tests)"))
}
