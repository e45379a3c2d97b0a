//! GICv2 distributor and CPU interface (QEMU virt's default interrupt controller).

use core::sync::atomic::{AtomicU64, Ordering};

static GICD: AtomicU64 = AtomicU64::new(0);
static GICC: AtomicU64 = AtomicU64::new(0);

fn w(base: &AtomicU64, off: u64, v: u32) {
    // SAFETY: the GIC registers are mapped device memory (set by `init` from the device tree).
    unsafe { core::ptr::write_volatile((base.load(Ordering::Relaxed) + off) as *mut u32, v) };
}
fn r(base: &AtomicU64, off: u64) -> u32 {
    // SAFETY: as in `w`.
    unsafe { core::ptr::read_volatile((base.load(Ordering::Relaxed) + off) as *const u32) }
}

/// Initialise distributor and CPU interface at kernel virtual addresses `gicd`, `gicc`.
pub fn init(gicd: u64, gicc: u64) {
    GICD.store(gicd, Ordering::Relaxed);
    GICC.store(gicc, Ordering::Relaxed);
    w(&GICD, 0x000, 1); // GICD_CTLR: enable group 0 forwarding
    w(&GICC, 0x004, 0xff); // GICC_PMR: all priorities pass
    w(&GICC, 0x000, 1); // GICC_CTLR: enable
}

/// Enable interrupt `id`, routed to CPU 0, level-sensitive, priority 0x80.
pub fn enable(id: u32) {
    let id = id as u64;
    // Priority byte and CPU target byte.
    let pri = r(&GICD, 0x400 + (id & !3));
    let sh = (id & 3) * 8;
    w(
        &GICD,
        0x400 + (id & !3),
        (pri & !(0xff << sh)) | (0x80 << sh),
    );
    if id >= 32 {
        let t = r(&GICD, 0x800 + (id & !3));
        w(&GICD, 0x800 + (id & !3), (t & !(0xff << sh)) | (1 << sh));
    }
    w(&GICD, 0x100 + (id / 32) * 4, 1 << (id % 32));
}

/// Acknowledge the highest-priority pending interrupt; `None` if spurious.
pub fn ack() -> Option<u32> {
    let iar = r(&GICC, 0x00c);
    let id = iar & 0x3ff;
    if id >= 1020 {
        None
    } else {
        Some(iar)
    }
}

/// Signal end of interrupt for a value returned by [`ack`].
pub fn eoi(iar: u32) {
    w(&GICC, 0x010, iar);
}
