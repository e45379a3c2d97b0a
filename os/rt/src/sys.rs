//! Safe wrappers for every SwiftOS system call (`swiftos_abi::nr`), returning
//! `Result<_, Errno>`. This module is the only place that executes `svc`.

use alloc::vec::Vec;
use core::arch::asm;
use core::mem::MaybeUninit;
use swiftos_abi::{
    decode_result, nr, Caps, Errno, HandleGrant, Identity, ProcInfo, Rights, SpawnArgs, Stat,
    StrSlice, SysInfo, Timespec, Utsname,
};

/// A raw descriptor number.
pub type Fd = i32;

/// Issue system call `n` with six arguments.
///
/// # Safety
/// Any argument the kernel interprets as a pointer must be valid for the access that call
/// makes (the kernel checks ranges against the address space, but a wrong-yet-mapped pointer
/// would let it overwrite our own memory).
#[inline(always)]
pub unsafe fn syscall6(n: usize, a: [usize; 6]) -> isize {
    let ret: isize;
    // SAFETY: `svc #0` is the SwiftOS system-call instruction; the kernel preserves every
    // register except x0 (result). Pointer validity is the caller's obligation (see above).
    unsafe {
        asm!(
            "svc #0",
            inlateout("x0") a[0] => ret,
            in("x1") a[1],
            in("x2") a[2],
            in("x3") a[3],
            in("x4") a[4],
            in("x5") a[5],
            in("x8") n,
            options(nostack),
        );
    }
    ret
}

/// Call with only plain integers (no pointers).
#[inline]
fn call(n: usize, a: [usize; 6]) -> Result<usize, Errno> {
    // SAFETY: callers of `call` pass no pointers, so there is nothing the kernel could misuse.
    decode_result(unsafe { syscall6(n, a) })
}

/// Call whose pointer arguments were all derived from live Rust references/slices of the
/// right size right before the call.
#[inline]
fn call_ptr(n: usize, a: [usize; 6]) -> Result<usize, Errno> {
    // SAFETY: every caller builds its pointer arguments from references or slices that outlive
    // the call and pairs each with its exact length (see each wrapper).
    decode_result(unsafe { syscall6(n, a) })
}

fn path_args(p: &str) -> (usize, usize) {
    (p.as_ptr() as usize, p.len())
}

/// `exit(code)`: end the process.
pub fn exit(code: i32) -> ! {
    let _ = call(nr::EXIT, [code as usize, 0, 0, 0, 0, 0]);
    // The kernel never returns from exit; if it did, spin rather than run on.
    loop {
        core::hint::spin_loop();
    }
}

pub fn read(fd: Fd, buf: &mut [u8]) -> Result<usize, Errno> {
    call_ptr(
        nr::READ,
        [fd as usize, buf.as_mut_ptr() as usize, buf.len(), 0, 0, 0],
    )
}

pub fn write(fd: Fd, buf: &[u8]) -> Result<usize, Errno> {
    call_ptr(
        nr::WRITE,
        [fd as usize, buf.as_ptr() as usize, buf.len(), 0, 0, 0],
    )
}

/// Write all of `buf`, retrying short writes.
pub fn write_all(fd: Fd, mut buf: &[u8]) -> Result<(), Errno> {
    while !buf.is_empty() {
        match write(fd, buf) {
            Ok(0) => return Err(Errno::EIO),
            Ok(n) => buf = &buf[n.min(buf.len())..],
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

pub fn open(path: &str, flags: u32, mode: u32) -> Result<Fd, Errno> {
    let (p, l) = path_args(path);
    call_ptr(nr::OPEN, [p, l, flags as usize, mode as usize, 0, 0]).map(|fd| fd as Fd)
}

pub fn close(fd: Fd) -> Result<(), Errno> {
    call(nr::CLOSE, [fd as usize, 0, 0, 0, 0, 0]).map(drop)
}

pub fn lseek(fd: Fd, offset: i64, whence: u32) -> Result<u64, Errno> {
    call(
        nr::LSEEK,
        [fd as usize, offset as usize, whence as usize, 0, 0, 0],
    )
    .map(|v| v as u64)
}

pub fn fstat(fd: Fd) -> Result<Stat, Errno> {
    let mut st = Stat::default();
    call_ptr(
        nr::FSTAT,
        [fd as usize, &mut st as *mut Stat as usize, 0, 0, 0, 0],
    )?;
    Ok(st)
}

pub fn stat(path: &str) -> Result<Stat, Errno> {
    let mut st = Stat::default();
    let (p, l) = path_args(path);
    call_ptr(nr::STAT, [p, l, &mut st as *mut Stat as usize, 0, 0, 0])?;
    Ok(st)
}

pub fn isatty(fd: Fd) -> bool {
    call(nr::ISATTY, [fd as usize, 0, 0, 0, 0, 0]).is_ok()
}

pub fn unlink(path: &str) -> Result<(), Errno> {
    let (p, l) = path_args(path);
    call_ptr(nr::UNLINK, [p, l, 0, 0, 0, 0]).map(drop)
}

pub fn rename(old: &str, new: &str) -> Result<(), Errno> {
    let (p, l) = path_args(old);
    let (q, m) = path_args(new);
    call_ptr(nr::RENAME, [p, l, q, m, 0, 0]).map(drop)
}

pub fn mkdir(path: &str, mode: u32) -> Result<(), Errno> {
    let (p, l) = path_args(path);
    call_ptr(nr::MKDIR, [p, l, mode as usize, 0, 0, 0]).map(drop)
}

pub fn rmdir(path: &str) -> Result<(), Errno> {
    let (p, l) = path_args(path);
    call_ptr(nr::RMDIR, [p, l, 0, 0, 0, 0]).map(drop)
}

/// Fill `buf` with packed `DirentHeader` records; 0 = end of directory.
pub fn getdents(fd: Fd, buf: &mut [u8]) -> Result<usize, Errno> {
    call_ptr(
        nr::GETDENTS,
        [fd as usize, buf.as_mut_ptr() as usize, buf.len(), 0, 0, 0],
    )
}

pub fn chdir(path: &str) -> Result<(), Errno> {
    let (p, l) = path_args(path);
    call_ptr(nr::CHDIR, [p, l, 0, 0, 0, 0]).map(drop)
}

/// The working directory.
pub fn getcwd() -> Result<alloc::string::String, Errno> {
    let mut buf = alloc::vec![0u8; swiftos_abi::layout::PATH_MAX];
    let n = call_ptr(
        nr::GETCWD,
        [buf.as_mut_ptr() as usize, buf.len(), 0, 0, 0, 0],
    )?;
    buf.truncate(n.min(buf.len()));
    alloc::string::String::from_utf8(buf).map_err(|_| Errno::EILSEQ)
}

pub fn chmod(path: &str, mode: u32) -> Result<(), Errno> {
    let (p, l) = path_args(path);
    call_ptr(nr::CHMOD, [p, l, mode as usize, 0, 0, 0]).map(drop)
}

pub fn chown(path: &str, uid: u32, gid: u32) -> Result<(), Errno> {
    let (p, l) = path_args(path);
    call_ptr(nr::CHOWN, [p, l, uid as usize, gid as usize, 0, 0]).map(drop)
}

/// `fsync(fd)`: make the file's filesystem durable (commits the package store).
pub fn fsync(fd: Fd) -> Result<(), Errno> {
    call(nr::FSYNC, [fd as usize, 0, 0, 0, 0, 0]).map(drop)
}

/// `set_overlay(buf, len)`: newline-separated layer paths.
pub fn set_overlay(text: &[u8]) -> Result<(), Errno> {
    call_ptr(
        nr::SET_OVERLAY,
        [text.as_ptr() as usize, text.len(), 0, 0, 0, 0],
    )
    .map(drop)
}

/// `get_overlay(buf, len) -> full length`.
pub fn get_overlay(buf: &mut [u8]) -> Result<usize, Errno> {
    call_ptr(
        nr::GET_OVERLAY,
        [buf.as_mut_ptr() as usize, buf.len(), 0, 0, 0, 0],
    )
}

pub fn ftruncate(fd: Fd, len: u64) -> Result<(), Errno> {
    call(nr::FTRUNCATE, [fd as usize, len as usize, 0, 0, 0, 0]).map(drop)
}

pub fn dup(fd: Fd) -> Result<Fd, Errno> {
    call(nr::DUP, [fd as usize, 0, 0, 0, 0, 0]).map(|v| v as Fd)
}

pub fn dup2(old: Fd, new: Fd) -> Result<Fd, Errno> {
    call(nr::DUP2, [old as usize, new as usize, 0, 0, 0, 0]).map(|v| v as Fd)
}

/// `[read end, write end]`.
pub fn pipe() -> Result<[Fd; 2], Errno> {
    let mut fds = [-1i32; 2];
    call_ptr(nr::PIPE, [fds.as_mut_ptr() as usize, 0, 0, 0, 0, 0])?;
    Ok(fds)
}

/// Set the program break (`0` queries); returns the current break.
pub fn brk(addr: usize) -> Result<usize, Errno> {
    call(nr::BRK, [addr, 0, 0, 0, 0, 0])
}

/// Map `len` bytes of zeroed anonymous private memory.
pub fn mmap_anon(len: usize) -> Result<usize, Errno> {
    use swiftos_abi::fcntl::{MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE};
    call(
        nr::MMAP,
        [
            0,
            len,
            (PROT_READ | PROT_WRITE) as usize,
            (MAP_ANONYMOUS | MAP_PRIVATE) as usize,
            0,
            0,
        ],
    )
}

/// Unmap a range previously returned by [`mmap_anon`].
///
/// # Safety
/// Nothing may use the range afterwards.
pub unsafe fn munmap(addr: usize, len: usize) -> Result<(), Errno> {
    call(nr::MUNMAP, [addr, len, 0, 0, 0, 0]).map(drop)
}

fn str_slices(v: &[&str]) -> Vec<StrSlice> {
    v.iter()
        .map(|s| StrSlice {
            ptr: s.as_ptr() as u64,
            len: s.len() as u64,
        })
        .collect()
}

/// Start `path` in a new process (see [`crate::process::Command`] for the friendly form).
pub fn spawn(
    path: &str,
    argv: &[&str],
    envp: &[&str],
    handles: &[HandleGrant],
    drop_caps: Caps,
    cwd: Option<&str>,
) -> Result<u32, Errno> {
    let a = str_slices(argv);
    let e = str_slices(envp);
    let cwd = cwd.unwrap_or("");
    let args = SpawnArgs {
        path: StrSlice {
            ptr: path.as_ptr() as u64,
            len: path.len() as u64,
        },
        argv: a.as_ptr() as u64,
        argc: a.len() as u64,
        envp: e.as_ptr() as u64,
        envc: e.len() as u64,
        handles: handles.as_ptr() as u64,
        handle_count: handles.len() as u64,
        drop_caps,
        cwd: StrSlice {
            ptr: cwd.as_ptr() as u64,
            len: cwd.len() as u64,
        },
    };
    call_ptr(
        nr::SPAWN,
        [&args as *const SpawnArgs as usize, 0, 0, 0, 0, 0],
    )
    .map(|p| p as u32)
}

/// Replace the current program. Returns only on failure.
pub fn exec(path: &str, argv: &[&str], envp: &[&str]) -> Errno {
    let a = str_slices(argv);
    let e = str_slices(envp);
    let (p, l) = path_args(path);
    match call_ptr(
        nr::EXEC,
        [
            p,
            l,
            a.as_ptr() as usize,
            a.len(),
            e.as_ptr() as usize,
            e.len(),
        ],
    ) {
        Ok(_) => Errno::EUNKNOWN,
        Err(e) => e,
    }
}

/// Wait for child `pid` (`-1` = any); returns `(pid, raw status)`; pid 0 with `WNOHANG` when
/// none is ready.
pub fn wait(pid: i32, flags: u32) -> Result<(u32, u32), Errno> {
    let mut status = 0u32;
    let p = call_ptr(
        nr::WAIT,
        [
            pid as isize as usize,
            &mut status as *mut u32 as usize,
            flags as usize,
            0,
            0,
            0,
        ],
    )?;
    Ok((p as u32, status))
}

pub fn getpid() -> u32 {
    call(nr::GETPID, [0; 6]).unwrap_or(0) as u32
}

pub fn getppid() -> u32 {
    call(nr::GETPPID, [0; 6]).unwrap_or(0) as u32
}

pub fn kill(pid: u32, signal: u32) -> Result<(), Errno> {
    call(nr::KILL, [pid as usize, signal as usize, 0, 0, 0, 0]).map(drop)
}

pub fn clock_gettime(clock: u32) -> Result<Timespec, Errno> {
    let mut ts = Timespec::default();
    call_ptr(
        nr::CLOCK_GETTIME,
        [
            clock as usize,
            &mut ts as *mut Timespec as usize,
            0,
            0,
            0,
            0,
        ],
    )?;
    Ok(ts)
}

pub fn nanosleep(ts: &Timespec) -> Result<(), Errno> {
    call_ptr(
        nr::NANOSLEEP,
        [ts as *const Timespec as usize, 0, 0, 0, 0, 0],
    )
    .map(drop)
}

pub fn sched_yield() {
    let _ = call(nr::YIELD, [0; 6]);
}

pub fn get_identity() -> Result<Identity, Errno> {
    let mut id = Identity::default();
    call_ptr(
        nr::GET_IDENTITY,
        [&mut id as *mut Identity as usize, 0, 0, 0, 0, 0],
    )?;
    Ok(id)
}

/// Become principal `uid`/`gid` with capabilities `caps` in a new session (needs `capIdentity`).
pub fn set_identity(uid: u32, gid: u32, caps: Caps) -> Result<(), Errno> {
    call(
        nr::SET_IDENTITY,
        [uid as usize, gid as usize, caps.0 as usize, 0, 0, 0],
    )
    .map(drop)
}

pub fn confine(path: &str) -> Result<(), Errno> {
    let (p, l) = path_args(path);
    call_ptr(nr::CONFINE, [p, l, 0, 0, 0, 0]).map(drop)
}

pub fn drop_caps(caps: Caps) -> Result<(), Errno> {
    call(nr::DROP_CAPS, [caps.0 as usize, 0, 0, 0, 0, 0]).map(drop)
}

/// Make `pid` the process that receives Ctrl-C from the console.
pub fn set_foreground(pid: u32) -> Result<(), Errno> {
    call(nr::SET_FOREGROUND, [pid as usize, 0, 0, 0, 0, 0]).map(drop)
}

/// `CONSOLE_COOKED` or `CONSOLE_RAW`.
pub fn console_mode(mode: u32) -> Result<(), Errno> {
    call(nr::CONSOLE_MODE, [mode as usize, 0, 0, 0, 0, 0]).map(drop)
}

/// `POWER_OFF` or `POWER_REBOOT` (needs `capPower`); returns only on failure.
pub fn power(what: u32) -> Errno {
    match call(nr::POWER, [what as usize, 0, 0, 0, 0, 0]) {
        Ok(_) => Errno::EUNKNOWN,
        Err(e) => e,
    }
}

/// All processes the caller may see.
pub fn proc_list() -> Result<Vec<ProcInfo>, Errno> {
    let mut cap = 64usize;
    loop {
        let mut buf: Vec<MaybeUninit<ProcInfo>> = Vec::with_capacity(cap);
        // SAFETY: the buffer has capacity for `cap` entries; MaybeUninit needs no initialisation.
        unsafe { buf.set_len(cap) };
        let n = call_ptr(nr::PROC_LIST, [buf.as_mut_ptr() as usize, cap, 0, 0, 0, 0])?;
        if n < cap {
            // SAFETY: the kernel initialised the first `n` entries; ProcInfo is plain old data.
            return Ok(buf[..n]
                .iter()
                .map(|p| unsafe { p.assume_init() })
                .collect());
        }
        cap *= 2;
        if cap > 4096 {
            return Err(Errno::ENOMEM);
        }
    }
}

pub fn uname() -> Result<Utsname, Errno> {
    let mut u = Utsname {
        sysname: [0; swiftos_abi::UTS_LEN],
        nodename: [0; swiftos_abi::UTS_LEN],
        release: [0; swiftos_abi::UTS_LEN],
        version: [0; swiftos_abi::UTS_LEN],
        machine: [0; swiftos_abi::UTS_LEN],
    };
    call_ptr(nr::UNAME, [&mut u as *mut Utsname as usize, 0, 0, 0, 0, 0])?;
    Ok(u)
}

pub fn sysinfo() -> Result<SysInfo, Errno> {
    let mut s = SysInfo::default();
    call_ptr(
        nr::SYSINFO,
        [&mut s as *mut SysInfo as usize, 0, 0, 0, 0, 0],
    )?;
    Ok(s)
}

pub fn fcntl(fd: Fd, cmd: u32, arg: usize) -> Result<usize, Errno> {
    call(nr::FCNTL, [fd as usize, cmd as usize, arg, 0, 0, 0])
}

pub fn handle_rights(fd: Fd) -> Result<Rights, Errno> {
    call(nr::HANDLE_RIGHTS, [fd as usize, 0, 0, 0, 0, 0]).map(|r| Rights(r as u32))
}

pub fn restrict_handle(fd: Fd, rights: Rights) -> Result<(), Errno> {
    call(
        nr::RESTRICT_HANDLE,
        [fd as usize, rights.0 as usize, 0, 0, 0, 0],
    )
    .map(drop)
}

/// Whether Ctrl-C terminates the caller (`ignore = true`: it does not).
pub fn sigint_mode(ignore: bool) -> Result<(), Errno> {
    call(nr::SIGINT_MODE, [ignore as usize, 0, 0, 0, 0, 0]).map(drop)
}

pub fn kernel_log(msg: &str) -> Result<(), Errno> {
    let (p, l) = path_args(msg);
    call_ptr(nr::KERNEL_LOG, [p, l, 0, 0, 0, 0]).map(drop)
}
