//! The `.swpkg` package format: a `no_std + alloc` streaming parser and verifier.
//!
//! A `.swpkg` file is a zstd-compressed POSIX (ustar, with pax `path`/`linkpath` records only
//! where a name does not fit) tar archive:
//!
//! 1. `+MANIFEST`: the manifest, canonical JSON (see [`Manifest`]);
//! 2. `+SIGNATURE`: 64 raw bytes, an ed25519 signature over the exact bytes of `+MANIFEST`;
//! 3. the payload entries, exactly the manifest's `files`, in the same (sorted) order.
//!
//! [`verify_stream`] reads the *decompressed* tar bytes from any [`Read`] source, verifies the
//! signature before interpreting the manifest, validates the manifest (paths, symlinks, limits,
//! arch and ABI), then streams every payload entry through a [`Sink`], hashing file contents as
//! they pass and failing on any mismatch, extra, missing or out-of-order entry. Nothing needs the
//! whole package in memory: memory use is the manifest plus one fixed-size buffer.
//!
//! `docs/PACKAGE_FORMAT.md` is the written specification.
#![cfg_attr(not(any(test, feature = "std")), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod error;
pub mod hex;
pub mod key;
pub mod limits;
pub mod manifest;
pub mod name;
#[cfg(any(feature = "zstd", feature = "ruzstd"))]
pub mod open;
pub mod path;
pub mod read;
pub mod tar;
#[cfg(feature = "testing")]
pub mod testing;
pub mod verify;
#[cfg(feature = "ruzstd")]
pub mod zstd;

pub use ed25519_dalek::{Signature, VerifyingKey};
pub use error::{PackageError, StreamError};
pub use key::{format_public_key, parse_public_key, KeyError};
pub use limits::{Limits, MAX_WINDOW_BYTES, MAX_WINDOW_LOG};
pub use manifest::{Dependency, Entry, EntryKind, Manifest, Mode, Sha256};
pub use name::{NameError, PackageName};
#[cfg(any(feature = "zstd", feature = "ruzstd"))]
pub use open::{OpenError, PackageReader};
pub use read::Read;
pub use verify::{
    inspect_stream, verify_stream, verify_stream_with_keys, verify_stream_with_limits, Inspected,
    NullSink, Sink,
};

/// Tar member name of the manifest (always the first member).
pub const MANIFEST_NAME: &str = "+MANIFEST";
/// Tar member name of the manifest signature (always the second member).
pub const SIGNATURE_NAME: &str = "+SIGNATURE";
/// Manifest `format` value this crate reads and writes.
pub const FORMAT_VERSION: u32 = 1;
/// The only architecture SwiftOS packages are built for.
pub const ARCH: &str = "aarch64";
/// The SwiftOS ABI version packages built today target.
pub const ABI_VERSION: u32 = swiftos_abi::ABI_VERSION;
/// Size of an ed25519 signature, the exact size of the `+SIGNATURE` member.
pub const SIGNATURE_LEN: usize = 64;
