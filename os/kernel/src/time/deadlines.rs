//! The deadline registry: when the one-shot timer must fire besides the scheduler's time slice
//! and `nanosleep`s. Subsystems record their next deadline here (the network stack its next
//! poll), and a blocked, re-issued system call with a timeout records its own per process; the
//! scheduler asks [`next`], never the subsystems. Times are monotonic nanoseconds.

use alloc::collections::BTreeMap;
use core::sync::atomic::{AtomicU64, Ordering};
use spin::Mutex;

/// A subsystem with a timer deadline of its own.
#[derive(Clone, Copy, Debug)]
pub enum Source {
    /// The network stack's next poll (retransmits, ARP, keep-alives).
    Network,
}

/// "No deadline".
const NONE: u64 = u64::MAX;

/// Each [`Source`]'s deadline, indexed by `Source as usize`.
static SOURCES: [AtomicU64; 1] = [AtomicU64::new(NONE)];

/// Per-process deadline of a blocked, re-issued call: pid → (call number, deadline ns).
static CALLS: Mutex<BTreeMap<u32, (usize, u64)>> = Mutex::new(BTreeMap::new());

/// Record `src`'s next deadline (`None`: only events wake it).
pub fn set(src: Source, at: Option<u64>) {
    SOURCES[src as usize].store(at.unwrap_or(NONE), Ordering::Relaxed);
}

/// Whether `src`'s deadline passed at `now`.
pub fn due(src: Source, now: u64) -> bool {
    now >= SOURCES[src as usize].load(Ordering::Relaxed)
}

/// The deadline of `pid`'s call `nr`: the one recorded when the call first blocked, else
/// `now + timeout_ms`, recorded for the re-issued call.
pub fn call_deadline(pid: u32, nr: usize, now: u64, timeout_ms: u64) -> u64 {
    let mut w = CALLS.lock();
    match w.get(&pid) {
        Some(&(n, d)) if n == nr => d,
        _ => {
            let d = now.saturating_add(timeout_ms.saturating_mul(1_000_000));
            w.insert(pid, (nr, d));
            d
        }
    }
}

/// Forget `pid`'s call deadline (the call finished, timed out, or the process ended).
pub fn call_finished(pid: u32) {
    let mut w = CALLS.lock();
    if !w.is_empty() {
        w.remove(&pid);
    }
}

/// Whether some call's deadline passed at `now` (its process must be woken to time out).
pub fn call_expired(now: u64) -> bool {
    CALLS.lock().values().any(|&(_, d)| d <= now)
}

/// The earliest registered deadline: sources and calls.
pub fn next() -> Option<u64> {
    let calls = CALLS.lock().values().map(|&(_, d)| d).min();
    SOURCES
        .iter()
        .map(|s| s.load(Ordering::Relaxed))
        .filter(|&d| d != NONE)
        .chain(calls)
        .min()
}
