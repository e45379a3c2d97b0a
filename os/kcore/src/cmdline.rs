//! Kernel command-line parsing (`-append "selftest init=/bin/sh"`).

/// The value of `key=value` in `line`, `Some("")` for a bare `key`, `None` if absent. Words are
/// separated by whitespace; the first occurrence wins.
pub fn arg<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split_whitespace()
        .find_map(|w| match w.split_once('=') {
            Some((k, v)) if k == key => Some(v),
            None if w == key => Some(""),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::arg;

    #[test]
    fn finds_values_and_flags() {
        let l = "  selftest init=/bin/sh quiet=  init=/other";
        assert_eq!(arg(l, "selftest"), Some(""));
        assert_eq!(arg(l, "init"), Some("/bin/sh"));
        assert_eq!(arg(l, "quiet"), Some(""));
        assert_eq!(arg(l, "self"), None);
        assert_eq!(arg("", "init"), None);
        assert_eq!(arg("initx=1", "init"), None);
    }
}
