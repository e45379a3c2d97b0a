//! Files and directories.

use crate::sys::{self, Fd};
use alloc::string::String;
use alloc::vec::Vec;
use swiftos_abi::fcntl::{
    O_APPEND, O_CREAT, O_DIRECTORY, O_RDONLY, O_TRUNC, O_WRONLY, S_IFDIR, S_IFMT, S_IFREG,
};
use swiftos_abi::{Errno, Stat};

/// An open file descriptor, closed on drop.
#[derive(Debug)]
pub struct File {
    fd: Fd,
}

impl File {
    /// Open for reading.
    pub fn open(path: &str) -> Result<File, Errno> {
        File::open_with(path, O_RDONLY, 0)
    }
    /// Create or truncate for writing (mode 0644).
    pub fn create(path: &str) -> Result<File, Errno> {
        File::open_with(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    }
    /// Open for appending, creating if needed.
    pub fn append(path: &str) -> Result<File, Errno> {
        File::open_with(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    }
    pub fn open_with(path: &str, flags: u32, mode: u32) -> Result<File, Errno> {
        sys::open(path, flags, mode).map(|fd| File { fd })
    }
    /// Take ownership of a raw descriptor.
    pub fn from_raw_fd(fd: Fd) -> File {
        File { fd }
    }
    pub fn fd(&self) -> Fd {
        self.fd
    }
    /// Give up ownership without closing.
    pub fn into_raw_fd(self) -> Fd {
        let fd = self.fd;
        core::mem::forget(self);
        fd
    }
    pub fn read(&self, buf: &mut [u8]) -> Result<usize, Errno> {
        sys::read(self.fd, buf)
    }
    pub fn write_all(&self, buf: &[u8]) -> Result<(), Errno> {
        sys::write_all(self.fd, buf)
    }
    pub fn read_to_end(&self) -> Result<Vec<u8>, Errno> {
        crate::io::read_to_end(self.fd)
    }
    pub fn stat(&self) -> Result<Stat, Errno> {
        sys::fstat(self.fd)
    }
    pub fn seek(&self, offset: i64, whence: u32) -> Result<u64, Errno> {
        sys::lseek(self.fd, offset, whence)
    }
    pub fn set_len(&self, len: u64) -> Result<(), Errno> {
        sys::ftruncate(self.fd, len)
    }
}

impl Drop for File {
    fn drop(&mut self) {
        let _ = sys::close(self.fd);
    }
}

/// `fsync(fd)`: make everything written so far durable (on the package store this commits a
/// new snapshot; elsewhere it does nothing).
pub fn fsync(fd: sys::Fd) -> Result<(), Errno> {
    sys::fsync(fd)
}

/// Set the `/usr` overlay's layers: absolute directories on the package store, first wins;
/// empty = no layers. Needs `capPkgAdmin`.
pub fn set_overlay(layers: &[&str]) -> Result<(), Errno> {
    let mut text = String::new();
    for l in layers {
        if l.contains('\n') {
            return Err(Errno::EINVAL);
        }
        text.push_str(l);
        text.push('\n');
    }
    sys::set_overlay(text.as_bytes())
}

/// The `/usr` overlay's current layers, first first.
pub fn get_overlay() -> Result<Vec<String>, Errno> {
    let mut buf = alloc::vec![0u8; 4096];
    loop {
        let n = sys::get_overlay(&mut buf)?;
        if n <= buf.len() {
            buf.truncate(n);
            break;
        }
        buf.resize(n, 0);
    }
    let text = String::from_utf8_lossy(&buf);
    Ok(text
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect())
}

impl File {
    /// `fsync`: make the file durable.
    pub fn sync_all(&self) -> Result<(), Errno> {
        sys::fsync(self.fd)
    }
}

/// The whole contents of a file.
pub fn read(path: &str) -> Result<Vec<u8>, Errno> {
    File::open(path)?.read_to_end()
}

/// The whole contents of a file as UTF-8 (lossy).
pub fn read_to_string(path: &str) -> Result<String, Errno> {
    read(path).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// Replace a file's contents.
pub fn write(path: &str, data: &[u8]) -> Result<(), Errno> {
    File::create(path)?.write_all(data)
}

pub fn is_dir(st: &Stat) -> bool {
    st.st_mode & S_IFMT == S_IFDIR
}

pub fn is_file(st: &Stat) -> bool {
    st.st_mode & S_IFMT == S_IFREG
}

pub use crate::dirent::{parse_dirents, DirEntry};

/// All entries of a directory (the kernel may or may not include `.` and `..`; they are
/// removed here).
pub fn read_dir(path: &str) -> Result<Vec<DirEntry>, Errno> {
    let f = File::open_with(path, O_RDONLY | O_DIRECTORY, 0)?;
    let mut out = Vec::new();
    let mut buf = alloc::vec![0u8; 4096];
    loop {
        let n = sys::getdents(f.fd, &mut buf)?;
        if n == 0 {
            break;
        }
        parse_dirents(&buf[..n.min(buf.len())], &mut out);
    }
    out.retain(|e| e.name != "." && e.name != "..");
    Ok(out)
}

/// Join a directory and a name.
pub fn join(dir: &str, name: &str) -> String {
    if name.starts_with('/') {
        return String::from(name);
    }
    let mut s = String::from(dir);
    if !s.ends_with('/') {
        s.push('/');
    }
    s.push_str(name);
    s
}
