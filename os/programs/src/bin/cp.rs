//! `cp`: copy files.
#![no_std]
#![no_main]

use swiftos_abi::fcntl::{O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY};
use swiftos_programs::*;
use swiftos_rt::{fs, sys};
swiftos_rt::entry!(main);

const HELP: &str = "Usage: cp SOURCE DEST\n       cp SOURCE... DIR\n\
Copy the file SOURCE to DEST, or SOURCEs into the existing directory DIR.\n\
Example: cp /etc/passwd /tmp/passwd.copy\n";

fn copy(src: &str, dst: &str) -> Result<(), (String, Errno)> {
    let st = sys::stat(src).map_err(|e| (String::from(src), e))?;
    if fs::is_dir(&st) {
        return Err((String::from(src), Errno::EISDIR));
    }
    let i = fs::File::open_with(src, O_RDONLY, 0).map_err(|e| (String::from(src), e))?;
    let o = fs::File::open_with(dst, O_WRONLY | O_CREAT | O_TRUNC, st.st_mode & 0o777)
        .map_err(|e| (String::from(dst), e))?;
    let mut buf = vec![0u8; 4096];
    loop {
        match i.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => o.write_all(&buf[..n]).map_err(|e| (String::from(dst), e))?,
            Err(Errno::EINTR) => {}
            Err(e) => return Err((String::from(src), e)),
        }
    }
}

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
        if let Err((p, e)) = copy(s, &target) {
            report("cp", &p, e);
            code = 1;
        }
    }
    code
}
