//! `chmod`: change permission bits (octal modes).
#![no_std]
#![no_main]

use swiftos_programs::*;
use swiftos_rt::sys;
use swiftos_shell_syntax::opts::parse_octal_mode;
swiftos_rt::entry!(main);

const HELP: &str = "Usage: chmod MODE FILE...\n\
Set the permission bits of FILEs to the octal MODE (e.g. 644, 0755).\n\
Example: chmod 600 /tmp/secret\n";

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let o = match options("chmod", &args, "", "", HELP) {
        Ok(o) => o,
        Err(c) => return c,
    };
    if o.operands.len() < 2 {
        return usage_error("chmod", "missing operand");
    }
    let Some(mode) = parse_octal_mode(&o.operands[0]) else {
        return usage_error(
            "chmod",
            &format!("invalid mode: '{}' (use octal, e.g. 644)", o.operands[0]),
        );
    };
    let mut code = 0;
    for f in &o.operands[1..] {
        if let Err(e) = sys::chmod(f, mode) {
            report("chmod", f, e);
            code = 1;
        }
    }
    code
}
