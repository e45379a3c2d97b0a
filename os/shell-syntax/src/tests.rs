//! Host tests for the parser and the tool logic.

use crate::calc::{eval, CalcError};
use crate::fmt::*;
use crate::kv::{valid_key, KvError, Store};
use crate::opts::*;
use crate::parse::*;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

struct V;
impl Vars for V {
    fn var(&self, name: &str) -> Option<String> {
        match name {
            "HOME" => Some("/tmp".into()),
            "USER" => Some("user".into()),
            "EMPTY" => Some(String::new()),
            "SP" => Some("a b".into()),
            _ => None,
        }
    }
    fn status(&self) -> i32 {
        127
    }
    fn pid(&self) -> u32 {
        42
    }
}

/// Parse one simple command and expand its words.
fn words(line: &str) -> Vec<String> {
    let s = parse(line).unwrap();
    assert_eq!(s.lists.len(), 1, "{line}");
    expand_words(&s.lists[0].first.commands[0].words, &V)
}

fn err(line: &str) -> String {
    parse(line).unwrap_err().to_string()
}

#[test]
fn plain_words() {
    assert_eq!(words("echo hello   world"), ["echo", "hello", "world"]);
    assert_eq!(words("  ls\t-l  "), ["ls", "-l"]);
}

#[test]
fn quoting() {
    assert_eq!(words("echo 'a  b' \"c  d\""), ["echo", "a  b", "c  d"]);
    assert_eq!(words("echo 'it''s'"), ["echo", "its"]);
    assert_eq!(words(r#"echo "a\"b" 'x\y'"#), ["echo", "a\"b", "x\\y"]);
    assert_eq!(words(r"echo a\ b \$HOME"), ["echo", "a b", "$HOME"]);
    assert_eq!(words("echo '' \"\""), ["echo", "", ""]);
    assert_eq!(words("echo 'a|b;c>d'"), ["echo", "a|b;c>d"]);
    assert_eq!(words("echo pre'fix'\"post\""), ["echo", "prefixpost"]);
}

#[test]
fn variables() {
    assert_eq!(words("echo $HOME"), ["echo", "/tmp"]);
    assert_eq!(words("echo ${USER}x $USER.x"), ["echo", "userx", "user.x"]);
    assert_eq!(words("echo \"$USER is $SP\""), ["echo", "user is a b"]);
    assert_eq!(words("echo '$USER'"), ["echo", "$USER"]);
    assert_eq!(words("echo $? $$"), ["echo", "127", "42"]);
    assert_eq!(words("echo \"${?}\""), ["echo", "127"]);
    assert_eq!(words("echo $NOPE x"), ["echo", "x"]);
    assert_eq!(words("echo \"$NOPE\" x"), ["echo", "", "x"]);
    assert_eq!(words("echo $EMPTY"), ["echo"]);
    assert_eq!(words("echo $ a$"), ["echo", "$", "a$"]);
    assert_eq!(words("echo $SP"), ["echo", "a b"]);
}

#[test]
fn tilde() {
    assert_eq!(words("cd ~"), ["cd", "/tmp"]);
    assert_eq!(words("cd ~/x a~ '~'"), ["cd", "/tmp/x", "a~", "~"]);
    assert_eq!(words("echo ~user"), ["echo", "~user"]);
    struct Root;
    impl Vars for Root {
        fn var(&self, name: &str) -> Option<String> {
            (name == "HOME").then(|| "/".into())
        }
        fn status(&self) -> i32 {
            0
        }
        fn pid(&self) -> u32 {
            1
        }
    }
    let s = parse("cd ~/x ~").unwrap();
    let w = expand_words(&s.lists[0].first.commands[0].words, &Root);
    assert_eq!(w, ["cd", "/x", "/"]);
}

#[test]
fn comments() {
    assert_eq!(words("echo a # b c"), ["echo", "a"]);
    assert_eq!(words("echo a#b"), ["echo", "a#b"]);
    assert_eq!(parse("# only a comment").unwrap().lists.len(), 0);
    assert_eq!(parse("").unwrap(), Script::default());
    assert_eq!(
        parse("  \n ; ").unwrap_err(),
        SyntaxError::Unexpected(";".into())
    );
}

#[test]
fn pipelines_and_lists() {
    let s = parse("a | b | c; d && e || f").unwrap();
    assert_eq!(s.lists.len(), 2);
    assert_eq!(s.lists[0].first.commands.len(), 3);
    assert_eq!(s.lists[1].rest.len(), 2);
    assert_eq!(s.lists[1].rest[0].0, Connector::And);
    assert_eq!(s.lists[1].rest[1].0, Connector::Or);
    let s = parse("a;b;").unwrap();
    assert_eq!(s.lists.len(), 2);
    let s = parse("a\nb\n\nc").unwrap();
    assert_eq!(s.lists.len(), 3);
    let s = parse("a |\n b &&\n c").unwrap();
    assert_eq!(s.lists[0].first.commands.len(), 2);
    assert_eq!(s.lists[0].rest.len(), 1);
    let s = parse("a|b&&c||d;e").unwrap();
    assert_eq!(s.lists.len(), 2);
}

#[test]
fn redirections() {
    let s = parse("cat < in > out 2>> err").unwrap();
    let c = &s.lists[0].first.commands[0];
    assert_eq!(expand_words(&c.words, &V), ["cat"]);
    let r: Vec<(i32, RedirKind, String)> = c
        .redirects
        .iter()
        .map(|r| (r.fd, r.kind.clone(), expand(&r.target, &V).unwrap()))
        .collect();
    assert_eq!(
        r,
        [
            (0, RedirKind::In, "in".into()),
            (1, RedirKind::Out, "out".into()),
            (2, RedirKind::Append, "err".into())
        ]
    );
    let s = parse("ls >out 2>&1").unwrap();
    let c = &s.lists[0].first.commands[0];
    assert_eq!(c.redirects[1].kind, RedirKind::Dup(1));
    assert_eq!(c.redirects[1].fd, 2);
    let s = parse("echo hi>$HOME/f").unwrap();
    let c = &s.lists[0].first.commands[0];
    assert_eq!(expand(&c.redirects[0].target, &V).unwrap(), "/tmp/f");
    // A quoted digit is a word, not a descriptor.
    let s = parse("echo '2'>f").unwrap();
    let c = &s.lists[0].first.commands[0];
    assert_eq!(expand_words(&c.words, &V), ["echo", "2"]);
    assert_eq!(c.redirects[0].fd, 1);
    // Redirection alone is a command (truncates a file).
    assert!(parse("> f").is_ok());
}

#[test]
fn assignments() {
    let s = parse("A=1 B='x y' env").unwrap();
    let c = &s.lists[0].first.commands[0];
    assert_eq!(c.assigns.len(), 2);
    assert_eq!(c.assigns[1].0, "B");
    assert_eq!(expand(&c.assigns[1].1, &V).unwrap(), "x y");
    assert_eq!(expand_words(&c.words, &V), ["env"]);
    let s = parse("X=$HOME").unwrap();
    let c = &s.lists[0].first.commands[0];
    assert!(c.words.is_empty());
    assert_eq!(expand(&c.assigns[0].1, &V).unwrap(), "/tmp");
    // After the command name, NAME=value is an ordinary word.
    let s = parse("echo A=1").unwrap();
    assert_eq!(s.lists[0].first.commands[0].words.len(), 2);
    // Not a valid name: a word.
    let s = parse("1A=x").unwrap();
    assert!(s.lists[0].first.commands[0].assigns.is_empty());
}

#[test]
fn syntax_errors() {
    assert_eq!(err("echo 'abc"), "syntax error: unterminated quote");
    assert_eq!(err("echo \"abc"), "syntax error: unterminated quote");
    assert_eq!(err("echo \"a\\"), "syntax error: unterminated quote");
    assert_eq!(err("echo ${HOME"), "syntax error: unterminated ${");
    assert_eq!(err("echo ${1x}"), "syntax error: bad substitution");
    assert_eq!(err("| a"), "syntax error near unexpected token `|'");
    assert_eq!(err("a | | b"), "syntax error near unexpected token `|'");
    assert_eq!(
        err("a &&"),
        "syntax error: unexpected end of input after `&&'"
    );
    assert_eq!(
        err("a |"),
        "syntax error: unexpected end of input after `|'"
    );
    assert_eq!(err("a && ; b"), "syntax error near unexpected token `;'");
    assert_eq!(err("a >"), "syntax error: missing file name after `>'");
    assert_eq!(err("a > | b"), "syntax error: missing file name after `>'");
    assert_eq!(err("a & b"), "syntax error near unexpected token `&'");
    assert_eq!(err("a ;; b"), "syntax error near unexpected token `;;'");
    assert_eq!(err("a >&x"), "syntax error near unexpected token `>&x'");
}

#[test]
fn garbage_never_panics() {
    let alphabet: Vec<char> = "ab $?{}'\"\\|&;<>#~=\n\t2é".chars().collect();
    let mut x: u64 = 0x1234_5678;
    for _ in 0..20_000 {
        let mut s = String::new();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        for i in 0..(x % 24) {
            s.push(alphabet[((x >> (i * 2 % 40)) as usize + i as usize) % alphabet.len()]);
        }
        if let Ok(script) = parse(&s) {
            for l in &script.lists {
                for c in &l.first.commands {
                    let _ = expand_words(&c.words, &V);
                }
            }
        }
        let _ = eval(&s);
        let _ = Store::parse(&s);
    }
}

#[test]
fn calc_evaluates() {
    assert_eq!(eval("1 + 2 * 3"), Ok(7));
    assert_eq!(eval("(1 + 2) * 3"), Ok(9));
    assert_eq!(eval("10 - 4 - 3"), Ok(3));
    assert_eq!(eval("100 / 10 / 5"), Ok(2));
    assert_eq!(eval("-7 / 2"), Ok(-3));
    assert_eq!(eval("-7 % 3"), Ok(-1));
    assert_eq!(eval("--5"), Ok(5));
    assert_eq!(eval("-(2+3)*-2"), Ok(10));
    assert_eq!(eval("+4"), Ok(4));
    assert_eq!(eval("2*(3+(4-1))%5"), Ok(2));
    assert_eq!(eval("9223372036854775807"), Ok(i64::MAX));
}

#[test]
fn calc_errors() {
    assert_eq!(eval("1/0"), Err(CalcError::DivisionByZero));
    assert_eq!(eval("1%(2-2)"), Err(CalcError::DivisionByZero));
    assert_eq!(eval("9223372036854775807 + 1"), Err(CalcError::Overflow));
    assert_eq!(
        eval("(0-9223372036854775807-1) / -1"),
        Err(CalcError::Overflow)
    );
    assert_eq!(
        eval("99999999999999999999"),
        Err(CalcError::NumberTooLarge("99999999999999999999".into()))
    );
    assert_eq!(eval("2 +"), Err(CalcError::UnexpectedEnd));
    assert_eq!(eval("(2"), Err(CalcError::UnexpectedEnd));
    assert_eq!(eval("2)"), Err(CalcError::Unexpected(")".into())));
    assert_eq!(eval("2 3"), Err(CalcError::Unexpected("3".into())));
    assert_eq!(eval("2 ^ 3"), Err(CalcError::BadChar('^')));
    assert_eq!(eval(""), Err(CalcError::Empty));
    assert_eq!(eval(&"(".repeat(10_000)), Err(CalcError::TooDeep));
    assert_eq!(eval(&"-".repeat(10_000)), Err(CalcError::TooDeep));
    assert_eq!(CalcError::DivisionByZero.to_string(), "division by zero");
}

#[test]
fn kv_round_trip() {
    let mut s = Store::default();
    s.set("b", "two\tparts\nline \\ back").unwrap();
    s.set("a", "1").unwrap();
    s.set("a", "one").unwrap();
    assert_eq!(s.get("a"), Some("one"));
    assert_eq!(s.entries()[0].0, "a");
    let text = s.to_text();
    assert_eq!(text.lines().count(), 2);
    assert_eq!(Store::parse(&text).unwrap(), s);
    assert!(s.del("a"));
    assert!(!s.del("a"));
    assert_eq!(s.get("a"), None);
    assert_eq!(
        s.set("bad key", "x"),
        Err(KvError::BadKey("bad key".into()))
    );
    assert!(!valid_key(""));
    assert!(!valid_key(&"k".repeat(65)));
    assert!(valid_key("user.name:1/x-y_z"));
}

#[test]
fn kv_corrupt_files() {
    assert!(matches!(
        Store::parse("novalue\n"),
        Err(KvError::Corrupt(1, _))
    ));
    assert!(matches!(
        Store::parse("a\tb\nbad key\tx\n"),
        Err(KvError::Corrupt(2, _))
    ));
    assert!(matches!(
        Store::parse("a\tb\\q\n"),
        Err(KvError::Corrupt(1, _))
    ));
    assert!(matches!(
        Store::parse("a\tb\\"),
        Err(KvError::Corrupt(1, _))
    ));
    assert_eq!(Store::parse("").unwrap(), Store::default());
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn options() {
    let o = parse_opts(&strs(&["-la", "x", "-n", "5", "y"]), "la", "n").unwrap();
    assert!(o.has('l') && o.has('a') && !o.has('n'));
    assert_eq!(o.value('n'), Some("5"));
    assert_eq!(o.operands, ["x", "y"]);
    let o = parse_opts(&strs(&["-n3", "--", "-l", "-"]), "l", "n").unwrap();
    assert_eq!(o.value('n'), Some("3"));
    assert_eq!(o.operands, ["-l", "-"]);
    assert!(!o.has('l'));
    assert!(parse_opts(&strs(&["--help"]), "", "").unwrap().help);
    assert_eq!(
        parse_opts(&strs(&["-z"]), "l", ""),
        Err(OptError::Unknown('z'))
    );
    assert_eq!(
        parse_opts(&strs(&["-n"]), "", "n"),
        Err(OptError::MissingValue('n'))
    );
    assert_eq!(
        parse_opts(&strs(&["--bogus"]), "", ""),
        Err(OptError::UnknownLong("--bogus".into()))
    );
    assert_eq!(OptError::Unknown('z').to_string(), "invalid option -- 'z'");
    assert_eq!(parse_opts(&strs(&["-"]), "", "").unwrap().operands, ["-"]);
}

#[test]
fn modes_and_counts() {
    assert_eq!(parse_octal_mode("755"), Some(0o755));
    assert_eq!(parse_octal_mode("0644"), Some(0o644));
    assert_eq!(parse_octal_mode("8"), None);
    assert_eq!(parse_octal_mode("77777"), None);
    assert_eq!(parse_octal_mode(""), None);
    assert_eq!(parse_octal_mode("rwx"), None);
    assert_eq!(parse_count("10"), Some(10));
    assert_eq!(parse_count("-1"), None);
    assert_eq!(parse_count("99999999999999999999"), None);
    assert_eq!(mode_string(0o040755), "drwxr-xr-x");
    assert_eq!(mode_string(0o100644), "-rw-r--r--");
    assert_eq!(mode_string(0o020620), "crw--w----");
}

#[test]
fn dates() {
    assert_eq!(date_string(0), "Thu Jan  1 00:00:00 UTC 1970");
    assert_eq!(date_string(1_795_640_457), "Wed Nov 25 21:00:57 UTC 2026");
    assert_eq!(iso_date(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(short_date(1_795_640_457), "Nov 25 21:00");
    assert_eq!(civil_from_days(-1), (1969, 12, 31));
    assert_eq!(date_string(-86_400), "Wed Dec 31 00:00:00 UTC 1969");
}

#[test]
fn wc_counts() {
    let mut c = Counts::default();
    let mut w = false;
    c.add(b"hello wor", &mut w);
    c.add(b"ld\n two  three\n", &mut w);
    assert_eq!(
        c,
        Counts {
            lines: 2,
            words: 4,
            bytes: 24
        }
    );
    let mut e = Counts::default();
    e.add(b"", &mut false);
    assert_eq!(e, Counts::default());
}

#[test]
fn misc_fmt() {
    assert_eq!(human_size(512), "512B");
    assert_eq!(human_size(1536), "1.5K");
    assert_eq!(cpu_time(61_230_000_000), "1:01.23");
    assert_eq!(c_field(b"init\0\0\0"), "init");
    assert_eq!(c_field(b"full"), "full");
    assert_eq!(proc_state(2), 'S');
}
