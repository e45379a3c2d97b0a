//! `wc`: count lines, words and bytes.
#![no_std]
#![no_main]

use swiftos_abi::fcntl::O_RDONLY;
use swiftos_programs::*;
use swiftos_rt::sys::{self, Fd};
use swiftos_rt::{print, println};
use swiftos_shell_syntax::fmt::Counts;
swiftos_rt::entry!(main);

const HELP: &str = "Usage: wc [-l] [-w] [-c] [FILE...]\n\
Count lines, words and bytes of each FILE (or standard input); print a total for several.\n\
Options:\n  -l  lines\n  -w  words\n  -c  bytes\n(default: all three)\n\
Example: cat /etc/passwd | wc -l\n";

fn count(fd: Fd) -> Result<Counts, Errno> {
    let mut c = Counts::default();
    let mut in_word = false;
    let mut buf = vec![0u8; 4096];
    loop {
        match sys::read(fd, &mut buf) {
            Ok(0) => return Ok(c),
            Ok(n) => c.add(&buf[..n], &mut in_word),
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
}

fn show(c: &Counts, sel: (bool, bool, bool), name: Option<&str>) {
    let mut fields = Vec::new();
    if sel.0 {
        fields.push(c.lines);
    }
    if sel.1 {
        fields.push(c.words);
    }
    if sel.2 {
        fields.push(c.bytes);
    }
    let mut s = String::new();
    for (i, v) in fields.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        if fields.len() == 1 && name.is_none() {
            s.push_str(&format!("{v}"));
        } else {
            s.push_str(&format!("{v:>7}"));
        }
    }
    match name {
        Some(n) => println!("{s} {n}"),
        None => {
            print!("{s}\n");
        }
    }
}

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let o = match options("wc", &args, "lwc", "", HELP) {
        Ok(o) => o,
        Err(c) => return c,
    };
    let mut sel = (o.has('l'), o.has('w'), o.has('c'));
    if !sel.0 && !sel.1 && !sel.2 {
        sel = (true, true, true);
    }
    if o.operands.is_empty() {
        return match count(0) {
            Ok(c) => {
                show(&c, sel, None);
                0
            }
            Err(e) => {
                report("wc", "-", e);
                1
            }
        };
    }
    let mut total = Counts::default();
    let mut code = 0;
    for f in &o.operands {
        let r = if f == "-" {
            count(0)
        } else {
            match sys::open(f, O_RDONLY, 0) {
                Ok(fd) => {
                    let r = count(fd);
                    let _ = sys::close(fd);
                    r
                }
                Err(e) => Err(e),
            }
        };
        match r {
            Ok(c) => {
                show(&c, sel, Some(f));
                total.sum(&c);
            }
            Err(e) => {
                report("wc", f, e);
                code = 1;
            }
        }
    }
    if o.operands.len() > 1 {
        show(&total, sel, Some("total"));
    }
    code
}
