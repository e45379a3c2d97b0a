//! The kernel's file-system front: path handling (working directory, confinement), the base
//! image mounted at `/` (packfs over virtio-blk) and the device nodes under `/dev`.
//!
//! Every access decision is delegated to `swiftos_authority`.

use crate::blk::Disk;
use crate::file::FileObj;
use alloc::string::String;
use alloc::vec::Vec;
use spin::Mutex;
use swiftos_abi::fcntl::*;
use swiftos_abi::{DirentHeader, Errno, Rights, Stat, Timespec, DT_CHR, DT_DIR, DT_REG};
use swiftos_authority::{self as auth, Area, NodeAttrs, Subject};
use swiftos_packfs::Image;

/// Who is resolving paths, and from where.
pub struct FsCtx {
    pub subject: Subject,
    pub root: String,
    pub cwd: String,
}

/// An open file or directory of the VFS.
pub enum VfsFile {
    Base(u32),
    DevDir,
}

static BASE: Mutex<Option<Image<Disk>>> = Mutex::new(None);

/// Mount the base image found on `disk`; on failure the error is returned for the boot log.
pub fn mount_base(disk: Disk) -> Result<(u32, u64), swiftos_packfs::Error> {
    let img = Image::open(disk)?;
    let n = img.inode_count();
    let size = img.header().image_size;
    *BASE.lock() = Some(img);
    Ok((n, size))
}

/// Normalise `path` against `cwd` into an absolute path without `.`/`..`/empty components.
pub fn normalize(cwd: &str, path: &str) -> Result<String, Errno> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let mut parts: Vec<&str> = Vec::new();
    let full_iter = if path.starts_with('/') {
        path.split('/').collect::<Vec<_>>()
    } else {
        cwd.split('/').chain(path.split('/')).collect()
    };
    for c in full_iter {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let mut s = String::new();
    for p in &parts {
        s.push('/');
        s.push_str(p);
    }
    if s.is_empty() {
        s.push('/');
    }
    Ok(s)
}

enum Node {
    Base(u32),
    DevDir,
    Console,
    Null,
}

fn perr(e: swiftos_packfs::Error) -> Errno {
    e.errno()
}

fn dev_attrs(node: &Node) -> NodeAttrs {
    match node {
        Node::DevDir => NodeAttrs {
            mode: S_IFDIR | 0o755,
            uid: 0,
            gid: 0,
        },
        Node::Console => NodeAttrs {
            mode: S_IFCHR | 0o666,
            uid: 0,
            gid: 0,
        },
        _ => NodeAttrs {
            mode: S_IFCHR | 0o666,
            uid: 0,
            gid: 0,
        },
    }
}

fn attrs_of(node: &Node) -> Result<(Area, NodeAttrs), Errno> {
    match node {
        Node::Base(i) => {
            let g = BASE.lock();
            let img = g.as_ref().ok_or(Errno::ENOENT)?;
            let ino = img.inode(*i).map_err(perr)?;
            Ok((
                Area::ReadOnly,
                NodeAttrs {
                    mode: ino.mode,
                    uid: ino.uid,
                    gid: ino.gid,
                },
            ))
        }
        n => Ok((Area::Device, dev_attrs(n))),
    }
}

/// Resolve an absolute normalised path, checking search permission on every directory.
fn lookup(ctx: &FsCtx, path: &str) -> Result<(String, Node), Errno> {
    let abs = normalize(&ctx.cwd, path)?;
    auth::check_confined(&ctx.root, &abs)?;
    if abs == "/dev" {
        return Ok((abs, Node::DevDir));
    }
    if let Some(name) = abs.strip_prefix("/dev/") {
        return match name {
            "console" | "tty" => Ok((abs, Node::Console)),
            "null" => Ok((abs, Node::Null)),
            _ => Err(Errno::ENOENT),
        };
    }
    let g = BASE.lock();
    let img = g.as_ref().ok_or(Errno::ENOENT)?;
    let mut cur = img.root();
    for comp in abs.split('/').filter(|c| !c.is_empty()) {
        let dir = img.inode(cur).map_err(perr)?;
        if !dir.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        let da = NodeAttrs {
            mode: dir.mode,
            uid: dir.uid,
            gid: dir.gid,
        };
        auth::check_fs_search(&ctx.subject, &da)?;
        cur = img.lookup(cur, comp.as_bytes()).map_err(perr)?;
    }
    Ok((abs, Node::Base(cur)))
}

fn parent_of(abs: &str) -> &str {
    match abs.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &abs[..i],
    }
}

/// `open`: returns the file object and the handle's rights.
pub fn open(ctx: &FsCtx, path: &str, flags: u32, _mode: u32) -> Result<(FileObj, Rights), Errno> {
    let found = lookup(ctx, path);
    let (abs, node) = match found {
        Ok(x) => x,
        Err(Errno::ENOENT) if flags & O_CREAT != 0 => {
            let abs = normalize(&ctx.cwd, path)?;
            let (_, parent) = lookup(ctx, parent_of(&abs))?;
            let (area, pa) = attrs_of(&parent)?;
            auth::check_fs_create(&ctx.subject, area, &pa)?;
            return Err(Errno::EROFS);
        }
        Err(e) => return Err(e),
    };
    let _ = abs;
    if flags & O_CREAT != 0 && flags & O_EXCL != 0 {
        return Err(Errno::EEXIST);
    }
    let (area, attrs) = attrs_of(&node)?;
    if flags & O_DIRECTORY != 0 && !attrs.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    auth::check_fs_open(&ctx.subject, area, &attrs, flags)?;
    Ok(match node {
        Node::Base(i) => (
            FileObj::Vfs(VfsFile::Base(i)),
            auth::rights_for_open(flags, true)?,
        ),
        Node::DevDir => (
            FileObj::Vfs(VfsFile::DevDir),
            auth::rights_for_open(flags, true)?,
        ),
        Node::Console => (FileObj::Console, auth::rights_for_open(flags, false)?),
        Node::Null => (FileObj::Null, auth::rights_for_open(flags, false)?),
    })
}

fn stat_of(node: &Node) -> Result<Stat, Errno> {
    let (_, a) = attrs_of(node)?;
    let mut st = Stat {
        st_mode: a.mode,
        st_uid: a.uid as u16,
        st_gid: a.gid as u16,
        st_nlink: 1,
        st_blksize: 4096,
        ..Stat::default()
    };
    match node {
        Node::Base(i) => {
            let g = BASE.lock();
            let img = g.as_ref().ok_or(Errno::ENOENT)?;
            let ino = img.inode(*i).map_err(perr)?;
            st.st_dev = 1;
            st.st_ino = *i as u16;
            if ino.is_file() {
                st.st_size = ino.size as i64;
                st.st_blocks = ino.size.div_ceil(512) as i64;
            }
            let t = Timespec {
                tv_sec: ino.mtime,
                tv_nsec: 0,
            };
            st.st_mtim = t;
            st.st_atim = t;
            st.st_ctim = t;
        }
        _ => st.st_dev = 2,
    }
    Ok(st)
}

/// `stat`.
pub fn stat(ctx: &FsCtx, path: &str) -> Result<Stat, Errno> {
    let (_, node) = lookup(ctx, path)?;
    let (area, _) = attrs_of(&node)?;
    auth::check_fs_stat(&ctx.subject, area)?;
    stat_of(&node)
}

/// `fstat` of an open VFS file.
pub fn fstat(f: &VfsFile) -> Result<Stat, Errno> {
    match f {
        VfsFile::Base(i) => stat_of(&Node::Base(*i)),
        VfsFile::DevDir => stat_of(&Node::DevDir),
    }
}

/// Size of an open file.
pub fn size(f: &VfsFile) -> Result<u64, Errno> {
    Ok(fstat(f)?.st_size as u64)
}

/// Read at `off`.
pub fn read(f: &VfsFile, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
    match f {
        VfsFile::Base(i) => {
            let mut g = BASE.lock();
            let img = g.as_mut().ok_or(Errno::EIO)?;
            if img.inode(*i).map_err(perr)?.is_dir() {
                return Err(Errno::EISDIR);
            }
            img.read_at(*i, off, buf).map_err(perr)
        }
        VfsFile::DevDir => Err(Errno::EISDIR),
    }
}

/// Write at `off` (the base image and `/dev` directory are read-only).
pub fn write(_f: &VfsFile, _off: u64, _data: &[u8]) -> Result<usize, Errno> {
    Err(Errno::EROFS)
}

/// `ftruncate`.
pub fn truncate(_f: &VfsFile, _len: u64) -> Result<(), Errno> {
    Err(Errno::EROFS)
}

fn push_dirent(out: &mut [u8], used: &mut usize, ino: u64, kind: u8, name: &[u8]) -> bool {
    let reclen = (16 + name.len()).div_ceil(8) * 8;
    if *used + reclen > out.len() || name.len() > 255 {
        return false;
    }
    let h = DirentHeader {
        ino,
        reclen: reclen as u16,
        kind,
        namelen: name.len() as u8,
        _pad: 0,
    };
    let o = *used;
    out[o..o + 8].copy_from_slice(&h.ino.to_le_bytes());
    out[o + 8..o + 10].copy_from_slice(&h.reclen.to_le_bytes());
    out[o + 10] = h.kind;
    out[o + 11] = h.namelen;
    out[o + 12..o + 16].fill(0);
    out[o + 16..o + 16 + name.len()].copy_from_slice(name);
    out[o + 16 + name.len()..o + reclen].fill(0);
    *used += reclen;
    true
}

/// `getdents`: `pos` is the index of the next entry.
pub fn getdents(f: &VfsFile, pos: &mut u64, out: &mut [u8]) -> Result<usize, Errno> {
    let mut used = 0;
    match f {
        VfsFile::DevDir => {
            let names: [&[u8]; 2] = [b"console", b"null"];
            while (*pos as usize) < names.len() {
                if !push_dirent(out, &mut used, *pos + 1, DT_CHR, names[*pos as usize]) {
                    break;
                }
                *pos += 1;
            }
        }
        VfsFile::Base(i) => {
            let g = BASE.lock();
            let img = g.as_ref().ok_or(Errno::EIO)?;
            let dir = img.inode(*i).map_err(perr)?;
            if !dir.is_dir() {
                return Err(Errno::ENOTDIR);
            }
            let kids: Vec<u32> = dir.children().collect();
            // The root directory also lists the synthetic /dev.
            let extra = *i == img.root()
                && !kids
                    .iter()
                    .any(|&c| img.name(c).ok() == Some(b"dev".as_slice()));
            while (*pos as usize) < kids.len() + extra as usize {
                let p = *pos as usize;
                let ok = if p < kids.len() {
                    let c = kids[p];
                    let ino = img.inode(c).map_err(perr)?;
                    let kind = if ino.is_dir() { DT_DIR } else { DT_REG };
                    push_dirent(out, &mut used, c as u64, kind, img.name(c).map_err(perr)?)
                } else {
                    push_dirent(out, &mut used, 0xffff, DT_DIR, b"dev")
                };
                if !ok {
                    break;
                }
                *pos += 1;
            }
            if used == 0 && (*pos as usize) < kids.len() + extra as usize {
                return Err(Errno::EINVAL);
            }
        }
    }
    Ok(used)
}

/// Resolve a directory for `chdir`/`confine`: returns its absolute path.
pub fn resolve_dir(ctx: &FsCtx, path: &str) -> Result<String, Errno> {
    let (abs, node) = lookup(ctx, path)?;
    let (area, a) = attrs_of(&node)?;
    if !a.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    auth::check_fs_stat(&ctx.subject, area)?;
    auth::check_fs_search(&ctx.subject, &a)?;
    Ok(abs)
}

/// Read a whole executable after the exec permission check.
pub fn read_exec(ctx: &FsCtx, path: &str) -> Result<Vec<u8>, Errno> {
    let (_, node) = lookup(ctx, path)?;
    let (area, a) = attrs_of(&node)?;
    auth::check_fs_exec(&ctx.subject, area, &a)?;
    let Node::Base(i) = node else {
        return Err(Errno::EACCES);
    };
    let mut g = BASE.lock();
    let img = g.as_mut().ok_or(Errno::EIO)?;
    let size = img.inode(i).map_err(perr)?.size;
    if size > 64 << 20 {
        return Err(Errno::E2BIG);
    }
    let mut buf = alloc::vec![0u8; size as usize];
    let mut done = 0;
    while done < buf.len() {
        let n = img
            .read_at(i, done as u64, &mut buf[done..])
            .map_err(perr)?;
        if n == 0 {
            return Err(Errno::EIO);
        }
        done += n;
    }
    Ok(buf)
}

fn mutate(ctx: &FsCtx, path: &str) -> Result<(), Errno> {
    let abs = normalize(&ctx.cwd, path)?;
    auth::check_confined(&ctx.root, &abs)?;
    match lookup(ctx, &abs) {
        Ok(_) | Err(Errno::ENOENT) => Err(Errno::EROFS),
        Err(e) => Err(e),
    }
}

pub fn unlink(ctx: &FsCtx, path: &str) -> Result<(), Errno> {
    lookup(ctx, path)?;
    mutate(ctx, path)
}
pub fn rmdir(ctx: &FsCtx, path: &str) -> Result<(), Errno> {
    lookup(ctx, path)?;
    mutate(ctx, path)
}
pub fn mkdir(ctx: &FsCtx, path: &str, _mode: u32) -> Result<(), Errno> {
    if lookup(ctx, path).is_ok() {
        return Err(Errno::EEXIST);
    }
    mutate(ctx, path)
}
pub fn rename(ctx: &FsCtx, from: &str, _to: &str) -> Result<(), Errno> {
    lookup(ctx, from)?;
    mutate(ctx, from)
}
pub fn chmod(ctx: &FsCtx, path: &str, _mode: u32) -> Result<(), Errno> {
    lookup(ctx, path)?;
    mutate(ctx, path)
}
pub fn chown(ctx: &FsCtx, path: &str, _uid: u32, _gid: u32) -> Result<(), Errno> {
    lookup(ctx, path)?;
    auth::check_chown_cap(&ctx.subject)?;
    mutate(ctx, path)
}
