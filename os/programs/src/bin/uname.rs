//! `uname`: print system information.
#![no_std]
#![no_main]

use swiftos_programs::*;
use swiftos_rt::{println, sys};
use swiftos_shell_syntax::fmt::c_field;
swiftos_rt::entry!(main);

const HELP: &str = "Usage: uname [-a] [-s] [-n] [-r] [-v] [-m]\n\
Print system information (default: the system name).\n\
Options:\n  -a  all of the below\n  -s  system name\n  -n  host name\n  -r  release\n  -v  version\n  -m  machine\n\
Example: uname -a\n";

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let o = match options("uname", &args, "asnrvm", "", HELP) {
        Ok(o) => o,
        Err(c) => return c,
    };
    if !o.operands.is_empty() {
        return usage_error("uname", &format!("extra operand '{}'", o.operands[0]));
    }
    let u = match sys::uname() {
        Ok(u) => u,
        Err(e) => {
            report("uname", "uname", e);
            return 1;
        }
    };
    let all = o.has('a');
    let fields = [
        ('s', &u.sysname),
        ('n', &u.nodename),
        ('r', &u.release),
        ('v', &u.version),
        ('m', &u.machine),
    ];
    let mut out: Vec<String> = fields
        .iter()
        .filter(|(f, _)| all || o.has(*f))
        .map(|(_, v)| c_field(*v))
        .collect();
    if out.is_empty() {
        out.push(c_field(&u.sysname));
    }
    println!("{}", out.join(" "));
    0
}
