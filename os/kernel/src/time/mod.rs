//! Clocks: monotonic time from the generic-timer counter, wall-clock time from the PL031 RTC
//! read once at boot, and the one-shot timer that drives preemption and sleeps; [`deadlines`]
//! says when that timer must fire for subsystems and timed calls.

pub mod deadlines;

use crate::arch;
use core::sync::atomic::{AtomicU64, Ordering};

static BOOT_COUNTER: AtomicU64 = AtomicU64::new(0);
static FREQ: AtomicU64 = AtomicU64::new(62_500_000);
static BOOT_EPOCH_SECS: AtomicU64 = AtomicU64::new(0);

/// Record the boot instant and, if present, read the RTC (kernel virtual address).
pub fn init(rtc: Option<u64>) {
    BOOT_COUNTER.store(arch::counter(), Ordering::Relaxed);
    let f = arch::counter_freq();
    if f != 0 {
        FREQ.store(f, Ordering::Relaxed);
    }
    if let Some(base) = rtc {
        // SAFETY: the PL031 data register (offset 0) is mapped device memory from the DT.
        let secs = unsafe { core::ptr::read_volatile(base as *const u32) };
        BOOT_EPOCH_SECS.store(secs as u64, Ordering::Relaxed);
    }
}

fn ticks_to_ns(t: u64) -> u64 {
    (t as u128 * 1_000_000_000 / FREQ.load(Ordering::Relaxed) as u128) as u64
}

fn ns_to_ticks(ns: u64) -> u64 {
    (ns as u128 * FREQ.load(Ordering::Relaxed) as u128 / 1_000_000_000) as u64
}

/// Nanoseconds since boot.
pub fn monotonic_ns() -> u64 {
    ticks_to_ns(arch::counter().wrapping_sub(BOOT_COUNTER.load(Ordering::Relaxed)))
}

/// Nanoseconds since the Unix epoch.
pub fn realtime_ns() -> u64 {
    BOOT_EPOCH_SECS.load(Ordering::Relaxed) * 1_000_000_000 + monotonic_ns()
}

/// Arm the timer for the end of the time slice (`slice_ns` from now) or the earliest deadline.
pub fn arm_next(slice_ns: u64, deadline: Option<u64>) {
    let now = monotonic_ns();
    let mut ns = slice_ns;
    if let Some(d) = deadline {
        ns = ns.min(d.saturating_sub(now)).max(50_000);
    }
    arch::timer_arm(ns_to_ticks(ns));
}
