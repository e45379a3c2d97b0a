//! Clocks and sleeping: `clock_gettime`, `nanosleep`.

use super::{ok, Args, Handler, Sys, SysResult};
use crate::proc::{Kernel, WaitOn};
use crate::time;
use swiftos_abi::fcntl::{CLOCK_MONOTONIC, CLOCK_REALTIME};
use swiftos_abi::{nr, Errno, Timespec};

pub(super) fn handler(nr: usize) -> Option<Handler> {
    let h: Handler = match nr {
        nr::CLOCK_GETTIME => clock_gettime,
        nr::NANOSLEEP => nanosleep,
        _ => return None,
    };
    Some(h)
}

const NS_PER_SEC: u64 = 1_000_000_000;

/// `clock_gettime(clock, timespec_out)`.
fn clock_gettime(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let ns = match a.u32(0) {
        CLOCK_REALTIME => time::realtime_ns(),
        CLOCK_MONOTONIC => time::monotonic_ns(),
        _ => return Err(Errno::EINVAL),
    };
    let ts = Timespec {
        tv_sec: (ns / NS_PER_SEC) as i64,
        tv_nsec: (ns % NS_PER_SEC) as i64,
    };
    a.write(1, &ts)?;
    Ok(ok(0))
}

/// `nanosleep(timespec)`: the first issue records the deadline, re-issues check it.
fn nanosleep(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let now = time::monotonic_ns();
    if let Some(d) = a.me.sleep_deadline() {
        if now >= d {
            a.me.set_sleep_deadline(None);
            return Ok(ok(0));
        }
        return Ok(Sys::Block(WaitOn::Sleep(d)));
    }
    let ts: Timespec = a.read(0)?;
    if ts.tv_sec < 0 || !(0..NS_PER_SEC as i64).contains(&ts.tv_nsec) {
        return Err(Errno::EINVAL);
    }
    let d = now
        .saturating_add((ts.tv_sec as u64).saturating_mul(NS_PER_SEC))
        .saturating_add(ts.tv_nsec as u64);
    if d <= now {
        return Ok(ok(0));
    }
    a.me.set_sleep_deadline(Some(d));
    Ok(Sys::Block(WaitOn::Sleep(d)))
}
