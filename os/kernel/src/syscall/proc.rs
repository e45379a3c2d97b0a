//! Processes: `exit`, `spawn`, `exec`, `wait`, `getpid`, `getppid`, `kill`, `yield`,
//! `proc_list`.

use super::{ok, Args, Handler, Sys, SysResult};
use crate::file::Fd;
use crate::fs as kfs;
use crate::loader;
use crate::proc::{Kernel, Process, WaitOn};
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use swiftos_abi::fcntl::{wait_status_exited, wait_status_signaled, SIGINT, WNOHANG};
use swiftos_abi::layout::MAX_FDS;
use swiftos_abi::{nr, Errno, HandleGrant, ProcInfo, Rights, SpawnArgs};
use swiftos_authority as auth;

pub(super) fn handler(nr: usize) -> Option<Handler> {
    let h: Handler = match nr {
        nr::EXIT => exit,
        nr::SPAWN => spawn,
        nr::EXEC => exec,
        nr::WAIT => wait,
        nr::GETPID => getpid,
        nr::GETPPID => getppid,
        nr::KILL => kill,
        nr::YIELD => yield_cpu,
        nr::PROC_LIST => proc_list,
        _ => return None,
    };
    Some(h)
}

/// Most processes (including zombies) at once.
const MAX_PROCS: usize = 256;

/// `exit(code)`.
fn exit(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    Ok(Sys::Exit(wait_status_exited(a.raw(0) as u8)))
}

/// `spawn(spawn_args)`: a new process running a program, with the descriptors granted.
fn spawn(k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    if k.procs.len() + 1 >= MAX_PROCS {
        return Err(Errno::EAGAIN);
    }
    let sa: SpawnArgs = a.read(0)?;
    let path = a.path_at(sa.path.ptr, sa.path.len)?;
    let mut total = 0;
    let argv = a.strings_at(sa.argv, sa.argc, &mut total)?;
    let envp = a.strings_at(sa.envp, sa.envc, &mut total)?;
    let fds = granted_handles(a, &sa)?;
    let cwd = if sa.cwd.len == 0 {
        String::from(a.me.cwd())
    } else {
        let p = a.path_at(sa.cwd.ptr, sa.cwd.len)?;
        kfs::resolve_dir(&a.ctx(), &p)?
    };
    let img = loader::load(&a.ctx(), &path, &argv, &envp)?;
    let pid = k.alloc_pid();
    let caps = auth::spawn_child_caps(a.me.caps(), sa.drop_caps);
    let child = Process::spawned(pid, a.me, &path, img, fds, caps, cwd);
    k.add(Box::new(child));
    Ok(ok(pid as usize))
}

/// The child's descriptor table from `spawn`'s handle grants (rights only ever narrowed).
fn granted_handles(a: &mut Args<'_>, sa: &SpawnArgs) -> Result<Vec<Option<Fd>>, Errno> {
    if sa.handle_count as usize > MAX_FDS {
        return Err(Errno::EINVAL);
    }
    let mut fds: Vec<Option<Fd>> = vec![None; MAX_FDS];
    for i in 0..sa.handle_count {
        let g: HandleGrant = a.read_at(sa.handles + i * 16)?;
        let f = a.me.fd(g.parent_fd as i64).cloned().ok_or(Errno::EBADF)?;
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
    Ok(fds)
}

/// `exec(path, len, argv, argc, envp, envc)`: replace the program; returns only on error.
fn exec(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let path = a.path(0)?;
    let mut total = 0;
    let argv = a.strings_at(a.raw(2), a.raw(3), &mut total)?;
    let envp = a.strings_at(a.raw(4), a.raw(5), &mut total)?;
    let img = loader::load(&a.ctx(), &path, &argv, &envp)?;
    let frame = a.me.exec(&path, img);
    *a.frame() = frame;
    Ok(Sys::Replaced)
}

/// `wait(pid, status_out, flags)`: reap a zombie child (`pid` -1: any child).
fn wait(k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let (pid, status_ptr, flags) = (a.i32(0), a.raw(1), a.u32(2));
    let me = a.me.pid();
    let mine = |p: &Process| p.ppid() == me && (pid == -1 || p.pid() == pid as u32);
    let mut any = false;
    let mut found = None;
    for p in k.procs.values() {
        if mine(p) {
            any = true;
            if p.is_zombie() {
                found = Some((p.pid(), p.exit_status()));
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
        return Ok(Sys::Block(WaitOn::Child));
    };
    if status_ptr != 0 {
        a.write(1, &status)?;
    }
    k.procs.remove(&cpid);
    Ok(ok(cpid as usize))
}

/// `getpid()`.
fn getpid(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    Ok(ok(a.me.pid() as usize))
}

/// `getppid()`.
fn getppid(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    Ok(ok(a.me.ppid() as usize))
}

/// `kill(pid, sig)`: signal 0 only checks; SIGINT may be ignored; others terminate.
fn kill(k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let (pid, sig) = (a.u32(0), a.u32(1));
    if sig > 31 {
        return Err(Errno::EINVAL);
    }
    if pid == a.me.pid() {
        if sig == 0 || (sig == SIGINT && a.me.sigint_ignored()) {
            return Ok(ok(0));
        }
        return Ok(Sys::Exit(wait_status_signaled(sig)));
    }
    let target_uid = match k.procs.get(&pid) {
        Some(p) if !p.is_zombie() => p.uid(),
        _ => return Err(Errno::ESRCH),
    };
    auth::check_signal(&a.me.subject(), target_uid)?;
    k.signal(pid, sig);
    Ok(ok(0))
}

/// `yield()`.
fn yield_cpu(k: &mut Kernel, _a: &mut Args<'_>) -> SysResult {
    k.need_resched = true;
    Ok(ok(0))
}

/// `proc_list(rows_out, max)`: the processes the caller may inspect, by pid.
fn proc_list(k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let subject = a.me.subject();
    let mut rows: Vec<ProcInfo> = k
        .procs
        .values()
        .map(|p| &**p)
        .chain(core::iter::once(&*a.me))
        .filter(|p| auth::check_inspect(&subject, p.uid()).is_ok())
        .map(Process::info)
        .collect();
    rows.sort_by_key(|r| r.pid);
    let n = rows.len().min(a.usize(1));
    a.write_rows(0, &rows[..n])?;
    Ok(ok(n))
}
