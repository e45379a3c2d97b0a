//! Every authority decision in SwiftOS, as pure functions.
//!
//! The kernel (and the VFS it embeds) asks this crate and nothing else whether an operation is
//! allowed: "all checks in one place". Each check takes a [`Subject`] (who is asking: principal,
//! group and capability mask) plus a small descriptor of the object, and answers
//! `Result<(), Errno>` with the exact error the system call returns.
//!
//! The policy has two layers:
//!
//! 1. **Capabilities** ([`Caps`]) decide *what kind* of authority a process has at all:
//!    reading outside `/tmp` needs `capFsRead`, any mutation under `/tmp` needs `capTmpWrite`,
//!    mutations anywhere else fail with `EROFS` (the base image and devices are read-only
//!    trees), other principals' processes need `capProcessInspect` / `capProcessKill`, and so on.
//! 2. **Ownership and mode bits** (classic Unix discretionary access control) then decide about
//!    individual files: `/etc/shadow` at mode 0600 stays unreadable to `user` even though `user`
//!    holds `capFsRead`, and the sticky `/tmp` (mode 01777) keeps users from deleting each
//!    other's files. Principal 0 (`root`) bypasses the mode bits but never the capabilities.
//!
//! Confinement (`confine(path)`) narrows a process's filesystem view to one subtree; see
//! [`check_confined`]. Handles carry [`Rights`], checked by [`check_handle`] and friends.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

pub mod fs;
pub mod handle;
pub mod process;

pub use fs::*;
pub use handle::*;
pub use process::*;
pub use swiftos_abi::{Caps, Errno, Rights};

/// Who is asking: the calling process's principal, group and capability mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subject {
    /// Principal (user id); 0 is `root`.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// Capability mask.
    pub caps: Caps,
}

impl Subject {
    /// A subject with the given identity and capabilities.
    pub const fn new(uid: u32, gid: u32, caps: Caps) -> Subject {
        Subject { uid, gid, caps }
    }

    /// `Ok(())` if the subject holds every capability in `needed`, else `Err(err)`.
    pub fn require(&self, needed: Caps, err: Errno) -> Result<(), Errno> {
        if self.caps.contains(needed) {
            Ok(())
        } else {
            Err(err)
        }
    }
}
