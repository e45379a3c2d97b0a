//! The `swport` command line.
use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::time::Instant;
use swport::fetch::{Fetcher, SourceSpec};
use swport::port::{self, PortEnv};
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
    /// The port catalog (`ports/catalog.json`).
    Catalog {
        #[command(subcommand)]
        cmd: CatalogCmd,
    },
    /// One port recipe (`ports/<name>/recipe.toml`).
    Recipe {
        #[command(subcommand)]
        cmd: RecipeCmd,
    },
}

#[derive(Subcommand)]
enum CatalogCmd {
    /// Check the catalog against every recipe (versions, summaries, dependencies, cycles).
    Validate,
    /// List the ports.
    List,
    /// Show one port: catalog entry and recipe.
    Inspect { name: String },
}

#[derive(Subcommand)]
enum RecipeCmd {
    /// Parse and check a recipe.
    Validate { name: String },
    /// Print the package manifest the recipe produces (with file hashes once built).
    Manifest { name: String },
    /// Fetch and verify the recipe's source into the cache.
    Fetch { name: String },
    /// Fetch, unpack, patch, build, stage and package into NAME-VERSION.swpkg.
    Package {
        name: String,
        /// Output directory.
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// Signing key (swpkg secret key); default: the development key in .cache/keys/.
        #[arg(long)]
        key: Option<PathBuf>,
        /// Parallel jobs.
        #[arg(long, short, default_value_t = 2)]
        jobs: u32,
    },
    /// Package ports and publish them as a signed local repository (TUF metadata + packages).
    RepoFixture {
        #[arg(required = true)]
        names: Vec<String>,
        /// Repository directory (replaced); default build/repo-fixture.
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// Parallel jobs.
        #[arg(long, short, default_value_t = 2)]
        jobs: u32,
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
    /// Delete cached sysroots other than the current one (and abandoned build directories).
    Gc,
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
        Cmd::Catalog { cmd } => catalog_cmd(&root, cmd)?,
        Cmd::Recipe { cmd } => recipe_cmd(&root, cmd)?,
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
                SysrootCmd::Gc => {
                    for p in sysroot::gc(&cfg)? {
                        println!("removed {}", p.display());
                    }
                }
            }
        }
    }
    Ok(())
}

fn catalog_cmd(root: &std::path::Path, cmd: CatalogCmd) -> Result<()> {
    let env = PortEnv::new(root);
    let ports = env.ports();
    match cmd {
        CatalogCmd::Validate => {
            let c = ports.validate_catalog()?;
            println!(
                "{}: {} ports, all valid",
                ports.catalog_path().display(),
                c.ports.len()
            );
        }
        CatalogCmd::List => {
            let c = ports.catalog()?;
            for p in &c.ports {
                println!("{:<16} {:<10} {}", p.name, p.version, p.summary);
            }
        }
        CatalogCmd::Inspect { name } => {
            let c = ports.catalog()?;
            let entry = c.ports.iter().find(|p| p.name == name).with_context(|| {
                format!("no port `{name}` in {}", ports.catalog_path().display())
            })?;
            let r = ports.recipe(&name)?;
            println!("name:     {}", r.name);
            println!("version:  {}", r.version);
            println!("license:  {}", r.license);
            println!("summary:  {}", r.summary);
            if let Some(h) = &r.homepage {
                println!("homepage: {h}");
            }
            println!("recipe:   {}", ports.dir.join(&entry.recipe).display());
            println!("source:   {}", r.source.url);
            println!("sha256:   {}", r.source.sha256);
            if let Some(d) = &r.source.debian_package {
                println!(
                    "debian:   {d} {}",
                    r.source.debian_version.as_deref().unwrap_or("")
                );
            }
            println!("build:    {:?}", r.build.template);
            println!("files:    {}", r.package.files.join(" "));
            for (d, req) in &r.package.depends {
                println!("depends:  {d} {req}");
            }
            if let Some(s) = &r.smoke {
                println!("smoke:    {} (expect {:?})", s.command, s.expect);
            }
            println!("package:  {}", r.package_file_name());
        }
    }
    Ok(())
}

fn recipe_cmd(root: &std::path::Path, cmd: RecipeCmd) -> Result<()> {
    let mut env = PortEnv::new(root);
    let ports = env.ports();
    match cmd {
        RecipeCmd::Validate { name } => {
            let r = ports.recipe(&name)?;
            println!(
                "{}: valid ({} {})",
                ports.recipe_path(&name).display(),
                r.name,
                r.version
            );
        }
        RecipeCmd::Manifest { name } => {
            let r = ports.recipe(&name)?;
            let pkgroot = env.work_dir(&name).join("pkgroot");
            if pkgroot.is_dir() {
                let (m, _) = port::manifest_for(&r, &pkgroot)?;
                println!("{}", String::from_utf8_lossy(&m.to_canonical_bytes()));
            } else {
                let sm = port::source_manifest(&r);
                let planned = serde_json::json!({
                    "name": sm.name,
                    "version": sm.version,
                    "description": sm.description,
                    "license": sm.license,
                    "arch": swpkg_core::ARCH,
                    "abi": swpkg_core::ABI_VERSION,
                    "depends": sm.depends,
                    "files": r.package.files,
                    "note": "not built yet: file sizes and sha256 appear after `swport recipe package`",
                });
                println!("{}", serde_json::to_string_pretty(&planned)?);
            }
        }
        RecipeCmd::Fetch { name } => {
            let r = ports.recipe(&name)?;
            let got = env.fetcher().fetch(&r.source_spec())?;
            eprintln!(
                "swport: {} verified (sha256 {}), from {:?}",
                name, r.source.sha256, got.origin
            );
            println!("{}", got.path.display());
        }
        RecipeCmd::Package {
            name,
            out,
            key,
            jobs,
        } => {
            env.jobs = jobs;
            let t = Instant::now();
            let (key, key_path) = port::signing_key(&env, key.as_deref())?;
            let out = out.unwrap_or_else(|| root.join("build/packages"));
            let p = port::package(&env, &name, &out, &key)?;
            eprintln!(
                "swport: packaged {} ({} files) in {:.1}s, signed with {}; log {}",
                name,
                p.manifest.files.len(),
                t.elapsed().as_secs_f64(),
                key_path.display(),
                p.log.display()
            );
            println!("{}  {}", p.sha256, p.path.display());
        }
        RecipeCmd::RepoFixture { names, out, jobs } => {
            env.jobs = jobs;
            let out = out.unwrap_or_else(|| root.join("build/repo-fixture"));
            let f = swport::fixture::repo_fixture(&env, &names, &out)?;
            for (target, sha) in &f.packages {
                println!("{sha}  {target}");
            }
            println!("repository: {}", f.dir.display());
            println!("trusted root: {}", f.root_json.display());
        }
    }
    Ok(())
}
