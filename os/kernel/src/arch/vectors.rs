//! Exception vector table and the trap frame saved on every exception.
//!
//! Every exception saves all general registers, `sp_el0`, `elr_el1`, `spsr_el1` and the full
//! FP/SIMD state into a [`TrapFrame`] on the kernel stack, then calls `rust_trap(kind, frame)`.
//! On return the (possibly replaced) frame is restored and `eret` resumes it; this is how the
//! scheduler switches processes: it swaps the frame contents and TTBR0.

use core::arch::global_asm;

/// Register state of an interrupted context.
#[repr(C, align(16))]
#[derive(Clone, Copy)]
pub struct TrapFrame {
    pub x: [u64; 31],
    pub sp_el0: u64,
    pub elr: u64,
    pub spsr: u64,
    pub fpcr: u64,
    pub fpsr: u64,
    pub q: [u128; 32],
}
const _: () = assert!(core::mem::size_of::<TrapFrame>() == 800);

impl TrapFrame {
    /// A fresh EL0 context entering at `pc` with stack `sp` (interrupts unmasked).
    pub const fn new_user(pc: u64, sp: u64) -> Self {
        TrapFrame {
            x: [0; 31],
            sp_el0: sp,
            elr: pc,
            spsr: 0, // EL0t, DAIF clear
            fpcr: 0,
            fpsr: 0,
            q: [0; 32],
        }
    }
}

/// Exception kinds passed to `rust_trap` (index into the vector table).
pub const KIND_EL1_IRQ: u64 = 5;
pub const KIND_EL0_SYNC: u64 = 8;
pub const KIND_EL0_IRQ: u64 = 9;

global_asm!(
    r#"
.macro VENTRY kind
.balign 0x80
    sub     sp, sp, #800
    stp     x0, x1, [sp, #0]
    mov     x0, #\kind
    b       trap_save
.endm

.section .text
.balign 2048
.global exception_vectors
exception_vectors:
    VENTRY 0
    VENTRY 1
    VENTRY 2
    VENTRY 3
    VENTRY 4
    VENTRY 5
    VENTRY 6
    VENTRY 7
    VENTRY 8
    VENTRY 9
    VENTRY 10
    VENTRY 11
    VENTRY 12
    VENTRY 13
    VENTRY 14
    VENTRY 15

trap_save:
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    mrs     x1, sp_el0
    stp     x30, x1, [sp, #240]
    mrs     x1, elr_el1
    mrs     x2, spsr_el1
    stp     x1, x2, [sp, #256]
    mrs     x1, fpcr
    mrs     x2, fpsr
    stp     x1, x2, [sp, #272]
    add     x1, sp, #288
    stp     q0, q1, [x1, #0]
    stp     q2, q3, [x1, #32]
    stp     q4, q5, [x1, #64]
    stp     q6, q7, [x1, #96]
    stp     q8, q9, [x1, #128]
    stp     q10, q11, [x1, #160]
    stp     q12, q13, [x1, #192]
    stp     q14, q15, [x1, #224]
    stp     q16, q17, [x1, #256]
    stp     q18, q19, [x1, #288]
    stp     q20, q21, [x1, #320]
    stp     q22, q23, [x1, #352]
    stp     q24, q25, [x1, #384]
    stp     q26, q27, [x1, #416]
    stp     q28, q29, [x1, #448]
    stp     q30, q31, [x1, #480]
    mov     x1, sp
    bl      rust_trap
trap_return:
    // Restore (the frame may now hold another process's state).
    add     x1, sp, #288
    ldp     q0, q1, [x1, #0]
    ldp     q2, q3, [x1, #32]
    ldp     q4, q5, [x1, #64]
    ldp     q6, q7, [x1, #96]
    ldp     q8, q9, [x1, #128]
    ldp     q10, q11, [x1, #160]
    ldp     q12, q13, [x1, #192]
    ldp     q14, q15, [x1, #224]
    ldp     q16, q17, [x1, #256]
    ldp     q18, q19, [x1, #288]
    ldp     q20, q21, [x1, #320]
    ldp     q22, q23, [x1, #352]
    ldp     q24, q25, [x1, #384]
    ldp     q26, q27, [x1, #416]
    ldp     q28, q29, [x1, #448]
    ldp     q30, q31, [x1, #480]
    ldp     x1, x2, [sp, #272]
    msr     fpcr, x1
    msr     fpsr, x2
    ldp     x1, x2, [sp, #256]
    msr     elr_el1, x1
    msr     spsr_el1, x2
    ldp     x30, x1, [sp, #240]
    msr     sp_el0, x1
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x19, [sp, #144]
    ldp     x20, x21, [sp, #160]
    ldp     x22, x23, [sp, #176]
    ldp     x24, x25, [sp, #192]
    ldp     x26, x27, [sp, #208]
    ldp     x28, x29, [sp, #224]
    add     sp, sp, #800
    eret

// enter_user_frame(frame): reset the kernel stack and resume the context in `frame`.
.global enter_user_frame
enter_user_frame:
    ldr     x1, =boot_stack_top
    sub     x1, x1, #800
    mov     sp, x1
    mov     x2, #50
1:  ldp     x3, x4, [x0], #16
    stp     x3, x4, [x1], #16
    subs    x2, x2, #1
    b.ne    1b
    b       trap_return
"#
);
