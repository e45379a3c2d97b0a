//! Command-line option parsing shared by the tools: short flags (`-la` = `-l -a`), short
//! options with a value (`-n 5`, `-n5`), `--` ends options, `--help` anywhere before `--`.

use alloc::string::String;
use alloc::vec::Vec;

/// A bad command line. `Display` gives the text after `TOOL: `.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptError {
    #[error("invalid option -- '{0}'")]
    Unknown(char),
    #[error("unrecognized option '{0}'")]
    UnknownLong(String),
    #[error("option requires an argument -- '{0}'")]
    MissingValue(char),
}

/// The parsed command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Opts {
    /// Flags seen, in order (repeats kept).
    pub flags: Vec<char>,
    /// Options with values, in order.
    pub values: Vec<(char, String)>,
    /// Everything else.
    pub operands: Vec<String>,
    /// `--help` was given.
    pub help: bool,
}

impl Opts {
    pub fn has(&self, f: char) -> bool {
        self.flags.contains(&f)
    }
    /// The last value given for option `o`.
    pub fn value(&self, o: char) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(c, _)| *c == o)
            .map(|(_, v)| v.as_str())
    }
}

/// Parse `args` (without `argv[0]`). `flags` lists the boolean flags, `with_value` the options
/// taking a value. A lone `-` is an operand (stdin, by convention).
pub fn parse_opts(args: &[String], flags: &str, with_value: &str) -> Result<Opts, OptError> {
    let mut o = Opts::default();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        if a == "--" {
            o.operands.extend(args[i..].iter().cloned());
            break;
        }
        if a == "--help" {
            o.help = true;
            continue;
        }
        if a.starts_with("--") {
            return Err(OptError::UnknownLong(a.clone()));
        }
        if a.len() < 2 || !a.starts_with('-') {
            o.operands.push(a.clone());
            continue;
        }
        let chars = a[1..].char_indices();
        for (pos, c) in chars {
            if flags.contains(c) {
                o.flags.push(c);
            } else if with_value.contains(c) {
                let rest = &a[1 + pos + c.len_utf8()..];
                let v = if !rest.is_empty() {
                    String::from(rest)
                } else if i < args.len() {
                    i += 1;
                    args[i - 1].clone()
                } else {
                    return Err(OptError::MissingValue(c));
                };
                o.values.push((c, v));
                break;
            } else {
                return Err(OptError::Unknown(c));
            }
        }
    }
    Ok(o)
}

/// Parse an octal file mode (`755`, `0644`); at most `0o7777`.
pub fn parse_octal_mode(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 5 || !s.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return None;
    }
    let v = u32::from_str_radix(s, 8).ok()?;
    (v <= 0o7777).then_some(v)
}

/// Parse a non-negative decimal count.
pub fn parse_count(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}
