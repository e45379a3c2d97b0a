//! `swiftos-image`: build, list and verify SwiftOS packed base images.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::time::Instant;
use swiftos_image::{AddSpec, BuildOptions, DirSpec};

/// Build, list and verify SwiftOS packed base images (the read-only filesystem mounted at `/`).
///
/// The format is specified in docs/IMAGE_FORMAT.md. Builds are reproducible: entries are sorted,
/// owners are root:root and every mtime is $SOURCE_DATE_EPOCH (or 0).
#[derive(Parser)]
#[command(
    name = "swiftos-image",
    version,
    after_help = "Examples:\n  \
        swiftos-image build --base os/base --bin build/bin -o build/base.img\n  \
        swiftos-image build --base os/base --bin build/bin --add README.md:/etc/README:0644 -o build/base.img\n  \
        swiftos-image list build/base.img\n  \
        swiftos-image verify build/base.img\n  \
        swiftos-image store create --size 64M build/store.img\n  \
        swiftos-image store build --from build/store-root/pkg --size 256M build/store.img\n  \
        swiftos-image store check build/store.img"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Build an image from a base tree, program directories and extra files.
    ///
    /// Contents, in order: /tmp (01777) and /dev (0755) as mount points; the files of --base at
    /// their paths (dirs 0755, files 0644, or 0755 if executable on the host; .gitkeep skipped);
    /// every executable file of each --bin directory as /bin/NAME (0755; ELF files must be
    /// AArch64); --mkdir directories; --add files or trees. Finally the overrides in
    /// <base>/.image-attrs ("PATH MODE [UID GID]" per line, e.g. "/etc/shadow 0600 0 0") apply.
    /// Adding the same path twice is an error.
    #[command(
        after_help = "Example:\n  swiftos-image build --base os/base --bin build/bin -o build/base.img"
    )]
    Build {
        /// Base tree copied to / (e.g. os/base).
        #[arg(long, value_name = "DIR")]
        base: Option<PathBuf>,
        /// Directory whose executables are installed as /bin/NAME (repeatable).
        #[arg(long = "bin", value_name = "DIR")]
        bins: Vec<PathBuf>,
        /// File name in a --bin directory to leave out (repeatable), e.g. swiftos-kernel.
        #[arg(long, value_name = "NAME")]
        exclude: Vec<String>,
        /// Extra file or directory tree: SRC:DEST or SRC:DEST:MODE (octal), repeatable.
        #[arg(long = "add", value_name = "SRC:DEST[:MODE]")]
        adds: Vec<String>,
        /// Extra directory: PATH or PATH:MODE (octal), repeatable.
        #[arg(long = "mkdir", value_name = "PATH[:MODE]")]
        mkdirs: Vec<String>,
        /// Strip --bin ELF files to what the loader needs (drops debug info and section headers;
        /// typically 90% smaller images and faster program start).
        #[arg(long)]
        strip: bool,
        /// Modification time for every entry (default: $SOURCE_DATE_EPOCH, else 0).
        #[arg(long, value_name = "SECONDS")]
        mtime: Option<i64>,
        /// Output image file (written atomically).
        #[arg(short, long, value_name = "IMAGE")]
        output: PathBuf,
    },
    /// List every entry: mode, uid, gid, size (directories: entry count), path.
    #[command(after_help = "Example:\n  swiftos-image list build/base.img")]
    List {
        /// Image file.
        image: PathBuf,
    },
    /// Check the header, metadata, directory tree and every file's SHA-256; exit 1 if corrupt.
    #[command(after_help = "Example:\n  swiftos-image verify build/base.img")]
    Verify {
        /// Image file.
        image: PathBuf,
    },
    /// Package-store disk images (the writable disk mounted at /pkg; docs/STORE_FORMAT.md).
    #[command(subcommand)]
    Store(StoreCmd),
}

#[derive(Subcommand)]
enum StoreCmd {
    /// A blank, formatted store (a sparse file of --size bytes).
    #[command(after_help = "Example:\n  swiftos-image store create --size 64M build/store.img")]
    Create {
        /// Disk size: 64M, 1G, or bytes (a multiple of 4096, at least 64K).
        #[arg(long, default_value = "64M")]
        size: String,
        /// Output image (written atomically).
        out: PathBuf,
    },
    /// A store whose root holds DIR's tree (directories and regular files, with their
    /// permission bits and mtimes; owner root). DIR is the `pkg` directory of a host
    /// `pkg --root` tree, so DIR/store/... appears as /pkg/store/... in the guest.
    #[command(
        after_help = "Example:\n  swiftos-image store build --from build/store-root/pkg --size 256M build/store.img"
    )]
    Build {
        /// Directory copied to the store's root.
        #[arg(long, value_name = "DIR")]
        from: PathBuf,
        /// Disk size: 64M, 1G, or bytes.
        #[arg(long, default_value = "64M")]
        size: String,
        /// Output image (written atomically).
        out: PathBuf,
    },
    /// Every entry: type+mode, uid, gid, size (directories: entry count), mtime, path.
    #[command(after_help = "Example:\n  swiftos-image store list build/store.img")]
    List {
        /// Store image.
        image: PathBuf,
    },
    /// Verify both superblocks, the metadata blob and every data block's crc32; exit 1 with
    /// what is damaged.
    #[command(after_help = "Example:\n  swiftos-image store check build/store.img")]
    Check {
        /// Store image.
        image: PathBuf,
    },
}

fn print_store(path: &std::path::Path, s: &swiftos_image::store::StoreSummary) {
    println!(
        "{}: package store, {} MiB, seq {}, {} files, {} directories, {} KiB used",
        path.display(),
        s.size >> 20,
        s.seq,
        s.files,
        s.dirs,
        s.used_bytes >> 10
    );
}

fn main() -> Result<()> {
    match Cli::parse().cmd {
        Cmd::Build {
            base,
            bins,
            exclude,
            adds,
            mkdirs,
            strip,
            mtime,
            output,
        } => {
            let opts = BuildOptions {
                base,
                bins,
                exclude,
                adds: adds
                    .iter()
                    .map(|a| a.parse::<AddSpec>())
                    .collect::<Result<_, _>>()?,
                mkdirs: mkdirs
                    .iter()
                    .map(|d| d.parse::<DirSpec>())
                    .collect::<Result<_, _>>()?,
                mtime,
                strip,
            };
            let t = Instant::now();
            let s = swiftos_image::build_to_file(&opts, &output)
                .with_context(|| format!("building {}", output.display()))?;
            println!(
                "{}: {} entries ({} files, {} directories), {} bytes of data, image {} bytes, \
                 sha256 {}, built in {:.1} ms",
                output.display(),
                s.entries,
                s.files,
                s.dirs,
                s.data_bytes,
                s.image_bytes,
                s.sha256,
                t.elapsed().as_secs_f64() * 1e3
            );
        }
        Cmd::List { image } => {
            let entries = swiftos_image::list(&image).context("cannot list the image")?;
            print!("{}", swiftos_image::format_listing(&entries));
        }
        Cmd::Store(StoreCmd::Create { size, out }) => {
            let size = swiftos_image::store::parse_size(&size)?;
            let s = swiftos_image::store::create(&out, size)
                .with_context(|| format!("creating {}", out.display()))?;
            print_store(&out, &s);
        }
        Cmd::Store(StoreCmd::Build { from, size, out }) => {
            let size = swiftos_image::store::parse_size(&size)?;
            let s = swiftos_image::store::build(&from, &out, size)
                .with_context(|| format!("building {} from {}", out.display(), from.display()))?;
            print_store(&out, &s);
        }
        Cmd::Store(StoreCmd::List { image }) => {
            let text = swiftos_image::store::list(&image)
                .with_context(|| format!("cannot list {}", image.display()))?;
            print!("{text}");
        }
        Cmd::Store(StoreCmd::Check { image }) => match swiftos_image::store::check(&image) {
            Ok(s) => {
                print!("OK ");
                print_store(&image, &s);
            }
            Err(e) => {
                eprintln!("swiftos-image: {}: {e}", image.display());
                std::process::exit(1);
            }
        },
        Cmd::Verify { image } => {
            let s = swiftos_image::verify(&image).context("verification failed")?;
            println!(
                "{}: OK ({} entries, {} files checked, {} bytes)",
                image.display(),
                s.entries,
                s.files_checked,
                s.image_bytes
            );
        }
    }
    Ok(())
}
