//! `echo`: print the arguments separated by spaces.
#![no_std]
#![no_main]

use swiftos_programs::*;
use swiftos_rt::io::STDOUT;
swiftos_rt::entry!(main);

const HELP: &str = "Usage: echo [-n] [TEXT...]\n\
Print TEXT separated by spaces, followed by a newline.\n\
Options:\n  -n  do not print the trailing newline\n\
Example: echo hello world\n";

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let mut words = &args[1.min(args.len())..];
    if words.len() == 1 && words[0] == "--help" {
        swiftos_rt::print!("{HELP}");
        return 0;
    }
    let mut newline = true;
    while words.first().map(String::as_str) == Some("-n") {
        newline = false;
        words = &words[1..];
    }
    let mut out = words.join(" ");
    if newline {
        out.push('\n');
    }
    match swiftos_rt::sys::write_all(STDOUT, out.as_bytes()) {
        Ok(()) => 0,
        Err(e) => {
            report("echo", "write error", e);
            1
        }
    }
}
