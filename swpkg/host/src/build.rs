//! Building a reproducible, signed `.swpkg` from a staged directory and a source manifest.
//!
//! Output is a function of (staged tree contents, manifest, key, `SOURCE_DATE_EPOCH`) only:
//! entries sorted by path bytes, owner/group 0/0 with empty names, modes normalised to
//! 0644/0755 (files), 0755 (directories), 0777 (symlinks), every header's mtime set to
//! `SOURCE_DATE_EPOCH` (0 if unset), pax records only for names that do not fit ustar (and then
//! only `path`/`linkpath`, never timestamps), zstd level [`ZSTD_LEVEL`] with a fixed window,
//! single-threaded, one frame with a checksum. Ed25519 signatures are deterministic.

use crate::error::Error;
use crate::source::SourceManifest;
use ed25519_dalek::{Signer, SigningKey};
use sha2::Digest;
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use swpkg_core::{
    Entry, EntryKind, Limits, Manifest, Mode, PackageError, Sha256, MANIFEST_NAME, SIGNATURE_NAME,
};

/// zstd compression level (fixed: part of the reproducibility contract).
pub const ZSTD_LEVEL: i32 = 9;
/// zstd window log (4 MiB; readers accept up to 8 MiB).
pub const ZSTD_WINDOW_LOG: u32 = 22;

/// Options that influence the output bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BuildOptions {
    /// The mtime written into every tar header.
    pub mtime: u64,
}

impl BuildOptions {
    /// Read `SOURCE_DATE_EPOCH` (unset → 0; set but not a non-negative integer → error).
    pub fn from_env() -> Result<Self, Error> {
        match std::env::var("SOURCE_DATE_EPOCH") {
            Err(_) => Ok(BuildOptions { mtime: 0 }),
            Ok(v) => v
                .trim()
                .parse::<u64>()
                .map(|mtime| BuildOptions { mtime })
                .map_err(|_| Error::SourceManifest {
                    path: PathBuf::from("$SOURCE_DATE_EPOCH"),
                    reason: format!("{v:?} is not a non-negative integer number of seconds"),
                }),
        }
    }
}

/// One staged entry: its manifest entry and where it lives on disk.
#[derive(Debug, Clone)]
pub struct Staged {
    /// The manifest entry.
    pub entry: Entry,
    /// Absolute location in the staged tree.
    pub source: PathBuf,
}

fn staged_err(path: &Path, reason: impl Into<String>) -> Error {
    Error::Staged {
        path: path.into(),
        reason: reason.into(),
    }
}

/// Walk the staged tree and compute the sorted entry list (hashing every file).
pub fn scan_tree(root: &Path, limits: &Limits) -> Result<Vec<Staged>, Error> {
    let meta = fs::metadata(root).map_err(Error::io("cannot read staged root", root))?;
    if !meta.is_dir() {
        return Err(staged_err(root, "the --root must be a directory"));
    }
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let rd = fs::read_dir(&dir).map_err(Error::io("cannot list", &dir))?;
        for item in rd {
            let item = item.map_err(Error::io("cannot list", &dir))?;
            let abs = item.path();
            let name = item.file_name();
            let name = name
                .to_str()
                .ok_or_else(|| staged_err(&abs, "file name is not UTF-8"))?;
            let path = if rel.is_empty() {
                name.to_string()
            } else {
                format!("{rel}/{name}")
            };
            let ft = item.file_type().map_err(Error::io("cannot stat", &abs))?;
            let entry = if ft.is_dir() {
                stack.push((abs.clone(), path.clone()));
                Entry {
                    kind: EntryKind::Dir,
                    link: None,
                    mode: Mode::DIR,
                    path,
                    sha256: None,
                    size: 0,
                }
            } else if ft.is_symlink() {
                let target = fs::read_link(&abs).map_err(Error::io("cannot read symlink", &abs))?;
                let target = target
                    .to_str()
                    .ok_or_else(|| staged_err(&abs, "symlink target is not UTF-8"))?;
                Entry {
                    kind: EntryKind::Symlink,
                    link: Some(target.to_string()),
                    mode: Mode::SYMLINK,
                    path,
                    sha256: None,
                    size: 0,
                }
            } else if ft.is_file() {
                let m = fs::symlink_metadata(&abs).map_err(Error::io("cannot stat", &abs))?;
                let (hash, size) = hash_file(&abs)?;
                if size > limits.max_file_bytes {
                    return Err(PackageError::FileTooLarge {
                        path,
                        size,
                        limit: limits.max_file_bytes,
                    }
                    .into());
                }
                Entry {
                    kind: EntryKind::File,
                    link: None,
                    mode: if m.permissions().mode() & 0o111 != 0 {
                        Mode::EXEC
                    } else {
                        Mode::FILE
                    },
                    path,
                    sha256: Some(hash),
                    size,
                }
            } else {
                let what = if ft.is_block_device() || ft.is_char_device() {
                    "device files"
                } else if ft.is_fifo() {
                    "fifos"
                } else if ft.is_socket() {
                    "sockets"
                } else {
                    "special files"
                };
                return Err(staged_err(
                    &abs,
                    format!("{what} cannot be packaged; remove it from the staged tree"),
                ));
            };
            out.push(Staged { entry, source: abs });
            if out.len() > limits.max_entries {
                return Err(PackageError::TooManyEntries {
                    count: out.len(),
                    limit: limits.max_entries,
                }
                .into());
            }
        }
    }
    out.sort_by(|a, b| a.entry.path.as_bytes().cmp(b.entry.path.as_bytes()));
    Ok(out)
}

fn hash_file(path: &Path) -> Result<(Sha256, u64), Error> {
    let mut f = File::open(path).map_err(Error::io("cannot read", path))?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 64 << 10];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(Error::io("cannot read", path))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        size += n as u64;
    }
    Ok((Sha256(h.finalize().into()), size))
}

fn pax_record(key: &str, value: &str) -> Vec<u8> {
    let base = key.len() + value.len() + 3;
    let mut len = base + 1;
    while len != base + len.to_string().len() {
        len = base + len.to_string().len();
    }
    format!("{len} {key}={value}\n").into_bytes()
}

/// Put `path` into ustar name/prefix if it fits; `false` if a pax record is needed.
fn set_ustar_path(h: &mut tar::Header, path: &[u8]) -> bool {
    let Some(u) = h.as_ustar_mut() else {
        return false;
    };
    if path.len() <= 100 {
        u.name[..path.len()].copy_from_slice(path);
        return true;
    }
    // Split at a '/' so that prefix <= 155 and name <= 100 (name non-empty).
    for (i, &b) in path.iter().enumerate() {
        if b == b'/' && i <= 155 && path.len() - i - 1 <= 100 && i + 1 < path.len() {
            u.prefix[..i].copy_from_slice(&path[..i]);
            u.name[..path.len() - i - 1].copy_from_slice(&path[i + 1..]);
            return true;
        }
    }
    // Does not fit: a truncated name for old readers; the pax `path` record wins.
    u.name.copy_from_slice(&path[..100]);
    false
}

/// The header fields of one member.
struct Head<'a> {
    path: &'a str,
    kind: tar::EntryType,
    mode: u32,
    size: u64,
    link: Option<&'a str>,
}

fn append<W: Write>(
    tar: &mut tar::Builder<W>,
    head: Head<'_>,
    mtime: u64,
    data: impl Read,
) -> io::Result<()> {
    let Head {
        path,
        kind,
        mode,
        size,
        link,
    } = head;
    let mut h = tar::Header::new_ustar();
    let tar_path = if kind == tar::EntryType::Directory {
        format!("{path}/")
    } else {
        path.to_string()
    };
    let mut pax = Vec::new();
    if !set_ustar_path(&mut h, tar_path.as_bytes()) {
        pax.extend(pax_record("path", &tar_path));
    }
    if let Some(link) = link {
        if link.len() <= 100 {
            if let Some(u) = h.as_ustar_mut() {
                u.linkname[..link.len()].copy_from_slice(link.as_bytes());
            }
        } else {
            pax.extend(pax_record("linkpath", link));
        }
    }
    h.set_mode(mode);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(mtime);
    h.set_size(size);
    h.set_entry_type(kind);
    h.set_cksum();
    if !pax.is_empty() {
        let mut ph = tar::Header::new_ustar();
        set_ustar_path(&mut ph, b"PaxHeader");
        ph.set_mode(0o644);
        ph.set_uid(0);
        ph.set_gid(0);
        ph.set_mtime(mtime);
        ph.set_size(pax.len() as u64);
        ph.set_entry_type(tar::EntryType::XHeader);
        ph.set_cksum();
        tar.append(&ph, &pax[..])?;
    }
    tar.append(&h, data)
}

/// Hashes what passes through, to detect a file that changed between scan and write.
struct HashingReader<R> {
    inner: R,
    hasher: sha2::Sha256,
    count: u64,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

/// Sign `manifest` and write the package to `out` (atomically: a temporary file in the same
/// directory, then a rename). `staged` must be the entries `manifest.files` was made from.
pub fn write_package(
    manifest: &Manifest,
    staged: &[Staged],
    key: &SigningKey,
    opts: BuildOptions,
    out: &Path,
) -> Result<(), Error> {
    let bytes = manifest.to_canonical_bytes();
    let sig = key.sign(&bytes).to_bytes();
    if out.file_name().is_none() {
        return Err(staged_err(out, "output path has no file name"));
    }
    // A temporary file beside `out`, put in its place only when complete (dropped on error).
    let file = atomic_write::AtomicFile::create(out).map_err(Error::io("cannot create", out))?;
    write_to(file, out, &bytes, &sig, staged, opts)?
        .commit()
        .map_err(Error::io("cannot put in place", out))
}

fn write_to(
    file: atomic_write::AtomicFile,
    out: &Path,
    manifest: &[u8],
    sig: &[u8],
    staged: &[Staged],
    opts: BuildOptions,
) -> Result<atomic_write::AtomicFile, Error> {
    let w = |e| Error::io("cannot write", out)(e);
    let mut enc =
        zstd::Encoder::new(BufWriter::with_capacity(1 << 20, file), ZSTD_LEVEL).map_err(w)?;
    enc.window_log(ZSTD_WINDOW_LOG).map_err(w)?;
    enc.include_checksum(true).map_err(w)?;
    let mut tar = tar::Builder::new(enc);
    let mt = opts.mtime;
    let reg = tar::EntryType::Regular;
    let member = |path, size| Head {
        path,
        kind: reg,
        mode: 0o644,
        size,
        link: None,
    };
    append(
        &mut tar,
        member(MANIFEST_NAME, manifest.len() as u64),
        mt,
        manifest,
    )
    .map_err(w)?;
    append(&mut tar, member(SIGNATURE_NAME, sig.len() as u64), mt, sig).map_err(w)?;
    for s in staged {
        let e = &s.entry;
        let head = |kind, link| Head {
            path: &e.path,
            kind,
            mode: e.mode.0,
            size: e.size,
            link,
        };
        match e.kind {
            EntryKind::Dir => append(
                &mut tar,
                head(tar::EntryType::Directory, None),
                mt,
                io::empty(),
            )
            .map_err(w)?,
            EntryKind::Symlink => append(
                &mut tar,
                head(tar::EntryType::Symlink, e.link.as_deref()),
                mt,
                io::empty(),
            )
            .map_err(w)?,
            EntryKind::File => {
                let f = File::open(&s.source).map_err(Error::io("cannot read", &s.source))?;
                let mut hr = HashingReader {
                    inner: f.take(e.size),
                    hasher: sha2::Sha256::new(),
                    count: 0,
                };
                append(&mut tar, head(reg, None), mt, &mut hr)
                    .map_err(Error::io("cannot package", &s.source))?;
                let h = Sha256(hr.hasher.finalize().into());
                if hr.count != e.size || Some(h) != e.sha256 {
                    return Err(staged_err(
                        &s.source,
                        "file changed while the package was being built; build again",
                    ));
                }
            }
        }
    }
    let enc = tar.into_inner().map_err(w)?;
    let buf = enc.finish().map_err(w)?;
    buf.into_inner().map_err(|e| w(e.into_error()))
}

/// Build a package: scan `root`, combine with the source manifest at `manifest_path`, sign with
/// `key`, write `out`. Returns the manifest written.
pub fn build_package(
    manifest_path: &Path,
    root: &Path,
    key: &SigningKey,
    opts: BuildOptions,
    out: &Path,
) -> Result<Manifest, Error> {
    let source = SourceManifest::load(manifest_path)?;
    let staged = scan_tree(root, &Limits::DEFAULT)?;
    let files = staged.iter().map(|s| s.entry.clone()).collect();
    let manifest = source.to_manifest(manifest_path, files)?;
    write_package(&manifest, &staged, key, opts, out)?;
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pax_record_lengths() {
        for v in ["a", &"x".repeat(90), &"y".repeat(95), &"z".repeat(994)] {
            let r = pax_record("path", v);
            let (len, _) = std::str::from_utf8(&r).unwrap().split_once(' ').unwrap();
            assert_eq!(len.parse::<usize>().unwrap(), r.len());
        }
    }
}
