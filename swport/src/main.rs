//! The `swport` command line.
use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::time::Instant;
use swport::fetch::{Fetcher, SourceSpec};
use swport::sysroot::{self, SysrootConfig};

#[derive(Parser)]
#[command(
    name = "swport",
    about = "SwiftOS ports: verified sources, the newlib sysroot, recipes"
)]
struct Cli {
    /// Repository root (default: found from the current directory, or $SWPORT_ROOT).
    #[arg(long, global = true)]
    root: Option<PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Fetch one verified source file into the cache and print its path.
    Fetch {
        url: String,
        sha256: String,
        #[arg(long)]
        debian_package: Option<String>,
        #[arg(long)]
        debian_version: Option<String>,
    },
    /// The newlib sysroot.
    Sysroot {
        #[command(subcommand)]
        cmd: SysrootCmd,
    },
}

#[derive(Subcommand)]
enum SysrootCmd {
    /// Build the sysroot (a no-op when its inputs are unchanged) and print its path.
    Build {
        /// Parallel make jobs.
        #[arg(long, short, default_value_t = 2)]
        jobs: usize,
    },
    /// Print the generated <swiftos/abi.h> (or write it to --out).
    GenHeader {
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Print the content hash of the sysroot inputs.
    Hash,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let cwd = std::env::current_dir()?;
    let root = match cli.root {
        Some(r) => r,
        None => swport::find_repo_root(&cwd)
            .context("cannot find the repository root (no sysroot/newlib.toml above the current directory); pass --root")?,
    };
    let cache = root.join(".cache");
    match cli.cmd {
        Cmd::Fetch {
            url,
            sha256,
            debian_package,
            debian_version,
        } => {
            let f = Fetcher::from_system(cache.join("sources"));
            let got = f
                .fetch(&SourceSpec {
                    url,
                    sha256,
                    debian_package,
                    debian_version,
                })
                .context("fetch failed")?;
            eprintln!("swport: verified, from {:?}", got.origin);
            println!("{}", got.path.display());
        }
        Cmd::Sysroot { cmd } => {
            let cfg = SysrootConfig {
                source_dir: root.join("sysroot"),
                cache_dir: cache,
                jobs: 2,
            };
            match cmd {
                SysrootCmd::Build { jobs } => {
                    let cfg = SysrootConfig { jobs, ..cfg };
                    let t = Instant::now();
                    let s = sysroot::build(&cfg, &mut |m| eprintln!("swport sysroot: {m}"))
                        .context("sysroot build failed")?;
                    eprintln!(
                        "swport sysroot: {} in {:.2}s",
                        if s.cached { "up to date" } else { "built" },
                        t.elapsed().as_secs_f64()
                    );
                    println!("{}", s.path.display());
                }
                SysrootCmd::GenHeader { out } => {
                    let h = swport::header::generate();
                    match out {
                        Some(p) => std::fs::write(&p, h)
                            .with_context(|| format!("writing {}", p.display()))?,
                        None => print!("{h}"),
                    }
                }
                SysrootCmd::Hash => println!("{}", sysroot::input_hash(&cfg)?),
            }
        }
    }
    Ok(())
}
