//! The writable block-device abstraction and an in-memory device that can simulate power cuts.

use alloc::vec::Vec;

/// Bytes per sector.
pub const SECTOR_SIZE: usize = 512;

/// A device failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("block device I/O error")]
pub struct IoError;

/// A writable device of 512-byte sectors (the kernel implements it over virtio-blk).
pub trait BlockDev {
    /// Number of 512-byte sectors.
    fn sector_count(&self) -> u64;
    /// Fill `buf` (a non-empty multiple of 512 bytes) from sectors starting at `lba`.
    fn read_sectors(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), IoError>;
    /// Write `buf` (a non-empty multiple of 512 bytes) to sectors starting at `lba`. Durable only
    /// after a later [`BlockDev::flush`] returns.
    fn write_sectors(&mut self, lba: u64, buf: &[u8]) -> Result<(), IoError>;
    /// Make every completed write durable.
    fn flush(&mut self) -> Result<(), IoError>;
}

impl<T: BlockDev + ?Sized> BlockDev for &mut T {
    fn sector_count(&self) -> u64 {
        (**self).sector_count()
    }
    fn read_sectors(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), IoError> {
        (**self).read_sectors(lba, buf)
    }
    fn write_sectors(&mut self, lba: u64, buf: &[u8]) -> Result<(), IoError> {
        (**self).write_sectors(lba, buf)
    }
    fn flush(&mut self) -> Result<(), IoError> {
        (**self).flush()
    }
}

impl<T: BlockDev + ?Sized> BlockDev for alloc::boxed::Box<T> {
    fn sector_count(&self) -> u64 {
        (**self).sector_count()
    }
    fn read_sectors(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), IoError> {
        (**self).read_sectors(lba, buf)
    }
    fn write_sectors(&mut self, lba: u64, buf: &[u8]) -> Result<(), IoError> {
        (**self).write_sectors(lba, buf)
    }
    fn flush(&mut self) -> Result<(), IoError> {
        (**self).flush()
    }
}

/// One recorded device operation (see [`MemDev::log`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogOp {
    /// One sector written (multi-sector writes are logged sector by sector, so a replay can
    /// tear them).
    Write { lba: u64, data: Vec<u8> },
    /// A flush barrier.
    Flush,
}

/// An in-memory device. Optionally records every write and flush ([`MemDev::record`]) so a test
/// can rebuild the disk as it would be after a power cut at any point, and can stop
/// persisting writes after a number of sectors ([`MemDev::crash_after`]).
#[derive(Clone, Debug, Default)]
pub struct MemDev {
    data: Vec<u8>,
    log: Option<Vec<LogOp>>,
    budget: Option<u64>,
    fail_reads: bool,
}

impl MemDev {
    /// A zeroed device of `bytes` (rounded down to whole sectors).
    pub fn new(bytes: usize) -> MemDev {
        MemDev::from_bytes(alloc::vec![0; bytes / SECTOR_SIZE * SECTOR_SIZE])
    }
    /// A device holding `data` (a trailing partial sector is ignored).
    pub fn from_bytes(mut data: Vec<u8>) -> MemDev {
        data.truncate(data.len() / SECTOR_SIZE * SECTOR_SIZE);
        MemDev {
            data,
            log: None,
            budget: None,
            fail_reads: false,
        }
    }
    /// Start recording writes and flushes.
    pub fn record(&mut self) {
        self.log = Some(Vec::new());
    }
    /// The recorded operations (empty unless [`MemDev::record`] was called).
    pub fn log(&self) -> &[LogOp] {
        self.log.as_deref().unwrap_or(&[])
    }
    /// After `sectors` more sector writes, silently drop every further write (a power cut: the
    /// program keeps running, the disk stops changing).
    pub fn crash_after(&mut self, sectors: u64) {
        self.budget = Some(sectors);
    }
    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.data
    }
    /// The bytes, mutable (tests damage them).
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.data
    }
    /// Take the bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.data
    }
    fn range(&self, lba: u64, len: usize) -> Result<core::ops::Range<usize>, IoError> {
        if len == 0 || !len.is_multiple_of(SECTOR_SIZE) {
            return Err(IoError);
        }
        let start = usize::try_from(lba)
            .ok()
            .and_then(|l| l.checked_mul(SECTOR_SIZE))
            .ok_or(IoError)?;
        let end = start.checked_add(len).ok_or(IoError)?;
        if end > self.data.len() {
            return Err(IoError);
        }
        Ok(start..end)
    }
    /// Make reads fail (I/O error paths).
    pub fn set_fail_reads(&mut self, fail: bool) {
        self.fail_reads = fail;
    }
}

impl BlockDev for MemDev {
    fn sector_count(&self) -> u64 {
        (self.data.len() / SECTOR_SIZE) as u64
    }
    fn read_sectors(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), IoError> {
        if self.fail_reads {
            return Err(IoError);
        }
        let r = self.range(lba, buf.len())?;
        buf.copy_from_slice(&self.data[r]);
        Ok(())
    }
    fn write_sectors(&mut self, lba: u64, buf: &[u8]) -> Result<(), IoError> {
        let r = self.range(lba, buf.len())?;
        for (i, chunk) in buf.chunks(SECTOR_SIZE).enumerate() {
            if let Some(b) = self.budget.as_mut() {
                if *b == 0 {
                    continue;
                }
                *b -= 1;
            }
            let at = r.start + i * SECTOR_SIZE;
            self.data[at..at + SECTOR_SIZE].copy_from_slice(chunk);
            if let Some(log) = self.log.as_mut() {
                log.push(LogOp::Write {
                    lba: lba + i as u64,
                    data: chunk.to_vec(),
                });
            }
        }
        Ok(())
    }
    fn flush(&mut self) -> Result<(), IoError> {
        if let Some(log) = self.log.as_mut() {
            log.push(LogOp::Flush);
        }
        Ok(())
    }
}
