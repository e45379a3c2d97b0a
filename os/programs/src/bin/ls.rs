//! `ls`: list directory contents.
#![no_std]
#![no_main]

use core::fmt::Write as _;
use swiftos_abi::Stat;
use swiftos_accounts::{Accounts, Group};
use swiftos_programs::*;
use swiftos_rt::io::BufWriter;
use swiftos_rt::{fs, sys};
use swiftos_shell_syntax::fmt::{mode_string, short_date};
swiftos_rt::entry!(main);

const HELP: &str = "Usage: ls [-l] [-a] [PATH...]\n\
List the entries of each directory PATH (default: the working directory), sorted by name.\n\
Options:\n  -l  long format: mode, links, owner, group, size, modification time, name\n  -a  include names starting with '.'\n  -1  one name per line (the default)\n\
Example: ls -la /tmp\n";

struct Ctx {
    long: bool,
    db: Accounts,
    groups: Vec<Group>,
    out: BufWriter,
}

impl Ctx {
    fn line(&mut self, name: &str, st: Option<&Stat>) {
        if !self.long {
            let _ = writeln!(self.out, "{name}");
            return;
        }
        match st {
            Some(st) => {
                let user = user_name(&self.db, u32::from(st.st_uid));
                let group = group_name(&self.groups, u32::from(st.st_gid));
                let _ = writeln!(
                    self.out,
                    "{} {:>2} {:<8} {:<8} {:>8} {} {}",
                    mode_string(st.st_mode),
                    st.st_nlink,
                    user,
                    group,
                    st.st_size,
                    short_date(st.st_mtim.tv_sec),
                    name
                );
            }
            None => {
                let _ = writeln!(
                    self.out,
                    "?????????? {:>2} {:<8} {:<8} {:>8} {:>12} {}",
                    "?", "?", "?", "?", "?", name
                );
            }
        }
    }
}

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let o = match options("ls", &args, "la1", "", HELP) {
        Ok(o) => o,
        Err(c) => return c,
    };
    let long = o.has('l');
    let all = o.has('a');
    let mut ctx = Ctx {
        long,
        db: if long {
            accounts()
        } else {
            Accounts::default()
        },
        groups: if long { groups() } else { Vec::new() },
        out: BufWriter::new(1),
    };
    let paths = if o.operands.is_empty() {
        vec![String::from(".")]
    } else {
        o.operands.clone()
    };
    let mut code = 0;
    // Files first (as given), then directories.
    let mut dirs = Vec::new();
    for p in &paths {
        match sys::stat(p) {
            Ok(st) if fs::is_dir(&st) => dirs.push(p.clone()),
            Ok(st) => ctx.line(p, Some(&st)),
            Err(e) => {
                let _ = ctx.out.flush();
                report("ls", p, e);
                code = 1;
            }
        }
    }
    let headers = paths.len() > 1;
    for (i, d) in dirs.iter().enumerate() {
        let mut entries = match fs::read_dir(d) {
            Ok(e) => e,
            Err(e) => {
                let _ = ctx.out.flush();
                report("ls", d, e);
                code = 1;
                continue;
            }
        };
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        if headers {
            if i > 0 || dirs.len() < paths.len() {
                let _ = writeln!(ctx.out);
            }
            let _ = writeln!(ctx.out, "{d}:");
        }
        if all {
            for dot in [".", ".."] {
                let st = if long {
                    sys::stat(&fs::join(d, dot)).ok()
                } else {
                    None
                };
                ctx.line(dot, st.as_ref());
            }
        }
        for e in entries {
            if !all && e.name.starts_with('.') {
                continue;
            }
            let st = if long {
                sys::stat(&fs::join(d, &e.name)).ok()
            } else {
                None
            };
            ctx.line(&e.name, st.as_ref());
        }
    }
    if let Err(e) = ctx.out.flush() {
        report("ls", "write error", e);
        return 1;
    }
    code
}
