//! The machine: `power` (off, reboot), `uname`, `sysinfo`.

use super::{ok, Args, Handler, SysResult};
use crate::proc::Kernel;
use crate::{arch, mm, time};
use swiftos_abi::fcntl::{POWER_OFF, POWER_REBOOT};
use swiftos_abi::{nr, Errno, SysInfo, Utsname, UTS_LEN};
use swiftos_authority as auth;

pub(super) fn handler(nr: usize) -> Option<Handler> {
    let h: Handler = match nr {
        nr::POWER => power,
        nr::UNAME => uname,
        nr::SYSINFO => sysinfo,
        _ => return None,
    };
    Some(h)
}

/// `power(how)`: commits the package store first; never returns on success.
fn power(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    auth::check_power(&a.me.subject())?;
    let how = a.u32(0);
    if matches!(how, POWER_OFF | POWER_REBOOT) {
        crate::fs::sync_store();
    }
    match how {
        POWER_OFF => {
            kprintln!("kernel: power off requested by pid {}", a.me.pid());
            arch::psci(arch::PSCI_SYSTEM_OFF)
        }
        POWER_REBOOT => {
            kprintln!("kernel: reboot requested by pid {}", a.me.pid());
            arch::psci(arch::PSCI_SYSTEM_RESET)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// `uname(utsname_out)`.
fn uname(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let mut u = Utsname {
        sysname: [0; UTS_LEN],
        nodename: [0; UTS_LEN],
        release: [0; UTS_LEN],
        version: [0; UTS_LEN],
        machine: [0; UTS_LEN],
    };
    fill(&mut u.sysname, b"SwiftOS");
    fill(&mut u.nodename, b"swiftos");
    fill(&mut u.release, env!("CARGO_PKG_VERSION").as_bytes());
    fill(&mut u.version, b"#1 SwiftOS kernel (qemu-virt)");
    fill(&mut u.machine, b"aarch64");
    a.write(0, &u)?;
    Ok(ok(0))
}

/// Copy `src` into the NUL-terminated field `dst` (cut to fit).
fn fill(dst: &mut [u8], src: &[u8]) {
    let n = src.len().min(dst.len() - 1);
    dst[..n].copy_from_slice(&src[..n]);
}

/// `sysinfo(sysinfo_out)`.
fn sysinfo(k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let (free, total) = mm::frame_stats();
    let live = k.procs.values().filter(|p| !p.is_zombie()).count() as u32;
    let info = SysInfo {
        uptime_ns: time::monotonic_ns(),
        mem_total: (total as u64 + mm::heap_size() / 4096) * 4096,
        mem_free: free as u64 * 4096,
        idle_ns: k.idle_ns,
        // The caller is out of the table during the call.
        nprocs: live + 1,
        ncpus: 1,
    };
    a.write(0, &info)?;
    Ok(ok(0))
}
