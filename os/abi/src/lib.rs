//! The SwiftOS system-call ABI: the single source of truth shared by the kernel, the Rust
//! userland runtime and (through a generated C header) the newlib sysroot.
//!
//! Calling convention: `svc #0`, system-call number in `x8`, arguments in `x0..x5`, result in
//! `x0`. A result in `-4095..=-1` is a negated [`Errno`]; anything else is success.
//!
//! Pointers passed to the kernel are always paired with an explicit length (paths are *not*
//! NUL-terminated). The kernel validates every user pointer range before touching it and answers
//! [`Errno::EFAULT`] for a bad one.
//!
//! Numeric values (errno, `O_*`, `S_IF*`, `struct stat`) deliberately equal newlib's so the C
//! glue in `sysroot/` is a thin pass-through. `docs/ABI.md` is the written specification.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

pub mod caps;
pub mod errno;
pub mod fcntl;
pub mod layout;
pub mod net;
pub mod nr;
pub mod types;

pub use caps::{Caps, Rights};
pub use errno::Errno;
pub use types::*;

/// ABI revision. Bumped on any incompatible change; packages record the ABI they were built for.
pub const ABI_VERSION: u32 = 1;

/// Decode a raw `x0` return value into `Ok(value)` or `Err(errno)`.
pub fn decode_result(raw: isize) -> Result<usize, Errno> {
    if (-4095..0).contains(&raw) {
        Err(Errno::from_raw((-raw) as u32))
    } else {
        Ok(raw as usize)
    }
}

/// Encode a kernel-side result into the raw `x0` value.
pub fn encode_result(r: Result<usize, Errno>) -> isize {
    match r {
        Ok(v) => v as isize,
        Err(e) => -(e as u32 as isize),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_round_trip() {
        assert_eq!(decode_result(encode_result(Ok(42))), Ok(42));
        assert_eq!(
            decode_result(encode_result(Err(Errno::ENOENT))),
            Err(Errno::ENOENT)
        );
        // Large addresses (e.g. mmap results) must not be mistaken for errors.
        assert_eq!(decode_result(0x7fff_0000_0000), Ok(0x7fff_0000_0000));
    }

    #[test]
    fn unknown_errno_maps_to_eio_not_panic() {
        assert_eq!(Errno::from_raw(4000), Errno::EUNKNOWN);
    }
}

#[cfg(test)]
mod doc_tests {
    /// docs/ABI.md must describe every call the crate defines.
    #[test]
    fn every_call_is_documented() {
        let doc = include_str!("../../../docs/ABI.md");
        for (nr, name) in crate::nr::TABLE {
            let row = row_of(*nr, name);
            assert!(
                doc.contains(&row),
                "docs/ABI.md lacks the row for {name} ({nr})"
            );
        }
    }

    fn row_of(nr: usize, name: &str) -> std::string::String {
        std::format!("| {nr} | {name} |")
    }
}
