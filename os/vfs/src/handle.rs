//! Open-file handles: what a descriptor-table slot holds.

use crate::fs::{DeviceId, Ino};
use swiftos_abi::fcntl::{O_APPEND, O_NONBLOCK};
use swiftos_abi::Rights;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// A file or directory on mount `mount`.
    Node { mount: usize, ino: Ino, dir: bool },
    /// A device node (`/dev/console`, `/dev/null`); `mount`/`ino` locate it for `fstat`.
    Device {
        dev: DeviceId,
        mount: usize,
        ino: Ino,
    },
}

/// An open file, directory or device, with its rights, status flags and offset.
///
/// Handles are created by [`crate::Vfs::open`] and must be given back to
/// [`crate::Vfs::close`] (that keeps unlinked-but-open `/tmp` files alive exactly as long as
/// needed). A `Handle` is deliberately not `Clone`: descriptors that share an open file
/// description (`dup`, inheritance) should share one `Handle` in the kernel (its offset is
/// shared, as in POSIX); [`crate::Vfs::dup`] makes an independent copy.
#[derive(Debug, PartialEq, Eq)]
pub struct Handle {
    pub(crate) target: Target,
    pub(crate) rights: Rights,
    pub(crate) flags: u32,
    pub(crate) offset: u64,
}

impl Handle {
    /// The rights this handle carries.
    pub fn rights(&self) -> Rights {
        self.rights
    }
    /// Narrow the rights (`restrict_handle`); never widens.
    pub fn restrict(&mut self, rights: Rights) {
        self.rights = swiftos_authority::narrow_rights(self.rights, rights);
    }
    /// The `open` flags (`O_*`), as updated by [`Handle::set_status_flags`].
    pub fn flags(&self) -> u32 {
        self.flags
    }
    /// `fcntl(F_SETFL)`: only `O_APPEND` and `O_NONBLOCK` may change.
    pub fn set_status_flags(&mut self, flags: u32) {
        let mutable = O_APPEND | O_NONBLOCK;
        self.flags = (self.flags & !mutable) | (flags & mutable);
    }
    /// The current offset (directories: the next entry's index).
    pub fn offset(&self) -> u64 {
        self.offset
    }
    /// The device behind this handle, if any. The kernel serves [`DeviceId::Console`] itself
    /// (the VFS answers `ENODEV` for console reads and writes).
    pub fn device(&self) -> Option<DeviceId> {
        match self.target {
            Target::Device { dev, .. } => Some(dev),
            Target::Node { .. } => None,
        }
    }
    /// Is this an open directory?
    pub fn is_dir(&self) -> bool {
        matches!(self.target, Target::Node { dir: true, .. })
    }
}
