//! The SwiftOS kernel for `qemu-system-aarch64 -M virt` (EL1, GICv2, PL011, virtio-mmio).
//!
//! Boot flow: `arch::boot` (MMU on, kernel in the upper half at `0xffff_0000_4020_0000`, a
//! linear map of device space and RAM) → [`kernel_main`]: console, device tree, memory,
//! interrupts, block device and file systems, then `/bin/init` as the first EL0 process (uid 0,
//! every capability, fds 0-2 on the console).
//!
//! ```text
//! cargo build --release -p swiftos-kernel --target aarch64-unknown-none
//! qemu-system-aarch64 -M virt -cpu cortex-a72 -m 512M -nographic \
//!   -kernel target/aarch64-unknown-none/release/swiftos-kernel \
//!   -drive file=build/base.img,if=none,format=raw,id=base -device virtio-blk-device,drive=base
//! ```
//!
//! Kernel command line (`-append`): `init=/path` runs another first program; `selftest` runs
//! the built-in EL0 self-test (also the default when no disk is attached). Portable logic lives
//! in `swiftos-kcore` (host-tested); files in `swiftos-vfs`; authority in `swiftos-authority`.
#![cfg_attr(target_os = "none", no_std)]
#![cfg_attr(target_os = "none", no_main)]

#[cfg(target_os = "none")]
extern crate alloc;

#[cfg(target_os = "none")]
#[macro_use]
mod drivers;
#[cfg(target_os = "none")]
mod arch;
#[cfg(target_os = "none")]
mod file;
#[cfg(target_os = "none")]
mod fs;
#[cfg(target_os = "none")]
mod loader;
#[cfg(target_os = "none")]
mod mm;
#[cfg(target_os = "none")]
mod net;
#[cfg(target_os = "none")]
mod platform;
#[cfg(target_os = "none")]
mod proc;
#[cfg(target_os = "none")]
mod selftest;
#[cfg(target_os = "none")]
mod syscall;
#[cfg(target_os = "none")]
mod time;
#[cfg(target_os = "none")]
mod trap;
#[cfg(target_os = "none")]
mod vm;
#[cfg(target_os = "none")]
mod wakeup;

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("swiftos-kernel only runs on aarch64-unknown-none: cargo build --release -p swiftos-kernel --target aarch64-unknown-none");
    std::process::exit(2);
}

#[cfg(target_os = "none")]
extern "C" {
    fn enter_user_frame(frame: *const arch::vectors::TrapFrame) -> !;
}

/// Kernel entry after the boot stub (MMU on, running in the upper half).
#[cfg(target_os = "none")]
#[no_mangle]
pub extern "C" fn kernel_main() -> ! {
    use alloc::boxed::Box;
    use alloc::string::String;
    use alloc::vec;
    use core::sync::atomic::Ordering;
    use drivers::{blk, gic, uart};

    // Early console at the QEMU virt PL011 (confirmed from the device tree below).
    uart::init(arch::phys_to_virt(platform::EARLY_UART_PHYS));
    kprintln!("SwiftOS kernel booting");
    let plat = match platform::Platform::parse(arch::phys_to_virt(platform::DTB_PHYS)) {
        Ok(p) => p,
        Err(e) => {
            kprintln!("kernel: cannot read the device tree: {e}");
            arch::psci(arch::PSCI_SYSTEM_OFF);
        }
    };
    uart::init(arch::phys_to_virt(plat.uart_base));
    let (total, free) = mm::init(plat.mem_base, plat.mem_size);
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

    let mut slots: alloc::vec::Vec<(u64, u32)> = plat.virtio[..plat.virtio_count].to_vec();
    slots.sort_by_key(|s| core::cmp::Reverse(s.0));
    let mut disks = blk::probe(&slots);
    if let Some(line) = net::probe(&slots, plat.arg("ip"), plat.arg("gw")) {
        kprintln!("kernel: {line}");
    }
    let mut program: Option<(String, alloc::vec::Vec<u8>)> = None;
    let mut image_desc;
    if disks.is_empty() {
        image_desc =
            String::from("no base image (no virtio-blk disk): running the built-in self-test");
        program = Some((String::from("/selftest"), selftest::image()));
    } else {
        let disk = disks.remove(0);
        match fs::mount_base(disk) {
            Ok((inodes, size)) => {
                image_desc = alloc::format!(
                    "base image mounted read-only at / ({inodes} entries, {} KiB)",
                    size / 1024
                );
            }
            Err(e) => {
                kprintln!("kernel: the base image on the first virtio-blk disk is corrupt: {e}");
                kprintln!("kernel: rebuild it (cargo xtask build) and boot again; powering off");
                arch::psci(arch::PSCI_SYSTEM_OFF);
            }
        }
        let store_lines = match disks.is_empty() {
            true => alloc::vec![String::from("no package store disk; /pkg unavailable")],
            false => fs::mount_store(disks.remove(0)),
        };
        for l in store_lines {
            kprintln!("kernel: {l}");
        }
        if plat.arg("selftest").is_some() {
            image_desc.push_str("; self-test requested on the command line");
            program = Some((String::from("/selftest"), selftest::image()));
        }
    }
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
    let _ = total;

    // The first process: /bin/init (or the self-test) with every capability, uid 0.
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
            let path = String::from(
                plat.arg("init")
                    .filter(|p| p.starts_with('/'))
                    .unwrap_or("/bin/init"),
            );
            let l = loader::load(
                &ctx,
                &path,
                &[path.clone().into_bytes()],
                &[b"PATH=/bin:/usr/bin".to_vec()],
            );
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
    let console = file::new_file(file::FileObj::Console, swiftos_abi::fcntl::O_RDWR);
    let rights = swiftos_abi::Rights::READ
        .union(swiftos_abi::Rights::WRITE)
        .union(swiftos_abi::Rights::STAT)
        .union(swiftos_abi::Rights::TRANSFER);
    let mut fds = vec![None; swiftos_abi::layout::MAX_FDS];
    for slot in fds.iter_mut().take(3) {
        *slot = Some(file::Fd {
            file: console.clone(),
            rights,
            cloexec: false,
        });
    }
    proc::with(|k| {
        let pid = k.alloc_pid();
        k.foreground = pid;
        k.add(Box::new(proc::Process::first(pid, &path, loaded, fds)));
    });
    kprintln!(
        "kernel: starting {path} at {} ms",
        time::monotonic_ns() / 1_000_000
    );
    let mut frame = Box::new(arch::vectors::TrapFrame::new_user(0, 0));
    proc::schedule(&mut frame);
    // SAFETY: `frame` holds the first process's EL0 context and TTBR0 is its address space;
    // enter_user_frame resets the kernel stack and erets, never returning here.
    unsafe { enter_user_frame(&*frame) }
}

#[cfg(target_os = "none")]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    arch::irq_disable();
    kprintln!("kernel panic: {info}");
    arch::psci(arch::PSCI_SYSTEM_OFF);
}
