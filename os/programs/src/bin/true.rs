//! `true`: exit with status 0.
#![no_std]
#![no_main]

use swiftos_programs::*;
swiftos_rt::entry!(main);

const HELP: &str =
    "Usage: true\nDo nothing, successfully (exit status 0).\nExample: true && echo ok\n";

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    if args.get(1).map(String::as_str) == Some("--help") {
        swiftos_rt::print!("{HELP}");
    }
    0
}
