//! The I/O wake-up flag: pipes, the console and the network set it when something happened
//! that may unblock a process waiting for I/O; the scheduler takes it and wakes those waiters.

use core::sync::atomic::{AtomicBool, Ordering};

static IO_EVENT: AtomicBool = AtomicBool::new(false);

/// Note that blocked readers/writers should retry.
pub fn io_event() {
    IO_EVENT.store(true, Ordering::Release);
}

/// Whether an I/O event happened since the last call (and clear it).
pub fn take_io_event() -> bool {
    IO_EVENT.swap(false, Ordering::AcqRel)
}
