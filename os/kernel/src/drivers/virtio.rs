//! The virtio-mmio transport shared by the virtio drivers: the DMA/address-translation HAL for
//! `virtio-drivers` and the slot probe (which device sits at a virtio-mmio window).

use crate::{arch, mm, platform};
use core::ptr::NonNull;
use virtio_drivers::transport::mmio::{MmioTransport, VirtIOHeader};
use virtio_drivers::{BufferDirection, Hal, PhysAddr};

/// DMA and address translation for virtio-drivers: physically contiguous zeroed frames, all
/// reachable through the kernel's linear map.
pub struct KernelHal;

// SAFETY: dma_alloc returns zeroed, page-aligned, exclusively owned frames; addresses are
// translated through the linear map, which covers all RAM and device MMIO.
unsafe impl Hal for KernelHal {
    fn dma_alloc(pages: usize, _dir: BufferDirection) -> (PhysAddr, NonNull<u8>) {
        let pa = mm::alloc_contiguous(pages).expect("out of memory for virtio DMA");
        let va = NonNull::new(arch::phys_to_virt(pa) as *mut u8).expect("non-null linear map");
        (pa as PhysAddr, va)
    }

    unsafe fn dma_dealloc(paddr: PhysAddr, _vaddr: NonNull<u8>, pages: usize) -> i32 {
        for i in 0..pages as u64 {
            mm::free_frame(paddr + i * 4096);
        }
        0
    }

    unsafe fn mmio_phys_to_virt(paddr: PhysAddr, _size: usize) -> NonNull<u8> {
        NonNull::new(arch::phys_to_virt(paddr) as *mut u8).expect("non-null")
    }

    unsafe fn share(buffer: NonNull<[u8]>, _dir: BufferDirection) -> PhysAddr {
        arch::virt_to_phys(buffer.as_ptr() as *mut u8 as u64) as PhysAddr
    }

    unsafe fn unshare(_paddr: PhysAddr, _buffer: NonNull<[u8]>, _dir: BufferDirection) {}
}

/// virtio-mmio magic value ("virt" little-endian) at register offset 0.
const MAGIC: u32 = 0x7472_6976;

/// The virtio device id at physical address `base` (1 = network, 2 = block), read without
/// building a transport: dropping an `MmioTransport` resets its device, which would kill a
/// device already in use. `None` if the slot holds no virtio device.
pub fn device_id(base: u64) -> Option<u32> {
    let va = arch::phys_to_virt(base);
    // SAFETY: `base` is a virtio-mmio slot from the device tree, mapped through the linear
    // map; offsets 0 and 8 are the read-only magic and device-id registers.
    let (magic, id) = unsafe {
        (
            core::ptr::read_volatile(va as *const u32),
            core::ptr::read_volatile((va + 8) as *const u32),
        )
    };
    (magic == MAGIC).then_some(id)
}

/// The virtio-mmio transport at physical address `base` (a slot from the device tree), or
/// `None` when the slot is empty or not a virtio device. Dropping the transport resets the
/// device.
pub fn transport(base: u64) -> Option<MmioTransport<'static>> {
    let va = arch::phys_to_virt(base);
    let header = NonNull::new(va as *mut VirtIOHeader)?;
    // SAFETY: `base` is a virtio-mmio slot from the device tree (`VIRTIO_MMIO_SIZE` bytes of
    // device memory), mapped through the linear map for the kernel's lifetime.
    unsafe { MmioTransport::new(header, platform::VIRTIO_MMIO_SIZE) }.ok()
}
