//! `grep`: print lines containing a fixed string.
#![no_std]
#![no_main]

use swiftos_abi::fcntl::O_RDONLY;
use swiftos_programs::*;
use swiftos_rt::io::{BufReader, BufWriter};
use swiftos_rt::sys;
swiftos_rt::entry!(main);

const HELP: &str = "Usage: grep [-i] [-v] [-n] [-c] TEXT [FILE...]\n\
Print the lines of FILEs (or standard input) that contain TEXT (a fixed string, no regular\n\
expressions). Exit 0 if a line matched, 1 if none did, 2 on errors.\n\
Options:\n  -i  ignore ASCII case\n  -v  print the lines that do not match\n  -n  prefix line numbers\n  -c  print only the number of matching lines\n\
Example: grep -n user /etc/passwd\n";

fn contains(hay: &[u8], needle: &[u8], fold: bool) -> bool {
    if needle.is_empty() {
        return true;
    }
    hay.windows(needle.len()).any(|w| {
        if fold {
            w.eq_ignore_ascii_case(needle)
        } else {
            w == needle
        }
    })
}

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let o = match options("grep", &args, "ivnc", "", HELP) {
        Ok(o) => o,
        Err(c) => return c,
    };
    let Some((pat, files)) = o.operands.split_first() else {
        return usage_error("grep", "missing TEXT");
    };
    let files: Vec<String> = if files.is_empty() {
        vec![String::from("-")]
    } else {
        files.to_vec()
    };
    let (fold, invert, number, count) = (o.has('i'), o.has('v'), o.has('n'), o.has('c'));
    let many = files.len() > 1;
    let mut out = BufWriter::new(1);
    let mut matched = false;
    let mut errors = false;
    for f in &files {
        let fd = if f == "-" {
            0
        } else {
            match sys::open(f, O_RDONLY, 0) {
                Ok(fd) => fd,
                Err(e) => {
                    let _ = out.flush();
                    report("grep", f, e);
                    errors = true;
                    continue;
                }
            }
        };
        let mut r = BufReader::new(fd);
        let mut n = 0u64;
        let mut hits = 0u64;
        loop {
            let line = match r.read_line_bytes() {
                Ok(Some(l)) => l,
                Ok(None) => break,
                Err(e) => {
                    let _ = out.flush();
                    report("grep", f, e);
                    errors = true;
                    break;
                }
            };
            n += 1;
            let body = line.strip_suffix(b"\n").unwrap_or(&line);
            if contains(body, pat.as_bytes(), fold) == invert {
                continue;
            }
            hits += 1;
            if count {
                continue;
            }
            if many {
                out.write_bytes(f.as_bytes());
                out.write_bytes(b":");
            }
            if number {
                out.write_bytes(format!("{n}:").as_bytes());
            }
            out.write_bytes(body);
            out.write_bytes(b"\n");
        }
        if count {
            if many {
                out.write_bytes(format!("{f}:{hits}\n").as_bytes());
            } else {
                out.write_bytes(format!("{hits}\n").as_bytes());
            }
        }
        matched |= hits > 0;
        if fd != 0 {
            let _ = sys::close(fd);
        }
    }
    let _ = out.flush();
    if errors {
        2
    } else if matched {
        0
    } else {
        1
    }
}
