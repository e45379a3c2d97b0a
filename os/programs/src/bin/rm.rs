//! `rm`: remove files (and, with `-r`, directory trees).
#![no_std]
#![no_main]

use swiftos_programs::*;
use swiftos_rt::{fs, sys};
swiftos_rt::entry!(main);

const HELP: &str = "Usage: rm [-r] [-f] FILE...\n\
Remove FILEs.\n\
Options:\n  -r  remove directories and their contents recursively\n  -f  ignore missing files, never fail for them\n\
Example: rm -r /tmp/build\n";

fn remove(path: &str, recursive: bool, depth: usize) -> Result<(), (String, Errno)> {
    let st = sys::stat(path).map_err(|e| (String::from(path), e))?;
    if fs::is_dir(&st) {
        if !recursive {
            return Err((String::from(path), Errno::EISDIR));
        }
        if depth > 64 {
            return Err((String::from(path), Errno::ELOOP));
        }
        let entries = fs::read_dir(path).map_err(|e| (String::from(path), e))?;
        for e in entries {
            remove(&fs::join(path, &e.name), true, depth + 1)?;
        }
        sys::rmdir(path).map_err(|e| (String::from(path), e))
    } else {
        sys::unlink(path).map_err(|e| (String::from(path), e))
    }
}

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let o = match options("rm", &args, "rRf", "", HELP) {
        Ok(o) => o,
        Err(c) => return c,
    };
    let force = o.has('f');
    let recursive = o.has('r') || o.has('R');
    if o.operands.is_empty() {
        if force {
            return 0;
        }
        return usage_error("rm", "missing operand");
    }
    let mut code = 0;
    for f in &o.operands {
        if f == "/" || f.ends_with("/..") || f == ".." || f == "." {
            eprintln_refuse(f);
            code = 1;
            continue;
        }
        match remove(f, recursive, 0) {
            Ok(()) => {}
            Err((_, Errno::ENOENT)) if force => {}
            Err((p, e)) => {
                if e == Errno::EISDIR {
                    swiftos_rt::eprintln!("rm: {p}: Is a directory (use -r)");
                } else {
                    report("rm", &p, e);
                }
                code = 1;
            }
        }
    }
    code
}

fn eprintln_refuse(f: &str) {
    swiftos_rt::eprintln!("rm: refusing to remove '{f}'");
}
