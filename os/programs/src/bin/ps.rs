//! `ps`: list processes (other principals' only with `capProcessInspect`).
#![no_std]
#![no_main]

use core::fmt::Write as _;
use swiftos_programs::*;
use swiftos_rt::io::BufWriter;
use swiftos_rt::sys;
use swiftos_shell_syntax::fmt::{c_field, cpu_time, human_size, proc_state};
swiftos_rt::entry!(main);

const HELP: &str = "Usage: ps [-l]\n\
List the processes this session may see: PID, parent, user, state, CPU time and name.\n\
Other users' processes are listed only with the capProcessInspect capability.\n\
Options:\n  -l  also show memory, session and capability mask\n\
Example: ps\n";

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let o = match options("ps", &args, "lef", "", HELP) {
        Ok(o) => o,
        Err(c) => return c,
    };
    let mut procs = match sys::proc_list() {
        Ok(p) => p,
        Err(e) => {
            report("ps", "proc_list", e);
            return 1;
        }
    };
    procs.sort_by_key(|p| p.pid);
    let db = accounts();
    let long = o.has('l');
    let mut out = BufWriter::new(1);
    if long {
        let _ = writeln!(
            out,
            "  PID  PPID USER     S     TIME    MEM SESS CAPS   NAME"
        );
    } else {
        let _ = writeln!(out, "  PID  PPID USER     S     TIME NAME");
    }
    for p in &procs {
        let user = user_name(&db, p.uid);
        if long {
            let _ = writeln!(
                out,
                "{:>5} {:>5} {:<8} {} {:>8} {:>6} {:>4} {:#05x} {}",
                p.pid,
                p.ppid,
                user,
                proc_state(p.state),
                cpu_time(p.cpu_ns),
                human_size(p.mem_bytes),
                p.session,
                p.caps.0,
                c_field(&p.name)
            );
        } else {
            let _ = writeln!(
                out,
                "{:>5} {:>5} {:<8} {} {:>8} {}",
                p.pid,
                p.ppid,
                user,
                proc_state(p.state),
                cpu_time(p.cpu_ns),
                c_field(&p.name)
            );
        }
    }
    match out.flush() {
        Ok(()) => 0,
        Err(e) => {
            report("ps", "write error", e);
            1
        }
    }
}
