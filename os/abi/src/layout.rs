//! The user address-space layout every process starts with.
//!
//! Programs are static ELF64 executables linked at [`USER_IMAGE_BASE`] or above. At entry:
//! `sp` points at `argc`, followed by `argv[0..argc]`, a NULL, `envp[..]`, a NULL (the SysV
//! layout newlib's crt0 expects); in addition `x0 = argc`, `x1 = argv`, `x2 = envp`.

/// Lowest address a program segment may occupy (the first page stays unmapped for NULL).
pub const USER_IMAGE_BASE: u64 = 0x0040_0000;
/// One past the highest user address (48-bit TTBR0 space).
pub const USER_END: u64 = 0x0001_0000_0000_0000;
/// Top of the initial stack (exclusive).
pub const USER_STACK_TOP: u64 = 0x0000_7fff_ffff_0000;
/// Size of the initial stack.
pub const USER_STACK_SIZE: u64 = 1 << 20;
/// Where anonymous `mmap` allocations start when no address hint is given.
pub const USER_MMAP_BASE: u64 = 0x0000_4000_0000_0000;
/// Page size.
pub const PAGE_SIZE: u64 = 4096;
/// Limits on a new process's arguments and environment.
pub const MAX_ARGS: usize = 256;
pub const MAX_ARG_BYTES: usize = 64 * 1024;
/// Longest path accepted by any call.
pub const PATH_MAX: usize = 1024;
/// Descriptor-table size per process.
pub const MAX_FDS: usize = 64;
