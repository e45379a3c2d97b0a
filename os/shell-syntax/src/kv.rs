//! The `kv` store's file format: one `KEY<TAB>VALUE` per line, sorted by key, where the value
//! escapes `\` as `\\`, tab as `\t` and newline as `\n`. Keys are 1-64 bytes of
//! `[A-Za-z0-9_.:/-]`.

use alloc::string::String;
use alloc::vec::Vec;

/// Default location of the store (RAM-backed, cleared on reboot).
pub const DEFAULT_PATH: &str = "/tmp/kv.db";
/// Longest key.
pub const MAX_KEY: usize = 64;

/// A bad store file or key. `Display` gives the text after `kv: `.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KvError {
    #[error("invalid key {0:?} (1-64 characters of A-Z a-z 0-9 _ . : / -)")]
    BadKey(String),
    #[error("corrupt store: line {0}: {1}")]
    Corrupt(usize, &'static str),
}

/// Whether `k` is a valid key.
pub fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= MAX_KEY
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'/' | b'-'))
}

/// The store's contents, sorted by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Store {
    entries: Vec<(String, String)>,
}

fn escape(v: &str, out: &mut String) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

fn unescape(v: &str, line: usize) -> Result<String, KvError> {
    let mut out = String::new();
    let mut it = v.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('\\') => out.push('\\'),
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            _ => return Err(KvError::Corrupt(line, "bad escape")),
        }
    }
    Ok(out)
}

impl Store {
    /// Parse a store file.
    pub fn parse(text: &str) -> Result<Store, KvError> {
        let mut s = Store::default();
        for (i, line) in text.split('\n').enumerate() {
            if line.is_empty() {
                continue;
            }
            let (k, v) = line
                .split_once('\t')
                .ok_or(KvError::Corrupt(i + 1, "missing tab"))?;
            if !valid_key(k) {
                return Err(KvError::Corrupt(i + 1, "bad key"));
            }
            let v = unescape(v, i + 1)?;
            s.insert(k, &v);
        }
        Ok(s)
    }

    /// The file text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (k, v) in &self.entries {
            out.push_str(k);
            out.push('\t');
            escape(v, &mut out);
            out.push('\n');
        }
        out
    }

    fn insert(&mut self, k: &str, v: &str) {
        match self.entries.binary_search_by(|(x, _)| x.as_str().cmp(k)) {
            Ok(i) => self.entries[i].1 = String::from(v),
            Err(i) => self.entries.insert(i, (String::from(k), String::from(v))),
        }
    }

    /// Set `k` to `v`.
    pub fn set(&mut self, k: &str, v: &str) -> Result<(), KvError> {
        if !valid_key(k) {
            return Err(KvError::BadKey(String::from(k)));
        }
        self.insert(k, v);
        Ok(())
    }

    pub fn get(&self, k: &str) -> Option<&str> {
        self.entries
            .binary_search_by(|(x, _)| x.as_str().cmp(k))
            .ok()
            .map(|i| self.entries[i].1.as_str())
    }

    /// Remove `k`; whether it existed.
    pub fn del(&mut self, k: &str) -> bool {
        match self.entries.binary_search_by(|(x, _)| x.as_str().cmp(k)) {
            Ok(i) => {
                self.entries.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    /// All entries, sorted by key.
    pub fn entries(&self) -> &[(String, String)] {
        &self.entries
    }
}
