//! `cp`: copy files.
#![no_std]
#![no_main]

use swiftos_programs::*;
use swiftos_rt::{fs, sys};
swiftos_rt::entry!(main);

const HELP: &str = "Usage: cp SOURCE DEST\n       cp SOURCE... DIR\n\
Copy the file SOURCE to DEST, or SOURCEs into the existing directory DIR.\n\
Example: cp /etc/passwd /tmp/passwd.copy\n";

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let o = match options("cp", &args, "f", "", HELP) {
        Ok(o) => o,
        Err(c) => return c,
    };
    if o.operands.len() < 2 {
        return usage_error("cp", "missing file operand");
    }
    let (srcs, dest) = o.operands.split_at(o.operands.len() - 1);
    let dest = &dest[0];
    let dest_dir = sys::stat(dest).map(|s| fs::is_dir(&s)).unwrap_or(false);
    if srcs.len() > 1 && !dest_dir {
        swiftos_rt::eprintln!("cp: target '{dest}': Not a directory");
        return 1;
    }
    let mut code = 0;
    for s in srcs {
        let target = if dest_dir {
            fs::join(
                dest,
                s.trim_end_matches('/').rsplit('/').next().unwrap_or(s),
            )
        } else {
            dest.clone()
        };
        if let Err((p, e)) = copy_file(s, &target) {
            report("cp", &p, e);
            code = 1;
        }
    }
    code
}
