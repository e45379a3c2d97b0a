//! Physical memory: the kernel heap and the frame allocator over the rest of RAM.

use crate::arch;
use linked_list_allocator::LockedHeap;
use spin::Mutex;
use swiftos_kcore::frame::FrameAllocator;

#[global_allocator]
static HEAP: LockedHeap = LockedHeap::empty();

/// Kernel heap size (set at boot: a quarter of RAM, at least 32 MiB). The heap holds `/tmp`
/// contents and whole executables while they are loaded, so their limits derive from it.
static HEAP_SIZE: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// The kernel heap size in bytes.
pub fn heap_size() -> u64 {
    HEAP_SIZE.load(core::sync::atomic::Ordering::Relaxed)
}

/// Physical frames for user memory and page tables.
pub static FRAMES: Mutex<Option<FrameAllocator>> = Mutex::new(None);

extern "C" {
    static __kernel_end: u8;
}

/// Set up the heap right after the kernel image and hand the rest of RAM to the frame allocator.
pub fn init(mem_base: u64, mem_size: u64) -> (usize, usize) {
    let kend = core::ptr::addr_of!(__kernel_end) as u64;
    let heap_start = (kend + 0xfff) & !0xfff;
    let heap = (mem_size / 4).max(32 << 20) & !0xfff;
    HEAP_SIZE.store(heap, core::sync::atomic::Ordering::Relaxed);
    // SAFETY: [heap_start, heap_start + heap) is RAM after the kernel image, mapped by the
    // boot tables and used by nothing else (the frame allocator starts after it).
    unsafe { HEAP.lock().init(heap_start as *mut u8, heap as usize) };
    let free_start = arch::virt_to_phys(heap_start + heap);
    // The boot tables map physical 1 GiB..4 GiB; RAM above that is left unused.
    let free_end = (mem_base + mem_size).min(4 << 30);
    let fa = FrameAllocator::new(free_start, free_end);
    let counts = (fa.total(), fa.free_count());
    *FRAMES.lock() = Some(fa);
    counts
}

/// Allocate one zeroed 4 KiB frame; returns its physical address.
pub fn alloc_frame() -> Option<u64> {
    let pa = FRAMES.lock().as_mut()?.alloc()?;
    // SAFETY: the frame is RAM owned exclusively by the caller now, reachable via the linear map.
    unsafe { core::ptr::write_bytes(arch::phys_to_virt(pa) as *mut u8, 0, 4096) };
    Some(pa)
}

/// Allocate `n` physically contiguous zeroed frames.
pub fn alloc_contiguous(n: usize) -> Option<u64> {
    let pa = FRAMES.lock().as_mut()?.alloc_contiguous(n)?;
    // SAFETY: the frames are RAM owned exclusively by the caller now.
    unsafe { core::ptr::write_bytes(arch::phys_to_virt(pa) as *mut u8, 0, 4096 * n) };
    Some(pa)
}

/// Return a frame.
pub fn free_frame(pa: u64) {
    if let Some(fa) = FRAMES.lock().as_mut() {
        fa.dealloc(pa);
    }
}

/// Free / total frames.
pub fn frame_stats() -> (usize, usize) {
    FRAMES
        .lock()
        .as_ref()
        .map(|f| (f.free_count(), f.total()))
        .unwrap_or((0, 0))
}

/// A page of memory viewed through the linear map.
pub fn frame_bytes(pa: u64) -> &'static mut [u8; 4096] {
    // SAFETY: callers pass frames they own (allocated from FRAMES); the linear map covers RAM.
    unsafe { &mut *(arch::phys_to_virt(pa) as *mut [u8; 4096]) }
}
