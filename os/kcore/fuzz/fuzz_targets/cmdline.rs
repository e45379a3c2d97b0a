//! Fuzz the kernel command-line parser: `KEY\0LINE` (key and line split at the first NUL,
//! lossy UTF-8). Never panics; a value found is a piece of one whitespace-free word of the
//! line, and is the first match.
#![no_main]

use libfuzzer_sys::fuzz_target;
use swiftos_kcore::cmdline::arg;

/// Whether word `w` is `key` or `key=...` (a word with `=` is named by what precedes the first `=`).
fn names(w: &str, key: &str) -> bool {
    match w.split_once('=') {
        Some((k, _)) => k == key,
        None => w == key,
    }
}

fuzz_target!(|data: &[u8]| {
    let (key, line) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b"init"[..], data),
    };
    let key = String::from_utf8_lossy(key);
    let line = String::from_utf8_lossy(line);
    let Some(v) = arg(&line, &key) else {
        // Absent: no word is `key` or starts with `key=`.
        assert!(!line.split_whitespace().any(|w| names(w, &key)));
        return;
    };
    assert!(!v.chars().any(char::is_whitespace));
    // A non-empty value borrows from `line` (a bare flag gives a static "").
    if !v.is_empty() {
        let base = line.as_ptr() as usize;
        let p = v.as_ptr() as usize;
        assert!(p >= base && p + v.len() <= base + line.len());
    }
    // The first word that matches gives the value.
    let first = line
        .split_whitespace()
        .find(|w| names(w, &key))
        .expect("a value without a matching word");
    match first.split_once('=') {
        Some((_, fv)) => assert_eq!(fv, v),
        None => assert_eq!(v, ""),
    }
});
