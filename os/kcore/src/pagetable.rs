//! AArch64 4 KiB-granule, 4-level translation tables for user address spaces (TTBR0), built
//! over an abstract [`TableMemory`] so the logic runs on the host in tests.

/// Access to physical memory holding translation tables.
pub trait TableMemory {
    /// Allocate a zeroed 4 KiB frame for a table; returns its physical address.
    fn alloc_table(&mut self) -> Option<u64>;
    /// Release a table frame.
    fn free_table(&mut self, pa: u64);
    /// The table stored at physical address `pa`.
    fn table(&mut self, pa: u64) -> &mut [u64; 512];
}

/// Permissions of a user page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageFlags {
    pub write: bool,
    pub exec: bool,
}

impl PageFlags {
    pub const RW: PageFlags = PageFlags {
        write: true,
        exec: false,
    };
    pub const RX: PageFlags = PageFlags {
        write: false,
        exec: true,
    };
    pub const RO: PageFlags = PageFlags {
        write: false,
        exec: false,
    };
}

/// Mapping failures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    /// Address not page-aligned or outside the 48-bit user range.
    BadAddress,
    /// Something is already mapped there.
    AlreadyMapped,
    /// No memory for a table.
    OutOfMemory,
}

const VALID: u64 = 1;
const TABLE_OR_PAGE: u64 = 2;
const ATTR_NORMAL: u64 = 1 << 2;
const AP_EL0: u64 = 1 << 6;
const AP_RO: u64 = 1 << 7;
const SH_INNER: u64 = 3 << 8;
const AF: u64 = 1 << 10;
const NG: u64 = 1 << 11;
const PXN: u64 = 1 << 53;
const UXN: u64 = 1 << 54;
const ADDR_MASK: u64 = 0x0000_ffff_ffff_f000;
/// Exclusive top of the TTBR0 range.
pub const USER_VA_END: u64 = 1 << 48;

/// The leaf descriptor of a user page.
pub fn user_page_desc(pa: u64, flags: PageFlags) -> u64 {
    let mut d = (pa & ADDR_MASK) | VALID | TABLE_OR_PAGE | ATTR_NORMAL | AP_EL0 | SH_INNER | AF;
    d |= NG | PXN;
    if !flags.write {
        d |= AP_RO;
    }
    if !flags.exec {
        d |= UXN;
    }
    d
}

fn index(va: u64, level: u32) -> usize {
    ((va >> (39 - 9 * level)) & 0x1ff) as usize
}

fn check_va(va: u64) -> Result<(), MapError> {
    if !va.is_multiple_of(4096) || va >= USER_VA_END {
        Err(MapError::BadAddress)
    } else {
        Ok(())
    }
}

/// Allocate an empty root table.
pub fn new_root<M: TableMemory>(mem: &mut M) -> Option<u64> {
    mem.alloc_table()
}

/// Map one 4 KiB page `va → pa`, creating intermediate tables as needed.
pub fn map_page<M: TableMemory>(
    mem: &mut M,
    root: u64,
    va: u64,
    pa: u64,
    flags: PageFlags,
) -> Result<(), MapError> {
    check_va(va)?;
    if !pa.is_multiple_of(4096) {
        return Err(MapError::BadAddress);
    }
    let mut table = root;
    for level in 0..3 {
        let i = index(va, level);
        let e = mem.table(table)[i];
        table = if e & VALID != 0 {
            e & ADDR_MASK
        } else {
            let t = mem.alloc_table().ok_or(MapError::OutOfMemory)?;
            mem.table(table)[i] = t | VALID | TABLE_OR_PAGE;
            t
        };
    }
    let i = index(va, 3);
    let leaf = &mut mem.table(table)[i];
    if *leaf & VALID != 0 {
        return Err(MapError::AlreadyMapped);
    }
    *leaf = user_page_desc(pa, flags);
    Ok(())
}

fn leaf_slot<M: TableMemory>(mem: &mut M, root: u64, va: u64) -> Option<(u64, usize)> {
    if va >= USER_VA_END {
        return None;
    }
    let mut table = root;
    for level in 0..3 {
        let e = mem.table(table)[index(va, level)];
        if e & VALID == 0 || e & TABLE_OR_PAGE == 0 {
            return None;
        }
        table = e & ADDR_MASK;
    }
    Some((table, index(va, 3)))
}

/// Look up the page containing `va`: its physical frame and permissions.
pub fn translate<M: TableMemory>(mem: &mut M, root: u64, va: u64) -> Option<(u64, PageFlags)> {
    let (t, i) = leaf_slot(mem, root, va & !0xfff)?;
    let e = mem.table(t)[i];
    if e & VALID == 0 {
        return None;
    }
    Some((
        e & ADDR_MASK,
        PageFlags {
            write: e & AP_RO == 0,
            exec: e & UXN == 0,
        },
    ))
}

/// Remove the mapping of page `va`; returns the frame it mapped.
pub fn unmap_page<M: TableMemory>(mem: &mut M, root: u64, va: u64) -> Option<u64> {
    let (t, i) = leaf_slot(mem, root, va & !0xfff)?;
    let e = mem.table(t)[i];
    if e & VALID == 0 {
        return None;
    }
    mem.table(t)[i] = 0;
    Some(e & ADDR_MASK)
}

/// Change the permissions of a mapped page.
pub fn protect_page<M: TableMemory>(mem: &mut M, root: u64, va: u64, flags: PageFlags) -> bool {
    let Some((t, i)) = leaf_slot(mem, root, va & !0xfff) else {
        return false;
    };
    let e = mem.table(t)[i];
    if e & VALID == 0 {
        return false;
    }
    mem.table(t)[i] = user_page_desc(e & ADDR_MASK, flags);
    true
}

/// Tear down a whole address space: `leaf` is called with every mapped frame, then all
/// table frames (including the root) are released.
pub fn destroy<M: TableMemory>(mem: &mut M, root: u64, leaf: &mut dyn FnMut(u64)) {
    fn walk<M: TableMemory>(mem: &mut M, table: u64, level: u32, leaf: &mut dyn FnMut(u64)) {
        for i in 0..512 {
            let e = mem.table(table)[i];
            if e & VALID == 0 {
                continue;
            }
            if level == 3 {
                leaf(e & ADDR_MASK);
            } else {
                walk(mem, e & ADDR_MASK, level + 1, leaf);
            }
        }
        mem.free_table(table);
    }
    walk(mem, root, 0, leaf);
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Fake physical memory: table frames in a hash map.
    #[derive(Default)]
    pub struct FakeMem {
        pub tables: HashMap<u64, Box<[u64; 512]>>,
        pub next: u64,
        pub limit: Option<usize>,
        pub freed: Vec<u64>,
    }

    impl TableMemory for FakeMem {
        fn alloc_table(&mut self) -> Option<u64> {
            if let Some(l) = self.limit {
                if self.tables.len() >= l {
                    return None;
                }
            }
            self.next += 0x1000;
            let pa = 0x8000_0000 + self.next;
            self.tables.insert(pa, Box::new([0; 512]));
            Some(pa)
        }
        fn free_table(&mut self, pa: u64) {
            self.tables.remove(&pa).expect("freeing a live table");
            self.freed.push(pa);
        }
        fn table(&mut self, pa: u64) -> &mut [u64; 512] {
            self.tables.get_mut(&pa).expect("table exists")
        }
    }

    #[test]
    fn map_translate_unmap() {
        let mut m = FakeMem::default();
        let root = new_root(&mut m).unwrap();
        map_page(&mut m, root, 0x40_0000, 0x1234_5000, PageFlags::RX).unwrap();
        map_page(&mut m, root, 0x7fff_fffe_f000, 0x2000, PageFlags::RW).unwrap();
        assert_eq!(
            translate(&mut m, root, 0x40_0123),
            Some((0x1234_5000, PageFlags::RX))
        );
        assert_eq!(
            translate(&mut m, root, 0x7fff_fffe_fff8),
            Some((0x2000, PageFlags::RW))
        );
        assert_eq!(translate(&mut m, root, 0x40_1000), None);
        assert_eq!(translate(&mut m, root, 0), None);
        assert_eq!(
            map_page(&mut m, root, 0x40_0000, 0x9000, PageFlags::RW),
            Err(MapError::AlreadyMapped)
        );
        assert_eq!(unmap_page(&mut m, root, 0x40_0000), Some(0x1234_5000));
        assert_eq!(translate(&mut m, root, 0x40_0000), None);
        assert_eq!(unmap_page(&mut m, root, 0x40_0000), None);
    }

    #[test]
    fn descriptor_bits() {
        let d = user_page_desc(0x4000_0000, PageFlags::RW);
        assert_eq!(d & 3, 3, "valid page");
        assert_ne!(d & AP_EL0, 0, "EL0 accessible");
        assert_eq!(d & AP_RO, 0);
        assert_ne!(d & UXN, 0, "data not executable");
        assert_ne!(d & PXN, 0, "never executable by the kernel");
        assert_ne!(d & AF, 0);
        let x = user_page_desc(0x4000_0000, PageFlags::RX);
        assert_ne!(x & AP_RO, 0);
        assert_eq!(x & UXN, 0);
    }

    #[test]
    fn rejects_bad_addresses_and_oom() {
        let mut m = FakeMem::default();
        let root = new_root(&mut m).unwrap();
        assert_eq!(
            map_page(&mut m, root, 0x1001, 0x2000, PageFlags::RW),
            Err(MapError::BadAddress)
        );
        assert_eq!(
            map_page(&mut m, root, USER_VA_END, 0x2000, PageFlags::RW),
            Err(MapError::BadAddress)
        );
        assert_eq!(translate(&mut m, root, u64::MAX), None);
        m.limit = Some(2);
        assert_eq!(
            map_page(&mut m, root, 0x40_0000, 0x2000, PageFlags::RW),
            Err(MapError::OutOfMemory)
        );
    }

    #[test]
    fn protect_and_destroy_release_everything() {
        let mut m = FakeMem::default();
        let root = new_root(&mut m).unwrap();
        for i in 0..600u64 {
            map_page(
                &mut m,
                root,
                0x40_0000 + i * 4096,
                0x10_0000 + i * 4096,
                PageFlags::RW,
            )
            .unwrap();
        }
        assert!(protect_page(&mut m, root, 0x40_0000, PageFlags::RO));
        assert_eq!(translate(&mut m, root, 0x40_0000).unwrap().1, PageFlags::RO);
        let mut leaves = Vec::new();
        destroy(&mut m, root, &mut |pa| leaves.push(pa));
        assert_eq!(leaves.len(), 600);
        assert!(m.tables.is_empty(), "all tables freed");
    }
}
