//! The global allocator: a first-fit free list ([`linked_list_allocator::Heap`]) over memory
//! obtained by growing the program break; blocks of [`LARGE`] bytes or more get their own
//! anonymous `mmap` and go straight back with `munmap`.
//!
//! SwiftOS processes are single-threaded and have no signal handlers that allocate, so the heap
//! needs no lock.

use crate::sys;
use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr::{null_mut, NonNull};
use linked_list_allocator::Heap;

/// Allocations at least this big bypass the free list.
pub const LARGE: usize = 256 * 1024;
/// The break grows in steps of at least this many bytes.
const GROW: usize = 128 * 1024;
const PAGE: usize = swiftos_abi::layout::PAGE_SIZE as usize;

struct State {
    heap: Heap,
    ready: bool,
}

/// The allocator registered with `#[global_allocator]`.
pub struct BrkAllocator {
    state: UnsafeCell<State>,
}

// SAFETY: a SwiftOS process has exactly one thread and no asynchronous handlers, so the cell is
// never accessed concurrently.
unsafe impl Sync for BrkAllocator {}

#[global_allocator]
static ALLOCATOR: BrkAllocator = BrkAllocator {
    state: UnsafeCell::new(State {
        heap: Heap::empty(),
        ready: false,
    }),
};

fn round_up(v: usize, to: usize) -> usize {
    v.div_ceil(to) * to
}

impl State {
    /// Grow the break by at least `need` bytes and hand the new memory to the heap.
    fn grow(&mut self, need: usize) -> bool {
        let by = round_up(need.max(GROW), PAGE);
        if !self.ready {
            let Ok(base) = sys::brk(0) else { return false };
            let start = round_up(base, PAGE);
            match sys::brk(start + by) {
                Ok(end) if end >= start + by => {}
                _ => return false,
            }
            // SAFETY: [start, start+by) was just added to our address space by brk, is
            // writable and is used by nothing else.
            unsafe { self.heap.init(start as *mut u8, by) };
            self.ready = true;
            return true;
        }
        let top = self.heap.top() as usize;
        match sys::brk(top + by) {
            // SAFETY: the break grew contiguously from the heap's top by `by` bytes.
            Ok(end) if end >= top + by => unsafe { self.heap.extend(by) },
            _ => return false,
        }
        true
    }
}

// SAFETY: allocations come from memory owned exclusively by this allocator (the heap region or
// private mappings), are aligned as requested, and are released only through `dealloc`.
unsafe impl GlobalAlloc for BrkAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= LARGE && layout.align() <= PAGE {
            return match sys::mmap_anon(round_up(layout.size(), PAGE)) {
                Ok(a) => a as *mut u8,
                Err(_) => null_mut(),
            };
        }
        // SAFETY: single-threaded (see the `Sync` impl), so this is the only live reference.
        let st = unsafe { &mut *self.state.get() };
        if let Ok(p) = st.heap.allocate_first_fit(layout) {
            return p.as_ptr();
        }
        if !st.grow(layout.size() + layout.align() + 64) {
            return null_mut();
        }
        match st.heap.allocate_first_fit(layout) {
            Ok(p) => p.as_ptr(),
            Err(()) => null_mut(),
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if layout.size() >= LARGE && layout.align() <= PAGE {
            // SAFETY: blocks of this size were mapped by `alloc` and are being freed by their owner.
            let _ = unsafe { sys::munmap(ptr as usize, round_up(layout.size(), PAGE)) };
            return;
        }
        // SAFETY: single-threaded (see the `Sync` impl).
        let st = unsafe { &mut *self.state.get() };
        if let Some(p) = NonNull::new(ptr) {
            // SAFETY: `ptr` came from `allocate_first_fit` with this layout.
            unsafe { st.heap.deallocate(p, layout) };
        }
    }
}

/// Bytes in use / total in the break heap, for diagnostics.
pub fn usage() -> (usize, usize) {
    // SAFETY: single-threaded (see the `Sync` impl); read-only access.
    let st = unsafe { &*ALLOCATOR.state.get() };
    (st.heap.used(), st.heap.size())
}
