//! `mkdir`: create directories.
#![no_std]
#![no_main]

use swiftos_programs::*;
use swiftos_rt::{fs, sys};
swiftos_rt::entry!(main);

const HELP: &str = "Usage: mkdir [-p] DIR...\n\
Create the directories DIR.\n\
Options:\n  -p  create missing parents too; no error if DIR exists\n\
Example: mkdir -p /tmp/a/b/c\n";

fn mkdir_p(path: &str) -> Result<(), Errno> {
    let mut cur = String::new();
    if path.starts_with('/') {
        cur.push('/');
    }
    for comp in path.split('/').filter(|c| !c.is_empty()) {
        if !cur.is_empty() && !cur.ends_with('/') {
            cur.push('/');
        }
        cur.push_str(comp);
        match sys::mkdir(&cur, 0o755) {
            Ok(()) => {}
            Err(Errno::EEXIST) => match sys::stat(&cur) {
                Ok(st) if fs::is_dir(&st) => {}
                Ok(_) => return Err(Errno::ENOTDIR),
                Err(e) => return Err(e),
            },
            Err(e) => {
                // An existing directory on a read-only or restricted parent is fine.
                match sys::stat(&cur) {
                    Ok(st) if fs::is_dir(&st) => {}
                    _ => return Err(e),
                }
            }
        }
    }
    Ok(())
}

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let o = match options("mkdir", &args, "p", "m", HELP) {
        Ok(o) => o,
        Err(c) => return c,
    };
    if o.operands.is_empty() {
        return usage_error("mkdir", "missing operand");
    }
    let mut code = 0;
    for d in &o.operands {
        let r = if o.has('p') {
            mkdir_p(d)
        } else {
            sys::mkdir(d, 0o755)
        };
        if let Err(e) = r {
            report("mkdir", d, e);
            code = 1;
        }
    }
    code
}
