//! Physical frame allocator: a bitmap over one contiguous range of 4 KiB frames.

use alloc::vec;
use alloc::vec::Vec;

/// Frame size.
pub const FRAME: u64 = 4096;

/// Bitmap allocator (bit set = in use) with a rotating search hint.
pub struct FrameAllocator {
    base: u64,
    count: usize,
    bits: Vec<u64>,
    free: usize,
    hint: usize,
}

impl FrameAllocator {
    /// Manage the frames fully inside `[start, end)` (bounds are rounded inwards).
    pub fn new(start: u64, end: u64) -> Self {
        let base = start.div_ceil(FRAME) * FRAME;
        let top = end / FRAME * FRAME;
        let count = if top > base {
            ((top - base) / FRAME) as usize
        } else {
            0
        };
        let mut bits = vec![0u64; count.div_ceil(64)];
        // Mark the padding bits past `count` as used.
        for i in count..bits.len() * 64 {
            bits[i / 64] |= 1 << (i % 64);
        }
        FrameAllocator {
            base,
            count,
            bits,
            free: count,
            hint: 0,
        }
    }

    /// Number of frames managed.
    pub fn total(&self) -> usize {
        self.count
    }

    /// Number of free frames.
    pub fn free_count(&self) -> usize {
        self.free
    }

    /// Allocate one frame; returns its physical address.
    pub fn alloc(&mut self) -> Option<u64> {
        if self.free == 0 {
            return None;
        }
        let n = self.bits.len();
        for k in 0..n {
            let w = (self.hint + k) % n;
            if self.bits[w] != u64::MAX {
                let bit = (!self.bits[w]).trailing_zeros() as usize;
                self.bits[w] |= 1 << bit;
                self.free -= 1;
                self.hint = w;
                return Some(self.base + ((w * 64 + bit) as u64) * FRAME);
            }
        }
        None
    }

    fn is_used(&self, i: usize) -> bool {
        self.bits[i / 64] & (1 << (i % 64)) != 0
    }

    /// Allocate `n` physically contiguous frames (first fit).
    pub fn alloc_contiguous(&mut self, n: usize) -> Option<u64> {
        if n == 0 || n > self.free {
            return None;
        }
        let mut run = 0;
        for i in 0..self.count {
            if self.is_used(i) {
                run = 0;
                continue;
            }
            run += 1;
            if run == n {
                let first = i + 1 - n;
                for j in first..=i {
                    self.bits[j / 64] |= 1 << (j % 64);
                }
                self.free -= n;
                return Some(self.base + first as u64 * FRAME);
            }
        }
        None
    }

    /// Return a frame. Addresses outside the range, unaligned or already free are ignored
    /// (returns false) rather than corrupting the count.
    pub fn dealloc(&mut self, pa: u64) -> bool {
        if pa < self.base || !pa.is_multiple_of(FRAME) {
            return false;
        }
        let i = ((pa - self.base) / FRAME) as usize;
        if i >= self.count || !self.is_used(i) {
            return false;
        }
        self.bits[i / 64] &= !(1 << (i % 64));
        self.free += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocates_all_then_none() {
        let mut fa = FrameAllocator::new(0x1000, 0x1000 + 70 * FRAME);
        assert_eq!(fa.total(), 70);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..70 {
            let f = fa.alloc().unwrap();
            assert!((0x1000..0x1000 + 70 * FRAME).contains(&f) && f.is_multiple_of(FRAME));
            assert!(seen.insert(f));
        }
        assert_eq!(fa.alloc(), None);
        assert_eq!(fa.free_count(), 0);
    }

    #[test]
    fn free_and_reuse_and_double_free() {
        let mut fa = FrameAllocator::new(0x10_0000, 0x10_0000 + 4 * FRAME);
        let a = fa.alloc().unwrap();
        assert!(fa.dealloc(a));
        assert!(!fa.dealloc(a), "double free must be refused");
        assert!(!fa.dealloc(0x5), "unaligned/out of range refused");
        assert_eq!(fa.free_count(), 4);
    }

    #[test]
    fn rounds_inwards() {
        let fa = FrameAllocator::new(0x1001, 0x3fff);
        assert_eq!(fa.total(), 1);
        let fa = FrameAllocator::new(0x5000, 0x1000);
        assert_eq!(fa.total(), 0);
    }

    #[test]
    fn contiguous() {
        let mut fa = FrameAllocator::new(0, 10 * FRAME);
        let a = fa.alloc().unwrap();
        let _b = fa.alloc().unwrap();
        fa.dealloc(a);
        // frame 0 free, 1 used: a run of 3 must start at 2.
        assert_eq!(fa.alloc_contiguous(3), Some(2 * FRAME));
        assert_eq!(fa.free_count(), 10 - 4);
        assert_eq!(fa.alloc_contiguous(8), None);
    }
}
