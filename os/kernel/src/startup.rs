//! The boot sequence after the stub in `arch::boot` (MMU on, running in the upper half):
//! console and device tree, memory, clocks and interrupts, disks and file systems, the network,
//! then the first EL0 process.

use crate::arch::{self, vectors::TrapFrame};
use crate::drivers::{blk, gic, uart};
use crate::platform::{self, Platform};
use crate::{file, fs, loader, mm, net, proc, selftest, time, trap};
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use swiftos_abi::{layout::MAX_FDS, Rights};

extern "C" {
    fn enter_user_frame(frame: *const TrapFrame) -> !;
}

/// A program built into the kernel (the self-test): its path and ELF image.
type Builtin = (String, Vec<u8>);

/// Kernel entry after the boot stub.
#[no_mangle]
pub extern "C" fn kernel_main() -> ! {
    let (plat, free) = bring_up();
    let mut slots: Vec<(u64, u32)> = plat.virtio[..plat.virtio_count].to_vec();
    slots.sort_by_key(|s| core::cmp::Reverse(s.0));
    let disks = blk::probe(&slots);
    if let Some(line) = net::probe(&slots, plat.arg("ip"), plat.arg("gw")) {
        kprintln!("kernel: {line}");
    }
    let (program, image_desc) = mount(&plat, disks);
    kprintln!(
        "kernel: {} MiB RAM ({} MiB free), GICv2, timer irq {}, PL011 irq {}, RTC {}, {} virtio-mmio slots; {}",
        plat.mem_size >> 20,
        (free * 4096) >> 20,
        plat.timer_irq,
        plat.uart_irq,
        if plat.rtc_base.is_some() { "PL031" } else { "none" },
        plat.virtio_count,
        image_desc
    );
    start_first_process(&plat, program)
}

/// Console, device tree, memory, clocks, interrupts and the process table: the platform and
/// the number of free page frames once memory is set up.
fn bring_up() -> (Platform, usize) {
    // Early console at the QEMU virt PL011 (confirmed from the device tree below).
    uart::init(arch::phys_to_virt(platform::EARLY_UART_PHYS));
    kprintln!("SwiftOS kernel booting");
    let plat = match Platform::parse(arch::phys_to_virt(platform::DTB_PHYS)) {
        Ok(p) => p,
        Err(e) => {
            kprintln!("kernel: cannot read the device tree: {e}");
            arch::psci(arch::PSCI_SYSTEM_OFF);
        }
    };
    uart::init(arch::phys_to_virt(plat.uart_base));
    let (_total, free) = mm::init(plat.mem_base, plat.mem_size);
    time::init(plat.rtc_base.map(arch::phys_to_virt));
    gic::init(
        arch::phys_to_virt(plat.gicd_base),
        arch::phys_to_virt(plat.gicc_base),
    );
    trap::TIMER_IRQ.store(plat.timer_irq, Ordering::Relaxed);
    trap::UART_IRQ.store(plat.uart_irq, Ordering::Relaxed);
    gic::enable(plat.timer_irq);
    gic::enable(plat.uart_irq);
    uart::enable_rx_irq();
    proc::init();
    // Keys typed while the machine booted: into the console's line discipline (typed ahead).
    trap::console_rx();
    (plat, free)
}

/// Mount the base image (first disk) and the package store (second disk). Returns the built-in
/// program to run instead of `/bin/init`, if any, and the boot-log summary.
fn mount(plat: &Platform, mut disks: Vec<blk::Disk>) -> (Option<Builtin>, String) {
    let selftest = || Some((String::from("/selftest"), selftest::image()));
    if disks.is_empty() {
        let desc = "no base image (no virtio-blk disk): running the built-in self-test";
        return (selftest(), String::from(desc));
    }
    let mut desc = match fs::mount_base(disks.remove(0)) {
        Ok((inodes, size)) => alloc::format!(
            "base image mounted read-only at / ({inodes} entries, {} KiB)",
            size / 1024
        ),
        Err(e) => {
            kprintln!("kernel: the base image on the first virtio-blk disk is corrupt: {e}");
            kprintln!("kernel: rebuild it (cargo xtask build) and boot again; powering off");
            arch::psci(arch::PSCI_SYSTEM_OFF);
        }
    };
    let store_lines = match disks.is_empty() {
        true => vec![String::from("no package store disk; /pkg unavailable")],
        false => fs::mount_store(disks.remove(0)),
    };
    for l in store_lines {
        kprintln!("kernel: {l}");
    }
    if plat.arg("selftest").is_some() {
        desc.push_str("; self-test requested on the command line");
        return (selftest(), desc);
    }
    (None, desc)
}

/// Run `/bin/init` (or `init=` from the command line, or the built-in `program`) as pid 1
/// with every capability, uid 0, descriptors 0-2 on the console.
fn start_first_process(plat: &Platform, program: Option<Builtin>) -> ! {
    let ctx = fs::FsCtx {
        subject: swiftos_authority::Subject::new(0, 0, swiftos_abi::Caps::ALL),
        root: String::from("/"),
        cwd: String::from("/"),
    };
    net::load_config_file(&ctx, plat.arg("ip"), plat.arg("gw"));
    let (path, loaded) = match program {
        Some((path, bytes)) => {
            let l = loader::load_bytes(&bytes, &path, &[path.clone().into_bytes()], &[]);
            (path, l)
        }
        None => {
            let init = plat.arg("init").filter(|p| p.starts_with('/'));
            let path = String::from(init.unwrap_or("/bin/init"));
            let argv = [path.clone().into_bytes()];
            let l = loader::load(&ctx, &path, &argv, &[b"PATH=/bin:/usr/bin".to_vec()]);
            (path, l)
        }
    };
    let loaded = match loaded {
        Ok(l) => l,
        Err(e) => {
            kprintln!("kernel: cannot start {path}: {e:?}; powering off");
            arch::psci(arch::PSCI_SYSTEM_OFF);
        }
    };
    proc::with(|k| {
        let pid = k.alloc_pid();
        k.foreground = pid;
        k.add(Box::new(proc::Process::first(
            pid,
            &path,
            loaded,
            console_fds(),
        )));
    });
    kprintln!(
        "kernel: starting {path} at {} ms",
        time::monotonic_ns() / 1_000_000
    );
    let mut frame = Box::new(TrapFrame::new_user(0, 0));
    proc::schedule(&mut frame);
    // SAFETY: `frame` holds the first process's EL0 context and TTBR0 is its address space;
    // enter_user_frame resets the kernel stack and erets, never returning here.
    unsafe { enter_user_frame(&*frame) }
}

/// A descriptor table with 0, 1 and 2 on the console.
fn console_fds() -> Vec<Option<file::Fd>> {
    let console = file::new_file(file::FileObj::Console, swiftos_abi::fcntl::O_RDWR);
    let rights = Rights::READ
        .union(Rights::WRITE)
        .union(Rights::STAT)
        .union(Rights::TRANSFER);
    let mut fds = vec![None; MAX_FDS];
    for slot in fds.iter_mut().take(3) {
        *slot = Some(file::Fd {
            file: console.clone(),
            rights,
            cloexec: false,
        });
    }
    fds
}
