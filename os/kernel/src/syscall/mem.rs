//! Memory: `brk`, `mmap` (anonymous, private) and `munmap`.

use super::{ok, Args, Handler, SysResult};
use crate::proc::Kernel;
use swiftos_abi::fcntl::{MAP_ANONYMOUS, MAP_FIXED, MAP_SHARED, PROT_EXEC, PROT_WRITE};
use swiftos_abi::{nr, Errno};
use swiftos_kcore::pagetable::PageFlags;

pub(super) fn handler(nr: usize) -> Option<Handler> {
    let h: Handler = match nr {
        nr::BRK => brk,
        nr::MMAP => mmap,
        nr::MUNMAP => munmap,
        _ => return None,
    };
    Some(h)
}

/// `brk(addr)`: the new break (unchanged if `addr` is refused).
fn brk(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let addr = a.raw(0);
    Ok(ok(a.space().set_brk(addr) as usize))
}

/// `mmap(addr, len, prot, flags)`.
fn mmap(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let (addr, len, prot, flags) = (a.raw(0), a.raw(1), a.u32(2), a.u32(3));
    if flags & MAP_ANONYMOUS == 0 || flags & MAP_SHARED != 0 {
        return Err(Errno::ENODEV);
    }
    let pf = PageFlags {
        write: prot & PROT_WRITE != 0,
        exec: prot & PROT_EXEC != 0,
    };
    Ok(ok(
        a.space().mmap(addr, len, pf, flags & MAP_FIXED != 0)? as usize
    ))
}

/// `munmap(addr, len)`.
fn munmap(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let (addr, len) = (a.raw(0), a.raw(1));
    a.space().munmap(addr, len)?;
    Ok(ok(0))
}
