//! `top`: process and resource snapshots (CPU busy/idle, memory, per-process CPU share).
#![no_std]
#![no_main]

use core::fmt::Write as _;
use swiftos_abi::ProcInfo;
use swiftos_programs::*;
use swiftos_rt::io::BufWriter;
use swiftos_rt::{sys, time};
use swiftos_shell_syntax::fmt::{c_field, cpu_time, human_size, proc_state};
use swiftos_shell_syntax::opts::parse_count;
swiftos_rt::entry!(main);

const HELP: &str = "Usage: top [-n COUNT] [-d SECONDS]\n\
Show system and process snapshots: uptime, CPU busy/idle, memory, and each visible process\n\
with its CPU share. Runs until Ctrl-C unless -n is given.\n\
Options:\n  -n COUNT    number of snapshots, then exit\n  -d SECONDS  delay between snapshots (default 2)\n\
Example: top -n 1\n";

struct Sample {
    at_ns: u64,
    idle_ns: u64,
    procs: Vec<ProcInfo>,
}

fn sample() -> Result<(Sample, swiftos_abi::SysInfo), Errno> {
    let info = sys::sysinfo()?;
    let procs = sys::proc_list()?;
    Ok((
        Sample {
            at_ns: info.uptime_ns,
            idle_ns: info.idle_ns,
            procs,
        },
        info,
    ))
}

fn pct(part: u64, whole: u64) -> (u64, u64) {
    if whole == 0 {
        return (0, 0);
    }
    let tenths = (part.min(whole) as u128 * 1000 / whole as u128) as u64;
    (tenths / 10, tenths % 10)
}

fn show(prev: Option<&Sample>, cur: &Sample, info: &swiftos_abi::SysInfo) -> Result<(), Errno> {
    let db = accounts();
    let mut out = BufWriter::new(1);
    let (since_t, since_idle) = match prev {
        Some(p) => (
            cur.at_ns.saturating_sub(p.at_ns),
            cur.idle_ns.saturating_sub(p.idle_ns),
        ),
        None => (cur.at_ns, cur.idle_ns),
    };
    let ncpu = u64::from(info.ncpus.max(1));
    let wall = since_t.saturating_mul(ncpu);
    let (ip, it) = pct(since_idle, wall);
    let (bp, bt) = pct(wall.saturating_sub(since_idle), wall);
    let up = info.uptime_ns / 1_000_000_000;
    let _ = writeln!(
        out,
        "top - up {}:{:02}:{:02}, {} processes, {} cpu{}",
        up / 3600,
        up / 60 % 60,
        up % 60,
        info.nprocs,
        ncpu,
        if ncpu == 1 { "" } else { "s" }
    );
    let _ = writeln!(out, "%Cpu(s): {bp}.{bt} busy, {ip}.{it} idle");
    let used = info.mem_total.saturating_sub(info.mem_free);
    let _ = writeln!(
        out,
        "Mem: {} total, {} used, {} free",
        human_size(info.mem_total),
        human_size(used),
        human_size(info.mem_free)
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "  PID USER     S  %CPU     TIME    MEM NAME");
    let mut rows: Vec<(u64, &ProcInfo)> = cur
        .procs
        .iter()
        .map(|p| {
            let before = prev
                .and_then(|s| s.procs.iter().find(|q| q.pid == p.pid))
                .map(|q| q.cpu_ns)
                .unwrap_or(0);
            (p.cpu_ns.saturating_sub(before), p)
        })
        .collect();
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.pid.cmp(&b.1.pid)));
    for (used, p) in rows {
        let (cp, ct) = pct(used, since_t.max(1));
        let _ = writeln!(
            out,
            "{:>5} {:<8} {} {:>3}.{} {:>8} {:>6} {}",
            p.pid,
            user_name(&db, p.uid),
            proc_state(p.state),
            cp,
            ct,
            cpu_time(p.cpu_ns),
            human_size(p.mem_bytes),
            c_field(&p.name)
        );
    }
    out.flush()
}

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let o = match options("top", &args, "b", "nd", HELP) {
        Ok(o) => o,
        Err(c) => return c,
    };
    let count = match o.value('n') {
        None => u64::MAX,
        Some(v) => match parse_count(v) {
            Some(n) if n > 0 => n,
            _ => return usage_error("top", &format!("invalid count '{v}'")),
        },
    };
    let delay_ms = match o.value('d') {
        None => 2000,
        Some(v) => match parse_count(v) {
            Some(n) if n <= 3600 => n * 1000,
            _ => return usage_error("top", &format!("invalid delay '{v}'")),
        },
    };
    if !o.operands.is_empty() {
        return usage_error("top", "unexpected operand");
    }
    let mut prev: Option<Sample> = None;
    let mut shown = 0;
    loop {
        let (cur, info) = match sample() {
            Ok(s) => s,
            Err(e) => {
                report("top", "sysinfo", e);
                return 1;
            }
        };
        if shown > 0 {
            let _ = sys::write_all(1, b"\n");
        }
        if let Err(e) = show(prev.as_ref(), &cur, &info) {
            report("top", "write error", e);
            return 1;
        }
        shown += 1;
        if shown >= count {
            return 0;
        }
        prev = Some(cur);
        let _ = time::sleep_ms(delay_ms);
    }
}
