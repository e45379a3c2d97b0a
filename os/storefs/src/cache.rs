//! A small cache of verified data blocks, filled by read-ahead.
//!
//! Programs read files in small pieces (`cat` 4 KiB at a time, the zstd decoder of `pkg` a
//! block header of 3 bytes, then the block), and every device request is a round trip to the
//! virtio disk. On a miss [`crate::Store::read`] reads a run of up to 64 physically consecutive
//! blocks of the file with one request and keeps them here, so sequential small reads cost one
//! request per 256 KiB instead of one per call.
//!
//! Only blocks whose crc32 matched their block reference are cached, and an entry is only
//! returned for the same (block, crc) pair. Every write the store makes to the device drops
//! the blocks it covers, so the cache never returns bytes the disk no longer holds.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;

use crate::format::BLOCK_SIZE;

/// How many blocks the cache holds (512 KiB).
pub const CAPACITY: usize = 128;

struct Entry {
    crc: u32,
    stamp: u64,
    data: Box<[u8]>,
}

/// Verified data blocks by physical block number, least recently used evicted first.
#[derive(Default)]
pub struct BlockCache {
    entries: BTreeMap<u32, Entry>,
    clock: u64,
}

impl BlockCache {
    /// An empty cache.
    pub fn new() -> BlockCache {
        BlockCache::default()
    }

    /// The cached bytes of `block` if they were verified against `crc`.
    pub fn get(&mut self, block: u32, crc: u32) -> Option<&[u8]> {
        self.clock += 1;
        let clock = self.clock;
        match self.entries.get_mut(&block) {
            Some(e) if e.crc == crc => {
                e.stamp = clock;
                Some(&e.data)
            }
            _ => None,
        }
    }

    /// Keep `data` (one verified block) as `block` with checksum `crc`.
    pub fn insert(&mut self, block: u32, crc: u32, data: &[u8]) {
        debug_assert_eq!(data.len(), BLOCK_SIZE);
        self.clock += 1;
        if !self.entries.contains_key(&block) && self.entries.len() >= CAPACITY {
            if let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.stamp)
                .map(|(&b, _)| b)
            {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(
            block,
            Entry {
                crc,
                stamp: self.clock,
                data: data.into(),
            },
        );
    }

    /// Forget blocks `first..first + count` (they are being written).
    pub fn invalidate(&mut self, first: u64, count: u64) {
        if self.entries.is_empty() || count == 0 {
            return;
        }
        let lo = first.min(u64::from(u32::MAX)) as u32;
        let hi = first.saturating_add(count).min(u64::from(u32::MAX) + 1);
        let doomed: alloc::vec::Vec<u32> = self
            .entries
            .range(lo..)
            .map(|(&b, _)| b)
            .take_while(|&b| u64::from(b) < hi)
            .collect();
        for b in doomed {
            self.entries.remove(&b);
        }
    }

    /// Forget everything.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Number of cached blocks.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Is the cache empty?
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(fill: u8) -> alloc::vec::Vec<u8> {
        alloc::vec![fill; BLOCK_SIZE]
    }

    #[test]
    fn hit_needs_the_same_crc() {
        let mut c = BlockCache::new();
        c.insert(7, 0xabcd, &block(1));
        assert_eq!(c.get(7, 0xabcd).map(|d| d[0]), Some(1));
        assert!(c.get(7, 0x1234).is_none(), "another crc is another block");
        assert!(c.get(8, 0xabcd).is_none());
    }

    #[test]
    fn invalidate_drops_exactly_the_written_range() {
        let mut c = BlockCache::new();
        for b in 10..20 {
            c.insert(b, b, &block(b as u8));
        }
        c.invalidate(12, 3);
        let left: alloc::vec::Vec<u32> = (10..20).filter(|&b| c.get(b, b).is_some()).collect();
        assert_eq!(left, [10, 11, 15, 16, 17, 18, 19]);
        c.invalidate(u64::from(u32::MAX) - 1, 10);
        c.invalidate(0, 0);
        assert_eq!(c.len(), 7);
    }

    #[test]
    fn least_recently_used_block_goes_first() {
        let mut c = BlockCache::new();
        for b in 0..CAPACITY as u32 {
            c.insert(b, 0, &block(0));
        }
        assert!(c.get(0, 0).is_some(), "touch block 0");
        c.insert(1000, 0, &block(0));
        assert_eq!(c.len(), CAPACITY);
        assert!(c.get(0, 0).is_some(), "recently used block 0 stays");
        assert!(c.get(1, 0).is_none(), "block 1 was the least recently used");
    }
}
