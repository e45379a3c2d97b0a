//! The SwiftOS packed read-only base image ("packfs").
//!
//! An image is a header sector, an inode table, a name table and sector-aligned file data
//! (specified in `docs/IMAGE_FORMAT.md`). The [`Image`] reader is `no_std + alloc` and works over
//! any [`BlockDevice`] (the kernel implements it over virtio-blk): [`Image::open`] validates the
//! header, both checksums and the whole inode table before anything is used, so a corrupt or
//! truncated image yields a precise [`Error`] (field and byte offset), never a panic. Lookups are
//! answered from memory (binary search within a directory); file reads go to the device.
//!
//! With the `std` feature, [`ImageBuilder`] builds images deterministically from a host tree.
//!
//! ```
//! # #[cfg(feature = "std")] {
//! use swiftos_packfs::{Attrs, Image, ImageBuilder, MemDisk};
//! let mut b = ImageBuilder::new();
//! b.add_file("/etc/motd", b"hello\n".to_vec(), Attrs::FILE).unwrap();
//! let bytes = b.build().unwrap();
//!
//! let mut img = Image::open(MemDisk::new(bytes)).unwrap();
//! let motd = img.resolve("/etc/motd").unwrap();
//! let mut buf = [0u8; 16];
//! let n = img.read_at(motd, 0, &mut buf).unwrap();
//! assert_eq!(&buf[..n], b"hello\n");
//! # }
//! ```
#![cfg_attr(not(any(test, feature = "std")), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod device;
pub mod error;
pub mod format;
pub mod reader;
#[cfg(feature = "std")]
pub mod writer;

pub use device::{BlockDevice, IoError, MemDisk};
pub use error::{Digest, Error};
pub use format::{NAME_MAX, SECTOR_SIZE};
pub use reader::{parse_header, valid_name, Header, Image, Inode};
#[cfg(feature = "std")]
pub use writer::{mtime_from_env, Attrs, ImageBuilder, WriteError};
