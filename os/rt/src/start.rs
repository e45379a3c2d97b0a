//! Process entry (`_start`) and the panic handler.

use crate::{io, sys};
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};

core::arch::global_asm!(
    ".section .text._start,\"ax\"",
    ".globl _start",
    ".type _start,%function",
    "_start:",
    "    mov x29, #0",
    "    mov x30, #0",
    "    mov x0, sp",
    "    and x9, x0, #~15",
    "    mov sp, x9",
    "    bl __swiftos_rt_start",
    "    brk #0",
);

/// `argv[0]`, for messages from the panic handler.
static PROGNAME: AtomicUsize = AtomicUsize::new(0);
static PROGNAME_LEN: AtomicUsize = AtomicUsize::new(0);

extern "Rust" {
    fn __swiftos_main(args: Vec<String>, env: Vec<String>) -> i32;
}

/// Read a NUL-terminated string.
///
/// # Safety
/// `p` must point at a NUL-terminated byte string that lives for the whole program.
unsafe fn cstr(p: *const u8) -> &'static [u8] {
    let mut n = 0;
    // SAFETY: the caller guarantees the string is terminated, so every byte up to the NUL
    // is readable.
    while unsafe { *p.add(n) } != 0 {
        n += 1;
    }
    // SAFETY: the `n` bytes before the NUL were just read successfully and live forever.
    unsafe { core::slice::from_raw_parts(p, n) }
}

/// Read a NULL-terminated pointer array of strings.
///
/// # Safety
/// `v` must point at such an array (the kernel's start layout), or at most `limit` entries.
unsafe fn strings(v: *const *const u8, limit: usize) -> (Vec<String>, *const *const u8) {
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        // SAFETY: the array is terminated by NULL within the kernel-written start block.
        let p = unsafe { *v.add(i) };
        if p.is_null() || i >= limit {
            // SAFETY: still within the array (index of the terminator or `limit`).
            return (out, unsafe { v.add(i + 1) });
        }
        // SAFETY: each entry is a NUL-terminated string written by the kernel on our stack.
        let s = unsafe { cstr(p) };
        out.push(String::from_utf8_lossy(s).into_owned());
        i += 1;
    }
}

#[no_mangle]
unsafe extern "C" fn __swiftos_rt_start(sp: *const usize) -> ! {
    // SAFETY: the kernel starts us with `sp` → argc, argv[argc], NULL, envp..., NULL
    // (`swiftos_abi::layout`).
    let argc = unsafe { *sp };
    // SAFETY: argv follows argc in the same start block.
    let argv = unsafe { sp.add(1) } as *const *const u8;
    let limit = swiftos_abi::layout::MAX_ARGS;
    // SAFETY: as above; the argv array has argc entries and a NULL.
    let (args, after) = unsafe { strings(argv, argc.min(limit)) };
    // SAFETY: envp starts right after argv's NULL.
    let (env, _) = unsafe { strings(after, limit) };
    if let Some(a0) = args.first() {
        let leaked: &'static str = alloc::boxed::Box::leak(a0.clone().into_boxed_str());
        PROGNAME.store(leaked.as_ptr() as usize, Ordering::Relaxed);
        PROGNAME_LEN.store(leaked.len(), Ordering::Relaxed);
    }
    crate::env::init(&env);
    // SAFETY: the program defines `__swiftos_main` with this signature via `entry!`.
    let code = unsafe { __swiftos_main(args, env) };
    sys::exit(code)
}

/// The program name (`argv[0]`'s last path component), or `"?"`.
pub fn progname() -> &'static str {
    let p = PROGNAME.load(Ordering::Relaxed);
    let n = PROGNAME_LEN.load(Ordering::Relaxed);
    if p == 0 {
        return "?";
    }
    // SAFETY: (p, n) describe the leaked, immutable argv[0] copy stored in `__swiftos_rt_start`.
    let s =
        unsafe { core::str::from_utf8_unchecked(core::slice::from_raw_parts(p as *const u8, n)) };
    s.rsplit('/').next().unwrap_or(s)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let _ = io::write_fmt(2, format_args!("{}: panic: {}\n", progname(), info));
    sys::exit(101)
}
