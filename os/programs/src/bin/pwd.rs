//! `pwd`: print the working directory.
#![no_std]
#![no_main]

use swiftos_programs::*;
use swiftos_rt::{println, sys};
swiftos_rt::entry!(main);

const HELP: &str =
    "Usage: pwd\nPrint the absolute path of the working directory.\nExample: cd /etc; pwd\n";

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let o = match options("pwd", &args, "LP", "", HELP) {
        Ok(o) => o,
        Err(c) => return c,
    };
    if !o.operands.is_empty() {
        return usage_error("pwd", "too many arguments");
    }
    match sys::getcwd() {
        Ok(d) => {
            println!("{d}");
            0
        }
        Err(e) => {
            report("pwd", ".", e);
            1
        }
    }
}
