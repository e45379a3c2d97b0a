//! `poweroff`: power off the machine (needs `capPower`).
#![no_std]
#![no_main]

use swiftos_abi::fcntl::POWER_OFF;
use swiftos_programs::*;
use swiftos_rt::sys;
swiftos_rt::entry!(main);

const HELP: &str = "Usage: poweroff\n\
Power off the machine now. Needs the capPower capability.\n\
Example: poweroff\n";

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let o = match options("poweroff", &args, "f", "", HELP) {
        Ok(o) => o,
        Err(c) => return c,
    };
    if !o.operands.is_empty() {
        return usage_error("poweroff", "too many arguments");
    }
    let e = sys::power(POWER_OFF);
    swiftos_rt::eprintln!("poweroff: {}", e.description());
    1
}
