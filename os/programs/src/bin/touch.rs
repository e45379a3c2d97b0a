//! `touch`: create empty files (existing files are left as they are).
#![no_std]
#![no_main]

use swiftos_abi::fcntl::{O_CREAT, O_WRONLY};
use swiftos_programs::*;
use swiftos_rt::sys;
swiftos_rt::entry!(main);

const HELP: &str = "Usage: touch FILE...\n\
Create each FILE that does not exist, empty, with mode 0644.\n\
Example: touch /tmp/notes.txt\n";

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let o = match options("touch", &args, "c", "", HELP) {
        Ok(o) => o,
        Err(c) => return c,
    };
    if o.operands.is_empty() {
        return usage_error("touch", "missing file operand");
    }
    let mut code = 0;
    for f in &o.operands {
        if sys::stat(f).is_ok() {
            continue;
        }
        if o.has('c') {
            continue;
        }
        match sys::open(f, O_WRONLY | O_CREAT, 0o644) {
            Ok(fd) => {
                let _ = sys::close(fd);
            }
            Err(e) => {
                report("touch", f, e);
                code = 1;
            }
        }
    }
    code
}
