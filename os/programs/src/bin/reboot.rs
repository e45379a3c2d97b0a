//! `reboot`: restart the machine (needs `capPower`).
#![no_std]
#![no_main]

use swiftos_abi::fcntl::POWER_REBOOT;
use swiftos_programs::*;
use swiftos_rt::sys;
swiftos_rt::entry!(main);

const HELP: &str = "Usage: reboot\n\
Restart the machine now. Needs the capPower capability.\n\
Example: reboot\n";

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let o = match options("reboot", &args, "f", "", HELP) {
        Ok(o) => o,
        Err(c) => return c,
    };
    if !o.operands.is_empty() {
        return usage_error("reboot", "too many arguments");
    }
    let e = sys::power(POWER_REBOOT);
    swiftos_rt::eprintln!("reboot: {}", e.description());
    1
}
