//! `mv`: rename or move files and directories.
#![no_std]
#![no_main]

use swiftos_programs::*;
use swiftos_rt::{fs, sys};
swiftos_rt::entry!(main);

const HELP: &str = "Usage: mv SOURCE DEST\n       mv SOURCE... DIR\n\
Rename SOURCE to DEST, or move SOURCEs into the existing directory DIR. A file moved to\n\
another file system (say from /pkg to /tmp) is copied, then removed.\n\
Example: mv /tmp/a.txt /tmp/b.txt\n";

fn base(p: &str) -> &str {
    p.trim_end_matches('/').rsplit('/').next().unwrap_or(p)
}

/// Move a file to another file system: copy, then remove the source. A failed copy removes
/// the partial target and leaves the source as it was.
fn move_across(src: &str, dst: &str) -> Result<(), String> {
    if sys::stat(src).map(|s| fs::is_dir(&s)).unwrap_or(false) {
        return Err(String::from(
            "a directory cannot move to another file system; copy its files with cp, then remove it",
        ));
    }
    if let Err((p, e)) = copy_file(src, dst) {
        let _ = sys::unlink(dst);
        return Err(format!("{p}: {}; nothing was moved", e.description()));
    }
    sys::unlink(src).map_err(|e| {
        format!(
            "copied, but {src} could not be removed ({}); both copies exist",
            e.description()
        )
    })
}

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let o = match options("mv", &args, "f", "", HELP) {
        Ok(o) => o,
        Err(c) => return c,
    };
    if o.operands.len() < 2 {
        return usage_error("mv", "missing file operand");
    }
    let (srcs, dest) = o.operands.split_at(o.operands.len() - 1);
    let dest = &dest[0];
    let dest_is_dir = sys::stat(dest).map(|s| fs::is_dir(&s)).unwrap_or(false);
    if srcs.len() > 1 && !dest_is_dir {
        swiftos_rt::eprintln!("mv: target '{dest}': Not a directory");
        return 1;
    }
    let mut code = 0;
    for s in srcs {
        if let Err(e) = sys::stat(s) {
            report("mv", s, e);
            code = 1;
            continue;
        }
        let target = if dest_is_dir {
            fs::join(dest, base(s))
        } else {
            dest.clone()
        };
        match sys::rename(s, &target) {
            Ok(()) => {}
            Err(Errno::EXDEV) => {
                if let Err(m) = move_across(s, &target) {
                    swiftos_rt::eprintln!("mv: cannot move {s} to {target}: {m}");
                    code = 1;
                }
            }
            Err(e) => {
                swiftos_rt::eprintln!("mv: cannot move {s} to {target}: {}", e.description());
                code = 1;
            }
        }
    }
    code
}
