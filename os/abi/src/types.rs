//! `#[repr(C)]` structures exchanged through system calls, with compile-time layout checks.

use crate::caps::Caps;
use core::mem::{offset_of, size_of};

/// `struct timespec` (newlib, 64-bit `time_t`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timespec {
    pub tv_sec: i64,
    pub tv_nsec: i64,
}

/// `struct stat`, laid out exactly as newlib's for AArch64 (104 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    pub st_dev: i16,
    pub st_ino: u16,
    pub st_mode: u32,
    pub st_nlink: u16,
    pub st_uid: u16,
    pub st_gid: u16,
    pub st_rdev: i16,
    pub st_size: i64,
    pub st_atim: Timespec,
    pub st_mtim: Timespec,
    pub st_ctim: Timespec,
    pub st_blksize: i64,
    pub st_blocks: i64,
    pub st_spare4: [i64; 2],
}

const _: () = {
    assert!(size_of::<Timespec>() == 16);
    assert!(size_of::<Stat>() == 104);
    assert!(offset_of!(Stat, st_mode) == 4);
    assert!(offset_of!(Stat, st_nlink) == 8);
    assert!(offset_of!(Stat, st_rdev) == 14);
    assert!(offset_of!(Stat, st_size) == 16);
    assert!(offset_of!(Stat, st_mtim) == 40);
    assert!(offset_of!(Stat, st_blksize) == 72);
};

/// Header of one `getdents` record; `namelen` name bytes follow, then padding to `reclen`
/// (a multiple of 8).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DirentHeader {
    pub ino: u64,
    /// Total record length including header, name and padding.
    pub reclen: u16,
    /// One of the `DT_*` values.
    pub kind: u8,
    pub namelen: u8,
    pub _pad: u32,
}
const _: () = assert!(size_of::<DirentHeader>() == 16);

pub const DT_UNKNOWN: u8 = 0;
pub const DT_FIFO: u8 = 1;
pub const DT_CHR: u8 = 2;
pub const DT_DIR: u8 = 4;
pub const DT_REG: u8 = 8;
pub const DT_LNK: u8 = 10;

/// A borrowed byte string passed to the kernel (argv/envp elements).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct StrSlice {
    pub ptr: u64,
    pub len: u64,
}
const _: () = assert!(size_of::<StrSlice>() == 16);

/// One explicit handle grant for `spawn`: the parent's `parent_fd` becomes the child's
/// `child_fd`, with rights narrowed to `rights` (intersected with the handle's current rights).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct HandleGrant {
    pub parent_fd: i32,
    pub child_fd: i32,
    pub rights: u32,
    pub _pad: u32,
}
const _: () = assert!(size_of::<HandleGrant>() == 16);

/// Argument block of `spawn`. The child inherits *only* the handles in `handles`
/// (`spawn_handles`), capabilities `parent.caps - drop_caps`, the parent's identity,
/// confinement root and working directory.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SpawnArgs {
    pub path: StrSlice,
    pub argv: u64,
    pub argc: u64,
    pub envp: u64,
    pub envc: u64,
    pub handles: u64,
    pub handle_count: u64,
    pub drop_caps: Caps,
    /// Working directory for the child (`len == 0`: inherit the parent's).
    pub cwd: StrSlice,
}
const _: () = assert!(size_of::<SpawnArgs>() == 88);

/// Who a process is: filled by `get_identity`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    pub pid: u32,
    pub ppid: u32,
    /// Principal (user id). 0 = root.
    pub uid: u32,
    pub gid: u32,
    pub session: u32,
    pub _pad: u32,
    pub caps: Caps,
}
const _: () = assert!(size_of::<Identity>() == 32);

pub const PROC_NAME_LEN: usize = 32;

/// Process states reported by `proc_list`.
pub const PROC_RUNNING: u32 = 0;
pub const PROC_READY: u32 = 1;
pub const PROC_BLOCKED: u32 = 2;
pub const PROC_ZOMBIE: u32 = 3;

/// One row of `proc_list`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ProcInfo {
    pub pid: u32,
    pub ppid: u32,
    pub uid: u32,
    pub session: u32,
    pub state: u32,
    pub _pad: u32,
    /// CPU time consumed, nanoseconds.
    pub cpu_ns: u64,
    /// Resident user memory, bytes.
    pub mem_bytes: u64,
    pub caps: Caps,
    /// Program name, NUL-padded.
    pub name: [u8; PROC_NAME_LEN],
}
const _: () = assert!(size_of::<ProcInfo>() == 80);

pub const UTS_LEN: usize = 64;

/// `uname` result; each field NUL-padded.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Utsname {
    pub sysname: [u8; UTS_LEN],
    pub nodename: [u8; UTS_LEN],
    pub release: [u8; UTS_LEN],
    pub version: [u8; UTS_LEN],
    pub machine: [u8; UTS_LEN],
}
const _: () = assert!(size_of::<Utsname>() == 5 * UTS_LEN);

/// `sysinfo` result.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SysInfo {
    pub uptime_ns: u64,
    pub mem_total: u64,
    pub mem_free: u64,
    /// Time the CPU spent idle since boot, nanoseconds.
    pub idle_ns: u64,
    pub nprocs: u32,
    pub ncpus: u32,
}
const _: () = assert!(size_of::<SysInfo>() == 40);
