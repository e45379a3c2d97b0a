//! Built-in kernel self-test, run as pid 1 when no base image is attached: a tiny EL0 program
//! (wrapped into an ELF image at boot so it goes through the real loader) that writes to the
//! console, checks that a bad pointer yields EFAULT, sleeps on the timer, issues 50000 random
//! system calls (the kernel must survive them all), and finally dereferences NULL, which must
//! kill it with a fault report while the kernel stays up.

use alloc::vec::Vec;
use core::arch::global_asm;

global_asm!(
    r#"
.macro ARG r
    eor     x19, x19, x19, lsl #13
    eor     x19, x19, x19, lsr #7
    eor     x19, x19, x19, lsl #17
    and     x9, x19, #3
    lsr     x10, x19, #2
    cmp     x9, #0
    b.ne    21f
    and     \r, x10, #0xff
    b       24f
21: cmp     x9, #1
    b.ne    22f
    mov     \r, x10
    b       24f
22: cmp     x9, #2
    b.ne    23f
    and     x10, x10, #0x1fff
    movz    \r, #0x40, lsl #16
    add     \r, \r, x10
    b       24f
23: and     x10, x10, #0xff8
    mov     \r, sp
    sub     \r, \r, x10
24:
.endm

.section .rodata.selftest, "a"
.balign 16
.global selftest_code_start
selftest_code_start:
    mov     x8, #2
    mov     x0, #1
    adr     x1, 1f
    mov     x2, #(2f - 1f)
    svc     #0
    // write(1, 0x10, 4) must fail with EFAULT (-14).
    mov     x8, #2
    mov     x0, #1
    mov     x1, #0x10
    mov     x2, #4
    svc     #0
    cmn     x0, #14
    b.ne    9f
    mov     x8, #2
    mov     x0, #1
    adr     x1, 3f
    mov     x2, #(4f - 3f)
    svc     #0
    // nanosleep 20 ms.
    sub     sp, sp, #16
    str     xzr, [sp]
    movz    x3, #0x2d00
    movk    x3, #0x131, lsl #16
    str     x3, [sp, #8]
    mov     x0, sp
    mov     x8, #32
    svc     #0
    mov     x8, #2
    mov     x0, #1
    adr     x1, 5f
    mov     x2, #(6f - 5f)
    svc     #0
    // Syscall fuzz: 50000 calls with random numbers below nr::COUNT (80) and random arguments
    // (small integers, random 64-bit values, addresses in our own read-only code, addresses
    // on our stack). Calls that could legitimately block or end us (exit, read, kill,
    // nanosleep, power, accept, connect, recv, recvfrom, poll), the console-printing ones
    // (write, kernel_log) and socket creation (each socket holds buffers) are skipped.
    movz    x19, #0x1234
    movk    x19, #0x9abc, lsl #16
    movk    x19, #0x5678, lsl #32
    movz    x20, #50000
30: ARG     x0
    ARG     x1
    ARG     x2
    ARG     x3
    ARG     x4
    ARG     x5
    lsr     x9, x19, #3
    mov     x10, #80
    udiv    x11, x9, x10
    msub    x8, x11, x10, x9
    cmp     x8, #0
    b.eq    31f
    cmp     x8, #1
    b.eq    31f
    cmp     x8, #2
    b.eq    31f
    cmp     x8, #30
    b.eq    31f
    cmp     x8, #32
    b.eq    31f
    cmp     x8, #40
    b.eq    31f
    cmp     x8, #48
    b.eq    31f
    cmp     x8, #60
    b.eq    31f
    cmp     x8, #63
    b.eq    31f
    cmp     x8, #64
    b.eq    31f
    cmp     x8, #66
    b.eq    31f
    cmp     x8, #68
    b.eq    31f
    cmp     x8, #74
    b.eq    31f
    svc     #0
31: subs    x20, x20, #1
    b.ne    30b
    mov     x8, #48
    adr     x0, 7f
    mov     x1, #(8f - 7f)
    svc     #0
    // NULL dereference: the kernel must kill us with SIGSEGV.
    mov     x0, #0
    ldr     x1, [x0]
9:  mov     x0, #1
    mov     x8, #0
    svc     #0
1:  .ascii "selftest: hello from EL0\n"
2:
3:  .ascii "selftest: bad pointer -> EFAULT ok\n"
4:
5:  .ascii "selftest: slept 20 ms; now 50000 random system calls\n"
6:
7:  .ascii "selftest: random system calls survived; now dereferencing NULL"
8:
.balign 4
.global selftest_code_end
selftest_code_end:
"#
);

extern "C" {
    static selftest_code_start: u8;
    static selftest_code_end: u8;
}

/// The self-test as a static AArch64 ELF executable linked at 0x400000.
pub fn image() -> Vec<u8> {
    let start = core::ptr::addr_of!(selftest_code_start);
    let end = core::ptr::addr_of!(selftest_code_end);
    let len = end as usize - start as usize;
    // SAFETY: both symbols delimit the assembled code in .rodata; the range is readable.
    let code = unsafe { core::slice::from_raw_parts(start, len) };
    let hdr = 64 + 56;
    let total = (hdr + code.len()) as u64;
    let mut b = alloc::vec![0u8; hdr];
    b[0..4].copy_from_slice(b"\x7fELF");
    b[4] = 2;
    b[5] = 1;
    b[6] = 1;
    b[16..18].copy_from_slice(&2u16.to_le_bytes());
    b[18..20].copy_from_slice(&183u16.to_le_bytes());
    b[20..24].copy_from_slice(&1u32.to_le_bytes());
    b[24..32].copy_from_slice(&(0x40_0000u64 + hdr as u64).to_le_bytes());
    b[32..40].copy_from_slice(&64u64.to_le_bytes());
    b[52..54].copy_from_slice(&64u16.to_le_bytes());
    b[54..56].copy_from_slice(&56u16.to_le_bytes());
    b[56..58].copy_from_slice(&1u16.to_le_bytes());
    let ph = 64;
    b[ph..ph + 4].copy_from_slice(&1u32.to_le_bytes());
    b[ph + 4..ph + 8].copy_from_slice(&5u32.to_le_bytes());
    b[ph + 16..ph + 24].copy_from_slice(&0x40_0000u64.to_le_bytes());
    b[ph + 24..ph + 32].copy_from_slice(&0x40_0000u64.to_le_bytes());
    b[ph + 32..ph + 40].copy_from_slice(&total.to_le_bytes());
    b[ph + 40..ph + 48].copy_from_slice(&total.to_le_bytes());
    b[ph + 48..ph + 56].copy_from_slice(&4096u64.to_le_bytes());
    b.extend_from_slice(code);
    b
}
