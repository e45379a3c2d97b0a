//! The SwiftOS virtual filesystem.
//!
//! One [`Vfs`] holds the mount table — the packed base image read-only at `/`
//! ([`PackFs`]), RAM-backed `/tmp` ([`TmpFs`]), `/dev` with `console` and `null` ([`DevFs`]),
//! and anything mounted later ([`Vfs::mount`], e.g. the package store at `/pkg`) — and
//! implements the filesystem system calls on top of it. Paths are normalised lexically
//! (SwiftOS has no symbolic links) relative to the caller's working directory and never escape
//! its confinement root ([`normalize`]). Every permission decision is delegated to
//! `swiftos-authority`; this crate decides nothing on its own.
//!
//! The kernel keeps one `FsContext` per process (borrowed per call) and a [`Handle`] per open
//! file description. `/dev/null` is served here; `/dev/console` handles
//! ([`Handle::device`] = `Some(DeviceId::Console)`) are served by the kernel's console driver.
//!
//! ```
//! use swiftos_abi::{fcntl::*, Caps, Errno};
//! use swiftos_packfs::{Attrs, Image, ImageBuilder, MemDisk};
//! use swiftos_vfs::{FsContext, Vfs};
//!
//! let mut b = ImageBuilder::new();
//! b.add_file("/etc/motd", b"welcome\n".to_vec(), Attrs::FILE).unwrap();
//! b.add_dir("/tmp", Attrs::root(0o1777)).unwrap();
//! let image = Image::open(MemDisk::new(b.build().unwrap())).unwrap();
//! let mut vfs = Vfs::new(image);
//!
//! let user = FsContext {
//!     cwd: "/tmp",
//!     confine_root: "/",
//!     caps: Caps::FS_READ.union(Caps::TMP_WRITE),
//!     uid: 1000,
//!     gid: 1000,
//! };
//! let motd = vfs.read_whole_file(&user, "/etc/motd").unwrap();
//! assert_eq!(motd, b"welcome\n");
//!
//! // Relative to the cwd, created in /tmp, read back through a handle.
//! let mut h = vfs.open(&user, "note", O_WRONLY | O_CREAT, 0o644).unwrap();
//! vfs.write(&mut h, b"hi").unwrap();
//! vfs.close(h);
//! let mut h = vfs.open(&user, "/tmp/note", O_RDONLY, 0).unwrap();
//! let mut buf = [0u8; 8];
//! assert_eq!(vfs.read(&mut h, &mut buf), Ok(2));
//! vfs.close(h);
//!
//! // The base image is read-only for everybody.
//! assert_eq!(vfs.open(&user, "/etc/motd", O_WRONLY, 0).unwrap_err(), Errno::EROFS);
//! ```
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod devfs;
pub mod fs;
pub mod handle;
pub mod packmount;
pub mod path;
pub mod storemount;
pub mod tmpfs;
pub mod vfs;

pub use devfs::DevFs;
pub use fs::{DeviceId, DirEntry, FileSystem, Ino, NodeInfo};
pub use handle::Handle;
pub use packmount::PackFs;
pub use path::{normalize, NormPath, NAME_MAX};
pub use storemount::{OverlayFs, SharedStore, StoreFs};
pub use tmpfs::TmpFs;
pub use vfs::{Vfs, VfsOptions};

use swiftos_abi::Caps;
use swiftos_authority::Subject;

/// The filesystem view of the calling process, passed to every path-taking call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FsContext<'a> {
    /// Working directory: normalised absolute path inside `confine_root`.
    pub cwd: &'a str,
    /// Confinement root (`/` when unconfined): normalised absolute path.
    pub confine_root: &'a str,
    /// Capability mask.
    pub caps: Caps,
    /// Principal.
    pub uid: u32,
    /// Primary group.
    pub gid: u32,
}

impl FsContext<'static> {
    /// The kernel's own view: unconfined, principal 0, every capability (boot-time work such as
    /// loading `init`).
    pub const fn kernel() -> FsContext<'static> {
        FsContext {
            cwd: "/",
            confine_root: "/",
            caps: Caps::ALL,
            uid: 0,
            gid: 0,
        }
    }
}

impl FsContext<'_> {
    /// The authority subject for this context.
    pub const fn subject(&self) -> Subject {
        Subject::new(self.uid, self.gid, self.caps)
    }
}
