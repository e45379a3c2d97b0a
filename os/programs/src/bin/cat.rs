//! `cat`: copy files (or standard input) to standard output.
#![no_std]
#![no_main]

use swiftos_abi::fcntl::O_RDONLY;
use swiftos_programs::*;
use swiftos_rt::sys::{self, Fd};
swiftos_rt::entry!(main);

const HELP: &str = "Usage: cat [FILE...]\n\
Print FILEs one after the other; with no FILE, or when FILE is -, read standard input.\n\
Example: cat /etc/passwd\n";

fn copy(fd: Fd) -> Result<(), (bool, Errno)> {
    let mut buf = vec![0u8; 4096];
    loop {
        match sys::read(fd, &mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => sys::write_all(1, &buf[..n]).map_err(|e| (true, e))?,
            Err(Errno::EINTR) => {}
            Err(e) => return Err((false, e)),
        }
    }
}

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let o = match options("cat", &args, "u", "", HELP) {
        Ok(o) => o,
        Err(c) => return c,
    };
    let files = if o.operands.is_empty() {
        vec![String::from("-")]
    } else {
        o.operands
    };
    let mut code = 0;
    for f in &files {
        let (fd, owned) = if f == "-" {
            (0, false)
        } else {
            match sys::open(f, O_RDONLY, 0) {
                Ok(fd) => (fd, true),
                Err(e) => {
                    report("cat", f, e);
                    code = 1;
                    continue;
                }
            }
        };
        let r = copy(fd);
        if owned {
            let _ = sys::close(fd);
        }
        match r {
            Ok(()) => {}
            Err((true, e)) => {
                report("cat", "write error", e);
                return 1;
            }
            Err((false, e)) => {
                report("cat", f, e);
                code = 1;
            }
        }
    }
    code
}
