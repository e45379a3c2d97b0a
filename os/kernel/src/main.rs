//! The SwiftOS kernel for `qemu-system-aarch64 -M virt` (EL1, GICv2, PL011, virtio-mmio).
//!
//! Boot flow: `arch::boot` (MMU on, kernel in the upper half at `0xffff_0000_4020_0000`, a
//! linear map of device space and RAM) → `startup::kernel_main`: console, device tree, memory,
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
//!
//! # Layout
//!
//! Modules in dependency order: each uses only modules above it (`main`, `startup` and
//! `selftest` sit on top). There is no import circle; check with
//! `grep -rn 'crate::' os/kernel/src` (comments aside, no module names one listed below it).
//!
//! | module      | what it is |
//! |-------------|------------|
//! | `arch`      | AArch64: boot stub, exception vectors, system registers, PSCI |
//! | `platform`  | QEMU virt constants and the device-tree reader (`platform::dt`) |
//! | `wakeup`    | the I/O wake-up flag (set by pipes, console, network; taken by the scheduler) |
//! | `mm`        | kernel heap and page-frame allocator |
//! | `vm`        | user address spaces (page tables, lazy regions, checked user copies) |
//! | `time`      | clocks, the one-shot timer, and `time::deadlines`, the deadline registry |
//! | `drivers`   | `uart` (PL011, `kprintln!`), `gic`, `virtio` (HAL, transport), `blk`, `net` (virtio-net probe) |
//! | `fs`        | the global VFS: base image, tmpfs, devfs, package store and overlay |
//! | `net`       | the smoltcp stack over virtio-net (`net::device`); records its poll deadline in `time::deadlines` |
//! | `file`      | open files: console, null, pipes, VFS files, sockets |
//! | `loader`    | ELF loading into a fresh address space |
//! | `proc`      | processes (`Process`, built by constructors) and the scheduler; asks `time::deadlines`, never `net` |
//! | `syscall`   | `dispatch`, typed `Args`, one module per family (io, fs, mem, proc, identity, time, console, system, net, poll) |
//! | `trap`      | exception entry: faults, interrupts, system calls |
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
mod startup;
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
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    arch::irq_disable();
    kprintln!("kernel panic: {info}");
    arch::psci(arch::PSCI_SYSTEM_OFF);
}
