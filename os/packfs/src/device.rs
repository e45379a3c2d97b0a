//! The block-device abstraction the reader works over, and an in-memory implementation.

use alloc::vec::Vec;

/// A device failure reported by a [`BlockDevice`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("block device I/O error")]
pub struct IoError;

/// A device of 512-byte sectors (the kernel implements it over virtio-blk).
pub trait BlockDevice {
    /// Number of 512-byte sectors on the device.
    fn sector_count(&self) -> u64;

    /// Fill `buf` (a non-empty multiple of 512 bytes long) from consecutive sectors starting at
    /// `lba`. The reader never asks for sectors at or beyond [`BlockDevice::sector_count`].
    fn read_sectors(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), IoError>;
}

impl<T: BlockDevice + ?Sized> BlockDevice for &mut T {
    fn sector_count(&self) -> u64 {
        (**self).sector_count()
    }
    fn read_sectors(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), IoError> {
        (**self).read_sectors(lba, buf)
    }
}

/// A block device backed by bytes in memory (tests, host tools, or a kernel that loaded the
/// whole image into RAM). A trailing partial sector is ignored.
#[derive(Clone, Debug, Default)]
pub struct MemDisk<T: AsRef<[u8]> = Vec<u8>> {
    bytes: T,
}

impl<T: AsRef<[u8]>> MemDisk<T> {
    /// Wrap `bytes`.
    pub fn new(bytes: T) -> Self {
        MemDisk { bytes }
    }
    /// The underlying bytes.
    pub fn into_inner(self) -> T {
        self.bytes
    }
}

impl<T: AsRef<[u8]>> BlockDevice for MemDisk<T> {
    fn sector_count(&self) -> u64 {
        (self.bytes.as_ref().len() / crate::SECTOR_SIZE) as u64
    }

    fn read_sectors(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), IoError> {
        let bytes = self.bytes.as_ref();
        if buf.is_empty() || buf.len() & (crate::SECTOR_SIZE - 1) != 0 {
            return Err(IoError);
        }
        let start = usize::try_from(lba)
            .ok()
            .and_then(|l| l.checked_mul(crate::SECTOR_SIZE))
            .ok_or(IoError)?;
        let end = start.checked_add(buf.len()).ok_or(IoError)?;
        if end > self.sector_count() as usize * crate::SECTOR_SIZE {
            return Err(IoError);
        }
        buf.copy_from_slice(&bytes[start..end]);
        Ok(())
    }
}
