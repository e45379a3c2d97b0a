//! Host-side building, listing and verification of SwiftOS packed base images.
//!
//! The `swiftos-image` binary is a thin CLI over this library; the build orchestration
//! (`cargo xtask`) may call [`build_to_file`] directly.
//!
//! What goes into an image ([`BuildOptions`]):
//! * the files of a base tree (`os/base/`) at their paths: directories `0755`, files `0644`,
//!   or `0755` when the host file is executable; everything owned by `root:root`;
//! * every executable regular file of each `--bin` directory as `/bin/NAME`, mode `0755`
//!   (an ELF must be AArch64, so a host binary cannot slip in by mistake);
//! * extra files or trees (`--add SRC:DEST[:MODE]`) and directories (`--mkdir PATH[:MODE]`);
//! * the mount points `/tmp` (`01777`) and `/dev` (`0755`), so they show up in listings;
//! * finally the attribute overrides of the base tree's `.image-attrs` file (not copied into
//!   the image), one `PATH MODE [UID GID]` per line (`#` comments), e.g.
//!   `/etc/shadow 0600 0 0`. `.gitkeep` files are skipped.
//!
//! The result is deterministic: entries are sorted and every mtime is `SOURCE_DATE_EPOCH` (or 0).

pub mod store;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use swiftos_abi::fcntl::{S_IFDIR, S_IFMT};
use swiftos_packfs::writer::digest_of;
use swiftos_packfs::{Attrs, Image, ImageBuilder, MemDisk, WriteError};

/// Name of the optional attribute-override file at the top of a base tree.
pub const ATTRS_FILE: &str = ".image-attrs";

/// Errors of the image tool library.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// Assembling the image failed.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// A host file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A `--bin` directory holds an ELF for another machine.
    #[error("{path}: not an AArch64 ELF executable (e_machine {machine}); refusing to install it in /bin")]
    WrongArch { path: PathBuf, machine: u16 },
    /// A malformed `SRC:DEST[:MODE]` or `PATH[:MODE]` argument, or `.image-attrs` line.
    #[error("{what}: {reason}")]
    BadSpec { what: String, reason: String },
    /// The image is corrupt.
    #[error("{path}: {source}")]
    Corrupt {
        path: PathBuf,
        #[source]
        source: swiftos_packfs::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ImageError + '_ {
    move |source| ImageError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// An extra file or tree: host `src` at image path `dest`, optionally with a fixed mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddSpec {
    pub src: PathBuf,
    pub dest: String,
    pub mode: Option<u32>,
}

impl std::str::FromStr for AddSpec {
    type Err = ImageError;
    /// `SRC:DEST` or `SRC:DEST:MODE` (octal mode).
    fn from_str(s: &str) -> Result<Self, ImageError> {
        let bad = |reason: &str| ImageError::BadSpec {
            what: format!("--add {s:?}"),
            reason: reason.into(),
        };
        let mut parts = s.splitn(3, ':');
        let src = parts
            .next()
            .filter(|p| !p.is_empty())
            .ok_or_else(|| bad("missing SRC"))?;
        let dest = parts.next().filter(|p| p.starts_with('/')).ok_or_else(|| {
            bad("expected SRC:DEST with an absolute DEST, e.g. notes.txt:/etc/notes")
        })?;
        let mode = parts
            .next()
            .map(|m| parse_mode(m).ok_or_else(|| bad("MODE must be octal, e.g. 0644")))
            .transpose()?;
        Ok(AddSpec {
            src: PathBuf::from(src),
            dest: dest.to_string(),
            mode,
        })
    }
}

/// A directory to create: `PATH` or `PATH:MODE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirSpec {
    pub path: String,
    pub mode: u32,
}

impl std::str::FromStr for DirSpec {
    type Err = ImageError;
    fn from_str(s: &str) -> Result<Self, ImageError> {
        let bad = |reason: &str| ImageError::BadSpec {
            what: format!("--mkdir {s:?}"),
            reason: reason.into(),
        };
        let (path, mode) = match s.split_once(':') {
            Some((p, m)) => (p, parse_mode(m).ok_or_else(|| bad("MODE must be octal"))?),
            None => (s, 0o755),
        };
        if !path.starts_with('/') {
            return Err(bad("PATH must be absolute"));
        }
        Ok(DirSpec {
            path: path.to_string(),
            mode,
        })
    }
}

fn parse_mode(s: &str) -> Option<u32> {
    let m = u32::from_str_radix(s.trim_start_matches("0o"), 8).ok()?;
    (m <= 0o7777).then_some(m)
}

/// What to put into an image.
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// Base tree copied to `/` (e.g. `os/base`).
    pub base: Option<PathBuf>,
    /// Directories whose executables are installed as `/bin/NAME`.
    pub bins: Vec<PathBuf>,
    /// File names in the `bins` directories to leave out.
    pub exclude: Vec<String>,
    /// Extra files or trees.
    pub adds: Vec<AddSpec>,
    /// Extra directories.
    pub mkdirs: Vec<DirSpec>,
    /// Modification time of every entry; `None`: `SOURCE_DATE_EPOCH` or 0.
    pub mtime: Option<i64>,
    /// Drop everything the program loader does not need (debug info, symbols, section
    /// headers) from the `--bin` ELF files; see [`strip_elf`].
    pub strip: bool,
}

/// Facts about a built image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildSummary {
    pub entries: u32,
    pub files: u32,
    pub dirs: u32,
    pub data_bytes: u64,
    pub image_bytes: u64,
    pub sha256: String,
}

const ELF_MAGIC: &[u8; 4] = b"\x7fELF";
const EM_AARCH64: u16 = 183;

fn is_host_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

/// Add the base tree, skipping `.gitkeep` files and the attribute file.
fn add_base(b: &mut ImageBuilder, dir: &Path, dest: &str) -> Result<(), ImageError> {
    b.add_dir(dest, Attrs::DIR)?;
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(io(dir))?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name();
        let Some(name) = name.to_str() else {
            return Err(WriteError::BadHostName { path: e.path() }.into());
        };
        if name == ".gitkeep" || (dest == "/" && name == ATTRS_FILE) {
            continue;
        }
        let child = if dest == "/" {
            format!("/{name}")
        } else {
            format!("{dest}/{name}")
        };
        let p = e.path();
        let ft = std::fs::symlink_metadata(&p).map_err(io(&p))?.file_type();
        if ft.is_dir() {
            add_base(b, &p, &child)?;
        } else {
            // Files, and a clear error for anything else.
            add_host_entry(b, &p, &child)?;
        }
    }
    Ok(())
}

/// Add one host entry of the base tree: a file becomes a file, anything else is an error.
fn add_host_entry(b: &mut ImageBuilder, src: &Path, dest: &str) -> Result<(), ImageError> {
    let meta = std::fs::symlink_metadata(src).map_err(io(src))?;
    if meta.file_type().is_file() {
        b.add_host_file(src, dest)?;
        Ok(())
    } else {
        let kind = if meta.file_type().is_symlink() {
            "a symbolic link"
        } else {
            "a special file"
        };
        Err(WriteError::Unsupported {
            path: src.into(),
            kind,
        }
        .into())
    }
}

/// Install the executables of `dir` as `/bin/NAME`.
fn add_bins(
    b: &mut ImageBuilder,
    dir: &Path,
    exclude: &[String],
    strip: bool,
) -> Result<usize, ImageError> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(io(dir))?;
    entries.sort_by_key(|e| e.file_name());
    let mut n = 0;
    for e in entries {
        let p = e.path();
        let meta = std::fs::metadata(&p).map_err(io(&p))?;
        let Some(name) = e.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if !meta.is_file() || !is_host_executable(&meta) || exclude.contains(&name) {
            continue;
        }
        let mut data = std::fs::read(&p).map_err(io(&p))?;
        if data.starts_with(ELF_MAGIC) {
            let machine = data
                .get(18..20)
                .map_or(0, |m| u16::from_le_bytes([m[0], m[1]]));
            if machine != EM_AARCH64 {
                return Err(ImageError::WrongArch { path: p, machine });
            }
            if strip {
                if let Some(stripped) = strip_elf(&data) {
                    data = stripped;
                }
            }
        }
        b.add_file(&format!("/bin/{name}"), data, Attrs::EXEC)?;
        n += 1;
    }
    Ok(n)
}

/// Reduce a static ELF64 (little-endian) executable to what a program loader reads: the file is
/// cut after the last byte any program header refers to, and the section header table (which
/// then no longer exists) is removed from the ELF header. Debug information and symbol tables
/// live past the loaded segments in linker output, so this typically shrinks a Rust program
/// with debug info by 90%. Returns `None` (leave the file alone) for anything that is not a
/// well-formed ELF64 LE executable or whose layout would not survive the cut.
pub fn strip_elf(elf: &[u8]) -> Option<Vec<u8>> {
    let u16_at = |o: usize| elf.get(o..o + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let u64_at = |o: usize| {
        elf.get(o..o + 8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
    };
    // ELFCLASS64, ELFDATA2LSB, ET_EXEC.
    if !elf.starts_with(ELF_MAGIC) || elf.get(4) != Some(&2) || elf.get(5) != Some(&1) {
        return None;
    }
    if u16_at(16)? != 2 {
        return None;
    }
    let phoff = usize::try_from(u64_at(32)?).ok()?;
    let phentsize = usize::from(u16_at(54)?);
    let phnum = usize::from(u16_at(56)?);
    if phentsize < 56 || phnum == 0 {
        return None;
    }
    let ph_end = phoff.checked_add(phentsize.checked_mul(phnum)?)?;
    if ph_end > elf.len() {
        return None;
    }
    let mut end = ph_end.max(64);
    for i in 0..phnum {
        let ph = phoff + i * phentsize;
        let offset = usize::try_from(u64_at(ph + 8)?).ok()?;
        let filesz = usize::try_from(u64_at(ph + 32)?).ok()?;
        if filesz == 0 {
            continue;
        }
        let seg_end = offset.checked_add(filesz)?;
        if seg_end > elf.len() {
            return None;
        }
        end = end.max(seg_end);
    }
    let mut out = elf[..end].to_vec();
    // e_shoff = 0, e_shnum = 0, e_shstrndx = 0 (SHN_UNDEF).
    out[40..48].fill(0);
    out[60..64].fill(0);
    Some(out)
}

/// Apply `.image-attrs` overrides.
fn apply_attrs(b: &mut ImageBuilder, file: &Path) -> Result<(), ImageError> {
    let text = std::fs::read_to_string(file).map_err(io(file))?;
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let bad = |reason: &str| ImageError::BadSpec {
            what: format!("{}:{}", file.display(), i + 1),
            reason: reason.into(),
        };
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() != 2 && f.len() != 4 {
            return Err(bad("expected `PATH MODE [UID GID]`"));
        }
        let mode = parse_mode(f[1]).ok_or_else(|| bad("MODE must be octal"))?;
        let (uid, gid) = if f.len() == 4 {
            (
                f[2].parse().map_err(|_| bad("UID must be a number"))?,
                f[3].parse().map_err(|_| bad("GID must be a number"))?,
            )
        } else {
            (0, 0)
        };
        if !b.set_attrs(f[0], Attrs { mode, uid, gid })? {
            return Err(bad("no such path in the image"));
        }
    }
    Ok(())
}

/// Assemble the image described by `opts` and return its bytes.
pub fn build(opts: &BuildOptions) -> Result<Vec<u8>, ImageError> {
    let mut b = ImageBuilder::new();
    b.set_mtime(opts.mtime.unwrap_or_else(swiftos_packfs::mtime_from_env));
    b.add_dir("/tmp", Attrs::root(0o1777))?;
    b.add_dir("/dev", Attrs::DIR)?;
    if let Some(base) = &opts.base {
        add_base(&mut b, base, "/")?;
    }
    for dir in &opts.bins {
        add_bins(&mut b, dir, &opts.exclude, opts.strip)?;
    }
    for d in &opts.mkdirs {
        b.add_dir(&d.path, Attrs::root(d.mode))?;
    }
    for a in &opts.adds {
        let meta = std::fs::metadata(&a.src).map_err(io(&a.src))?;
        if meta.is_dir() {
            b.add_host_tree(&a.src, &a.dest)?;
        } else {
            let data = std::fs::read(&a.src).map_err(io(&a.src))?;
            let attrs = match a.mode {
                Some(m) => Attrs::root(m),
                None if is_host_executable(&meta) => Attrs::EXEC,
                None => Attrs::FILE,
            };
            b.add_file(&a.dest, data, attrs)?;
        }
    }
    if let Some(base) = &opts.base {
        let attrs = base.join(ATTRS_FILE);
        if attrs.is_file() {
            apply_attrs(&mut b, &attrs)?;
        }
    }
    Ok(b.build()?)
}

/// Build and write the image to `out` atomically and durably (`atomic_write`); creates the
/// parent directory.
pub fn build_to_file(opts: &BuildOptions, out: &Path) -> Result<BuildSummary, ImageError> {
    let bytes = build(opts)?;
    let summary = summarize(&bytes, out)?;
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    atomic_write::write(out, &bytes).map_err(io(out))?;
    Ok(summary)
}

fn summarize(bytes: &[u8], path: &Path) -> Result<BuildSummary, ImageError> {
    let img = Image::open(MemDisk::new(bytes)).map_err(|source| ImageError::Corrupt {
        path: path.to_path_buf(),
        source,
    })?;
    let (mut files, mut dirs, mut data) = (0, 0, 0);
    for i in 0..img.inode_count() {
        let n = img.inode(i).map_err(|source| ImageError::Corrupt {
            path: path.to_path_buf(),
            source,
        })?;
        if n.is_dir() {
            dirs += 1;
        } else {
            files += 1;
            data += n.size;
        }
    }
    Ok(BuildSummary {
        entries: img.inode_count(),
        files,
        dirs,
        data_bytes: data,
        image_bytes: bytes.len() as u64,
        sha256: digest_of(bytes).to_string(),
    })
}

/// One line of a listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListEntry {
    pub path: String,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Files: bytes; directories: number of entries.
    pub size: u64,
}

fn open_image(path: &Path) -> Result<Image<MemDisk>, ImageError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    Image::open(MemDisk::new(bytes)).map_err(|source| ImageError::Corrupt {
        path: path.to_path_buf(),
        source,
    })
}

/// Every entry of the image at `path`, depth first in name order (`/` first).
pub fn list(path: &Path) -> Result<Vec<ListEntry>, ImageError> {
    let img = open_image(path)?;
    let corrupt = |source| ImageError::Corrupt {
        path: path.to_path_buf(),
        source,
    };
    let mut out = Vec::new();
    let mut stack = vec![(img.root(), String::from("/"))];
    while let Some((i, p)) = stack.pop() {
        let n = img.inode(i).map_err(corrupt)?;
        out.push(ListEntry {
            path: p.clone(),
            mode: n.mode,
            uid: n.uid,
            gid: n.gid,
            size: n.size,
        });
        for c in n.children().rev() {
            let name = String::from_utf8_lossy(img.name(c).map_err(corrupt)?).into_owned();
            let cp = if p == "/" {
                format!("/{name}")
            } else {
                format!("{p}/{name}")
            };
            stack.push((c, cp));
        }
    }
    Ok(out)
}

/// `drwxr-xr-x`-style rendering of a mode.
pub fn mode_string(mode: u32) -> String {
    let mut s = String::with_capacity(10);
    s.push(if mode & S_IFMT == S_IFDIR { 'd' } else { '-' });
    for shift in [6, 3, 0] {
        let bits = (mode >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        let special = match shift {
            6 => mode & 0o4000 != 0,
            3 => mode & 0o2000 != 0,
            _ => mode & 0o1000 != 0,
        };
        s.push(match (bits & 1 != 0, special, shift) {
            (true, true, 0) => 't',
            (false, true, 0) => 'T',
            (true, true, _) => 's',
            (false, true, _) => 'S',
            (true, false, _) => 'x',
            (false, false, _) => '-',
        });
    }
    s
}

/// Render a listing: `MODE UID GID SIZE PATH` with aligned columns.
pub fn format_listing(entries: &[ListEntry]) -> String {
    let w = entries
        .iter()
        .map(|e| e.size.to_string().len())
        .max()
        .unwrap_or(1);
    let mut s = String::new();
    for e in entries {
        let _ = writeln!(
            s,
            "{} {:>5} {:>5} {:>w$} {}",
            mode_string(e.mode),
            e.uid,
            e.gid,
            e.size,
            e.path
        );
    }
    s
}

/// Result of a successful [`verify`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifySummary {
    pub entries: u32,
    pub files_checked: u32,
    pub image_bytes: u64,
}

/// Check the header, metadata, tree and every file's data checksum.
pub fn verify(path: &Path) -> Result<VerifySummary, ImageError> {
    let mut img = open_image(path)?;
    img.verify_all().map_err(|source| ImageError::Corrupt {
        path: path.to_path_buf(),
        source,
    })?;
    let mut files = 0;
    for i in 0..img.inode_count() {
        if img.inode(i).map(|n| n.is_file()).unwrap_or(false) {
            files += 1;
        }
    }
    Ok(VerifySummary {
        entries: img.inode_count(),
        files_checked: files,
        image_bytes: img.header().image_size,
    })
}
