//! User address spaces: a TTBR0 translation table (built by `swiftos_kcore::pagetable`) plus the
//! list of regions. ELF segments are mapped eagerly; stack, heap (`brk`) and `mmap` memory are
//! lazy: pages appear on first touch (fault) or when the kernel copies into them.

use crate::{arch, mm};
use alloc::vec::Vec;
use swiftos_abi::layout::{PAGE_SIZE, USER_MMAP_BASE, USER_STACK_SIZE, USER_STACK_TOP};
use swiftos_abi::Errno;
use swiftos_kcore::pagetable::{self, PageFlags, TableMemory};
use swiftos_kcore::uaccess::{FrameAccess, UserSlice};

/// Physical memory access for the page-table code: frames through the linear map.
pub struct KMem;

impl TableMemory for KMem {
    fn alloc_table(&mut self) -> Option<u64> {
        mm::alloc_frame()
    }
    fn free_table(&mut self, pa: u64) {
        mm::free_frame(pa)
    }
    fn table(&mut self, pa: u64) -> &mut [u64; 512] {
        // SAFETY: `pa` is a table frame owned by an address space; the linear map covers RAM and
        // the frame is 4 KiB aligned, so it is a valid `[u64; 512]`.
        unsafe { &mut *(arch::phys_to_virt(pa) as *mut [u64; 512]) }
    }
}

impl FrameAccess for KMem {
    fn frame(&mut self, pa: u64) -> &mut [u8; 4096] {
        mm::frame_bytes(pa)
    }
}

/// Plain-old-data ABI types that may be copied to and from user memory as bytes.
///
/// # Safety
/// Implementors must be `#[repr(C)]` (or primitive) and valid for every bit pattern.
pub unsafe trait Pod: Copy {}

macro_rules! pod {
    ($($t:ty),*) => { $(
        // SAFETY: primitive or `#[repr(C)]` ABI struct made of integers only.
        unsafe impl Pod for $t {}
    )* };
}
pod!(
    u32,
    i32,
    u64,
    [i32; 2],
    swiftos_abi::Timespec,
    swiftos_abi::Stat,
    swiftos_abi::StrSlice,
    swiftos_abi::SpawnArgs,
    swiftos_abi::HandleGrant,
    swiftos_abi::Identity,
    swiftos_abi::ProcInfo,
    swiftos_abi::Utsname,
    swiftos_abi::SysInfo
);

/// One region of a user address space.
#[derive(Clone, Copy, Debug)]
pub struct Region {
    pub start: u64,
    pub end: u64,
    pub flags: PageFlags,
    pub lazy: bool,
}

/// A process's memory.
pub struct AddrSpace {
    pub root: u64,
    pub regions: Vec<Region>,
    pub brk_base: u64,
    pub brk: u64,
    pub resident_pages: u64,
}

fn page_down(a: u64) -> u64 {
    a & !(PAGE_SIZE - 1)
}
fn page_up(a: u64) -> Option<u64> {
    Some(a.checked_add(PAGE_SIZE - 1)? & !(PAGE_SIZE - 1))
}

/// Most regions (segments + mmap areas) per address space.
const MAX_REGIONS: usize = 1024;

/// Largest heap (`brk`) size.
const BRK_MAX: u64 = 1 << 34;

impl AddrSpace {
    /// An empty address space with a lazy stack region.
    pub fn new() -> Result<AddrSpace, Errno> {
        let root = pagetable::new_root(&mut KMem).ok_or(Errno::ENOMEM)?;
        let mut s = AddrSpace {
            root,
            regions: Vec::new(),
            brk_base: 0,
            brk: 0,
            resident_pages: 0,
        };
        s.regions.push(Region {
            start: USER_STACK_TOP - USER_STACK_SIZE,
            end: USER_STACK_TOP,
            flags: PageFlags::RW,
            lazy: true,
        });
        Ok(s)
    }

    fn find(&self, va: u64) -> Option<Region> {
        let heap_end = page_up(self.brk).unwrap_or(self.brk);
        if va >= self.brk_base && va < heap_end {
            return Some(Region {
                start: self.brk_base,
                end: heap_end,
                flags: PageFlags::RW,
                lazy: true,
            });
        }
        self.regions
            .iter()
            .find(|r| va >= r.start && va < r.end)
            .copied()
    }

    fn overlaps(&self, start: u64, end: u64) -> bool {
        self.regions.iter().any(|r| start < r.end && r.start < end)
    }

    fn map_new_page(&mut self, va: u64, flags: PageFlags) -> Result<u64, Errno> {
        let pa = mm::alloc_frame().ok_or(Errno::ENOMEM)?;
        match pagetable::map_page(&mut KMem, self.root, va, pa, flags) {
            Ok(()) => {
                self.resident_pages += 1;
                Ok(pa)
            }
            Err(_) => {
                mm::free_frame(pa);
                Err(Errno::ENOMEM)
            }
        }
    }

    /// Map `[vaddr, vaddr+memsz)` eagerly and copy `data` to its start (rest zero). Pages
    /// shared with an earlier segment get the union of permissions.
    pub fn load_segment(
        &mut self,
        vaddr: u64,
        memsz: u64,
        data: &[u8],
        flags: PageFlags,
    ) -> Result<(), Errno> {
        // W^X: no user page is ever both writable and executable, whether one segment asks
        // for it or two segments with different permissions share a page.
        if flags.write && flags.exec {
            return Err(Errno::ENOEXEC);
        }
        let start = page_down(vaddr);
        let end = page_up(vaddr + memsz).ok_or(Errno::ENOEXEC)?;
        let mut va = start;
        while va < end {
            match pagetable::translate(&mut KMem, self.root, va) {
                Some((_, old)) => {
                    let merged = PageFlags {
                        write: old.write || flags.write,
                        exec: old.exec || flags.exec,
                    };
                    if merged.write && merged.exec {
                        return Err(Errno::ENOEXEC);
                    }
                    pagetable::protect_page(&mut KMem, self.root, va, merged);
                }
                None => {
                    self.map_new_page(va, flags)?;
                }
            }
            va += PAGE_SIZE;
        }
        // Copy the file bytes page by page through the linear map.
        let mut done = 0usize;
        while done < data.len() {
            let va = vaddr + done as u64;
            let (pa, _) = pagetable::translate(&mut KMem, self.root, va).ok_or(Errno::EFAULT)?;
            let off = (va & 0xfff) as usize;
            let n = (4096 - off).min(data.len() - done);
            mm::frame_bytes(pa)[off..off + n].copy_from_slice(&data[done..done + n]);
            done += n;
        }
        self.regions.push(Region {
            start,
            end,
            flags,
            lazy: false,
        });
        Ok(())
    }

    /// Set the start of the heap (just above the program image).
    pub fn set_brk_base(&mut self, base: u64) {
        self.brk_base = base;
        self.brk = base;
    }

    /// A lazy page fault at `va` (translation fault): map a zero page if `va` is in a lazy region.
    pub fn handle_fault(&mut self, va: u64, write: bool) -> bool {
        let Some(r) = self.find(va) else {
            return false;
        };
        if !r.lazy || (write && !r.flags.write) {
            return false;
        }
        let page = page_down(va);
        if pagetable::translate(&mut KMem, self.root, page).is_some() {
            return false;
        }
        self.map_new_page(page, r.flags).is_ok()
    }

    /// Make sure every page of `[addr, addr+len)` that lies in a lazy region is present.
    fn populate(&mut self, addr: u64, len: u64) -> Result<(), Errno> {
        if len == 0 {
            return Ok(());
        }
        let end = addr.checked_add(len).ok_or(Errno::EFAULT)?;
        let mut va = page_down(addr);
        while va < end {
            if pagetable::translate(&mut KMem, self.root, va).is_none() {
                match self.find(va) {
                    Some(r) if r.lazy => {
                        self.map_new_page(va, r.flags)?;
                    }
                    _ => return Err(Errno::EFAULT),
                }
            }
            va += PAGE_SIZE;
        }
        Ok(())
    }

    /// Check that `[addr, addr+len)` is mapped writable user memory (populating lazy pages)
    /// without changing its contents.
    pub fn probe_writable(&mut self, addr: u64, len: u64) -> Result<(), Errno> {
        UserSlice::new(addr, len).map_err(|_| Errno::EFAULT)?;
        self.populate(addr, len)?;
        if len == 0 {
            return Ok(());
        }
        let mut va = page_down(addr);
        while va < addr + len {
            match pagetable::translate(&mut KMem, self.root, va) {
                Some((_, f)) if f.write => {}
                _ => return Err(Errno::EFAULT),
            }
            va += PAGE_SIZE;
        }
        Ok(())
    }

    /// Copy user memory `[addr, addr+out.len())` into `out`.
    pub fn read(&mut self, addr: u64, out: &mut [u8]) -> Result<(), Errno> {
        let s = UserSlice::new(addr, out.len() as u64).map_err(|_| Errno::EFAULT)?;
        self.populate(addr, out.len() as u64)?;
        s.read(&mut KMem, self.root, out).map_err(|_| Errno::EFAULT)
    }

    /// Copy `data` into user memory at `addr` (pages must be writable).
    pub fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), Errno> {
        let s = UserSlice::new(addr, data.len() as u64).map_err(|_| Errno::EFAULT)?;
        self.populate(addr, data.len() as u64)?;
        s.write(&mut KMem, self.root, data)
            .map_err(|_| Errno::EFAULT)
    }

    /// Read a plain value.
    pub fn read_val<T: Pod>(&mut self, addr: u64) -> Result<T, Errno> {
        // SAFETY: `Pod` types are valid for every bit pattern, including all zeroes.
        let mut v: T = unsafe { core::mem::zeroed() };
        // SAFETY: `Pod` types are valid for every bit pattern; the slice covers exactly `v`.
        let bytes = unsafe {
            core::slice::from_raw_parts_mut(&mut v as *mut T as *mut u8, core::mem::size_of::<T>())
        };
        self.read(addr, bytes)?;
        Ok(v)
    }

    /// Write a plain value.
    pub fn write_val<T: Pod>(&mut self, addr: u64, v: &T) -> Result<(), Errno> {
        // SAFETY: viewing a `Copy` ABI struct as bytes for copying out; padding bytes are
        // zero-initialised by the callers (structs built with `Default`/zeroed arrays).
        let bytes = unsafe {
            core::slice::from_raw_parts(v as *const T as *const u8, core::mem::size_of::<T>())
        };
        self.write(addr, bytes)
    }

    /// `brk(addr)`: grow or shrink the heap; returns the current break.
    pub fn set_brk(&mut self, addr: u64) -> u64 {
        if addr == 0 || addr < self.brk_base || addr - self.brk_base > BRK_MAX {
            return self.brk;
        }
        let old_end = page_up(self.brk).unwrap_or(self.brk);
        let Some(new_end) = page_up(addr) else {
            return self.brk;
        };
        if new_end > old_end && self.overlaps(old_end, new_end) {
            return self.brk;
        }
        if new_end < old_end {
            self.unmap_range(new_end, old_end);
        }
        self.brk = addr;
        self.brk
    }

    fn unmap_range(&mut self, start: u64, end: u64) {
        let mut va = start;
        while va < end {
            if let Some(pa) = pagetable::unmap_page(&mut KMem, self.root, va) {
                mm::free_frame(pa);
                self.resident_pages -= 1;
            }
            va += PAGE_SIZE;
        }
        arch::tlb_flush_all();
    }

    /// Anonymous private mapping of `len` bytes; returns its address.
    pub fn mmap(
        &mut self,
        hint: u64,
        len: u64,
        flags: PageFlags,
        fixed: bool,
    ) -> Result<u64, Errno> {
        let len = page_up(len).ok_or(Errno::ENOMEM)?;
        if len == 0 || len > (1 << 40) {
            return Err(Errno::EINVAL);
        }
        if self.regions.len() >= MAX_REGIONS {
            return Err(Errno::ENOMEM);
        }
        let start = if fixed {
            if !hint.is_multiple_of(PAGE_SIZE)
                || hint < USER_MMAP_BASE
                || hint
                    .checked_add(len)
                    .is_none_or(|e| e > USER_STACK_TOP - USER_STACK_SIZE)
            {
                return Err(Errno::EINVAL);
            }
            self.munmap(hint, len)?;
            hint
        } else {
            self.first_fit(len)?
        };
        self.regions.push(Region {
            start,
            end: start + len,
            flags,
            lazy: true,
        });
        Ok(start)
    }

    /// The lowest free range of `len` bytes above `USER_MMAP_BASE` (clear of the regions and
    /// the heap, below the stack).
    fn first_fit(&self, len: u64) -> Result<u64, Errno> {
        // First fit above USER_MMAP_BASE.
        let mut cand = USER_MMAP_BASE;
        let mut rs: Vec<Region> = self
            .regions
            .iter()
            .filter(|r| r.end > USER_MMAP_BASE)
            .copied()
            .collect();
        // The heap may (for programs linked high) reach into the mmap area.
        let heap_end = page_up(self.brk).unwrap_or(self.brk);
        if heap_end > USER_MMAP_BASE {
            rs.push(Region {
                start: self.brk_base,
                end: heap_end,
                flags: PageFlags::RW,
                lazy: true,
            });
        }
        rs.sort_by_key(|r| r.start);
        for r in rs {
            if cand + len <= r.start {
                break;
            }
            cand = cand.max(r.end);
        }
        if cand + len > USER_STACK_TOP - USER_STACK_SIZE {
            return Err(Errno::ENOMEM);
        }
        Ok(cand)
    }

    /// Remove mappings in `[addr, addr+len)` (only `mmap` regions may be unmapped).
    pub fn munmap(&mut self, addr: u64, len: u64) -> Result<(), Errno> {
        if !addr.is_multiple_of(PAGE_SIZE) || len == 0 {
            return Err(Errno::EINVAL);
        }
        let end = page_up(addr.checked_add(len).ok_or(Errno::EINVAL)?).ok_or(Errno::EINVAL)?;
        if addr < USER_MMAP_BASE || end > USER_STACK_TOP - USER_STACK_SIZE {
            return Err(Errno::EINVAL);
        }
        // Splitting a region adds one; keep the list bounded.
        if self.regions.len() >= 2 * MAX_REGIONS {
            return Err(Errno::ENOMEM);
        }
        let mut out = Vec::new();
        for r in self.regions.drain(..) {
            if r.end <= addr || r.start >= end {
                out.push(r);
                continue;
            }
            if r.start < addr {
                out.push(Region { end: addr, ..r });
            }
            if r.end > end {
                out.push(Region { start: end, ..r });
            }
        }
        self.regions = out;
        self.unmap_range(addr, end);
        Ok(())
    }
}

impl Drop for AddrSpace {
    fn drop(&mut self) {
        pagetable::destroy(&mut KMem, self.root, &mut |pa| mm::free_frame(pa));
    }
}
