//! `kill`: send a signal to processes.
#![no_std]
#![no_main]

use swiftos_abi::fcntl::{SIGINT, SIGKILL, SIGTERM};
use swiftos_programs::*;
use swiftos_rt::sys;
swiftos_rt::entry!(main);

const HELP: &str = "Usage: kill [-SIGNAL] PID...\n\
Send SIGNAL (TERM by default; also INT, KILL or a number) to each PID. Other users'\n\
processes need the capProcessKill capability.\n\
Example: kill -KILL 42\n";

fn signal(s: &str) -> Option<u32> {
    let s = s.strip_prefix("SIG").unwrap_or(s);
    match s {
        "TERM" => Some(SIGTERM),
        "INT" => Some(SIGINT),
        "KILL" => Some(SIGKILL),
        n => n.parse().ok().filter(|v| *v > 0 && *v < 64),
    }
}

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let mut rest = &args[1.min(args.len())..];
    if rest.first().map(String::as_str) == Some("--help") {
        swiftos_rt::print!("{HELP}");
        return 0;
    }
    let mut sig = SIGTERM;
    if let Some(first) = rest.first() {
        if let Some(name) = first.strip_prefix('-') {
            if name == "s" {
                let Some(n) = rest.get(1).and_then(|s| signal(s)) else {
                    return usage_error("kill", "-s needs a signal name");
                };
                sig = n;
                rest = &rest[2..];
            } else {
                match signal(name) {
                    Some(n) => sig = n,
                    None => return usage_error("kill", &format!("invalid signal '{name}'")),
                }
                rest = &rest[1..];
            }
        }
    }
    if rest.is_empty() {
        return usage_error("kill", "missing PID");
    }
    let mut code = 0;
    for p in rest {
        match p.parse::<u32>() {
            Ok(pid) => {
                if let Err(e) = sys::kill(pid, sig) {
                    report("kill", p, e);
                    code = 1;
                }
            }
            Err(_) => {
                swiftos_rt::eprintln!("kill: invalid process id '{p}'");
                code = 1;
            }
        }
    }
    code
}
