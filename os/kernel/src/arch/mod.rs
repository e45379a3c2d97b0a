//! AArch64-specific code: boot stub, exception vectors, system-register helpers, PSCI.

pub mod boot;
pub mod vectors;

use core::arch::asm;

pub use boot::KERNEL_VIRT_OFFSET;

/// Kernel virtual address of physical address `pa` (through the linear map).
pub const fn phys_to_virt(pa: u64) -> u64 {
    pa + KERNEL_VIRT_OFFSET
}

/// Physical address of a kernel linear-map / image address.
pub const fn virt_to_phys(va: u64) -> u64 {
    va - KERNEL_VIRT_OFFSET
}

/// Mask IRQs on this CPU.
pub fn irq_disable() {
    // SAFETY: setting DAIF.I only masks interrupts; no memory is touched.
    unsafe { asm!("msr daifset, #2", options(nomem, nostack)) };
}

/// Unmask IRQs on this CPU.
pub fn irq_enable() {
    // SAFETY: clearing DAIF.I lets pending IRQs be taken; the vector table is installed.
    unsafe { asm!("msr daifclr, #2", options(nomem, nostack)) };
}

/// Wait for an interrupt.
pub fn wfi() {
    // SAFETY: `wfi` only suspends the CPU until an interrupt is pending.
    unsafe { asm!("wfi", options(nomem, nostack)) };
}

/// Generic-timer counter (`CNTVCT_EL0`).
pub fn counter() -> u64 {
    let v: u64;
    // SAFETY: reading the virtual counter has no side effects.
    unsafe { asm!("isb", "mrs {}, cntvct_el0", out(reg) v, options(nomem, nostack)) };
    v
}

/// Generic-timer frequency in Hz (`CNTFRQ_EL0`).
pub fn counter_freq() -> u64 {
    let v: u64;
    // SAFETY: reading CNTFRQ_EL0 has no side effects.
    unsafe { asm!("mrs {}, cntfrq_el0", out(reg) v, options(nomem, nostack)) };
    v
}

/// Program the virtual timer to fire `ticks` counter ticks from now and enable it.
pub fn timer_arm(ticks: u64) {
    // SAFETY: writing the virtual timer registers of this CPU only affects its timer interrupt.
    unsafe {
        asm!("msr cntv_tval_el0, {}", "mov {t}, #1", "msr cntv_ctl_el0, {t}",
             in(reg) ticks, t = out(reg) _, options(nomem, nostack))
    };
}

/// Install a user translation table root in TTBR0 and flush stale TLB entries.
pub fn set_ttbr0(root_pa: u64) {
    // SAFETY: the root is a valid translation table (or 0 with no user context running); the
    // kernel runs from TTBR1, so changing TTBR0 does not affect the executing code.
    unsafe {
        asm!("dsb ishst", "msr ttbr0_el1, {}", "isb", "tlbi vmalle1", "dsb ish", "isb",
             in(reg) root_pa, options(nostack))
    };
}

/// Flush the whole TLB (after changing the current address space's tables).
pub fn tlb_flush_all() {
    // SAFETY: TLB invalidation has no memory-safety effect.
    unsafe {
        asm!(
            "dsb ishst",
            "tlbi vmalle1",
            "dsb ish",
            "isb",
            options(nostack)
        )
    };
}

/// Read ESR_EL1 and FAR_EL1.
pub fn fault_regs() -> (u64, u64) {
    let esr: u64;
    let far: u64;
    // SAFETY: reading fault syndrome registers has no side effects.
    unsafe {
        asm!("mrs {}, esr_el1", "mrs {}, far_el1", out(reg) esr, out(reg) far, options(nomem, nostack))
    };
    (esr, far)
}

/// PSCI call through `hvc` (QEMU virt's conduit).
pub fn psci(function: u64) -> ! {
    // SAFETY: SYSTEM_OFF / SYSTEM_RESET do not return; the hypervisor stops or resets the VM.
    unsafe { asm!("hvc #0", in("x0") function, options(nostack)) };
    loop {
        wfi();
    }
}

pub const PSCI_SYSTEM_OFF: u64 = 0x8400_0008;
pub const PSCI_SYSTEM_RESET: u64 = 0x8400_0009;

/// Make instruction fetches see data just written to memory (after loading user code).
pub fn sync_icache() {
    // SAFETY: cache maintenance by set/way-free global invalidation has no memory-safety effect.
    unsafe { asm!("dsb ish", "ic iallu", "dsb ish", "isb", options(nostack)) };
}

/// The EL0 thread pointer (`TPIDR_EL0`), switched with each process.
pub fn tpidr_el0() -> u64 {
    let v: u64;
    // SAFETY: reading TPIDR_EL0 has no side effects.
    unsafe { asm!("mrs {}, tpidr_el0", out(reg) v, options(nomem, nostack)) };
    v
}

/// Set `TPIDR_EL0`.
pub fn set_tpidr_el0(v: u64) {
    // SAFETY: TPIDR_EL0 is a plain software thread-id register; the kernel does not use it.
    unsafe { asm!("msr tpidr_el0, {}", in(reg) v, options(nomem, nostack)) };
}
