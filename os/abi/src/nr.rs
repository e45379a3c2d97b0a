//! System-call numbers (placed in `x8`). Arguments are listed as `x0, x1, ...`.
//!
//! Paths are always `(ptr, len)` pairs, never NUL-terminated. Every call returns a negated
//! [`crate::Errno`] on failure.

/// `exit(code)` — never returns.
pub const EXIT: usize = 0;
/// `read(fd, buf, len) -> n` (0 = end of input).
pub const READ: usize = 1;
/// `write(fd, buf, len) -> n`.
pub const WRITE: usize = 2;
/// `open(path, path_len, flags, mode) -> fd`.
pub const OPEN: usize = 3;
/// `close(fd)`.
pub const CLOSE: usize = 4;
/// `lseek(fd, offset: i64, whence) -> new offset`.
pub const LSEEK: usize = 5;
/// `fstat(fd, *Stat)`.
pub const FSTAT: usize = 6;
/// `stat(path, path_len, *Stat)`.
pub const STAT: usize = 7;
/// `isatty(fd) -> 1` or `ENOTTY`.
pub const ISATTY: usize = 8;
/// `unlink(path, path_len)`.
pub const UNLINK: usize = 9;
/// `rename(old, old_len, new, new_len)`.
pub const RENAME: usize = 10;
/// `mkdir(path, path_len, mode)`.
pub const MKDIR: usize = 11;
/// `rmdir(path, path_len)`.
pub const RMDIR: usize = 12;
/// `getdents(fd, buf, len) -> bytes` of packed [`crate::DirentHeader`] records (0 = end).
pub const GETDENTS: usize = 13;
/// `chdir(path, path_len)`.
pub const CHDIR: usize = 14;
/// `getcwd(buf, len) -> path length` (not NUL-terminated).
pub const GETCWD: usize = 15;
/// `chmod(path, path_len, mode)`.
pub const CHMOD: usize = 16;
/// `chown(path, path_len, uid, gid)`; needs `capChown`.
pub const CHOWN: usize = 17;
/// `ftruncate(fd, len)`.
pub const FTRUNCATE: usize = 18;
/// `dup(fd) -> new fd`.
pub const DUP: usize = 19;
/// `dup2(old, new) -> new`.
pub const DUP2: usize = 20;
/// `pipe(*[i32; 2])`: `[read end, write end]`.
pub const PIPE: usize = 21;
/// `brk(addr) -> current break` (`addr = 0` queries).
pub const BRK: usize = 22;
/// `mmap(addr, len, prot, flags) -> addr`; anonymous private mappings only.
pub const MMAP: usize = 23;
/// `munmap(addr, len)`.
pub const MUNMAP: usize = 24;
/// `spawn(*SpawnArgs) -> pid`: start a program in a new process.
pub const SPAWN: usize = 25;
/// `exec(path, path_len, argv: *StrSlice, argc, envp: *StrSlice, envc)`: replace the image.
pub const EXEC: usize = 26;
/// `wait(pid (-1 = any child), *status: u32, flags) -> pid` (0 with `WNOHANG` and none ready).
pub const WAIT: usize = 27;
/// `getpid() -> pid`.
pub const GETPID: usize = 28;
/// `getppid() -> pid`.
pub const GETPPID: usize = 29;
/// `kill(pid, signal)`.
pub const KILL: usize = 30;
/// `clock_gettime(clock, *Timespec)`.
pub const CLOCK_GETTIME: usize = 31;
/// `nanosleep(*Timespec)`.
pub const NANOSLEEP: usize = 32;
/// `sched_yield()`.
pub const YIELD: usize = 33;
/// `get_identity(*Identity)`: principal, session and capability mask of the caller.
pub const GET_IDENTITY: usize = 34;
/// `set_identity(uid, gid, caps)`: needs `capIdentity`; `caps` must be a subset of the caller's.
/// Starts a new session.
pub const SET_IDENTITY: usize = 35;
/// `confine(path, path_len)`: permanently narrow the caller's filesystem view to `path`.
pub const CONFINE: usize = 36;
/// `drop_caps(caps)`: permanently remove capabilities from the caller.
pub const DROP_CAPS: usize = 37;
/// `set_foreground(pid)`: the process that receives Ctrl-C from the console.
pub const SET_FOREGROUND: usize = 38;
/// `console_mode(mode)`: cooked (line discipline) or raw.
pub const CONSOLE_MODE: usize = 39;
/// `power(POWER_OFF | POWER_REBOOT)`: needs `capPower`.
pub const POWER: usize = 40;
/// `proc_list(buf: *ProcInfo, max) -> count`; other principals' processes need `capProcessInspect`.
pub const PROC_LIST: usize = 41;
/// `uname(*Utsname)`.
pub const UNAME: usize = 42;
/// `sysinfo(*SysInfo)`.
pub const SYSINFO: usize = 43;
/// `fcntl(fd, cmd, arg) -> value`.
pub const FCNTL: usize = 44;
/// `handle_rights(fd) -> rights bits` of a handle.
pub const HANDLE_RIGHTS: usize = 45;
/// `restrict_handle(fd, rights)`: narrow a handle's rights (never widen).
pub const RESTRICT_HANDLE: usize = 46;
/// `sigint_mode(ignore: 0|1)`: whether Ctrl-C terminates the caller (shells ignore it).
pub const SIGINT_MODE: usize = 47;
/// `kernel_log(buf, len)`: append a line to the kernel log (serial), tagged with the caller's pid.
pub const KERNEL_LOG: usize = 48;
/// `fsync(fd)`: make the file's filesystem durable (a commit of the package store; a no-op
/// elsewhere).
pub const FSYNC: usize = 49;
/// `set_overlay(buf, len)`: the `/usr` overlay's layers, newline-separated absolute directory
/// paths on the package store (first wins; empty = no layers). Needs `capPkgAdmin` (`EPERM`);
/// `ENOENT`/`ENOTDIR`/`EINVAL` for a bad path, nothing changed on error.
pub const SET_OVERLAY: usize = 50;
/// `get_overlay(buf, len) -> total`: the current layers, one path per line (each ending in
/// `\n`); copies at most `len` bytes and returns the full length.
pub const GET_OVERLAY: usize = 51;

// 60..=79 are reserved for the networking calls (socket, bind, listen, accept, connect, send,
// recv, sendto, recvfrom, shutdown, setsockopt, getsockopt, poll).
pub const NET_FIRST: usize = 60;
pub const NET_LAST: usize = 79;

// Networking calls. All need `capNet` (except `poll`, which works on any descriptor) and fail
// with `EPERM` without it. Socket addresses are [`crate::net::SockAddrIn`] (16 bytes).

/// `socket(domain = AF_INET, type = SOCK_STREAM | SOCK_DGRAM [| SOCK_NONBLOCK | SOCK_CLOEXEC],
/// protocol = 0) -> fd`.
pub const SOCKET: usize = 60;
/// `bind(fd, *SockAddrIn, addr_len)`.
pub const BIND: usize = 61;
/// `listen(fd, backlog)`.
pub const LISTEN: usize = 62;
/// `accept(fd, *SockAddrIn (0 = not wanted), flags: SOCK_NONBLOCK | SOCK_CLOEXEC) -> fd`.
pub const ACCEPT: usize = 63;
/// `connect(fd, *SockAddrIn, addr_len)`; non-blocking sockets answer `EINPROGRESS`.
pub const CONNECT: usize = 64;
/// `send(fd, buf, len, flags) -> n`.
pub const SEND: usize = 65;
/// `recv(fd, buf, len, flags: MSG_PEEK | MSG_DONTWAIT) -> n` (0 = peer closed).
pub const RECV: usize = 66;
/// `sendto(fd, buf, len, flags, *SockAddrIn, addr_len) -> n`.
pub const SENDTO: usize = 67;
/// `recvfrom(fd, buf, len, flags, *SockAddrIn (0 = not wanted)) -> n`.
pub const RECVFROM: usize = 68;
/// `shutdown(fd, SHUT_RD | SHUT_WR | SHUT_RDWR)`.
pub const SHUTDOWN: usize = 69;
/// `setsockopt(fd, level, name, *value, value_len)`.
pub const SETSOCKOPT: usize = 70;
/// `getsockopt(fd, level, name, *value, value_len) -> bytes written`.
pub const GETSOCKOPT: usize = 71;
/// `getsockname(fd, *SockAddrIn)`.
pub const GETSOCKNAME: usize = 72;
/// `getpeername(fd, *SockAddrIn)`; `ENOTCONN` when not connected.
pub const GETPEERNAME: usize = 73;
/// `poll(*PollFd, nfds, timeout_ms: i64 (-1 = forever)) -> ready count`, over sockets, pipes
/// and the console together.
pub const POLL: usize = 74;
/// `net_info(*NetInfo)`: interface address, gateway, MAC and counters (for `ifconfig`).
pub const NET_INFO: usize = 75;
/// `net_sockets(buf: *SockInfo, max) -> count`: the socket table (for `netstat`).
pub const NET_SOCKETS: usize = 76;

/// Highest assigned number + 1.
pub const COUNT: usize = 80;

/// `(number, C-ish name)` of every assigned call, for the generated C header and docs.
pub const TABLE: &[(usize, &str)] = &[
    (EXIT, "exit"),
    (READ, "read"),
    (WRITE, "write"),
    (OPEN, "open"),
    (CLOSE, "close"),
    (LSEEK, "lseek"),
    (FSTAT, "fstat"),
    (STAT, "stat"),
    (ISATTY, "isatty"),
    (UNLINK, "unlink"),
    (RENAME, "rename"),
    (MKDIR, "mkdir"),
    (RMDIR, "rmdir"),
    (GETDENTS, "getdents"),
    (CHDIR, "chdir"),
    (GETCWD, "getcwd"),
    (CHMOD, "chmod"),
    (CHOWN, "chown"),
    (FTRUNCATE, "ftruncate"),
    (DUP, "dup"),
    (DUP2, "dup2"),
    (PIPE, "pipe"),
    (BRK, "brk"),
    (MMAP, "mmap"),
    (MUNMAP, "munmap"),
    (SPAWN, "spawn"),
    (EXEC, "exec"),
    (WAIT, "wait"),
    (GETPID, "getpid"),
    (GETPPID, "getppid"),
    (KILL, "kill"),
    (CLOCK_GETTIME, "clock_gettime"),
    (NANOSLEEP, "nanosleep"),
    (YIELD, "sched_yield"),
    (GET_IDENTITY, "get_identity"),
    (SET_IDENTITY, "set_identity"),
    (CONFINE, "confine"),
    (DROP_CAPS, "drop_caps"),
    (SET_FOREGROUND, "set_foreground"),
    (CONSOLE_MODE, "console_mode"),
    (POWER, "power"),
    (PROC_LIST, "proc_list"),
    (UNAME, "uname"),
    (SYSINFO, "sysinfo"),
    (FCNTL, "fcntl"),
    (HANDLE_RIGHTS, "handle_rights"),
    (RESTRICT_HANDLE, "restrict_handle"),
    (SIGINT_MODE, "sigint_mode"),
    (KERNEL_LOG, "kernel_log"),
    (FSYNC, "fsync"),
    (SET_OVERLAY, "set_overlay"),
    (GET_OVERLAY, "get_overlay"),
    (SOCKET, "socket"),
    (BIND, "bind"),
    (LISTEN, "listen"),
    (ACCEPT, "accept"),
    (CONNECT, "connect"),
    (SEND, "send"),
    (RECV, "recv"),
    (SENDTO, "sendto"),
    (RECVFROM, "recvfrom"),
    (SHUTDOWN, "shutdown"),
    (SETSOCKOPT, "setsockopt"),
    (GETSOCKOPT, "getsockopt"),
    (GETSOCKNAME, "getsockname"),
    (GETPEERNAME, "getpeername"),
    (POLL, "poll"),
    (NET_INFO, "net_info"),
    (NET_SOCKETS, "net_sockets"),
];

#[cfg(test)]
mod tests {
    #[test]
    fn table_numbers_unique_and_in_range() {
        let mut seen = [false; super::COUNT];
        for (n, name) in super::TABLE {
            let is_net = name.starts_with("net_")
                || [
                    "socket",
                    "bind",
                    "listen",
                    "accept",
                    "connect",
                    "send",
                    "recv",
                    "sendto",
                    "recvfrom",
                    "shutdown",
                    "setsockopt",
                    "getsockopt",
                    "getsockname",
                    "getpeername",
                    "poll",
                ]
                .contains(name);
            assert_eq!(
                (super::NET_FIRST..=super::NET_LAST).contains(n),
                is_net,
                "{name} ({n}) is on the wrong side of the network range"
            );
            assert!(!seen[*n], "duplicate number {n} ({name})");
            seen[*n] = true;
        }
    }
}
