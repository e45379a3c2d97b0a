//! File flags and mode bits (newlib's values).

pub const O_RDONLY: u32 = 0;
pub const O_WRONLY: u32 = 1;
pub const O_RDWR: u32 = 2;
pub const O_ACCMODE: u32 = 3;
pub const O_APPEND: u32 = 0x0008;
pub const O_CREAT: u32 = 0x0200;
pub const O_TRUNC: u32 = 0x0400;
pub const O_EXCL: u32 = 0x0800;
pub const O_SYNC: u32 = 0x2000;
pub const O_NONBLOCK: u32 = 0x4000;
pub const O_NOCTTY: u32 = 0x8000;
pub const O_CLOEXEC: u32 = 0x4_0000;
pub const O_NOFOLLOW: u32 = 0x10_0000;
pub const O_DIRECTORY: u32 = 0x20_0000;

pub const S_IFMT: u32 = 0o170000;
pub const S_IFIFO: u32 = 0o010000;
pub const S_IFCHR: u32 = 0o020000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFLNK: u32 = 0o120000;
pub const S_IFSOCK: u32 = 0o140000;

pub const SEEK_SET: u32 = 0;
pub const SEEK_CUR: u32 = 1;
pub const SEEK_END: u32 = 2;

/// `fcntl` commands (newlib values).
pub const F_DUPFD: u32 = 0;
pub const F_GETFD: u32 = 1;
pub const F_SETFD: u32 = 2;
pub const F_GETFL: u32 = 3;
pub const F_SETFL: u32 = 4;
pub const FD_CLOEXEC: u32 = 1;

/// `mmap` protection and flags (only anonymous private mappings are supported).
pub const PROT_NONE: u32 = 0;
pub const PROT_READ: u32 = 1;
pub const PROT_WRITE: u32 = 2;
pub const PROT_EXEC: u32 = 4;
pub const MAP_SHARED: u32 = 0x01;
pub const MAP_PRIVATE: u32 = 0x02;
pub const MAP_FIXED: u32 = 0x10;
pub const MAP_ANONYMOUS: u32 = 0x20;

/// `wait` flags.
pub const WNOHANG: u32 = 1;

/// Clock ids (newlib values).
pub const CLOCK_REALTIME: u32 = 1;
pub const CLOCK_MONOTONIC: u32 = 4;

/// Signals understood by `kill`. Delivery terminates the target (no user handlers yet),
/// except [`SIGINT`] which a process may choose to ignore via `sigint_mode`.
pub const SIGINT: u32 = 2;
pub const SIGKILL: u32 = 9;
pub const SIGSEGV: u32 = 11;
pub const SIGPIPE: u32 = 13;
pub const SIGTERM: u32 = 15;
pub const SIGILL: u32 = 4;
pub const SIGBUS: u32 = 10;

/// Encode a wait status the way newlib's `<sys/wait.h>` macros decode it.
pub const fn wait_status_exited(code: u8) -> u32 {
    (code as u32) << 8
}
pub const fn wait_status_signaled(sig: u32) -> u32 {
    sig & 0x7f
}
/// `WIFEXITED`.
pub const fn wifexited(status: u32) -> bool {
    status & 0xff == 0
}
/// `WEXITSTATUS`.
pub const fn wexitstatus(status: u32) -> u8 {
    ((status >> 8) & 0xff) as u8
}
/// `WTERMSIG` (valid when not exited).
pub const fn wtermsig(status: u32) -> u32 {
    status & 0x7f
}

/// Power-off / reboot argument of [`crate::nr::POWER`].
pub const POWER_OFF: u32 = 0;
pub const POWER_REBOOT: u32 = 1;

/// Console modes for [`crate::nr::CONSOLE_MODE`].
pub const CONSOLE_COOKED: u32 = 0;
/// Raw: no echo, no line buffering; Ctrl-C still signals the foreground process group.
pub const CONSOLE_RAW: u32 = 1;
