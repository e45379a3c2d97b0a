//! `badptr`: a deliberately misbehaving program for the kernel's isolation tests. It passes
//! bad pointers to system calls (expecting `EFAULT`), then dereferences NULL, which must get it
//! killed by the kernel while the system stays up.
#![no_std]
#![no_main]

use swiftos_abi::nr;
use swiftos_programs::*;
use swiftos_rt::{eprintln, println, sys};
swiftos_rt::entry!(main);

const HELP: &str = "Usage: badptr\n\
Isolation test: pass bad pointers to write() and stat() (the kernel must answer EFAULT), then\n\
read address 0 (the kernel must kill this process).\n\
Example: badptr; echo $?\n";

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    if args.get(1).map(String::as_str) == Some("--help") {
        swiftos_rt::print!("{HELP}");
        return 0;
    }
    let cases: [(&str, usize, [usize; 6]); 3] = [
        ("write(1, NULL+16, 16)", nr::WRITE, [1, 16, 16, 0, 0, 0]),
        (
            "write(1, kernel address, 16)",
            nr::WRITE,
            [1, 0xffff_0000_0000_0000, 16, 0, 0, 0],
        ),
        (
            "stat(unmapped path)",
            nr::STAT,
            [0x7000_0000_0000, 8, 0x10, 0, 0, 0],
        ),
    ];
    let mut ok = true;
    for (what, n, a) in cases {
        // SAFETY: the pointers are deliberately invalid (unmapped or kernel addresses): none
        // of them refers to memory of this process, so a correct kernel cannot corrupt us; it
        // must answer EFAULT.
        let r = swiftos_abi::decode_result(unsafe { sys::syscall6(n, a) });
        match r {
            Err(Errno::EFAULT) => println!("badptr: {what} -> EFAULT (Bad address), as expected"),
            other => {
                ok = false;
                eprintln!("badptr: {what} -> {other:?}, expected EFAULT");
            }
        }
    }
    println!("badptr: now reading address 0; the kernel should kill this process");
    let p = core::hint::black_box(0usize) as *const u64;
    // SAFETY: deliberately unsound: this is the isolation test. The read faults in EL0 and the
    // kernel terminates the process; it never returns a value.
    let v = unsafe { core::ptr::read_volatile(p) };
    eprintln!("badptr: reading address 0 returned {v:#x}: the kernel did not stop us");
    if ok {
        2
    } else {
        1
    }
}
