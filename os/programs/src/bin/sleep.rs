//! `sleep`: wait for a number of seconds.
#![no_std]
#![no_main]

use swiftos_programs::*;
use swiftos_rt::time;
swiftos_rt::entry!(main);

const HELP: &str = "Usage: sleep SECONDS\n\
Wait SECONDS (decimals allowed, e.g. 0.5) before exiting.\n\
Example: sleep 2 && echo done\n";

/// Milliseconds from `12`, `0.5`, `1.25`.
fn parse_ms(s: &str) -> Option<u64> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || int.len() > 9
    {
        return None;
    }
    let secs: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut ms = 0u64;
    for (i, d) in frac.bytes().take(3).enumerate() {
        ms += u64::from(d - b'0') * [100, 10, 1][i];
    }
    Some(secs * 1000 + ms)
}

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let o = match options("sleep", &args, "", "", HELP) {
        Ok(o) => o,
        Err(c) => return c,
    };
    let [s] = o.operands.as_slice() else {
        return usage_error("sleep", "expected one SECONDS operand");
    };
    let Some(ms) = parse_ms(s) else {
        return usage_error("sleep", &format!("invalid time interval '{s}'"));
    };
    match time::sleep_ms(ms) {
        Ok(()) => 0,
        Err(e) => {
            report("sleep", "nanosleep", e);
            1
        }
    }
}
