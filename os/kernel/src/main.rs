//! The SwiftOS kernel for `qemu-system-aarch64 -M virt` (EL1, GICv2, PL011, virtio-mmio).
//!
//! Boot flow: `arch::boot` (MMU on, upper half) → [`kernel_main`]: console, device tree, memory,
//! interrupts, block device and file systems, then `/bin/init` as the first EL0 process.
#![cfg_attr(target_os = "none", no_std)]
#![cfg_attr(target_os = "none", no_main)]

#[cfg(target_os = "none")]
extern crate alloc;

#[cfg(target_os = "none")]
#[macro_use]
mod uart;
#[cfg(target_os = "none")]
mod arch;
#[cfg(target_os = "none")]
mod dt;
#[cfg(target_os = "none")]
mod mm;
#[cfg(target_os = "none")]
mod trap;

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("swiftos-kernel only runs on aarch64-unknown-none: cargo build --release -p swiftos-kernel --target aarch64-unknown-none");
    std::process::exit(2);
}

/// Kernel entry after the boot stub (MMU on, running in the upper half).
#[cfg(target_os = "none")]
#[no_mangle]
pub extern "C" fn kernel_main() -> ! {
    // Early console at the QEMU virt PL011 (refined from the device tree below).
    uart::init(arch::phys_to_virt(0x0900_0000));
    kprintln!("SwiftOS kernel booting");
    let plat = match dt::Platform::parse(arch::phys_to_virt(0x4000_0000)) {
        Ok(p) => p,
        Err(e) => {
            kprintln!("kernel: cannot read the device tree: {e}");
            arch::psci(arch::PSCI_SYSTEM_OFF);
        }
    };
    uart::init(arch::phys_to_virt(plat.uart_base));
    kprintln!("{plat:?}");
    let (total, free) = mm::init(plat.mem_base, plat.mem_size);
    kprintln!("kernel: memory: {} MiB RAM, {} frames free of {}", plat.mem_size >> 20, free, total);
    arch::psci(arch::PSCI_SYSTEM_OFF);
}

#[cfg(target_os = "none")]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    arch::irq_disable();
    kprintln!("kernel panic: {info}");
    arch::psci(arch::PSCI_SYSTEM_OFF);
}
