//! virtio-blk over virtio-mmio (the `virtio-drivers` crate), exposed as a packfs
//! [`BlockDevice`] (the read-only base image) and a storefs [`swiftos_storefs::BlockDev`] (the
//! writable package store: writes and flushes).

use crate::{arch, mm};
use core::ptr::NonNull;
use swiftos_packfs::{BlockDevice, IoError};
use virtio_drivers::device::blk::VirtIOBlk;
use virtio_drivers::transport::mmio::{MmioTransport, VirtIOHeader};
use virtio_drivers::transport::{DeviceType, Transport};
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

/// A virtio block device.
pub struct Disk {
    dev: VirtIOBlk<KernelHal, MmioTransport<'static>>,
    sectors: u64,
}

/// Probe the virtio-mmio slots (physical base addresses) and return the block devices found,
/// in the order of `slots`.
pub fn probe(slots: &[(u64, u32)]) -> alloc::vec::Vec<Disk> {
    let mut disks = alloc::vec::Vec::new();
    for &(base, _irq) in slots {
        let va = arch::phys_to_virt(base);
        let Some(header) = NonNull::new(va as *mut VirtIOHeader) else {
            continue;
        };
        // SAFETY: `base` is a virtio-mmio slot from the device tree (0x200 bytes of device
        // memory), mapped through the linear map for the kernel's lifetime.
        let transport = match unsafe { MmioTransport::new(header, 0x200) } {
            Ok(t) => t,
            Err(_) => continue,
        };
        if transport.device_type() != DeviceType::Block {
            continue;
        }
        match VirtIOBlk::<KernelHal, _>::new(transport) {
            Ok(dev) => {
                let sectors = dev.capacity();
                disks.push(Disk { dev, sectors });
            }
            Err(e) => kprintln!("kernel: virtio-blk at {base:#x} failed: {e:?}"),
        }
    }
    // QEMU fills slots from the top: the first -drive on the command line is the highest slot.
    // The caller passes the slots highest first, so `disks` is in command-line order (base
    // image, then the package store).
    disks
}

impl BlockDevice for Disk {
    fn sector_count(&self) -> u64 {
        self.sectors
    }

    fn read_sectors(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), IoError> {
        if buf.is_empty() || !buf.len().is_multiple_of(512) {
            return Err(IoError);
        }
        self.dev.read_blocks(lba as usize, buf).map_err(|_| IoError)
    }
}

impl swiftos_storefs::BlockDev for Disk {
    fn sector_count(&self) -> u64 {
        self.sectors
    }

    fn read_sectors(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), swiftos_storefs::IoError> {
        BlockDevice::read_sectors(self, lba, buf).map_err(|_| swiftos_storefs::IoError)
    }

    fn write_sectors(&mut self, lba: u64, buf: &[u8]) -> Result<(), swiftos_storefs::IoError> {
        if buf.is_empty() || !buf.len().is_multiple_of(512) || self.dev.readonly() {
            return Err(swiftos_storefs::IoError);
        }
        self.dev
            .write_blocks(lba as usize, buf)
            .map_err(|_| swiftos_storefs::IoError)
    }

    fn flush(&mut self) -> Result<(), swiftos_storefs::IoError> {
        self.dev.flush().map_err(|_| swiftos_storefs::IoError)
    }
}
