//! Clocks and sleeping.

use crate::sys;
use swiftos_abi::fcntl::{CLOCK_MONOTONIC, CLOCK_REALTIME};
use swiftos_abi::{Errno, Timespec};

/// Nanoseconds since boot.
pub fn monotonic_ns() -> u64 {
    sys::clock_gettime(CLOCK_MONOTONIC)
        .map(|t| t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64)
        .unwrap_or(0)
}

/// Wall-clock time (seconds, nanoseconds since the Unix epoch).
pub fn realtime() -> Result<Timespec, Errno> {
    sys::clock_gettime(CLOCK_REALTIME)
}

/// Sleep for `ms` milliseconds.
pub fn sleep_ms(ms: u64) -> Result<(), Errno> {
    sys::nanosleep(&Timespec {
        tv_sec: (ms / 1000) as i64,
        tv_nsec: ((ms % 1000) * 1_000_000) as i64,
    })
}
