//! `tee`: copy standard input to standard output and to files.
#![no_std]
#![no_main]

use swiftos_programs::*;
use swiftos_rt::fs::File;
use swiftos_rt::sys;
swiftos_rt::entry!(main);

const HELP: &str = "Usage: tee [-a] FILE...\n\
Copy standard input to standard output and to each FILE.\n\
Options:\n  -a  append to the FILEs instead of replacing them\n\
Example: ls /bin | tee /tmp/programs | wc -l\n";

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let o = match options("tee", &args, "a", "", HELP) {
        Ok(o) => o,
        Err(c) => return c,
    };
    let mut code = 0;
    let mut files: Vec<(String, File)> = Vec::new();
    for f in &o.operands {
        let r = if o.has('a') {
            File::append(f)
        } else {
            File::create(f)
        };
        match r {
            Ok(h) => files.push((f.clone(), h)),
            Err(e) => {
                report("tee", f, e);
                code = 1;
            }
        }
    }
    let mut buf = vec![0u8; 4096];
    loop {
        let n = match sys::read(0, &mut buf) {
            Ok(0) => return code,
            Ok(n) => n,
            Err(Errno::EINTR) => continue,
            Err(e) => {
                report("tee", "standard input", e);
                return 1;
            }
        };
        if let Err(e) = sys::write_all(1, &buf[..n]) {
            report("tee", "standard output", e);
            code = 1;
        }
        files.retain(|(name, h)| match h.write_all(&buf[..n]) {
            Ok(()) => true,
            Err(e) => {
                report("tee", name, e);
                code = 1;
                false
            }
        });
    }
}
