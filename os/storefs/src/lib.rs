//! SwiftOS package store filesystem (`swiftos-storefs`): a small copy-on-write filesystem on a
//! writable block device, the on-disk format of the persistent package store mounted at `/pkg`.
//!
//! The whole tree (inodes, directory entries, per-block data checksums) is one metadata blob;
//! two superblock slots (blocks 0 and 1) point at the current and the previous blob. File data
//! and blobs are only ever written to blocks that neither committed snapshot references, and a
//! commit ends by writing one superblock, so a power cut at any moment leaves the last
//! committed state (see `docs/STORE_FORMAT.md`).
//!
//! ```
//! use swiftos_storefs::{MemDev, Store};
//! let mut s = Store::format(MemDev::new(1 << 20), 0).unwrap();
//! let f = s.create(s.root(), "hello", 0o644, 0, 0, 0).unwrap();
//! s.write(f, 0, b"hi", 0).unwrap();
//! s.commit().unwrap();
//! let dev = s.into_device();
//! let (mut s, report) = Store::mount(dev).unwrap();
//! assert_eq!(report.seq, 2);
//! let f = s.resolve("/hello").unwrap();
//! let mut buf = [0u8; 8];
//! assert_eq!(s.read(f, 0, &mut buf).unwrap(), 2);
//! ```
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod cache;
pub mod device;
pub mod format;
pub mod store;

pub use device::{BlockDev, IoError, LogOp, MemDev, SECTOR_SIZE};
pub use format::{SlotError, BLOCK_SIZE, S_IFDIR, S_IFMT, S_IFREG};
pub use store::{is_blank, Attr, Error, MountReport, Store, Usage};
