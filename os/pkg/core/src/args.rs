//! A small command-line splitter for the in-OS `pkg` (no clap in `no_std`): operands and
//! `--flag` / `--option VALUE` / `--option=VALUE`, `--` ends the options. Tested here on the host.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// The words of one command, split into operands and options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    /// Words that are not options, in order.
    pub operands: Vec<String>,
    /// Options in order, with their value when they take one.
    pub flags: Vec<(String, Option<String>)>,
}

impl Args {
    /// Split `words`. `flags` are the options without a value, `with_value` those with one.
    /// An unknown option, a flag given a value, or a missing value is an error message.
    pub fn parse(words: &[String], flags: &[&str], with_value: &[&str]) -> Result<Args, String> {
        let mut a = Args {
            operands: Vec::new(),
            flags: Vec::new(),
        };
        let mut it = words.iter();
        let mut only_operands = false;
        while let Some(w) = it.next() {
            if only_operands || !w.starts_with("--") {
                a.operands.push(w.clone());
                continue;
            }
            if w == "--" {
                only_operands = true;
                continue;
            }
            let (name, inline) = match w.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (w.as_str(), None),
            };
            if with_value.contains(&name) {
                let v = match inline {
                    Some(v) => v,
                    None => it
                        .next()
                        .cloned()
                        .ok_or_else(|| format!("{name} needs a value"))?,
                };
                a.flags.push((name.to_string(), Some(v)));
            } else if flags.contains(&name) {
                if inline.is_some() {
                    return Err(format!("{name} takes no value"));
                }
                a.flags.push((name.to_string(), None));
            } else {
                return Err(format!("unknown option {w}"));
            }
        }
        Ok(a)
    }

    /// Whether option `f` was given.
    pub fn has(&self, f: &str) -> bool {
        self.flags.iter().any(|(n, _)| n == f)
    }

    /// The last value of option `f`.
    pub fn value(&self, f: &str) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|(n, _)| n == f)
            .and_then(|(_, v)| v.as_deref())
    }

    /// Every value of a repeatable option `f`, in order.
    pub fn values(&self, f: &str) -> Vec<&str> {
        self.flags
            .iter()
            .filter(|(n, _)| n == f)
            .filter_map(|(_, v)| v.as_deref())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn operands_flags_and_values() {
        let a = Args::parse(
            &w("set http://x/ --root-key k.pub --package-key a --package-key=b --force -- --odd"),
            &["--force"],
            &["--root-key", "--package-key"],
        )
        .unwrap();
        assert_eq!(a.operands, w("set http://x/ --odd"));
        assert!(a.has("--force") && !a.has("--boot"));
        assert_eq!(a.value("--root-key"), Some("k.pub"));
        assert_eq!(a.values("--package-key"), alloc::vec!["a", "b"]);
        // Single-dash words are operands (package names may not start with '-', the client
        // refuses them as names).
        assert_eq!(Args::parse(&w("-x"), &[], &[]).unwrap().operands, w("-x"));
    }

    #[test]
    fn errors_name_the_option() {
        let e = |s: &str| Args::parse(&w(s), &["--force"], &["--keep"]).unwrap_err();
        assert_eq!(e("--nope"), "unknown option --nope");
        assert_eq!(e("--keep"), "--keep needs a value");
        assert_eq!(e("--force=1"), "--force takes no value");
    }
}
