//! Every seed tool on its success path and its error path.

use swiftos_tests::Guest;

fn session(name: &str, user: &str) -> Guest {
    let mut g = Guest::boot_default(name).unwrap();
    g.login(user, user).unwrap();
    g
}

/// Each tool answers `--help` with a usage line and exit status 0.
#[test]
fn every_tool_answers_help() {
    let mut g = session("tools_help", "user");
    for tool in [
        "ls", "cat", "echo", "pwd", "ps", "top", "id", "mkdir", "rmdir", "rm", "mv", "chmod",
        "chown", "head", "touch", "wc", "date", "calc", "kv", "uname", "poweroff", "reboot",
    ] {
        let (out, code) = g.run_status(&format!("{tool} --help")).unwrap();
        assert_eq!(code, 0, "{tool} --help exit status; output:\n{out}");
        assert!(
            out.to_lowercase().contains("usage"),
            "{tool} --help lacks a usage line:\n{out}"
        );
    }
}

#[test]
fn file_tools_success_and_errors() {
    let mut g = session("tools_files", "user");
    g.run("cd /tmp").unwrap();
    assert_eq!(g.run_status("mkdir -p a/b/c").unwrap().1, 0);
    assert_eq!(g.run_status("touch a/b/c/x").unwrap().1, 0);
    assert!(g.run("ls a/b/c").unwrap().contains('x'));
    let long = g.run("ls -l a/b/c").unwrap();
    assert!(long.contains("-rw"), "ls -l: {long}");
    g.run("echo hello > a/h").unwrap();
    assert_eq!(g.run("cat a/h").unwrap(), "hello\n");
    assert_eq!(g.run_status("mv a/h a/b/moved").unwrap().1, 0);
    assert_eq!(g.run("cat a/b/moved").unwrap(), "hello\n");
    assert_eq!(g.run_status("chmod 600 a/b/moved").unwrap().1, 0);
    assert!(g.run("ls -l a/b/moved").unwrap().starts_with("-rw-------"));
    assert_eq!(
        g.run("wc -c a/b/moved").unwrap().split_whitespace().next(),
        Some("6")
    );
    let (out, code) = g.run_status("rmdir a/b").unwrap();
    assert_ne!(code, 0);
    assert!(out.contains("not empty"), "{out}");
    assert_eq!(g.run_status("rm -r a").unwrap().1, 0);
    let (out, code) = g.run_status("cat a/h").unwrap();
    assert_ne!(code, 0);
    assert!(out.contains("No such file or directory"), "{out}");
    for bad in [
        "cat /nope",
        "ls /nope",
        "head -n 2 /nope",
        "wc /nope",
        "rm /tmp/nope",
        "mv /tmp/nope /tmp/x",
    ] {
        let (out, code) = g.run_status(bad).unwrap();
        assert_ne!(code, 0, "{bad} should fail");
        assert!(out.contains("No such file or directory"), "{bad}: {out}");
    }
    let (out, code) = g.run_status("head -n notanumber /etc/passwd").unwrap();
    assert_ne!(code, 0);
    assert!(!out.is_empty());
}

#[test]
fn info_tools() {
    let mut g = session("tools_info", "user");
    assert!(g.run("uname -a").unwrap().contains("SwiftOS"));
    assert!(g.run("uname").unwrap().contains("SwiftOS"));
    let date = g.run("date").unwrap();
    assert!(date.contains("20"), "date: {date}");
    let ps = g.run("ps").unwrap();
    assert!(ps.contains("PID"), "ps: {ps}");
    assert!(ps.contains("sh"), "ps: {ps}");
    let top = g.run("top -n 1").unwrap();
    assert!(top.to_lowercase().contains("cpu"), "top: {top}");
    assert!(g.run("id").unwrap().contains("uid=1000(user)"));
    assert_eq!(g.run("echo hi").unwrap(), "hi\n");
    assert_eq!(g.run("head -n 1 /etc/passwd").unwrap().lines().count(), 1);
}

#[test]
fn calc_and_kv() {
    let mut g = session("tools_calc_kv", "user");
    assert_eq!(g.run("calc '2 + 3 * (4 - 1)'").unwrap().trim(), "11");
    assert_eq!(g.run("calc -- -7 / 2").unwrap().trim(), "-3");
    let (out, code) = g.run_status("calc '1 / 0'").unwrap();
    assert_ne!(code, 0);
    assert!(out.to_lowercase().contains("division by zero"), "{out}");
    let (_, code) = g.run_status("calc '2 +'").unwrap();
    assert_ne!(code, 0);
    assert_eq!(g.run_status("kv set color blue").unwrap().1, 0);
    assert_eq!(g.run("kv get color").unwrap().trim(), "blue");
    assert!(g.run("kv list").unwrap().contains("color"));
    assert_eq!(g.run_status("kv del color").unwrap().1, 0);
    assert_ne!(g.run_status("kv get color").unwrap().1, 0);
}

#[test]
fn chown_as_root() {
    let mut g = session("tools_chown", "root");
    g.run("touch /tmp/owned").unwrap();
    assert_eq!(g.run_status("chown user /tmp/owned").unwrap().1, 0);
    assert!(g.run("ls -l /tmp/owned").unwrap().contains("user"));
    let (out, code) = g.run_status("chown nosuchuser /tmp/owned").unwrap();
    assert_ne!(code, 0);
    assert!(out.contains("nosuchuser"), "{out}");
}

/// docs/COMMAND_REFERENCE.md documents every program the image ships.
#[test]
fn command_reference_covers_every_program() {
    let doc = std::fs::read_to_string(swiftos_tests::repo_root().join("docs/COMMAND_REFERENCE.md"))
        .unwrap();
    let mut g = Guest::boot_default("tools_doc_coverage").unwrap();
    g.login("user", "user").unwrap();
    let listing = g.run("ls /bin").unwrap();
    let names: Vec<&str> = listing.split_whitespace().collect();
    assert!(names.len() > 20, "ls /bin: {listing}");
    for name in names {
        assert!(
            doc.contains(&format!("### `{name}`")),
            "docs/COMMAND_REFERENCE.md does not document /bin/{name}"
        );
    }
}
