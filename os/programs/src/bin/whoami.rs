//! `whoami`: print the name of the current principal.
#![no_std]
#![no_main]

use swiftos_programs::*;
use swiftos_rt::{println, sys};
swiftos_rt::entry!(main);

const HELP: &str =
    "Usage: whoami\nPrint the user name of this process (from /etc/passwd).\nExample: whoami\n";

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let o = match options("whoami", &args, "", "", HELP) {
        Ok(o) => o,
        Err(c) => return c,
    };
    if !o.operands.is_empty() {
        return usage_error("whoami", "extra operand");
    }
    match sys::get_identity() {
        Ok(id) => {
            println!("{}", user_name(&accounts(), id.uid));
            0
        }
        Err(e) => {
            report("whoami", "get_identity", e);
            1
        }
    }
}
