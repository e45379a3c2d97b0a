//! PL011 UART: polled output, interrupt-driven input.

use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering};

static BASE: AtomicU64 = AtomicU64::new(0);

const DR: u64 = 0x00;
const FR: u64 = 0x18;
const IMSC: u64 = 0x38;
const ICR: u64 = 0x44;
const FR_TXFF: u32 = 1 << 5;
const FR_RXFE: u32 = 1 << 4;

fn reg(off: u64) -> *mut u32 {
    (BASE.load(Ordering::Relaxed) + off) as *mut u32
}

/// Use the PL011 at kernel virtual address `base`.
pub fn init(base: u64) {
    BASE.store(base, Ordering::Relaxed);
}

fn ready() -> bool {
    BASE.load(Ordering::Relaxed) != 0
}

/// Write one byte (spins while the FIFO is full).
pub fn putb(b: u8) {
    if !ready() {
        return;
    }
    // SAFETY: BASE is the PL011's mapped MMIO window (set by `init` from the device tree).
    unsafe {
        while core::ptr::read_volatile(reg(FR)) & FR_TXFF != 0 {}
        core::ptr::write_volatile(reg(DR), b as u32);
    }
}

/// Write bytes, translating `\n` to `\r\n`.
pub fn write_bytes(bytes: &[u8]) {
    for &b in bytes {
        if b == b'\n' {
            putb(b'\r');
        }
        putb(b);
    }
}

/// Read one received byte if any.
pub fn getb() -> Option<u8> {
    if !ready() {
        return None;
    }
    // SAFETY: BASE is the PL011's mapped MMIO window.
    unsafe {
        if core::ptr::read_volatile(reg(FR)) & FR_RXFE != 0 {
            None
        } else {
            Some((core::ptr::read_volatile(reg(DR)) & 0xff) as u8)
        }
    }
}

/// Receive and receive-timeout interrupts.
const INT_RX: u32 = (1 << 4) | (1 << 6);

/// Enable the receive and receive-timeout interrupts.
///
/// Bytes typed while the machine boots are already in the FIFO, and the PL011 raises its
/// receive interrupt only when the FIFO goes from empty to non-empty: clearing that pending
/// interrupt here would leave a full FIFO that never interrupts again (the console stalled
/// for good when someone typed during boot). So only the other interrupts are cleared, and
/// the caller drains the FIFO once (`trap::console_rx`).
pub fn enable_rx_irq() {
    // SAFETY: BASE is the PL011's mapped MMIO window; IMSC/ICR only change interrupt masking.
    unsafe {
        core::ptr::write_volatile(reg(ICR), 0x7ff & !INT_RX);
        core::ptr::write_volatile(reg(IMSC), INT_RX);
    }
}

/// Acknowledge all UART interrupts.
pub fn ack_irq() {
    // SAFETY: BASE is the PL011's mapped MMIO window.
    unsafe { core::ptr::write_volatile(reg(ICR), 0x7ff) };
}

/// `core::fmt` adapter for kernel log output.
pub struct Writer;

impl fmt::Write for Writer {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write_bytes(s.as_bytes());
        Ok(())
    }
}

/// Print to the serial console.
#[macro_export]
macro_rules! kprint {
    ($($arg:tt)*) => {{
        use core::fmt::Write as _;
        let _ = write!($crate::drivers::uart::Writer, $($arg)*);
    }};
}

/// Print a line to the serial console.
#[macro_export]
macro_rules! kprintln {
    ($($arg:tt)*) => {{
        use core::fmt::Write as _;
        let _ = writeln!($crate::drivers::uart::Writer, $($arg)*);
    }};
}
