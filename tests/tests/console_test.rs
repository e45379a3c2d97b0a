//! Console and account polish: password hashes only in the root-only `/etc/shadow`, Ctrl-C at
//! the shell and login prompts (the line is discarded and a fresh prompt appears), and SIGPIPE
//! ending a writer whose reader finished early without any error text, and keys typed while the
//! machine boots.

use swiftos_tests::Guest;

/// Log out of the current shell and wait for `login:` to come back (consumed by `login`).
fn logout(g: &mut Guest) {
    g.send_line("exit").unwrap();
}

#[test]
fn shadow_is_readable_by_root_only_and_everyone_still_logs_in() {
    let mut g = Guest::boot_default("console_shadow").unwrap();
    for name in ["user", "guest"] {
        g.login(name, name).unwrap();
        let (out, code) = g.run_status("cat /etc/shadow").unwrap();
        assert_ne!(code, 0, "{name} read /etc/shadow: {out}");
        assert!(out.contains("Permission denied"), "{name}: {out}");
        assert!(!out.contains("pbkdf2"), "{name} saw a hash: {out}");
        // The world-readable account list carries no hashes.
        let passwd = g.run("cat /etc/passwd").unwrap();
        assert!(passwd.contains(&format!("{name}:")), "{passwd}");
        assert!(!passwd.contains("pbkdf2"), "hash in /etc/passwd: {passwd}");
        let ls = g.run("ls -l /etc/shadow").unwrap();
        assert!(ls.starts_with("-rw-------"), "{ls}");
        assert!(ls.contains("root"), "{ls}");
        logout(&mut g);
    }
    g.login("root", "root").unwrap();
    let (out, code) = g.run_status("cat /etc/shadow").unwrap();
    assert_eq!(code, 0, "{out}");
    for name in ["root", "user", "guest"] {
        assert!(
            out.contains(&format!("{name}:pbkdf2-sha256$2000$")),
            "{name} missing: {out}"
        );
    }
    // A wrong password is still refused.
    logout(&mut g);
    g.expect("login: ").unwrap();
    g.send_line("user").unwrap();
    g.expect("Password: ").unwrap();
    g.send_line("nope").unwrap();
    g.expect("Login incorrect").unwrap();
    g.login("user", "user").unwrap();
    assert_eq!(g.run("whoami").unwrap(), "user\n");
}

#[test]
fn ctrl_c_at_the_prompt_discards_the_line_and_prompts_again() {
    let mut g = Guest::boot_default("console_ctrl_c_prompt").unwrap();
    // At `login:` too: the partial name is dropped and the prompt comes back.
    g.expect("login: ").unwrap();
    g.send(b"us").unwrap();
    g.expect("us").unwrap();
    g.send(b"\x03").unwrap();
    g.expect("^C").unwrap();
    g.login("user", "user").unwrap();

    g.send(b"abc").unwrap();
    g.expect("abc").unwrap();
    g.send(b"\x03").unwrap();
    g.expect("^C").unwrap();
    // A fresh prompt on a new line, with nothing run in between.
    let between = g.expect("$ ").unwrap().replace("\r\n", "\n");
    assert!(between.starts_with('\n'), "{between:?}");
    assert_eq!(between.trim(), "user@swiftos:/tmp", "{between:?}");
    assert_eq!(g.run("echo ok").unwrap(), "ok\n");
    assert!(
        !g.transcript().contains("abc: command not found"),
        "the interrupted line ran"
    );
    // Ctrl-C in a continuation line (`> `) drops the whole unfinished command.
    g.send_line("echo 'open").unwrap();
    g.expect("> ").unwrap();
    g.send(b"\x03").unwrap();
    g.expect("^C").unwrap();
    g.expect("$ ").unwrap();
    assert_eq!(g.run("echo again").unwrap(), "again\n");
    // Ctrl-C still stops a foreground program and the shell survives it.
    g.send_line("spin").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(800));
    g.send(b"\x03").unwrap();
    g.expect("$ ").unwrap();
    assert_eq!(g.run("echo $?").unwrap(), "130\n");
}

/// A person who types before the system is up: the keys wait in the UART and are read once the
/// kernel runs, and the console keeps answering afterwards. (Typed-ahead bytes used to leave a
/// full FIFO whose interrupt the kernel had cleared, and the console never answered again.)
#[test]
fn keys_typed_while_booting_are_kept_and_the_console_keeps_working() {
    let mut g = Guest::boot_default("console_typeahead").unwrap();
    // Sent the moment QEMU starts, long before the kernel enables the UART's interrupt.
    g.send(b"user\ruser\r").unwrap();
    g.expect("$ ").unwrap();
    assert_eq!(g.run("whoami").unwrap(), "user\n");
    assert_eq!(g.run("echo still typing").unwrap(), "still typing\n");
}

#[test]
fn writer_without_reader_dies_quietly_of_sigpipe() {
    let mut g = Guest::boot_default("console_sigpipe").unwrap();
    g.login("user", "user").unwrap();
    let (out, code) = g
        .run_status("cat /bin/sh /bin/sh | head -n 1 | wc -l")
        .unwrap();
    assert_eq!(out.trim(), "1", "{out}");
    assert!(!out.contains("Broken pipe"), "{out}");
    assert!(!out.contains("error"), "{out}");
    assert_eq!(code, 0, "{out}");
    // The writer really was killed by SIGPIPE (not just silenced): an inner shell records
    // 128 + 13 for it.
    let (out, code) = g
        .run_status(
            "sh -c 'cat /bin/sh /bin/sh; echo $? > /tmp/cat-status' | head -n 1 > /dev/null; \
             cat /tmp/cat-status",
        )
        .unwrap();
    assert_eq!(out, "141\n", "{out}");
    assert_eq!(code, 0, "{out}");
}
