//! Package-store disk images (`swiftos-image store ...`): the writable second virtio-blk disk
//! mounted at `/pkg` in the guest, in the `swiftos-storefs` format (docs/STORE_FORMAT.md).

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use swiftos_storefs::{BlockDev, IoError, Store, S_IFDIR, S_IFMT};

/// Errors of the store commands.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("bad size {0:?} (examples: 64M, 1G, 1048576)")]
    Size(String),
    #[error("{path}: {what} (the store holds only directories and regular files)")]
    Unsupported { path: PathBuf, what: &'static str },
    #[error("{path}: name is not valid UTF-8")]
    Name { path: PathBuf },
    #[error("{0}")]
    Store(#[from] swiftos_storefs::Error),
    #[error("{path}: while adding: {source}")]
    Add {
        path: PathBuf,
        source: swiftos_storefs::Error,
    },
    #[error("damaged: {0}")]
    Damaged(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A disk image file as a block device.
pub struct FileDev {
    file: File,
    sectors: u64,
}

impl FileDev {
    /// Open an existing image for reading and writing.
    pub fn open(path: &Path) -> Result<FileDev, StoreError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(io(path))?;
        let len = file.metadata().map_err(io(path))?.len();
        Ok(FileDev {
            file,
            sectors: len / 512,
        })
    }
}

impl BlockDev for FileDev {
    fn sector_count(&self) -> u64 {
        self.sectors
    }
    fn read_sectors(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), IoError> {
        self.file.read_exact_at(buf, lba * 512).map_err(|_| IoError)
    }
    fn write_sectors(&mut self, lba: u64, buf: &[u8]) -> Result<(), IoError> {
        self.file.write_all_at(buf, lba * 512).map_err(|_| IoError)
    }
    fn flush(&mut self) -> Result<(), IoError> {
        self.file.sync_data().map_err(|_| IoError)
    }
}

/// Parse `64M`, `1G`, `512K` or a byte count.
pub fn parse_size(s: &str) -> Result<u64, StoreError> {
    let bad = || StoreError::Size(s.to_string());
    let t = s.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, 'K' | 'k')) => (&t[..i], 1u64 << 10),
        Some((i, 'M' | 'm')) => (&t[..i], 1 << 20),
        Some((i, 'G' | 'g')) => (&t[..i], 1 << 30),
        _ => (t, 1),
    };
    let n: u64 = num.parse().map_err(|_| bad())?;
    let bytes = n.checked_mul(mult).ok_or_else(bad)?;
    if bytes < (64 << 10) || bytes % 4096 != 0 {
        return Err(bad());
    }
    Ok(bytes)
}

fn now() -> i64 {
    if let Some(v) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return v;
    }
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn tmp_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    out.with_file_name(name)
}

fn blank_file(path: &Path, size: u64) -> Result<FileDev, StoreError> {
    let f = File::create(path).map_err(io(path))?;
    f.set_len(size).map_err(io(path))?;
    drop(f);
    FileDev::open(path)
}

/// What a finished image holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreSummary {
    pub size: u64,
    pub seq: u64,
    pub files: u64,
    pub dirs: u64,
    pub used_bytes: u64,
}

fn summary(store: &Store<FileDev>) -> StoreSummary {
    let u = store.usage();
    let (mut files, mut dirs) = (0, 0);
    let mut stack = vec![store.root()];
    while let Some(d) = stack.pop() {
        let mut i = 0;
        while let Ok(Some((_, ino, is_dir))) = store.readdir(d, i) {
            i += 1;
            if is_dir {
                dirs += 1;
                stack.push(ino);
            } else {
                files += 1;
            }
        }
    }
    StoreSummary {
        size: u.block_count * 4096,
        seq: u.seq,
        files,
        dirs,
        used_bytes: u.used_blocks * 4096,
    }
}

/// `store create`: a blank formatted store of `size` bytes (a sparse file), written atomically.
pub fn create(out: &Path, size: u64) -> Result<StoreSummary, StoreError> {
    let tmp = tmp_path(out);
    let dev = blank_file(&tmp, size)?;
    let store = Store::format(dev, now())?;
    let s = summary(&store);
    drop(store);
    std::fs::rename(&tmp, out).map_err(io(out))?;
    Ok(s)
}

/// `store build`: a store whose root holds `from`'s tree (directories and regular files with
/// their permission bits and mtimes; owner root).
pub fn build(from: &Path, out: &Path, size: u64) -> Result<StoreSummary, StoreError> {
    let meta = std::fs::metadata(from).map_err(io(from))?;
    if !meta.is_dir() {
        return Err(StoreError::Unsupported {
            path: from.to_path_buf(),
            what: "not a directory",
        });
    }
    let tmp = tmp_path(out);
    let dev = blank_file(&tmp, size)?;
    let mut store = Store::format(dev, now())?;
    let root = store.root();
    let r = add_tree(&mut store, from, root);
    let r = r.and_then(|()| {
        store.setattr(root, Some(meta.mode() & 0o7777), Some(0), Some(0))?;
        store.set_mtime(root, meta.mtime())?;
        store.commit()?;
        Ok(())
    });
    if let Err(e) = r {
        drop(store);
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    let s = summary(&store);
    drop(store);
    std::fs::rename(&tmp, out).map_err(io(out))?;
    Ok(s)
}

fn add_tree(store: &mut Store<FileDev>, dir: &Path, ino: u64) -> Result<(), StoreError> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .collect::<Result<_, _>>()
        .map_err(io(dir))?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let name = e
            .file_name()
            .into_string()
            .map_err(|_| StoreError::Name { path: path.clone() })?;
        let meta = std::fs::symlink_metadata(&path).map_err(io(&path))?;
        let add = |source| StoreError::Add {
            path: path.clone(),
            source,
        };
        let perm = meta.mode() & 0o7777;
        if meta.is_dir() {
            let child = store.mkdir(ino, &name, perm, 0, 0, 0).map_err(add)?;
            add_tree(store, &path, child)?;
            store.set_mtime(child, meta.mtime()).map_err(add)?;
        } else if meta.is_file() {
            let f = store.create(ino, &name, perm, 0, 0, 0).map_err(add)?;
            let file = File::open(&path).map_err(io(&path))?;
            let mut buf = vec![0u8; 1 << 20];
            let mut off = 0u64;
            loop {
                let n = file.read_at(&mut buf, off).map_err(io(&path))?;
                if n == 0 {
                    break;
                }
                store.write(f, off, &buf[..n], 0).map_err(add)?;
                off += n as u64;
            }
            store.set_mtime(f, meta.mtime()).map_err(add)?;
        } else {
            return Err(StoreError::Unsupported {
                path,
                what: if meta.file_type().is_symlink() {
                    "symbolic link"
                } else {
                    "special file"
                },
            });
        }
    }
    Ok(())
}

/// `store list`: every entry as `mode uid gid size mtime path` (directories: entry count).
pub fn list(img: &Path) -> Result<String, StoreError> {
    let (store, _) = Store::mount(FileDev::open(img)?)?;
    let mut out = String::new();
    let mut stack = vec![(String::new(), store.root())];
    let mut rows = Vec::new();
    let a = store.getattr(store.root())?;
    rows.push((String::from("/"), a));
    while let Some((path, d)) = stack.pop() {
        let mut i = 0;
        while let Some((name, ino, is_dir)) = store.readdir(d, i)? {
            i += 1;
            let p = format!("{path}/{name}");
            rows.push((p.clone(), store.getattr(ino)?));
            if is_dir {
                stack.push((p, ino));
            }
        }
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    for (p, a) in rows {
        let kind = if a.mode & S_IFMT == S_IFDIR { 'd' } else { '-' };
        out.push_str(&format!(
            "{kind}{:04o} {:>5} {:>5} {:>10} {:>10} {p}\n",
            a.mode & 0o7777,
            a.uid,
            a.gid,
            a.size,
            a.mtime
        ));
    }
    Ok(out)
}

/// `store check`: both superblocks, the blob, the tree and every data block's crc32. Damage
/// anywhere (including an older snapshot's slot) is an error naming what failed.
pub fn check(img: &Path) -> Result<StoreSummary, StoreError> {
    let (mut store, rep) = Store::mount(FileDev::open(img)?)?;
    let mut problems = Vec::new();
    if let Some((slot, seq, why)) = rep.other_damaged {
        let seq = seq.map_or(String::new(), |s| format!(" (seq {s})"));
        problems.push(format!(
            "superblock slot {slot}{seq}: {why}; slot {} (seq {}) is intact",
            rep.slot, rep.seq
        ));
    }
    for (path, index) in store.check()? {
        problems.push(format!(
            "{path}: data block {index} (bytes {}..{}) crc32 mismatch",
            index * 4096,
            (index + 1) * 4096
        ));
    }
    if !problems.is_empty() {
        return Err(StoreError::Damaged(problems.join("; ")));
    }
    Ok(summary(&store))
}
