//! The native shell: quoting, variables, `$?`, lists, pipes and redirections.

use swiftos_tests::Guest;

fn user() -> Guest {
    let mut g = Guest::boot_default(&format!(
        "shell_{}",
        std::thread::current()
            .name()
            .unwrap_or("x")
            .replace("::", "_")
    ))
    .unwrap();
    g.login("user", "user").unwrap();
    g
}

#[test]
fn quoting_and_variables() {
    let mut g = user();
    assert_eq!(g.run("echo 'a  b' \"c  d\" e").unwrap(), "a  b c  d e\n");
    g.run("export GREETING=hello").unwrap();
    assert_eq!(g.run("echo \"$GREETING world\"").unwrap(), "hello world\n");
    assert_eq!(g.run("echo '$GREETING'").unwrap(), "$GREETING\n");
}

#[test]
fn exit_status_and_lists() {
    let mut g = user();
    assert_eq!(g.run_status("false").unwrap().1, 1);
    assert_eq!(g.run_status("true").unwrap().1, 0);
    assert_eq!(g.run("false && echo no; echo yes").unwrap(), "yes\n");
    assert_eq!(g.run("true && echo both").unwrap(), "both\n");
    let (out, code) = g.run_status("no-such-command").unwrap();
    assert!(out.contains("no-such-command: command not found"), "{out}");
    assert_eq!(code, 127);
}

#[test]
fn pipes_and_redirections() {
    let mut g = user();
    g.run("cd /tmp").unwrap();
    g.run("echo one > f.txt").unwrap();
    g.run("echo two >> f.txt").unwrap();
    g.run("echo three >> f.txt").unwrap();
    assert_eq!(g.run("cat f.txt").unwrap(), "one\ntwo\nthree\n");
    assert_eq!(g.run("cat f.txt | head -n 2 | wc -l").unwrap().trim(), "2");
    assert_eq!(g.run("wc -l < f.txt").unwrap().trim(), "3");
    g.run("cat < f.txt > g.txt").unwrap();
    assert_eq!(g.run("cat g.txt").unwrap(), "one\ntwo\nthree\n");
}

#[test]
fn cd_and_pwd() {
    let mut g = user();
    g.run("cd /etc").unwrap();
    assert_eq!(g.run("pwd").unwrap(), "/etc\n");
    let (out, code) = g.run_status("cd /nope").unwrap();
    assert!(out.contains("/nope"), "{out}");
    assert_ne!(code, 0);
    assert_eq!(g.run("pwd").unwrap(), "/etc\n");
}

#[test]
fn backspace_edits_and_ctrl_d_logs_out() {
    let mut g = user();
    g.send(b"echo abX\x7f\r").unwrap();
    g.expect("\r\n").unwrap();
    assert_eq!(
        g.expect("$ ").unwrap().replace("\r\n", "\n").lines().next(),
        Some("ab")
    );
    // Ctrl-D at an empty prompt ends the shell: back to login.
    g.send(b"\x04").unwrap();
    g.login("guest", "guest").unwrap();
}
