//! `poll(fds, nfds, timeout_ms)` over sockets, pipes, the console and files.

use super::{block_until, ok, Args, Handler, SysResult};
use crate::file::{FileObj, PIPE_CAP};
use crate::proc::Kernel;
use crate::time::deadlines;
use alloc::vec::Vec;
use swiftos_abi::net::*;
use swiftos_abi::{nr, Errno};
use swiftos_net::SocketId;

pub(super) fn handler(nr: usize) -> Option<Handler> {
    (nr == nr::POLL).then_some(poll as Handler)
}

/// Size of one `PollFd` in user memory.
const POLLFD_SIZE: u64 = 8;

/// `poll(fds, nfds, timeout_ms)`: how many entries have events (0 on timeout).
fn poll(k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let (ptr, nfds, timeout_ms) = (a.raw(0), a.usize(1), a.i64(2));
    if nfds > POLL_MAX {
        return Err(Errno::EINVAL);
    }
    let mut fds: Vec<PollFd> = Vec::with_capacity(nfds);
    for i in 0..nfds {
        fds.push(a.read_at(ptr + i as u64 * POLLFD_SIZE)?);
    }
    let mut ready = 0;
    for p in fds.iter_mut() {
        if revents(k, a, p) {
            ready += 1;
        }
    }
    if ready > 0 || timeout_ms == 0 {
        deadlines::call_finished(a.me.pid());
        a.write_rows(0, &fds)?;
        return Ok(ok(ready));
    }
    let timeout = (timeout_ms > 0).then_some(timeout_ms as u64);
    match block_until(a.me, nr::POLL, timeout, Errno::ETIMEDOUT) {
        Err(Errno::ETIMEDOUT) => {
            a.write_rows(0, &fds)?;
            Ok(ok(0))
        }
        other => other,
    }
}

/// Fill in `p.revents`; whether it has any.
fn revents(k: &Kernel, a: &Args<'_>, p: &mut PollFd) -> bool {
    p.revents = 0;
    if p.fd < 0 {
        return false;
    }
    let Some(f) = a.me.fd(p.fd as i64) else {
        p.revents = POLLNVAL;
        return true;
    };
    let all = match &f.file.lock().obj {
        FileObj::Socket(id) => socket_events(*id),
        FileObj::Console if k.ldisc.readable() => POLLIN | POLLOUT,
        FileObj::Console => POLLOUT,
        FileObj::PipeRead(pipe) => {
            let pipe = pipe.lock();
            if !pipe.buf.is_empty() {
                POLLIN
            } else if pipe.writers == 0 {
                POLLIN | POLLHUP
            } else {
                0
            }
        }
        FileObj::PipeWrite(pipe) => {
            let pipe = pipe.lock();
            if pipe.readers == 0 {
                POLLERR
            } else if pipe.buf.len() < PIPE_CAP {
                POLLOUT
            } else {
                0
            }
        }
        _ => POLLIN | POLLOUT,
    };
    p.revents = all & (p.events | POLLERR | POLLHUP | POLLNVAL);
    p.revents != 0
}

/// Readiness of a socket as `poll` bits (`POLLERR` without a network device).
fn socket_events(id: SocketId) -> i16 {
    let Some(r) = crate::net::readiness(id) else {
        return POLLERR;
    };
    let mut ev = 0;
    if r.readable {
        ev |= POLLIN;
    }
    if r.writable {
        ev |= POLLOUT;
    }
    if r.hup {
        ev |= POLLHUP;
    }
    if r.error {
        ev |= POLLERR;
    }
    ev
}
