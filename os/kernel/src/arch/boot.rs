//! Boot stub: runs at the physical load address with the MMU off, builds the boot page
//! tables (1 GiB blocks, identical in TTBR0 and TTBR1), turns the MMU and caches on and jumps
//! to the kernel's upper-half address.

use core::arch::global_asm;

/// Offset of the kernel linear map: physical address `p` is visible at `KERNEL_VIRT_OFFSET + p`.
pub const KERNEL_VIRT_OFFSET: u64 = 0xFFFF_0000_0000_0000;

/// MAIR: attr0 = Device-nGnRE, attr1 = Normal write-back cacheable.
pub const MAIR_VALUE: u64 = 0x04 | (0xFF << 8);
/// TCR: 48-bit VA for both halves, 4 KiB granules, write-back walks, inner shareable,
/// 40-bit physical addresses.
pub const TCR_VALUE: u64 = 16
    | (1 << 8)
    | (1 << 10)
    | (3 << 12)
    | (16 << 16)
    | (1 << 24)
    | (1 << 26)
    | (3 << 28)
    | (2 << 30)
    | (2 << 32);
/// SCTLR: MMU, D-cache, I-cache on; EL0 may use DC ZVA, CTR_EL0, WFI/WFE, cache maintenance.
pub const SCTLR_VALUE: u64 = 0x30D0_0800
    | 1
    | (1 << 2)
    | (1 << 12)
    | (1 << 14)
    | (1 << 15)
    | (1 << 16)
    | (1 << 18)
    | (1 << 26);
/// Boot block descriptor for device memory (attr0, EL1 RW, no execute).
pub const BLOCK_DEVICE: u64 = 0x1 | (1 << 10) | (3 << 53);
/// Boot block descriptor for normal memory (attr1, inner shareable, EL1 RWX, EL0 no execute).
pub const BLOCK_NORMAL: u64 = 0x1 | (1 << 2) | (3 << 8) | (1 << 10) | (1 << 54);

global_asm!(
    r#"
.section .text.boot, "ax"
.global _start
_start:
    // Only the boot CPU continues (QEMU virt starts secondaries powered off anyway).
    mrs     x1, mpidr_el1
    and     x1, x1, #0xff
    cbnz    x1, 9f
    // Vectors first (physical address while the MMU is off), so early faults are visible.
    adrp    x1, exception_vectors
    add     x1, x1, :lo12:exception_vectors
    msr     vbar_el1, x1
    // FP/SIMD on before any Rust code runs.
    mov     x1, #(3 << 20)
    msr     cpacr_el1, x1
    isb
    // Zero .bss (physical addresses via PC-relative arithmetic).
    adrp    x1, __bss_start
    add     x1, x1, :lo12:__bss_start
    adrp    x2, __bss_end
    add     x2, x2, :lo12:__bss_end
1:  cmp     x1, x2
    b.hs    2f
    stp     xzr, xzr, [x1], #16
    b       1b
2:  // Boot tables: L0[0] -> L1; L1[0] device 0..1G; L1[1..4] normal RAM 1G..4G.
    adrp    x2, boot_l0
    adrp    x3, boot_l1
    orr     x4, x3, #3
    str     x4, [x2]
    ldr     x4, ={block_device}
    str     x4, [x3]
    ldr     x4, ={block_normal}
    mov     x5, #(1 << 30)
    orr     x6, x4, x5
    str     x6, [x3, #8]
    add     x6, x6, x5
    str     x6, [x3, #16]
    add     x6, x6, x5
    str     x6, [x3, #24]
    dsb     sy
    ldr     x1, ={mair}
    msr     mair_el1, x1
    ldr     x1, ={tcr}
    msr     tcr_el1, x1
    msr     ttbr0_el1, x2
    msr     ttbr1_el1, x2
    isb
    tlbi    vmalle1
    dsb     sy
    isb
    ldr     x1, ={sctlr}
    msr     sctlr_el1, x1
    isb
    ldr     x1, =3f
    br      x1
3:  // Now running in the upper half.
    ldr     x1, =exception_vectors
    msr     vbar_el1, x1
    ldr     x1, =boot_stack_top
    mov     sp, x1
    msr     spsel, #1
    mov     x1, sp
    bl      kernel_main
9:  wfe
    b       9b

.section .bss.boot_tables, "aw", @nobits
.balign 4096
.global boot_l0
boot_l0: .space 4096
.global boot_l1
boot_l1: .space 4096
.balign 16
boot_stack: .space 0x40000
.global boot_stack_top
boot_stack_top:
"#,
    block_device = const BLOCK_DEVICE,
    block_normal = const BLOCK_NORMAL,
    mair = const MAIR_VALUE,
    tcr = const TCR_VALUE,
    sctlr = const SCTLR_VALUE,
);
