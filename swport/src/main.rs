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
    /// Source checkout to work in (default: found from the current directory, or $SWPORT_ROOT);
    /// not needed by `swport repo`.
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
    /// Delete superseded cache entries: sysroots other than the current one and, per port,
    /// every build but the most recently used (and build directories of processes that are gone).
    ///
    /// The cache is the per-user directory $XDG_CACHE_HOME/swiftos (default ~/.cache/swiftos);
    /// `cargo xtask clean-cache` empties it. Do not run this while a build is running.
    Gc,
    /// The hosted repository: signing keys, publishing a static web root, verifying a URL.
    #[command(after_help = REPO_EXAMPLES)]
    Repo {
        #[command(subcommand)]
        cmd: RepoCmd,
    },
}

const REPO_EXAMPLES: &str = "Examples:
  swport repo keygen keys/                       # root, targets, snapshot, timestamp key pairs
  swport repo keygen --key-type ecdsa keys/      # ECDSA P-256 online role keys, ed25519 root
  swport repo publish --packages build/packages --keys keys/ --out build/hosted-repo
  repo-server --root build/hosted-repo --bind 127.0.0.1:8080
  swport repo verify-url http://127.0.0.1:8080/ --root-key build/hosted-repo/repo-root.pub
  swport repo rotate-keys --old-keys keys/ --keys new-keys/ --out build/hosted-repo

The published root is plain files (any static web server can host it): TUF metadata with
consistent snapshots, every package with a .sha256 sidecar, hosted-repo.json, repo-root.pub
(the root key clients pin) and an HTML package browser (index.html).";

/// How a published repository names itself in hosted-repo.json (keep it across publications).
#[derive(clap::Args)]
struct RepoLabel {
    /// Repository name recorded in hosted-repo.json.
    #[arg(long, default_value = "swiftos")]
    name: String,
    /// Channel recorded in hosted-repo.json.
    #[arg(long, default_value = "stable")]
    channel: String,
}

#[derive(Subcommand)]
enum RepoCmd {
    /// Create the four role key pairs (root, targets, snapshot, timestamp) and a separate
    /// package signing key pair (package.key, package.pub) in DIR; never overwrites.
    ///
    /// Sign packages with package.key: the root key is meant to stay offline (signing packages
    /// with it is the named opt-in `PackageSigner::RootKey`). With `--key-type ecdsa` the
    /// timestamp, snapshot and targets keys are ECDSA P-256 (PEM PKCS#8 secret keys, as openssl
    /// and securesystemslib write them; `ecdsa-sha2-nistp256` in the TUF metadata); the root and
    /// package keys stay ed25519, because clients pin the root key (`pkg repo set --root-key`)
    /// and packages are ed25519-signed.
    Keygen {
        dir: PathBuf,
        /// Key type of the timestamp, snapshot and targets keys.
        #[arg(long, default_value = "ed25519", value_parser = ["ed25519", "ecdsa"])]
        key_type: String,
    },
    /// Publish (or re-publish) every .swpkg of --packages into a static web root.
    ///
    /// Packages are verified first (signature by the root key or a KEYS/package*.pub key, every
    /// payload byte, arch and ABI); nothing is written if one fails. Re-publishing adds new
    /// packages, bumps targets/snapshot/timestamp versions and writes timestamp.json last, so a
    /// reader never sees metadata that points at missing files.
    Publish {
        /// Directory of .swpkg files.
        #[arg(long)]
        packages: PathBuf,
        /// Directory of role keys (from `swport repo keygen`).
        #[arg(long)]
        keys: PathBuf,
        /// The web root to write.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        label: RepoLabel,
        /// Accept packages signed with the root key (refused otherwise: the root key should
        /// stay offline; sign packages with package.key).
        #[arg(long)]
        allow_root_signed_packages: bool,
    },
    /// Rotate the role keys: root N+1 is signed by the old and the new root keys.
    RotateKeys {
        /// The keys currently trusted.
        #[arg(long)]
        old_keys: PathBuf,
        /// The new keys (from `swport repo keygen`).
        #[arg(long)]
        keys: PathBuf,
        /// The published web root.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        label: RepoLabel,
    },
    /// Fetch everything a client would from URL and verify the whole chain and every package;
    /// reports every problem found and exits 1 if there is any.
    VerifyUrl {
        url: String,
        /// Root public key to pin (default: trust the served repo-root.pub on first use).
        #[arg(long)]
        root_key: Option<PathBuf>,
        /// Seconds allowed per request.
        #[arg(long, default_value_t = 30)]
        timeout: u64,
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
    ///
    /// Builds are cached by the content hash of every input (the port's folder, the sysroot,
    /// the source, SOURCE_DATE_EPOCH, swport's version) under
    /// $XDG_CACHE_HOME/swiftos/ports/NAME/HASH/; an unchanged port is packaged from there.
    Package {
        name: String,
        /// Output directory.
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// Signing key (swpkg secret key); default: the development key in build/keys/.
        #[arg(long)]
        key: Option<PathBuf>,
        /// Parallel jobs.
        #[arg(long, short, default_value_t = 2)]
        jobs: u32,
        /// Build even when a cached build of the same inputs exists (and replace it).
        #[arg(long)]
        rebuild: bool,
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
    /// Delete cached sysroots other than the current one (and abandoned build directories);
    /// `swport gc` also collects port builds.
    Gc,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    // Publishing and verifying a hosted repository need no source checkout.
    if let Cmd::Repo { cmd } = cli.cmd {
        return repo_cmd(cmd);
    }
    let cwd = std::env::current_dir()?;
    let root = match cli.root {
        Some(r) => r,
        None => swport::find_repo_root(&cwd)
            .context("cannot find the repository root (no sysroot/newlib.toml above the current directory); pass --root")?,
    };
    match cli.cmd {
        Cmd::Fetch {
            url,
            sha256,
            debian_package,
            debian_version,
        } => {
            let f = Fetcher::from_system(user_cache()?.join("sources"));
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
        Cmd::Gc => gc(&root)?,
        Cmd::Recipe { cmd } => recipe_cmd(&root, cmd)?,
        Cmd::Repo { .. } => unreachable!("handled before the checkout is located"),
        Cmd::Sysroot { cmd } => {
            let cfg = SysrootConfig {
                source_dir: root.join("sysroot"),
                cache_dir: user_cache()?,
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
                        Some(p) => atomic_write::write(&p, h)
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

/// The per-user cache directory.
fn user_cache() -> Result<PathBuf> {
    Ok(swport::cache::user_cache_dir()?)
}

fn gc(root: &std::path::Path) -> Result<()> {
    let env = PortEnv::new(root)?;
    let mut removed = swport::build_cache::gc(&env.cache).context("port builds")?;
    removed.extend(sysroot::gc(&env.sysroot_config()).context("sysroots")?);
    for p in &removed {
        println!("removed {}", p.display());
    }
    println!(
        "swport gc: {} entries removed from {}",
        removed.len(),
        env.cache.display()
    );
    Ok(())
}

fn catalog_cmd(root: &std::path::Path, cmd: CatalogCmd) -> Result<()> {
    let ports = swport::recipe::Ports::new(root.join("ports"));
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
    let ports = swport::recipe::Ports::new(root.join("ports"));
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
            let env = PortEnv::new(root)?;
            let built = port::cached_build(&env, &name).unwrap_or_else(|e| {
                eprintln!("swport: cannot look for a cached build of {name}: {e}");
                None
            });
            if let Some(b) = built {
                let (m, _) = port::manifest_for(&r, &b.pkgroot)?;
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
                    "note": "not built for the current inputs yet: file sizes and sha256 appear after `swport recipe package`",
                });
                println!("{}", serde_json::to_string_pretty(&planned)?);
            }
        }
        RecipeCmd::Fetch { name } => {
            let r = ports.recipe(&name)?;
            let got = PortEnv::new(root)?.fetcher().fetch(&r.source_spec())?;
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
            rebuild,
        } => {
            let mut env = PortEnv::new(root)?;
            env.jobs = jobs;
            env.rebuild = rebuild;
            let t = Instant::now();
            let (key, key_path) = port::signing_key(&env, key.as_deref())?;
            let out = out.unwrap_or_else(|| root.join("build/packages"));
            let p = port::package(&env, &name, &out, &key)?;
            let how = if p.cached { "cached build" } else { "built" };
            eprintln!("swport: {name}: {how} {}", p.build_hash);
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
            let mut env = PortEnv::new(root)?;
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

fn repo_cmd(cmd: RepoCmd) -> Result<()> {
    use catalog_hosted::{PublishOptions, VerifyOptions};
    let report = |p: &catalog_hosted::Published, out: &std::path::Path| {
        println!("{}", p.summary(out));
    };
    match cmd {
        RepoCmd::Keygen { dir, key_type } => {
            let key_type: catalog_hosted::KeyType = key_type.parse()?;
            for p in catalog_hosted::generate_keys_of(&dir, key_type)
                .with_context(|| format!("creating role keys in {}", dir.display()))?
            {
                println!("wrote {}", p.display());
            }
            if key_type != catalog_hosted::KeyType::Ed25519 {
                println!(
                    "timestamp, snapshot and targets keys are {key_type} (P-256); the root and \
                     package keys are ed25519 (clients pin the root key; packages use ed25519)"
                );
            }
        }
        RepoCmd::Publish {
            packages,
            keys,
            out,
            label,
            allow_root_signed_packages,
        } => {
            let mut o = PublishOptions::new(&packages, &keys, &out);
            o.name = label.name;
            o.channel = label.channel;
            o.root_signed_packages = allow_root_signed_packages;
            if allow_root_signed_packages {
                eprintln!("{}", catalog_hosted::ROOT_KEY_SIGNING_WARNING);
            }
            let p = catalog_hosted::publish(&o).with_context(|| {
                format!("publishing {} into {}", packages.display(), out.display())
            })?;
            report(&p, &out);
        }
        RepoCmd::RotateKeys {
            old_keys,
            keys,
            out,
            label,
        } => {
            // Rotation re-signs what is published; it adds no packages.
            let mut o = PublishOptions::new(&out, &keys, &out);
            o.name = label.name;
            o.channel = label.channel;
            let p = catalog_hosted::rotate_keys(&o, &old_keys)
                .with_context(|| format!("rotating the keys of {}", out.display()))?;
            report(&p, &out);
        }
        RepoCmd::VerifyUrl {
            url,
            root_key,
            timeout,
        } => {
            let r = catalog_hosted::verify_url(
                &url,
                &VerifyOptions {
                    root_key,
                    timeout: std::time::Duration::from_secs(timeout),
                },
            )
            .with_context(|| format!("verifying {url}"))?;
            if let Some([root, ts, snap, targets]) = r.versions {
                println!(
                    "{}: metadata verified (root v{root}, timestamp v{ts}, snapshot v{snap}, targets v{targets})",
                    r.url
                );
            }
            println!(
                "{}: {} targets verified, {}/{} packages pass every check",
                r.url, r.targets_ok, r.packages_ok, r.packages_total
            );
            for p in &r.problems {
                eprintln!("problem: {p}");
            }
            if !r.is_ok() {
                anyhow::bail!("{}: {} problem(s) found", r.url, r.problems.len());
            }
        }
    }
    Ok(())
}
