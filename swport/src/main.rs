//! The `swport` command line.
use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use swport::fetch::{Fetcher, SourceSpec};

#[derive(Parser)]
#[command(
    name = "swport",
    about = "SwiftOS ports: verified sources, the newlib sysroot, recipes"
)]
struct Cli {
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
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let root = std::env::current_dir()?;
    match cli.cmd {
        Cmd::Fetch {
            url,
            sha256,
            debian_package,
            debian_version,
        } => {
            let f = Fetcher::from_system(root.join(".cache/sources"));
            let got = f
                .fetch(&SourceSpec {
                    url,
                    sha256,
                    debian_package,
                    debian_version,
                })
                .context("fetch failed")?;
            eprintln!("from {:?}", got.origin);
            println!("{}", PathBuf::from(got.path).display());
        }
    }
    Ok(())
}
