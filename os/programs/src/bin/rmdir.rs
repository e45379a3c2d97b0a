//! `rmdir`: remove empty directories.
#![no_std]
#![no_main]

use swiftos_programs::*;
use swiftos_rt::sys;
swiftos_rt::entry!(main);

const HELP: &str =
    "Usage: rmdir DIR...\nRemove the empty directories DIR.\nExample: rmdir /tmp/empty\n";

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let o = match options("rmdir", &args, "", "", HELP) {
        Ok(o) => o,
        Err(c) => return c,
    };
    if o.operands.is_empty() {
        return usage_error("rmdir", "missing operand");
    }
    let mut code = 0;
    for d in &o.operands {
        if let Err(e) = sys::rmdir(d) {
            report("rmdir", d, e);
            code = 1;
        }
    }
    code
}
