//! `spin`: busy-loop until killed (for the Ctrl-C and scheduler tests).
#![no_std]
#![no_main]

use swiftos_programs::*;
use swiftos_rt::{println, sys};
swiftos_rt::entry!(main);

const HELP: &str = "Usage: spin\n\
Busy-loop forever, using all the CPU it gets, until interrupted with Ctrl-C or killed.\n\
Example: spin   (then press Ctrl-C)\n";

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    if args.get(1).map(String::as_str) == Some("--help") {
        swiftos_rt::print!("{HELP}");
        return 0;
    }
    println!("spin: pid {} spinning until interrupted", sys::getpid());
    let mut n: u64 = 0;
    loop {
        n = core::hint::black_box(n.wrapping_add(1));
    }
}
