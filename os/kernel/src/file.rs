//! Open-file objects shared by descriptors: console, null device, pipes and VFS files.

use crate::fs::{self, FsCtx, VfsFile};
use crate::wakeup::io_event;
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use core::sync::atomic::Ordering;
use spin::Mutex;
use swiftos_abi::{Errno, Rights};

/// Pipe capacity in bytes.
pub const PIPE_CAP: usize = 64 * 1024;

/// Bytes buffered in all pipes together (they live on the kernel heap).
static PIPE_BYTES: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

/// Limit for [`PIPE_BYTES`]: an eighth of the kernel heap.
fn pipe_budget() -> usize {
    (crate::mm::heap_size() / 8) as usize
}

/// A unidirectional byte channel.
pub struct Pipe {
    pub buf: VecDeque<u8>,
    pub readers: usize,
    pub writers: usize,
}

impl Drop for Pipe {
    fn drop(&mut self) {
        PIPE_BYTES.fetch_sub(self.buf.len(), Ordering::Relaxed);
    }
}

/// What an open file refers to.
pub enum FileObj {
    Console,
    Null,
    PipeRead(Arc<Mutex<Pipe>>),
    PipeWrite(Arc<Mutex<Pipe>>),
    Vfs(VfsFile),
    /// A socket in the network stack's table (`crate::net`).
    Socket(u32),
}

/// An open file description (shared between `dup`ed descriptors and across `spawn`).
pub struct OpenFile {
    pub obj: FileObj,
    /// Status flags (`O_APPEND`, `O_NONBLOCK`, access mode).
    pub flags: u32,
}

impl Drop for OpenFile {
    fn drop(&mut self) {
        match core::mem::replace(&mut self.obj, FileObj::Null) {
            FileObj::PipeRead(p) => {
                p.lock().readers -= 1;
                io_event();
            }
            FileObj::PipeWrite(p) => {
                p.lock().writers -= 1;
                io_event();
            }
            FileObj::Vfs(h) => fs::close(h),
            FileObj::Socket(id) => crate::net::close(id),
            _ => {}
        }
    }
}

pub type FileRef = Arc<Mutex<OpenFile>>;

/// A descriptor-table slot: the shared file plus this handle's rights.
#[derive(Clone)]
pub struct Fd {
    pub file: FileRef,
    pub rights: Rights,
    pub cloexec: bool,
}

/// Open `path` for `open(2)`: the file object (the console device is served by the kernel)
/// and the handle's rights.
pub fn open(ctx: &FsCtx, path: &str, flags: u32, mode: u32) -> Result<(FileObj, Rights), Errno> {
    let h = fs::open(ctx, path, flags, mode)?;
    let rights = h.rights();
    if fs::is_console(&h) {
        fs::close(h);
        return Ok((FileObj::Console, rights));
    }
    Ok((FileObj::Vfs(h), rights))
}

/// Make a new open file.
pub fn new_file(obj: FileObj, flags: u32) -> FileRef {
    Arc::new(Mutex::new(OpenFile { obj, flags }))
}

/// Create a pipe: (read end, write end).
pub fn new_pipe() -> (FileRef, FileRef) {
    let p = Arc::new(Mutex::new(Pipe {
        buf: VecDeque::new(),
        readers: 1,
        writers: 1,
    }));
    (
        new_file(FileObj::PipeRead(p.clone()), swiftos_abi::fcntl::O_RDONLY),
        new_file(FileObj::PipeWrite(p), swiftos_abi::fcntl::O_WRONLY),
    )
}

/// Outcome of a read/write attempt on a pipe.
pub enum PipeIo {
    Done(usize),
    WouldBlock,
}

/// Read from a pipe: data, 0 at end (no writers left), or block.
pub fn pipe_read(p: &Mutex<Pipe>, out: &mut [u8]) -> PipeIo {
    let mut p = p.lock();
    if p.buf.is_empty() {
        return if p.writers == 0 || out.is_empty() {
            PipeIo::Done(0)
        } else {
            PipeIo::WouldBlock
        };
    }
    let n = out.len().min(p.buf.len());
    for (i, b) in p.buf.drain(..n).enumerate() {
        out[i] = b;
    }
    PIPE_BYTES.fetch_sub(n, Ordering::Relaxed);
    io_event();
    PipeIo::Done(n)
}

/// Write to a pipe: `Err(EPIPE)` without readers, partial writes when nearly full.
pub fn pipe_write(p: &Mutex<Pipe>, data: &[u8]) -> Result<PipeIo, Errno> {
    let mut p = p.lock();
    if p.readers == 0 {
        return Err(Errno::EPIPE);
    }
    let mut room = PIPE_CAP - p.buf.len();
    // Global budget: when all pipes together hold too much, only empty pipes accept a page.
    let global_left = pipe_budget().saturating_sub(PIPE_BYTES.load(Ordering::Relaxed));
    if global_left < room {
        room = if p.buf.is_empty() {
            room.min(4096)
        } else {
            global_left
        };
    }
    if room == 0 {
        return Ok(PipeIo::WouldBlock);
    }
    let n = room.min(data.len());
    p.buf.extend(&data[..n]);
    PIPE_BYTES.fetch_add(n, Ordering::Relaxed);
    io_event();
    Ok(PipeIo::Done(n))
}
