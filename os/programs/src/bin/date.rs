//! `date`: print the current date and time (UTC).
#![no_std]
#![no_main]

use swiftos_programs::*;
use swiftos_rt::{println, time};
use swiftos_shell_syntax::fmt::{date_string, iso_date};
swiftos_rt::entry!(main);

const HELP: &str = "Usage: date [-u] [-I] [+%s]\n\
Print the current date and time in UTC.\n\
Options:\n  -u   UTC (always the case)\n  -I   ISO 8601 format (2026-01-31T12:00:00Z)\n  +%s  seconds since the Unix epoch\n\
Example: date -I\n";

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let o = match options("date", &args, "uI", "", HELP) {
        Ok(o) => o,
        Err(c) => return c,
    };
    let now = match time::realtime() {
        Ok(t) => t.tv_sec,
        Err(e) => {
            report("date", "clock", e);
            return 1;
        }
    };
    match o.operands.as_slice() {
        [] if o.has('I') => println!("{}", iso_date(now)),
        [] => println!("{}", date_string(now)),
        [f] if f == "+%s" => println!("{now}"),
        [f] => return usage_error("date", &format!("unsupported format '{f}'")),
        _ => return usage_error("date", "too many arguments"),
    }
    0
}
