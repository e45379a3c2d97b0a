//! Checked access to user memory through the process's page tables (never by dereferencing a
//! user pointer): every byte is translated, and an unmapped or read-only page is an error.

use crate::pagetable::{translate, TableMemory};

/// A user range that cannot be accessed as requested.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault;

/// Reads and writes physical frames (through the kernel's linear map on the target).
pub trait FrameAccess: TableMemory {
    /// The bytes of the frame at `pa`.
    fn frame(&mut self, pa: u64) -> &mut [u8; 4096];
}

/// A validated-on-use user address range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserSlice {
    pub addr: u64,
    pub len: u64,
}

impl UserSlice {
    /// A range `[addr, addr + len)`; rejects overflow and ranges beyond the user half.
    pub fn new(addr: u64, len: u64) -> Result<UserSlice, Fault> {
        let end = addr.checked_add(len).ok_or(Fault)?;
        if end > crate::pagetable::USER_VA_END || (len > 0 && addr < 4096) {
            return Err(Fault);
        }
        Ok(UserSlice { addr, len })
    }

    /// Copy the whole range into `out` (`out.len()` must equal `len`).
    pub fn read<M: FrameAccess>(
        &self,
        mem: &mut M,
        root: u64,
        out: &mut [u8],
    ) -> Result<(), Fault> {
        if out.len() as u64 != self.len {
            return Err(Fault);
        }
        let mut done = 0usize;
        while done < out.len() {
            let va = self.addr + done as u64;
            let (pa, _) = translate(mem, root, va).ok_or(Fault)?;
            let off = (va & 0xfff) as usize;
            let n = (4096 - off).min(out.len() - done);
            out[done..done + n].copy_from_slice(&mem.frame(pa)[off..off + n]);
            done += n;
        }
        Ok(())
    }

    /// Copy `data` into the range (`data.len()` must be at most `len`); needs writable pages.
    pub fn write<M: FrameAccess>(&self, mem: &mut M, root: u64, data: &[u8]) -> Result<(), Fault> {
        if data.len() as u64 > self.len {
            return Err(Fault);
        }
        // Check every page first so a failing copy does not leave a partial write.
        let mut va = self.addr & !0xfff;
        let end = self.addr + data.len() as u64;
        while va < end {
            let (_, f) = translate(mem, root, va).ok_or(Fault)?;
            if !f.write {
                return Err(Fault);
            }
            va += 4096;
        }
        let mut done = 0usize;
        while done < data.len() {
            let va = self.addr + done as u64;
            let (pa, _) = translate(mem, root, va).ok_or(Fault)?;
            let off = (va & 0xfff) as usize;
            let n = (4096 - off).min(data.len() - done);
            mem.frame(pa)[off..off + n].copy_from_slice(&data[done..done + n]);
            done += n;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pagetable::tests::FakeMem;
    use crate::pagetable::{map_page, new_root, PageFlags};
    use std::collections::HashMap;

    #[derive(Default)]
    struct Mem {
        t: FakeMem,
        frames: HashMap<u64, Box<[u8; 4096]>>,
    }
    impl TableMemory for Mem {
        fn alloc_table(&mut self) -> Option<u64> {
            self.t.alloc_table()
        }
        fn free_table(&mut self, pa: u64) {
            self.t.free_table(pa)
        }
        fn table(&mut self, pa: u64) -> &mut [u64; 512] {
            self.t.table(pa)
        }
    }
    impl FrameAccess for Mem {
        fn frame(&mut self, pa: u64) -> &mut [u8; 4096] {
            self.frames.entry(pa).or_insert_with(|| Box::new([0; 4096]))
        }
    }

    #[test]
    fn rejects_overflow_and_kernel_and_null() {
        assert_eq!(UserSlice::new(u64::MAX - 1, 4), Err(Fault));
        assert_eq!(UserSlice::new(0xffff_0000_4000_0000, 8), Err(Fault));
        assert_eq!(UserSlice::new(0, 1), Err(Fault));
        assert!(UserSlice::new(0, 0).is_ok());
    }

    #[test]
    fn cross_page_round_trip_and_faults() {
        let mut m = Mem::default();
        let root = new_root(&mut m).unwrap();
        map_page(&mut m, root, 0x40_0000, 0x100_0000, PageFlags::RW).unwrap();
        map_page(&mut m, root, 0x40_1000, 0x200_0000, PageFlags::RW).unwrap();
        map_page(&mut m, root, 0x40_2000, 0x300_0000, PageFlags::RO).unwrap();
        let s = UserSlice::new(0x40_0ffe, 4).unwrap();
        s.write(&mut m, root, b"abcd").unwrap();
        let mut out = [0u8; 4];
        s.read(&mut m, root, &mut out).unwrap();
        assert_eq!(&out, b"abcd");
        assert_eq!(&m.frame(0x200_0000)[..2], b"cd");
        // Read-only page: write refused, nothing written.
        let ro = UserSlice::new(0x40_1ffe, 4).unwrap();
        assert_eq!(ro.write(&mut m, root, b"wxyz"), Err(Fault));
        assert_eq!(&m.frame(0x200_0000)[0xffe..], &[0, 0]);
        let mut o2 = [0u8; 4];
        assert!(ro.read(&mut m, root, &mut o2).is_ok());
        // Unmapped page.
        let un = UserSlice::new(0x40_2ffe, 4).unwrap();
        assert_eq!(un.read(&mut m, root, &mut o2), Err(Fault));
    }
}
