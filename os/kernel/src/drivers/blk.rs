//! virtio-blk over virtio-mmio (the `virtio-drivers` crate), exposed as a packfs
//! [`BlockDevice`] (the read-only base image) and a storefs [`swiftos_storefs::BlockDev`] (the
//! writable package store: writes and flushes).

use super::virtio::{self, KernelHal};
use swiftos_packfs::{BlockDevice, IoError};
use virtio_drivers::device::blk::VirtIOBlk;
use virtio_drivers::transport::mmio::MmioTransport;
use virtio_drivers::transport::{DeviceType, Transport};

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
        let Some(transport) = virtio::transport(base) else {
            continue;
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
