//! `false`: exit with status 1.
#![no_std]
#![no_main]

use swiftos_programs::*;
swiftos_rt::entry!(main);

const HELP: &str =
    "Usage: false\nDo nothing, unsuccessfully (exit status 1).\nExample: false || echo failed\n";

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    if args.get(1).map(String::as_str) == Some("--help") {
        swiftos_rt::print!("{HELP}");
        return 0;
    }
    1
}
