//! `env`: print the environment.
#![no_std]
#![no_main]

use swiftos_programs::*;
use swiftos_rt::print;
swiftos_rt::entry!(main);

const HELP: &str = "Usage: env\nPrint the environment, one NAME=VALUE per line.\nExample: env\n";

fn main(args: Vec<String>, env: Vec<String>) -> i32 {
    let o = match options("env", &args, "", "", HELP) {
        Ok(o) => o,
        Err(c) => return c,
    };
    if !o.operands.is_empty() {
        return usage_error("env", "running commands is not supported; use the shell");
    }
    let mut s = String::new();
    for kv in env {
        s.push_str(&kv);
        s.push('\n');
    }
    print!("{s}");
    0
}
