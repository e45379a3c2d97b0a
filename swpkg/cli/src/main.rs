//! `swpkg`: build, inspect, verify and extract SwiftOS `.swpkg` packages.

mod bench;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use swpkg_host::{build::BuildOptions, Error};

const AFTER_HELP: &str = "\
Examples:
  # 1. Make a signing key pair (once): writes keys/swpkg.key (secret, 0600) and keys/swpkg.pub
  swpkg keygen --out keys

  # 2. Build a package from a staged tree and a TOML manifest (name, version, depends, ...):
  #    the file list is computed from the tree; set SOURCE_DATE_EPOCH for reproducible mtimes
  SOURCE_DATE_EPOCH=1700000000 swpkg build --manifest lua.toml --root stage/ \\
      --key keys/swpkg.key -o lua-5.4.6.swpkg

  # 3. Look inside (signature NOT checked), verify, extract (verified while extracting):
  swpkg inspect lua-5.4.6.swpkg
  swpkg verify lua-5.4.6.swpkg --key keys/swpkg.pub
  swpkg extract lua-5.4.6.swpkg --to /tmp/lua --key keys/swpkg.pub

  # Any POSIX tar lists a package too:
  tar --zstd -tvf lua-5.4.6.swpkg

The format is specified in docs/PACKAGE_FORMAT.md.";

/// Build, inspect, verify and extract SwiftOS `.swpkg` packages.
///
/// A .swpkg is a zstd-compressed POSIX tar: a canonical-JSON manifest (+MANIFEST), its ed25519
/// signature (+SIGNATURE), then the payload files in sorted order.
#[derive(Parser)]
#[command(name = "swpkg", version, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate an ed25519 signing key pair as NAME.key (secret) and NAME.pub (public).
    ///
    /// Key files are one text line each: `swpkg-ed25519-secret-v1 <64 hex>` (the 32-byte seed,
    /// written with mode 0600) and `swpkg-ed25519-public-v1 <64 hex>`. Existing files are never
    /// overwritten.
    #[command(after_help = "Example:\n  swpkg keygen --out keys --name seed-dev")]
    Keygen {
        /// Directory to write the key files into (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Base name of the key files.
        #[arg(long, default_value = "swpkg")]
        name: String,
    },
    /// Build a signed, reproducible package from a staged directory.
    ///
    /// The TOML manifest gives name, version, description, license and optionally [depends]
    /// (name = "semver requirement"), provides and conflicts. arch (aarch64), ABI version and the
    /// file list (path, mode, size, sha256) are filled in. Files with any execute bit become
    /// 0755, others 0644. SOURCE_DATE_EPOCH (default 0) sets every mtime.
    #[command(
        after_help = "Example:\n  SOURCE_DATE_EPOCH=1700000000 swpkg build --manifest lua.toml \\\n      --root stage/ --key keys/swpkg.key -o lua-5.4.6.swpkg\n\nlua.toml:\n  name = \"lua\"\n  version = \"5.4.6\"\n  description = \"Lua interpreter\"\n  license = \"MIT\"\n  [depends]\n  zlib = \"^1.2\""
    )]
    Build {
        /// TOML source manifest.
        #[arg(long, value_name = "FILE")]
        manifest: PathBuf,
        /// Staged tree: its contents become the package payload.
        #[arg(long, value_name = "DIR")]
        root: PathBuf,
        /// Secret key file (from `swpkg keygen`).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// Output package path (written atomically).
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        out: PathBuf,
    },
    /// Show a package's manifest and file list. The signature is NOT checked: use `verify`.
    #[command(
        after_help = "Example:\n  swpkg inspect lua-5.4.6.swpkg\n  swpkg inspect --json lua-5.4.6.swpkg   # the exact manifest bytes"
    )]
    Inspect {
        /// Package file.
        file: PathBuf,
        /// Print the manifest JSON exactly as stored instead of a summary.
        #[arg(long)]
        json: bool,
    },
    /// Check the signature, the manifest rules and every payload byte.
    #[command(
        after_help = "Example:\n  swpkg verify lua-5.4.6.swpkg --key keys/swpkg.pub\n\nExit status 0 when the package is valid, 1 otherwise (the message says what and where)."
    )]
    Verify {
        /// Package file.
        file: PathBuf,
        /// Trusted public key file.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
    /// Verify while extracting into a new directory; on any error nothing is left behind.
    #[command(
        after_help = "Example:\n  swpkg extract lua-5.4.6.swpkg --to /tmp/lua --key keys/swpkg.pub\n\nThe target must not exist (or be an empty directory). Files are written into a staging\ndirectory beside it that is renamed into place only after the whole package verified."
    )]
    Extract {
        /// Package file.
        file: PathBuf,
        /// Target directory.
        #[arg(long, value_name = "DIR")]
        to: PathBuf,
        /// Trusted public key file.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
    /// Measure build / verify / extract throughput on a generated tree (run with --release).
    ///
    /// Prints MB/s (10^6 bytes of payload per second) for swpkg next to `tar --zstd -cf`,
    /// `tar -I 'zstd -9'`, `tar --zstd -xf` and `sha256sum` on the same tree.
    #[command(after_help = "Example:\n  cargo run --release -p swpkg -- bench --size-mb 50")]
    Bench {
        /// Size of the generated tree in MB.
        #[arg(long, default_value_t = 50)]
        size_mb: u64,
        /// Work directory (default: a new directory in the temp dir).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Keep the generated files.
        #[arg(long)]
        keep: bool,
    },
}

fn name(p: &Path) -> String {
    p.display().to_string()
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Keygen { out, name: n } => {
            let (secret, public, vk) =
                swpkg_keys::keygen(&out, &n).with_context(|| "keygen".to_string())?;
            println!("secret key: {} (keep it private)", secret.display());
            println!("public key: {}", public.display());
            print!("{}", swpkg_core::format_public_key(&vk));
        }
        Command::Build {
            manifest,
            root,
            key,
            out,
        } => {
            let ctx = || format!("build: {}", name(&out));
            let sk = swpkg_keys::read_secret_key(&key).with_context(ctx)?;
            let opts = BuildOptions::from_env().with_context(ctx)?;
            let m =
                swpkg_host::build_package(&manifest, &root, &sk, opts, &out).with_context(ctx)?;
            let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
            println!(
                "built {} ({} entries, {} payload bytes, {} bytes compressed)",
                name(&out),
                m.files.len(),
                m.payload_bytes(),
                size
            );
        }
        Command::Inspect { file, json } => {
            let i = swpkg_host::inspect_package(&file)
                .with_context(|| format!("inspect: {}", name(&file)))?;
            if json {
                println!("{}", String::from_utf8_lossy(&i.manifest_bytes));
                return Ok(());
            }
            let m = &i.manifest;
            println!("package:     {} {}", m.name, m.version);
            println!("arch/abi:    {} / SwiftOS ABI {}", m.arch, m.abi);
            println!("license:     {}", m.license);
            println!("description: {}", m.description.trim_end());
            let deps: Vec<String> = m
                .depends
                .iter()
                .map(|d| format!("{} {}", d.name, d.req))
                .collect();
            println!(
                "depends:     {}",
                if deps.is_empty() {
                    "-".into()
                } else {
                    deps.join(", ")
                }
            );
            if !m.provides.is_empty() {
                println!("provides:    {}", m.provides.join(", "));
            }
            if !m.conflicts.is_empty() {
                println!("conflicts:   {}", m.conflicts.join(", "));
            }
            println!(
                "signature:   present, NOT checked (run `swpkg verify {} --key KEY.pub`)",
                name(&file)
            );
            println!(
                "files:       {} entries, {} bytes",
                m.files.len(),
                m.payload_bytes()
            );
            for e in &m.files {
                match e.kind {
                    swpkg_core::EntryKind::Dir => {
                        println!("  d {} {:>10}  {}/", e.mode, "", e.path)
                    }
                    swpkg_core::EntryKind::Symlink => println!(
                        "  l {} {:>10}  {} -> {}",
                        e.mode,
                        "",
                        e.path,
                        e.link.as_deref().unwrap_or_default()
                    ),
                    swpkg_core::EntryKind::File => println!(
                        "  f {} {:>10}  {}  sha256:{}",
                        e.mode,
                        e.size,
                        e.path,
                        e.sha256.map(|h| h.to_hex()).unwrap_or_default()
                    ),
                }
            }
        }
        Command::Verify { file, key } => {
            let ctx = || format!("verify: {}", name(&file));
            let vk = swpkg_keys::read_public_key(&key).with_context(ctx)?;
            let m = swpkg_host::verify_package(&file, &vk).with_context(ctx)?;
            println!(
                "verify: {}: OK: {} {} ({} entries, {} bytes), signed by {}",
                name(&file),
                m.name,
                m.version,
                m.files.len(),
                m.payload_bytes(),
                key.display()
            );
        }
        Command::Extract { file, to, key } => {
            let ctx = || format!("extract: {}", name(&file));
            let vk = swpkg_keys::read_public_key(&key).with_context(ctx)?;
            let m = swpkg_host::extract_package(&file, &vk, &to).with_context(ctx)?;
            println!(
                "extract: {}: {} {} verified and extracted to {} ({} entries)",
                name(&file),
                m.name,
                m.version,
                to.display(),
                m.files.len()
            );
        }
        Command::Bench { size_mb, dir, keep } => {
            let work = dir.unwrap_or_else(bench::default_dir);
            let r = bench::run(&work, size_mb, keep).context("bench")?;
            println!(
                "tree: {} files, {:.1} MB payload; package {:.1} MB (zstd -9); tar --zstd (level 3) {}",
                r.files,
                r.payload_bytes as f64 / 1e6,
                r.package_bytes as f64 / 1e6,
                r.tar_zstd_bytes
                    .map(|b| format!("{:.1} MB", b as f64 / 1e6))
                    .unwrap_or_else(|| "n/a".into())
            );
            for f in &r.figures {
                println!("{:>8.1} MB/s  {:>7.3} s  {}", f.mb_per_s, f.seconds, f.what);
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: "verify: FILE: what went wrong".
            let mut msg = e.to_string();
            for cause in e.chain().skip(1) {
                msg.push_str(": ");
                msg.push_str(&cause.to_string());
            }
            eprintln!("{msg}");
            if let Some(Error::Decompress(_)) = e.downcast_ref::<Error>() {
                eprintln!("hint: check that the file is a complete .swpkg (re-download it)");
            }
            ExitCode::FAILURE
        }
    }
}
