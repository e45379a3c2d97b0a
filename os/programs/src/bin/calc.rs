//! `calc`: evaluate an integer arithmetic expression.
#![no_std]
#![no_main]

use swiftos_programs::*;
use swiftos_rt::{eprintln, print, println};
use swiftos_shell_syntax::calc::eval;
swiftos_rt::entry!(main);

const HELP: &str = "Usage: calc EXPRESSION...\n\
Evaluate a 64-bit integer expression: + - * / % ( ) and unary minus. Arguments are joined\n\
with spaces; use -- before an expression that starts with '-'.\n\
Example: calc '2 + 3 * (4 - 1)'     calc -- -7 / 2\n";

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let mut rest = &args[1.min(args.len())..];
    match rest.first().map(String::as_str) {
        Some("--help") => {
            print!("{HELP}");
            return 0;
        }
        Some("--") => rest = &rest[1..],
        _ => {}
    }
    if rest.is_empty() {
        return usage_error("calc", "missing expression");
    }
    let expr = rest.join(" ");
    match eval(&expr) {
        Ok(v) => {
            println!("{v}");
            0
        }
        Err(e) => {
            eprintln!("calc: {e}");
            1
        }
    }
}
