//! Output formatting shared by the tools: `ls -l` mode strings, calendar dates, `wc` counts,
//! process states and sizes.

use alloc::string::String;
use core::fmt::Write as _;

/// `drwxr-xr-x` from a `st_mode`.
pub fn mode_string(mode: u32) -> String {
    let kind = match mode & 0o170000 {
        0o040000 => 'd',
        0o120000 => 'l',
        0o020000 => 'c',
        0o010000 => 'p',
        0o140000 => 's',
        _ => '-',
    };
    let mut s = String::new();
    s.push(kind);
    for shift in [6u32, 3, 0] {
        let bits = (mode >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        s.push(if bits & 1 != 0 { 'x' } else { '-' });
    }
    s
}

/// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm): (year, month, day).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `Wed Nov 25 21:00:57 UTC 2026` from Unix seconds.
pub fn date_string(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let wd = WEEKDAYS[days.rem_euclid(7) as usize];
    let mut s = String::new();
    let _ = write!(
        s,
        "{wd} {} {d:2} {:02}:{:02}:{:02} UTC {y}",
        MONTHS[(m - 1) as usize],
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    );
    s
}

/// ISO 8601: `2026-11-25T21:00:57Z`.
pub fn iso_date(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    alloc::format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// `Nov 25 21:00` for `ls -l`.
pub fn short_date(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (_, m, d) = civil_from_days(days);
    alloc::format!(
        "{} {d:2} {:02}:{:02}",
        MONTHS[(m - 1) as usize],
        rem / 3600,
        rem / 60 % 60
    )
}

/// Line, word and byte counts, as `wc` defines them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub lines: u64,
    pub words: u64,
    pub bytes: u64,
}

impl Counts {
    /// Count a buffer; `in_word` carries word state across buffers.
    pub fn add(&mut self, buf: &[u8], in_word: &mut bool) {
        self.bytes += buf.len() as u64;
        for &b in buf {
            if b == b'\n' {
                self.lines += 1;
            }
            let space = matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
            if space {
                *in_word = false;
            } else if !*in_word {
                *in_word = true;
                self.words += 1;
            }
        }
    }
    pub fn sum(&mut self, o: &Counts) {
        self.lines += o.lines;
        self.words += o.words;
        self.bytes += o.bytes;
    }
}

/// `1.5M`-style size.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "K", "M", "G", "T"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        alloc::format!("{bytes}B")
    } else {
        alloc::format!("{v:.1}{}", UNITS[u])
    }
}

/// The one-letter state of `ps` (`R`, `S`, `Z`, ...).
pub fn proc_state(state: u32) -> char {
    match state {
        0 => 'R',
        1 => 'R',
        2 => 'S',
        3 => 'Z',
        _ => '?',
    }
}

/// `MM:SS.hh` CPU time from nanoseconds.
pub fn cpu_time(ns: u64) -> String {
    let cs = ns / 10_000_000;
    alloc::format!("{}:{:02}.{:02}", cs / 6000, cs / 100 % 60, cs % 100)
}

/// A NUL-padded byte field as text.
pub fn c_field(b: &[u8]) -> String {
    let n = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..n]).into_owned()
}
