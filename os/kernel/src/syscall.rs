//! System-call dispatch (`svc #0`, number in `x8`, arguments in `x0..x5`, result in `x0`).
//!
//! Every user pointer goes through the caller's [`AddrSpace`] (page-table walk, never a raw
//! dereference); a bad one yields `EFAULT`. A call that must wait returns [`Sys::Block`]: the
//! process sleeps with its PC rewound onto the `svc`, so the call is simply re-issued when the
//! process is woken.

use crate::arch::{self, vectors::TrapFrame};
use crate::drivers::uart;
use crate::file::{self, Fd, FileObj, PipeIo};
use crate::fs::{self, FsCtx};
use crate::loader;
use crate::proc::{self, Kernel, PState, Process, WaitOn};
use crate::{mm, time};
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use swiftos_abi::fcntl::*;
use swiftos_abi::layout::{MAX_ARGS, MAX_ARG_BYTES, MAX_FDS, PATH_MAX};
use swiftos_abi::{nr, Caps, Errno, Rights};
use swiftos_abi::{
    HandleGrant, Identity, ProcInfo, SpawnArgs, Stat, StrSlice, SysInfo, Timespec, Utsname,
    PROC_NAME_LEN, UTS_LEN,
};
use swiftos_authority as auth;
use swiftos_kcore::ldisc::ReadResult;
use swiftos_kcore::pagetable::PageFlags;

/// Largest single read/write transfer handled per call.
const IO_CHUNK: usize = 64 * 1024;

/// Outcome of a system call.
pub enum Sys {
    Ret(Result<usize, Errno>),
    /// Sleep until the condition may have changed, then re-issue the call.
    Block(WaitOn),
    /// The caller terminates with this wait status.
    Exit(u32),
    /// The frame was replaced (`exec`): do not touch `x0`.
    Replaced,
}

use Sys::*;

fn ok(v: usize) -> Sys {
    Ret(Ok(v))
}
fn err(e: Errno) -> Sys {
    Ret(Err(e))
}

/// Entry from the trap handler.
pub fn handle(tf: &mut TrapFrame) {
    let nr = tf.x[8] as usize;
    let a = [tf.x[0], tf.x[1], tf.x[2], tf.x[3], tf.x[4], tf.x[5]];
    proc::with(|k| {
        let Some(pid) = k.current else { return };
        let Some(mut me) = k.procs.remove(&pid) else {
            return;
        };
        let r = dispatch(k, &mut me, tf, nr, a);
        match r {
            Ret(v) => tf.x[0] = swiftos_abi::encode_result(v) as u64,
            Block(w) => {
                tf.elr -= 4;
                me.state = PState::Blocked(w);
            }
            Exit(_) | Replaced => {}
        }
        k.procs.insert(pid, me);
        if let Exit(status) = r {
            k.terminate(pid, status);
        }
    });
}

fn space(me: &mut Process) -> &mut crate::vm::AddrSpace {
    me.space
        .as_mut()
        .expect("running process has an address space")
}

/// Read a path argument.
fn user_path(me: &mut Process, ptr: u64, len: u64) -> Result<String, Errno> {
    if len as usize > PATH_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    let mut buf = vec![0u8; len as usize];
    space(me).read(ptr, &mut buf)?;
    String::from_utf8(buf).map_err(|_| Errno::EINVAL)
}

fn ctx(me: &Process) -> FsCtx {
    FsCtx {
        subject: me.subject(),
        root: me.root.clone(),
        cwd: me.cwd.clone(),
    }
}

/// Read an array of [`StrSlice`] and the strings they point to.
fn user_strings(
    me: &mut Process,
    ptr: u64,
    count: u64,
    total: &mut usize,
) -> Result<Vec<Vec<u8>>, Errno> {
    if count as usize > MAX_ARGS {
        return Err(Errno::E2BIG);
    }
    let mut out = Vec::with_capacity(count as usize);
    for i in 0..count {
        let s: StrSlice = read_struct(me, ptr + i * 16)?;
        *total = total.saturating_add((s.len as usize).saturating_add(1));
        if *total > MAX_ARG_BYTES {
            return Err(Errno::E2BIG);
        }
        let mut b = vec![0u8; s.len as usize];
        space(me).read(s.ptr, &mut b)?;
        out.push(b);
    }
    Ok(out)
}

fn read_struct<T: crate::vm::Pod>(me: &mut Process, addr: u64) -> Result<T, Errno> {
    space(me).read_val(addr)
}

fn fd_of(me: &Process, fd: u64) -> Result<Fd, Errno> {
    me.fd(fd as i64).cloned().ok_or(Errno::EBADF)
}

fn dispatch(k: &mut Kernel, me: &mut Process, tf: &mut TrapFrame, nr: usize, a: [u64; 6]) -> Sys {
    let r: Result<Sys, Errno> = (|| -> Result<Sys, Errno> {
        Ok(match nr {
            nr::EXIT => Exit(wait_status_exited(a[0] as u8)),
            nr::READ => sys_read(k, me, a[0], a[1], a[2])?,
            nr::WRITE => sys_write(me, a[0], a[1], a[2])?,
            nr::OPEN => {
                let path = user_path(me, a[0], a[1])?;
                let flags = a[2] as u32;
                let (obj, rights) = fs::open(&ctx(me), &path, flags, a[3] as u32)?;
                let fd = me.alloc_fd(0).ok_or(Errno::EMFILE)?;
                me.fds[fd] = Some(Fd {
                    file: file::new_file(obj, flags),
                    rights,
                    cloexec: flags & O_CLOEXEC != 0,
                });
                ok(fd)
            }
            nr::CLOSE => {
                fd_of(me, a[0])?;
                me.fds[a[0] as usize] = None;
                ok(0)
            }
            nr::LSEEK => {
                let f = fd_of(me, a[0])?;
                let mut of = f.file.lock();
                match &mut of.obj {
                    FileObj::Vfs(h) => {
                        auth::check_seek(f.rights)?;
                        ok(fs::seek(h, a[1] as i64, a[2] as u32)? as usize)
                    }
                    _ => err(Errno::ESPIPE),
                }
            }
            nr::FSTAT => {
                let f = fd_of(me, a[0])?;
                auth::check_stat(f.rights)?;
                let st = match &f.file.lock().obj {
                    FileObj::Console => dev_stat(S_IFCHR | 0o620, 1),
                    FileObj::Null => dev_stat(S_IFCHR | 0o666, 2),
                    FileObj::PipeRead(_) | FileObj::PipeWrite(_) => dev_stat(S_IFIFO | 0o600, 0),
                    FileObj::Vfs(h) => fs::fstat(h)?,
                    FileObj::Socket(_) => dev_stat(S_IFSOCK | 0o600, 0),
                };
                space(me).write_val(a[1], &st)?;
                ok(0)
            }
            nr::STAT => {
                let path = user_path(me, a[0], a[1])?;
                let st = fs::stat(&ctx(me), &path)?;
                space(me).write_val(a[2], &st)?;
                ok(0)
            }
            nr::ISATTY => {
                let f = fd_of(me, a[0])?;
                let tty = matches!(f.file.lock().obj, FileObj::Console);
                if tty {
                    ok(1)
                } else {
                    err(Errno::ENOTTY)
                }
            }
            nr::UNLINK => {
                let p = user_path(me, a[0], a[1])?;
                fs::unlink(&ctx(me), &p)?;
                ok(0)
            }
            nr::RENAME => {
                let p = user_path(me, a[0], a[1])?;
                let q = user_path(me, a[2], a[3])?;
                fs::rename(&ctx(me), &p, &q)?;
                ok(0)
            }
            nr::MKDIR => {
                let p = user_path(me, a[0], a[1])?;
                fs::mkdir(&ctx(me), &p, a[2] as u32)?;
                ok(0)
            }
            nr::RMDIR => {
                let p = user_path(me, a[0], a[1])?;
                fs::rmdir(&ctx(me), &p)?;
                ok(0)
            }
            nr::GETDENTS => {
                let f = fd_of(me, a[0])?;
                auth::check_read(f.rights)?;
                let len = (a[2] as usize).min(IO_CHUNK);
                let mut buf = vec![0u8; len];
                let n = {
                    // Check the destination first so no entries are skipped on EFAULT.
                    space(me).probe_writable(a[1], len as u64)?;
                    let mut of = f.file.lock();
                    let n = match &mut of.obj {
                        FileObj::Vfs(h) => fs::getdents(h, &mut buf)?,
                        _ => return Err(Errno::ENOTDIR),
                    };
                    space(me).write(a[1], &buf[..n])?;
                    n
                };
                ok(n)
            }
            nr::CHDIR => {
                let p = user_path(me, a[0], a[1])?;
                me.cwd = fs::resolve_dir(&ctx(me), &p)?;
                ok(0)
            }
            nr::GETCWD => {
                let cwd = me.cwd.clone();
                if (a[1] as usize) < cwd.len() {
                    return Err(Errno::ERANGE);
                }
                space(me).write(a[0], cwd.as_bytes())?;
                ok(cwd.len())
            }
            nr::CHMOD => {
                let p = user_path(me, a[0], a[1])?;
                fs::chmod(&ctx(me), &p, a[2] as u32)?;
                ok(0)
            }
            nr::CHOWN => {
                let p = user_path(me, a[0], a[1])?;
                fs::chown(&ctx(me), &p, a[2] as u32, a[3] as u32)?;
                ok(0)
            }
            nr::FTRUNCATE => {
                let f = fd_of(me, a[0])?;
                auth::check_write(f.rights)?;
                match &mut f.file.lock().obj {
                    FileObj::Vfs(h) => fs::truncate(h, a[1])?,
                    _ => return Err(Errno::EINVAL),
                }
                ok(0)
            }
            nr::DUP => {
                let f = fd_of(me, a[0])?;
                auth::check_transfer(f.rights)?;
                let n = me.alloc_fd(0).ok_or(Errno::EMFILE)?;
                me.fds[n] = Some(Fd {
                    cloexec: false,
                    ..f
                });
                ok(n)
            }
            nr::DUP2 => {
                let f = fd_of(me, a[0])?;
                auth::check_transfer(f.rights)?;
                let new = a[1] as usize;
                if new >= MAX_FDS {
                    return Err(Errno::EBADF);
                }
                if new != a[0] as usize {
                    me.fds[new] = Some(Fd {
                        cloexec: false,
                        ..f
                    });
                }
                ok(new)
            }
            nr::PIPE => {
                let r = me.alloc_fd(0).ok_or(Errno::EMFILE)?;
                let (rf, wf) = file::new_pipe();
                me.fds[r] = Some(Fd {
                    file: rf,
                    rights: Rights::READ.union(Rights::STAT).union(Rights::TRANSFER),
                    cloexec: false,
                });
                let Some(w) = me.alloc_fd(0) else {
                    me.fds[r] = None;
                    return Err(Errno::EMFILE);
                };
                me.fds[w] = Some(Fd {
                    file: wf,
                    rights: Rights::WRITE.union(Rights::STAT).union(Rights::TRANSFER),
                    cloexec: false,
                });
                let pair = [r as i32, w as i32];
                if let Err(e) = space(me).write_val(a[0], &pair) {
                    me.fds[r] = None;
                    me.fds[w] = None;
                    return Err(e);
                }
                ok(0)
            }
            nr::BRK => ok(space(me).set_brk(a[0]) as usize),
            nr::MMAP => {
                let prot = a[2] as u32;
                let flags = a[3] as u32;
                if flags & MAP_ANONYMOUS == 0 || flags & MAP_SHARED != 0 {
                    return Err(Errno::ENODEV);
                }
                let pf = PageFlags {
                    write: prot & PROT_WRITE != 0,
                    exec: prot & PROT_EXEC != 0,
                };
                ok(space(me).mmap(a[0], a[1], pf, flags & MAP_FIXED != 0)? as usize)
            }
            nr::MUNMAP => {
                space(me).munmap(a[0], a[1])?;
                ok(0)
            }
            nr::SPAWN => sys_spawn(k, me, a[0])?,
            nr::EXEC => sys_exec(me, tf, a)?,
            nr::WAIT => sys_wait(k, me, a[0] as i64 as i32, a[1], a[2] as u32)?,
            nr::GETPID => ok(me.pid as usize),
            nr::GETPPID => ok(me.ppid as usize),
            nr::KILL => {
                let pid = a[0] as u32;
                let sig = a[1] as u32;
                if sig > 31 {
                    return Err(Errno::EINVAL);
                }
                if pid == me.pid {
                    if sig == 0 || (sig == SIGINT && me.sigint_ignored) {
                        return Ok(ok(0));
                    }
                    return Ok(Exit(wait_status_signaled(sig)));
                }
                let target_uid = match k.procs.get(&pid) {
                    Some(p) if p.state != PState::Zombie => p.uid,
                    _ => return Err(Errno::ESRCH),
                };
                auth::check_signal(&me.subject(), target_uid)?;
                k.signal(pid, sig);
                ok(0)
            }
            nr::CLOCK_GETTIME => {
                let ns = match a[0] as u32 {
                    CLOCK_REALTIME => time::realtime_ns(),
                    CLOCK_MONOTONIC => time::monotonic_ns(),
                    _ => return Err(Errno::EINVAL),
                };
                let ts = Timespec {
                    tv_sec: (ns / 1_000_000_000) as i64,
                    tv_nsec: (ns % 1_000_000_000) as i64,
                };
                space(me).write_val(a[1], &ts)?;
                ok(0)
            }
            nr::NANOSLEEP => {
                let now = time::monotonic_ns();
                if let Some(d) = me.sleep_deadline {
                    if now >= d {
                        me.sleep_deadline = None;
                        return Ok(ok(0));
                    }
                    return Ok(Block(WaitOn::Sleep(d)));
                }
                let ts: Timespec = read_struct(me, a[0])?;
                if ts.tv_sec < 0 || !(0..1_000_000_000).contains(&ts.tv_nsec) {
                    return Err(Errno::EINVAL);
                }
                let d = now
                    .saturating_add((ts.tv_sec as u64).saturating_mul(1_000_000_000))
                    .saturating_add(ts.tv_nsec as u64);
                if d <= now {
                    return Ok(ok(0));
                }
                me.sleep_deadline = Some(d);
                Block(WaitOn::Sleep(d))
            }
            nr::YIELD => {
                k.need_resched = true;
                ok(0)
            }
            nr::GET_IDENTITY => {
                let id = Identity {
                    pid: me.pid,
                    ppid: me.ppid,
                    uid: me.uid,
                    gid: me.gid,
                    session: me.session,
                    _pad: 0,
                    caps: me.caps,
                };
                space(me).write_val(a[0], &id)?;
                ok(0)
            }
            nr::SET_IDENTITY => {
                let caps = Caps(a[2]);
                auth::check_set_identity(&me.subject(), caps)?;
                me.uid = a[0] as u32;
                me.gid = a[1] as u32;
                me.caps = caps;
                me.session = k.next_session;
                k.next_session += 1;
                ok(0)
            }
            nr::CONFINE => {
                let p = user_path(me, a[0], a[1])?;
                let dir = fs::resolve_dir(&ctx(me), &p)?;
                auth::check_confine(&me.root, &dir)?;
                me.root = dir.clone();
                if !auth::is_within(&me.root, &me.cwd) {
                    me.cwd = dir;
                }
                ok(0)
            }
            nr::DROP_CAPS => {
                me.caps = auth::caps_after_drop(me.caps, Caps(a[0]));
                ok(0)
            }
            nr::SET_FOREGROUND => {
                let pid = a[0] as u32;
                let uid = if pid == me.pid {
                    me.uid
                } else {
                    match k.procs.get(&pid) {
                        Some(p) if p.state != PState::Zombie => p.uid,
                        _ => return Err(Errno::ESRCH),
                    }
                };
                auth::check_set_foreground(&me.subject(), uid)?;
                k.foreground = pid;
                ok(0)
            }
            nr::CONSOLE_MODE => {
                match a[0] as u32 {
                    CONSOLE_COOKED => k.ldisc.set_raw(false),
                    CONSOLE_RAW => k.ldisc.set_raw(true),
                    _ => return Err(Errno::EINVAL),
                }
                ok(0)
            }
            nr::POWER => {
                auth::check_power(&me.subject())?;
                if matches!(a[0] as u32, POWER_OFF | POWER_REBOOT) {
                    fs::sync_store();
                }
                match a[0] as u32 {
                    POWER_OFF => {
                        kprintln!("kernel: power off requested by pid {}", me.pid);
                        arch::psci(arch::PSCI_SYSTEM_OFF)
                    }
                    POWER_REBOOT => {
                        kprintln!("kernel: reboot requested by pid {}", me.pid);
                        arch::psci(arch::PSCI_SYSTEM_RESET)
                    }
                    _ => return Err(Errno::EINVAL),
                }
            }
            nr::PROC_LIST => sys_proc_list(k, me, a[0], a[1])?,
            nr::UNAME => {
                let mut u = Utsname {
                    sysname: [0; UTS_LEN],
                    nodename: [0; UTS_LEN],
                    release: [0; UTS_LEN],
                    version: [0; UTS_LEN],
                    machine: [0; UTS_LEN],
                };
                fill(&mut u.sysname, b"SwiftOS");
                fill(&mut u.nodename, b"swiftos");
                fill(&mut u.release, env!("CARGO_PKG_VERSION").as_bytes());
                fill(&mut u.version, b"#1 SwiftOS kernel (qemu-virt)");
                fill(&mut u.machine, b"aarch64");
                space(me).write_val(a[0], &u)?;
                ok(0)
            }
            nr::SYSINFO => {
                let (free, total) = mm::frame_stats();
                let info = SysInfo {
                    uptime_ns: time::monotonic_ns(),
                    mem_total: (total as u64 + mm::heap_size() / 4096) * 4096,
                    mem_free: free as u64 * 4096,
                    idle_ns: k.idle_ns,
                    nprocs: k
                        .procs
                        .values()
                        .filter(|p| p.state != PState::Zombie)
                        .count() as u32
                        + 1,
                    ncpus: 1,
                };
                space(me).write_val(a[0], &info)?;
                ok(0)
            }
            nr::FCNTL => {
                let fd = a[0] as usize;
                let f = fd_of(me, a[0])?;
                match a[1] as u32 {
                    F_DUPFD => {
                        auth::check_transfer(f.rights)?;
                        let n = me.alloc_fd(a[2] as usize).ok_or(Errno::EMFILE)?;
                        me.fds[n] = Some(Fd {
                            cloexec: false,
                            ..f
                        });
                        ok(n)
                    }
                    F_GETFD => ok(if f.cloexec { FD_CLOEXEC as usize } else { 0 }),
                    F_SETFD => {
                        if let Some(s) = me.fds[fd].as_mut() {
                            s.cloexec = a[2] as u32 & FD_CLOEXEC != 0;
                        }
                        ok(0)
                    }
                    F_GETFL => ok(f.file.lock().flags as usize),
                    F_SETFL => {
                        let mut of = f.file.lock();
                        let keep = of.flags & !(O_APPEND | O_NONBLOCK);
                        of.flags = keep | (a[2] as u32 & (O_APPEND | O_NONBLOCK));
                        let flags = of.flags;
                        if let FileObj::Vfs(h) = &mut of.obj {
                            h.set_status_flags(flags);
                        }
                        ok(0)
                    }
                    _ => err(Errno::EINVAL),
                }
            }
            nr::HANDLE_RIGHTS => ok(fd_of(me, a[0])?.rights.0 as usize),
            nr::RESTRICT_HANDLE => {
                fd_of(me, a[0])?;
                if let Some(s) = me.fds[a[0] as usize].as_mut() {
                    s.rights = auth::narrow_rights(s.rights, Rights(a[1] as u32));
                }
                ok(0)
            }
            nr::SIGINT_MODE => {
                me.sigint_ignored = a[0] != 0;
                ok(0)
            }
            nr::KERNEL_LOG => {
                let len = (a[1] as usize).min(1024);
                let mut buf = vec![0u8; len];
                space(me).read(a[0], &mut buf)?;
                while buf.last() == Some(&b'\n') {
                    buf.pop();
                }
                kprint!("[pid {}] ", me.pid);
                uart::write_bytes(&buf);
                uart::write_bytes(b"\n");
                ok(len)
            }
            nr::FSYNC => {
                let f = fd_of(me, a[0])?;
                match &f.file.lock().obj {
                    FileObj::Vfs(h) => fs::fsync(h)?,
                    FileObj::Socket(_) | FileObj::PipeRead(_) | FileObj::PipeWrite(_) => {
                        return Err(Errno::EINVAL)
                    }
                    _ => {}
                }
                ok(0)
            }
            nr::SET_OVERLAY => {
                let len = a[1] as usize;
                if len > 64 * 1024 {
                    return Err(Errno::E2BIG);
                }
                let mut buf = vec![0u8; len];
                space(me).read(a[0], &mut buf)?;
                let text = core::str::from_utf8(&buf).map_err(|_| Errno::EINVAL)?;
                fs::set_overlay(&ctx(me), text)?;
                ok(0)
            }
            nr::GET_OVERLAY => {
                let text = fs::get_overlay();
                let n = text.len().min(a[1] as usize);
                space(me).write(a[0], &text.as_bytes()[..n])?;
                ok(text.len())
            }
            nr::NET_FIRST..=nr::NET_LAST => crate::net::syscall(k, me, nr, a)?,
            _ => err(Errno::ENOSYS),
        })
    })();
    r.unwrap_or_else(err)
}

fn fill(dst: &mut [u8], src: &[u8]) {
    let n = src.len().min(dst.len() - 1);
    dst[..n].copy_from_slice(&src[..n]);
}

fn dev_stat(mode: u32, ino: u16) -> Stat {
    Stat {
        st_dev: 2,
        st_ino: ino,
        st_mode: mode,
        st_nlink: 1,
        st_blksize: 4096,
        ..Stat::default()
    }
}

fn sys_read(k: &mut Kernel, me: &mut Process, fd: u64, buf: u64, len: u64) -> Result<Sys, Errno> {
    let f = fd_of(me, fd)?;
    auth::check_read(f.rights)?;
    let len = (len as usize).min(IO_CHUNK);
    // Validate the destination before consuming any input.
    space(me).probe_writable(buf, len as u64)?;
    let mut kbuf = vec![0u8; len];
    let mut of = f.file.lock();
    let nonblock = of.flags & O_NONBLOCK != 0;
    let n = match &mut of.obj {
        // Ctrl-C arrived (SIGINT ignored) before this read: it ends with EINTR.
        FileObj::Console if core::mem::take(&mut me.console_intr) => return Err(Errno::EINTR),
        FileObj::Console => match k.ldisc.read(&mut kbuf) {
            ReadResult::Data(n) => n,
            ReadResult::Eof => 0,
            ReadResult::Empty if nonblock => return Err(Errno::EAGAIN),
            ReadResult::Empty => return Ok(Block(WaitOn::Io)),
        },
        FileObj::Null => 0,
        FileObj::PipeRead(p) => match file::pipe_read(p, &mut kbuf) {
            PipeIo::Done(n) => n,
            PipeIo::WouldBlock if nonblock => return Err(Errno::EAGAIN),
            PipeIo::WouldBlock => return Ok(Block(WaitOn::Io)),
        },
        FileObj::PipeWrite(_) => return Err(Errno::EBADF),
        FileObj::Vfs(h) => fs::read(h, &mut kbuf)?,
        FileObj::Socket(id) => {
            let id = *id;
            drop(of);
            return crate::net::read(me, id, nonblock, buf, len as u64);
        }
    };
    drop(of);
    space(me).write(buf, &kbuf[..n])?;
    Ok(ok(n))
}

fn sys_write(me: &mut Process, fd: u64, buf: u64, len: u64) -> Result<Sys, Errno> {
    let f = fd_of(me, fd)?;
    auth::check_write(f.rights)?;
    let len = (len as usize).min(IO_CHUNK);
    let mut kbuf = vec![0u8; len];
    space(me).read(buf, &mut kbuf)?;
    let mut of = f.file.lock();
    let nonblock = of.flags & O_NONBLOCK != 0;
    let n = match &mut of.obj {
        FileObj::Console => {
            uart::write_bytes(&kbuf);
            len
        }
        FileObj::Null => len,
        FileObj::PipeRead(_) => return Err(Errno::EBADF),
        FileObj::PipeWrite(p) => match file::pipe_write(p, &kbuf) {
            Ok(PipeIo::Done(n)) => n,
            Ok(PipeIo::WouldBlock) if nonblock => return Err(Errno::EAGAIN),
            Ok(PipeIo::WouldBlock) => return Ok(Block(WaitOn::Io)),
            // No reader left: SIGPIPE, which terminates the writer (there are no handlers).
            Err(Errno::EPIPE) => return Ok(Exit(wait_status_signaled(SIGPIPE))),
            Err(e) => return Err(e),
        },
        FileObj::Vfs(h) => fs::write(h, &kbuf)?,
        FileObj::Socket(id) => {
            let id = *id;
            drop(of);
            return crate::net::write(me, id, nonblock, &kbuf);
        }
    };
    Ok(ok(n))
}

fn sys_wait(
    k: &mut Kernel,
    me: &mut Process,
    pid: i32,
    status_ptr: u64,
    flags: u32,
) -> Result<Sys, Errno> {
    let mine = |p: &Process| p.ppid == me.pid && (pid == -1 || p.pid == pid as u32);
    let mut any = false;
    let mut found = None;
    for p in k.procs.values() {
        if mine(p) {
            any = true;
            if p.state == PState::Zombie {
                found = Some((p.pid, p.exit_status));
                break;
            }
        }
    }
    if !any {
        return Err(Errno::ECHILD);
    }
    let Some((cpid, status)) = found else {
        if flags & WNOHANG != 0 {
            return Ok(ok(0));
        }
        return Ok(Block(WaitOn::Child));
    };
    if status_ptr != 0 {
        space(me).write_val(status_ptr, &status)?;
    }
    k.procs.remove(&cpid);
    Ok(ok(cpid as usize))
}

fn sys_proc_list(k: &mut Kernel, me: &mut Process, buf: u64, max: u64) -> Result<Sys, Errno> {
    let subject = me.subject();
    let mut rows = Vec::new();
    let mut add = |p: &Process| {
        if auth::check_inspect(&subject, p.uid).is_err() {
            return;
        }
        let mut name = [0u8; PROC_NAME_LEN];
        let n = p.name.len().min(PROC_NAME_LEN - 1);
        name[..n].copy_from_slice(&p.name.as_bytes()[..n]);
        rows.push(ProcInfo {
            pid: p.pid,
            ppid: p.ppid,
            uid: p.uid,
            session: p.session,
            state: p.state_code(),
            _pad: 0,
            cpu_ns: p.cpu_ns,
            mem_bytes: p
                .space
                .as_ref()
                .map(|s| s.resident_pages * 4096)
                .unwrap_or(0),
            caps: p.caps,
            name,
        });
    };
    for p in k.procs.values() {
        add(p);
    }
    add(me);
    rows.sort_by_key(|r| r.pid);
    let n = rows.len().min(max as usize);
    for (i, r) in rows.iter().take(n).enumerate() {
        space(me).write_val(buf + (i * core::mem::size_of::<ProcInfo>()) as u64, r)?;
    }
    Ok(ok(n))
}

/// Most processes (including zombies) at once.
const MAX_PROCS: usize = 256;

fn sys_spawn(k: &mut Kernel, me: &mut Process, args_ptr: u64) -> Result<Sys, Errno> {
    if k.procs.len() + 1 >= MAX_PROCS {
        return Err(Errno::EAGAIN);
    }
    let sa: SpawnArgs = read_struct(me, args_ptr)?;
    let path = user_path(me, sa.path.ptr, sa.path.len)?;
    let mut total = 0;
    let argv = user_strings(me, sa.argv, sa.argc, &mut total)?;
    let envp = user_strings(me, sa.envp, sa.envc, &mut total)?;
    if sa.handle_count as usize > MAX_FDS {
        return Err(Errno::EINVAL);
    }
    let mut fds: Vec<Option<Fd>> = vec![None; MAX_FDS];
    for i in 0..sa.handle_count {
        let g: HandleGrant = read_struct(me, sa.handles + i * 16)?;
        let f = fd_of(me, g.parent_fd as i64 as u64)?;
        if g.child_fd < 0 || g.child_fd as usize >= MAX_FDS {
            return Err(Errno::EBADF);
        }
        let rights = auth::grant_for_spawn(f.rights, Rights(g.rights))?;
        fds[g.child_fd as usize] = Some(Fd {
            file: f.file.clone(),
            rights,
            cloexec: false,
        });
    }
    let cwd = if sa.cwd.len == 0 {
        me.cwd.clone()
    } else {
        let p = user_path(me, sa.cwd.ptr, sa.cwd.len)?;
        fs::resolve_dir(&ctx(me), &p)?
    };
    let c = ctx(me);
    let img = loader::load(&c, &path, &argv, &envp)?;
    let pid = k.alloc_pid();
    let child = Box::new(Process {
        pid,
        ppid: me.pid,
        name: loader::program_name(&path),
        state: PState::Ready,
        frame: Box::new(img.frame),
        space: Some(img.space),
        fds,
        uid: me.uid,
        gid: me.gid,
        session: me.session,
        caps: auth::spawn_child_caps(me.caps, sa.drop_caps),
        root: me.root.clone(),
        cwd,
        sigint_ignored: false,
        console_intr: false,
        sleep_deadline: None,
        cpu_ns: 0,
        exit_status: 0,
        tpidr: 0,
    });
    k.add(child);
    Ok(ok(pid as usize))
}

fn sys_exec(me: &mut Process, tf: &mut TrapFrame, a: [u64; 6]) -> Result<Sys, Errno> {
    let path = user_path(me, a[0], a[1])?;
    let mut total = 0;
    let argv = user_strings(me, a[2], a[3], &mut total)?;
    let envp = user_strings(me, a[4], a[5], &mut total)?;
    let img = loader::load(&ctx(me), &path, &argv, &envp)?;
    *tf = img.frame;
    me.space = Some(img.space);
    arch::set_ttbr0(me.space.as_ref().map(|s| s.root).unwrap_or(0));
    me.name = loader::program_name(&path);
    me.tpidr = 0;
    arch::set_tpidr_el0(0);
    for f in me.fds.iter_mut() {
        if f.as_ref().is_some_and(|f| f.cloexec) {
            *f = None;
        }
    }
    Ok(Replaced)
}
