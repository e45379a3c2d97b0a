//! `head`: print the first lines of files.
#![no_std]
#![no_main]

use swiftos_abi::fcntl::O_RDONLY;
use swiftos_programs::*;
use swiftos_rt::io::BufReader;
use swiftos_rt::sys;
use swiftos_shell_syntax::opts::parse_count;
swiftos_rt::entry!(main);

const HELP: &str = "Usage: head [-n COUNT] [FILE...]\n\
Print the first COUNT lines (default 10) of each FILE, or of standard input.\n\
Options:\n  -n COUNT  number of lines\n\
Example: head -n 3 /etc/passwd\n";

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let o = match options("head", &args, "", "n", HELP) {
        Ok(o) => o,
        Err(c) => return c,
    };
    let count = match o.value('n') {
        None => 10,
        Some(v) => match parse_count(v) {
            Some(n) => n,
            None => return usage_error("head", &format!("invalid number of lines: '{v}'")),
        },
    };
    let files = if o.operands.is_empty() {
        vec![String::from("-")]
    } else {
        o.operands.clone()
    };
    let mut code = 0;
    let many = files.len() > 1;
    for (i, f) in files.iter().enumerate() {
        let fd = if f == "-" {
            0
        } else {
            match sys::open(f, O_RDONLY, 0) {
                Ok(fd) => fd,
                Err(e) => {
                    report("head", f, e);
                    code = 1;
                    continue;
                }
            }
        };
        if many {
            let sep = if i > 0 { "\n" } else { "" };
            let _ = sys::write_all(1, format!("{sep}==> {f} <==\n").as_bytes());
        }
        let mut r = BufReader::new(fd);
        let mut n = 0;
        while n < count {
            match r.read_line_bytes() {
                Ok(Some(line)) => {
                    if let Err(e) = sys::write_all(1, &line) {
                        report("head", "write error", e);
                        return 1;
                    }
                    n += 1;
                }
                Ok(None) => break,
                Err(e) => {
                    report("head", f, e);
                    code = 1;
                    break;
                }
            }
        }
        if fd != 0 {
            let _ = sys::close(fd);
        }
    }
    code
}
