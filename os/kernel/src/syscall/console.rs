//! The console and its job control: `console_mode` (cooked/raw), `set_foreground` (who gets
//! Ctrl-C), `sigint_mode` (ignore Ctrl-C), and `kernel_log` (a line on the serial log).

use super::{ok, Args, Handler, SysResult};
use crate::drivers::uart;
use crate::proc::Kernel;
use swiftos_abi::fcntl::{CONSOLE_COOKED, CONSOLE_RAW};
use swiftos_abi::{nr, Errno};
use swiftos_authority as auth;

pub(super) fn handler(nr: usize) -> Option<Handler> {
    let h: Handler = match nr {
        nr::CONSOLE_MODE => console_mode,
        nr::SET_FOREGROUND => set_foreground,
        nr::SIGINT_MODE => sigint_mode,
        nr::KERNEL_LOG => kernel_log,
        _ => return None,
    };
    Some(h)
}

/// `console_mode(mode)`.
fn console_mode(k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    match a.u32(0) {
        CONSOLE_COOKED => k.ldisc.set_raw(false),
        CONSOLE_RAW => k.ldisc.set_raw(true),
        _ => return Err(Errno::EINVAL),
    }
    Ok(ok(0))
}

/// `set_foreground(pid)`.
fn set_foreground(k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let pid = a.u32(0);
    let uid = if pid == a.me.pid() {
        a.me.uid()
    } else {
        match k.procs.get(&pid) {
            Some(p) if !p.is_zombie() => p.uid(),
            _ => return Err(Errno::ESRCH),
        }
    };
    auth::check_set_foreground(&a.me.subject(), uid)?;
    k.foreground = pid;
    Ok(ok(0))
}

/// `sigint_mode(ignore)`.
fn sigint_mode(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    a.me.set_sigint_ignored(a.raw(0) != 0);
    Ok(ok(0))
}

/// Longest `kernel_log` line.
const LOG_MAX: usize = 1024;

/// `kernel_log(text, len)`: one line, tagged with the pid.
fn kernel_log(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let mut buf = a.bytes(0, LOG_MAX)?;
    let len = buf.len();
    while buf.last() == Some(&b'\n') {
        buf.pop();
    }
    kprint!("[pid {}] ", a.me.pid());
    uart::write_bytes(&buf);
    uart::write_bytes(b"\n");
    Ok(ok(len))
}
