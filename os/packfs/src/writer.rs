//! The image writer (feature `std`): builds a packed image from a host directory tree plus
//! extra files, deterministically (entries sorted by name, one fixed mtime, fixed owners).

use crate::error::Digest;
use crate::format::*;
use crate::reader::valid_name;
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::string::String;
use std::vec::Vec;
use swiftos_abi::fcntl::{S_IFDIR, S_IFREG};

/// Errors while assembling or writing an image.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// An image path is malformed.
    #[error("invalid image path {path:?}: {reason}")]
    InvalidPath { path: String, reason: &'static str },
    /// Something already exists at this image path.
    #[error("{path:?} is added twice to the image")]
    Duplicate { path: String },
    /// A path component that must be a directory is a file.
    #[error("{path:?}: a parent component is a file, not a directory")]
    ParentNotDirectory { path: String },
    /// A permission mode outside `0o7777`.
    #[error("invalid mode {mode:#o} for {path:?} (only permission bits 0o7777 are allowed)")]
    InvalidMode { path: String, mode: u32 },
    /// A host file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A host tree contains something other than files and directories.
    #[error("{path}: {kind} cannot be stored in a packed image (only files and directories)")]
    Unsupported { path: PathBuf, kind: &'static str },
    /// A host file name is not UTF-8 or not a valid image name.
    #[error("{path}: file name is not a valid image name (UTF-8, 1..=255 bytes, no NUL)")]
    BadHostName { path: PathBuf },
    /// The image would exceed the format's limits.
    #[error("image too large: {what}")]
    TooLarge { what: &'static str },
}

/// Owner and permission bits of an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attrs {
    /// Permission bits only (`0o7777`); the type bits are implied by the entry.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

impl Attrs {
    /// `root:root` with the given permission bits.
    pub const fn root(mode: u32) -> Attrs {
        Attrs {
            mode,
            uid: 0,
            gid: 0,
        }
    }
    /// Directories created implicitly: `0755 root:root`.
    pub const DIR: Attrs = Attrs::root(0o755);
    /// Plain files: `0644 root:root`.
    pub const FILE: Attrs = Attrs::root(0o644);
    /// Executables: `0755 root:root`.
    pub const EXEC: Attrs = Attrs::root(0o755);
}

#[derive(Debug)]
enum Node {
    Dir {
        attrs: Attrs,
        children: BTreeMap<Vec<u8>, Node>,
    },
    File {
        attrs: Attrs,
        data: Vec<u8>,
    },
}

/// Assembles an image in memory; [`ImageBuilder::build`] serialises it.
#[derive(Debug)]
pub struct ImageBuilder {
    root: Node,
    mtime: i64,
}

impl Default for ImageBuilder {
    fn default() -> Self {
        ImageBuilder::new()
    }
}

/// The mtime for reproducible builds: `SOURCE_DATE_EPOCH` if set and numeric, else 0.
pub fn mtime_from_env() -> i64 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or(0)
}

fn split_path(path: &str) -> Result<Vec<&str>, WriteError> {
    let invalid = |reason| WriteError::InvalidPath {
        path: path.into(),
        reason,
    };
    if !path.starts_with('/') {
        return Err(invalid("must be absolute"));
    }
    if path.len() > swiftos_abi::layout::PATH_MAX {
        return Err(invalid("longer than PATH_MAX (1024)"));
    }
    let comps: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    for c in &comps {
        if !valid_name(c.as_bytes()) {
            return Err(invalid(
                "components must be 1..=255 bytes without NUL and not '.' or '..'",
            ));
        }
    }
    Ok(comps)
}

fn check_mode(path: &str, attrs: &Attrs) -> Result<(), WriteError> {
    if attrs.mode & !0o7777 != 0 {
        return Err(WriteError::InvalidMode {
            path: path.into(),
            mode: attrs.mode,
        });
    }
    Ok(())
}

impl ImageBuilder {
    /// An image holding only the root directory (`0755 root:root`), mtime 0.
    pub fn new() -> ImageBuilder {
        ImageBuilder {
            root: Node::Dir {
                attrs: Attrs::DIR,
                children: BTreeMap::new(),
            },
            mtime: 0,
        }
    }

    /// Set the modification time recorded for every entry.
    pub fn set_mtime(&mut self, mtime: i64) -> &mut Self {
        self.mtime = mtime;
        self
    }

    /// The directory at `comps`, creating missing directories with [`Attrs::DIR`].
    fn dir_mut(
        &mut self,
        path: &str,
        comps: &[&str],
    ) -> Result<&mut BTreeMap<Vec<u8>, Node>, WriteError> {
        let mut cur = &mut self.root;
        for c in comps {
            let children = match cur {
                Node::Dir { children, .. } => children,
                Node::File { .. } => {
                    return Err(WriteError::ParentNotDirectory { path: path.into() })
                }
            };
            cur = children.entry(c.as_bytes().to_vec()).or_insert(Node::Dir {
                attrs: Attrs::DIR,
                children: BTreeMap::new(),
            });
        }
        match cur {
            Node::Dir { children, .. } => Ok(children),
            Node::File { .. } => Err(WriteError::ParentNotDirectory { path: path.into() }),
        }
    }

    /// Add (or re-attribute) directory `path`; missing parents are created.
    pub fn add_dir(&mut self, path: &str, attrs: Attrs) -> Result<(), WriteError> {
        check_mode(path, &attrs)?;
        let comps = split_path(path)?;
        let Some((last, parents)) = comps.split_last() else {
            if let Node::Dir { attrs: a, .. } = &mut self.root {
                *a = attrs;
            }
            return Ok(());
        };
        let dir = self.dir_mut(path, parents)?;
        match dir.get_mut(last.as_bytes()) {
            Some(Node::Dir { attrs: a, .. }) => *a = attrs,
            Some(Node::File { .. }) => return Err(WriteError::Duplicate { path: path.into() }),
            None => {
                dir.insert(
                    last.as_bytes().to_vec(),
                    Node::Dir {
                        attrs,
                        children: BTreeMap::new(),
                    },
                );
            }
        }
        Ok(())
    }

    /// Add file `path` with `data`; missing parents are created. Adding a path twice is an error.
    pub fn add_file(&mut self, path: &str, data: Vec<u8>, attrs: Attrs) -> Result<(), WriteError> {
        check_mode(path, &attrs)?;
        let comps = split_path(path)?;
        let Some((last, parents)) = comps.split_last() else {
            return Err(WriteError::Duplicate { path: path.into() });
        };
        let dir = self.dir_mut(path, parents)?;
        if dir.contains_key(last.as_bytes()) {
            return Err(WriteError::Duplicate { path: path.into() });
        }
        dir.insert(last.as_bytes().to_vec(), Node::File { attrs, data });
        Ok(())
    }

    /// Change the attributes of an existing entry; `Ok(false)` if there is none.
    pub fn set_attrs(&mut self, path: &str, attrs: Attrs) -> Result<bool, WriteError> {
        check_mode(path, &attrs)?;
        let comps = split_path(path)?;
        let mut cur = &mut self.root;
        for c in &comps {
            match cur {
                Node::Dir { children, .. } => match children.get_mut(c.as_bytes()) {
                    Some(n) => cur = n,
                    None => return Ok(false),
                },
                Node::File { .. } => return Ok(false),
            }
        }
        match cur {
            Node::Dir { attrs: a, .. } | Node::File { attrs: a, .. } => *a = attrs,
        }
        Ok(true)
    }

    /// Add a host file at image path `dest`: `0755` if any execute bit is set on the host,
    /// else `0644`; owned by root.
    pub fn add_host_file(&mut self, src: &Path, dest: &str) -> Result<(), WriteError> {
        let data = std::fs::read(src).map_err(|e| WriteError::Io {
            path: src.into(),
            source: e,
        })?;
        let attrs = if host_executable(src)? {
            Attrs::EXEC
        } else {
            Attrs::FILE
        };
        self.add_file(dest, data, attrs)
    }

    /// Add everything below host directory `src` at image directory `dest` (`"/"` for the
    /// root). Directories become `0755`, files `0644` or `0755` (host execute bit), all owned by
    /// root. Symbolic links and special files are refused.
    pub fn add_host_tree(&mut self, src: &Path, dest: &str) -> Result<(), WriteError> {
        self.add_dir(dest, Attrs::DIR)?;
        let mut entries: Vec<(String, PathBuf)> = Vec::new();
        let rd = std::fs::read_dir(src).map_err(|e| WriteError::Io {
            path: src.into(),
            source: e,
        })?;
        for e in rd {
            let e = e.map_err(|e| WriteError::Io {
                path: src.into(),
                source: e,
            })?;
            let p = e.path();
            let name = e
                .file_name()
                .into_string()
                .map_err(|_| WriteError::BadHostName { path: p.clone() })?;
            if !valid_name(name.as_bytes()) {
                return Err(WriteError::BadHostName { path: p });
            }
            entries.push((name, p));
        }
        entries.sort();
        for (name, p) in entries {
            let child = if dest.ends_with('/') {
                format!("{dest}{name}")
            } else {
                format!("{dest}/{name}")
            };
            let meta = std::fs::symlink_metadata(&p).map_err(|e| WriteError::Io {
                path: p.clone(),
                source: e,
            })?;
            let ft = meta.file_type();
            if ft.is_dir() {
                self.add_host_tree(&p, &child)?;
            } else if ft.is_file() {
                self.add_host_file(&p, &child)?;
            } else if ft.is_symlink() {
                return Err(WriteError::Unsupported {
                    path: p,
                    kind: "a symbolic link",
                });
            } else {
                return Err(WriteError::Unsupported {
                    path: p,
                    kind: "a special file",
                });
            }
        }
        Ok(())
    }

    /// Serialise the image (see `docs/IMAGE_FORMAT.md`). The result is a multiple of 512 bytes
    /// and depends only on the added paths, contents, attributes and the mtime.
    pub fn build(&self) -> Result<Vec<u8>, WriteError> {
        struct Flat<'a> {
            name: &'a [u8],
            node: &'a Node,
            parent: u32,
            first_child: u64,
        }
        // Breadth-first order: every directory's entries are contiguous and sorted.
        let mut order: Vec<Flat<'_>> = vec![Flat {
            name: b"",
            node: &self.root,
            parent: 0,
            first_child: 0,
        }];
        let mut i = 0;
        while i < order.len() {
            if let Node::Dir { children, .. } = order[i].node {
                if !children.is_empty() {
                    order[i].first_child = order.len() as u64;
                }
                for (name, node) in children {
                    order.push(Flat {
                        name,
                        node,
                        parent: i as u32,
                        first_child: 0,
                    });
                }
            }
            i += 1;
            if order.len() > MAX_INODES as usize {
                return Err(WriteError::TooLarge {
                    what: "more than 1048576 entries",
                });
            }
        }
        let count = order.len() as u64;
        let names_size: u64 = order.iter().map(|f| f.name.len() as u64).sum();
        let names_offset = HEADER_SIZE + count * INODE_SIZE;
        let meta_end = names_offset + names_size;
        if meta_end - HEADER_SIZE > MAX_METADATA {
            return Err(WriteError::TooLarge {
                what: "metadata (inode table + names) over 32 MiB",
            });
        }
        let data_offset = align_up(meta_end).ok_or(WriteError::TooLarge { what: "offsets" })?;
        // Place file data.
        let mut offsets = vec![0u64; order.len()];
        let mut cursor = data_offset;
        for (k, f) in order.iter().enumerate() {
            if let Node::File { data, .. } = f.node {
                if !data.is_empty() {
                    offsets[k] = cursor;
                    cursor = align_up(cursor + data.len() as u64)
                        .ok_or(WriteError::TooLarge { what: "offsets" })?;
                }
            }
        }
        let image_size = cursor;
        let len = usize::try_from(image_size).map_err(|_| WriteError::TooLarge {
            what: "image larger than the address space",
        })?;
        let mut img = vec![0u8; len];
        // Inodes and names.
        let mut name_cursor = 0u64;
        for (k, f) in order.iter().enumerate() {
            let at = (HEADER_SIZE + k as u64 * INODE_SIZE) as usize;
            let rec = &mut img[at..at + INODE_SIZE as usize];
            let (mode, attrs, size, offset, digest) = match f.node {
                Node::Dir { attrs, children } => (
                    S_IFDIR | attrs.mode,
                    attrs,
                    children.len() as u64,
                    f.first_child,
                    [0u8; 32],
                ),
                Node::File { attrs, data } => (
                    S_IFREG | attrs.mode,
                    attrs,
                    data.len() as u64,
                    offsets[k],
                    Sha256::digest(data).into(),
                ),
            };
            put_u32(rec, ino::NAME_OFFSET, name_cursor as u32);
            put_u16(rec, ino::NAME_LEN, f.name.len() as u16);
            put_u32(rec, ino::MODE, mode);
            put_u32(rec, ino::UID, attrs.uid);
            put_u32(rec, ino::GID, attrs.gid);
            put_u32(rec, ino::PARENT, f.parent);
            put_u64(rec, ino::MTIME, self.mtime as u64);
            put_u64(rec, ino::SIZE, size);
            put_u64(rec, ino::OFFSET, offset);
            rec[ino::SHA256 as usize..ino::SHA256 as usize + 32].copy_from_slice(&digest);
            let n_at = (names_offset + name_cursor) as usize;
            img[n_at..n_at + f.name.len()].copy_from_slice(f.name);
            name_cursor += f.name.len() as u64;
            if let Node::File { data, .. } = f.node {
                let d = offsets[k] as usize;
                img[d..d + data.len()].copy_from_slice(data);
            }
        }
        // Header.
        let meta_sha: [u8; 32] =
            Sha256::digest(&img[HEADER_SIZE as usize..meta_end as usize]).into();
        let h = &mut img[..HEADER_SIZE as usize];
        h[..8].copy_from_slice(&MAGIC);
        put_u32(h, hdr::VERSION, VERSION);
        put_u32(h, hdr::HEADER_SIZE, HEADER_SIZE as u32);
        put_u32(h, hdr::FLAGS, 0);
        put_u32(h, hdr::INODE_COUNT, count as u32);
        put_u64(h, hdr::INODE_OFFSET, HEADER_SIZE);
        put_u64(h, hdr::NAMES_OFFSET, names_offset);
        put_u64(h, hdr::NAMES_SIZE, names_size);
        put_u64(h, hdr::DATA_OFFSET, data_offset);
        put_u64(h, hdr::DATA_SIZE, image_size - data_offset);
        put_u64(h, hdr::IMAGE_SIZE, image_size);
        h[hdr::META_SHA256 as usize..hdr::META_SHA256 as usize + 32].copy_from_slice(&meta_sha);
        seal_header(&mut img);
        Ok(img)
    }
}

/// Recompute the header checksum (offset 104) over bytes `0..104` of `img`'s first sector.
/// Used by the writer and by tests that craft corrupt headers with a valid checksum.
pub fn seal_header(img: &mut [u8]) {
    let sum: [u8; 32] = Sha256::digest(&img[..hdr::HEADER_SHA256 as usize]).into();
    img[hdr::HEADER_SHA256 as usize..hdr::HEADER_SHA256 as usize + 32].copy_from_slice(&sum);
}

/// Recompute the metadata checksum (offset 72) and then the header checksum, so tests can craft
/// images whose inode table is wrong but whose checksums are right.
pub fn seal_metadata(img: &mut [u8]) {
    let names_offset = u64::from_le_bytes(img[32..40].try_into().unwrap_or([0; 8]));
    let names_size = u64::from_le_bytes(img[40..48].try_into().unwrap_or([0; 8]));
    // Header fields may themselves be corrupt: only hash a range that exists.
    if let Some(end) = names_offset.checked_add(names_size) {
        if end >= HEADER_SIZE && end <= img.len() as u64 {
            let sum: [u8; 32] = Sha256::digest(&img[HEADER_SIZE as usize..end as usize]).into();
            img[hdr::META_SHA256 as usize..hdr::META_SHA256 as usize + 32].copy_from_slice(&sum);
        }
    }
    seal_header(img);
}

/// The SHA-256 of `data` as a [`Digest`].
pub fn digest_of(data: &[u8]) -> Digest {
    Digest(Sha256::digest(data).into())
}

fn host_executable(p: &Path) -> Result<bool, WriteError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let m = std::fs::metadata(p).map_err(|e| WriteError::Io {
            path: p.into(),
            source: e,
        })?;
        Ok(m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        let _ = p;
        Ok(false)
    }
}

fn put_u16(b: &mut [u8], at: u64, v: u16) {
    b[at as usize..at as usize + 2].copy_from_slice(&v.to_le_bytes());
}
fn put_u32(b: &mut [u8], at: u64, v: u32) {
    b[at as usize..at as usize + 4].copy_from_slice(&v.to_le_bytes());
}
fn put_u64(b: &mut [u8], at: u64, v: u64) {
    b[at as usize..at as usize + 8].copy_from_slice(&v.to_le_bytes());
}
