//! `cargo xtask run` as a user meets it: a second run on the same package store is refused in
//! words, a second run while the first holds the guest's DNS port is refused naming the holder,
//! and killing the run command (SIGKILL: nothing of it can clean up) leaves none of the servers
//! and machines it started running.
//!
//! Ignored in the plain QEMU phase: the run command publishes the seed repository (Lua), so
//! `cargo xtask test` runs it after the port phase.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use swiftos_tests::net::free_port;
use swiftos_tests::{repo_root, target_dir, Guest};

fn run_command(store: &Path, repo_port: u16, httpd_port: u16) -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(repo_root())
        .args(["xtask", "run", "--store"])
        .arg(store)
        .args(["--repo-port", &repo_port.to_string()])
        .args(["--httpd-port", &httpd_port.to_string()]);
    c
}

/// The parent process id and short name of a live process (`None` when gone or a zombie).
fn stat(pid: u32) -> Option<(u32, String)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (head, tail) = text.rsplit_once(") ")?;
    let name = head.split_once(" (")?.1.to_string();
    let mut f = tail.split_whitespace();
    let state = f.next()?;
    let ppid = f.next()?.parse().ok()?;
    (state != "Z").then_some((ppid, name))
}

/// Every live descendant of `root`, with its name.
fn descendants(root: u32) -> Vec<(u32, String)> {
    let procs: Vec<(u32, u32, String)> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
        .filter_map(|pid| stat(pid).map(|(ppid, name)| (pid, ppid, name)))
        .collect();
    let mut out: Vec<(u32, String)> = Vec::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for (pid, ppid, name) in &procs {
            if *ppid == p {
                out.push((*pid, name.clone()));
                frontier.push(*pid);
            }
        }
    }
    out
}

fn fresh_dir(name: &str) -> PathBuf {
    let d = target_dir().join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
#[ignore = "publishes the seed repository (Lua): run by `cargo xtask test` after the port phase"]
fn run_command_owns_its_store_and_ports_and_leaves_nothing_behind_when_killed() {
    let dir = fresh_dir("run-command-test");
    let store = dir.join("store.img");
    let mut first = Guest::start(
        "run_command_first",
        run_command(&store, free_port(), free_port()),
    )
    .unwrap();
    first
        .expect_within("login: ", Duration::from_secs(30 * 60))
        .unwrap();

    // A second run on the same store: refused before it builds or starts anything.
    let second = run_command(&store, free_port(), free_port())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(
        !second.status.success(),
        "a second run on one store started:\n{said}"
    );
    assert!(
        said.contains("is in use by another `cargo xtask run`")
            && said.contains(&format!("process {}", first.qemu_pid())),
        "{said}"
    );

    // A second run on another store: the guest's DNS port is the first run's.
    let other = run_command(&dir.join("other.img"), free_port(), free_port())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&other.stderr);
    assert!(!other.status.success(), "{said}");
    assert!(
        said.contains("127.0.0.1:15353") && said.contains("(dnsmasq)"),
        "{said}"
    );
    assert!(
        !dir.join("other.img").exists(),
        "a refused run made a store"
    );

    // What the first run started (the test is worthless if it finds nothing to check).
    let run_pid = first.qemu_pid();
    let started = descendants(run_pid);
    for wanted in ["qemu-system-aar", "dnsmasq", "repo-server"] {
        assert!(
            started.iter().any(|(_, n)| n == wanted),
            "{wanted} not among the run's children: {started:?}"
        );
    }
    // SAFETY: kill(2) on a process id this test started and has not yet reaped.
    let rc = unsafe { libc::kill(run_pid as i32, libc::SIGKILL) };
    assert_eq!(rc, 0);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut alive: Vec<&(u32, String)> = started.iter().collect();
    while !alive.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        alive.retain(|(pid, name)| stat(*pid).is_some_and(|(_, n)| &n == name));
    }
    assert!(
        alive.is_empty(),
        "still running 20 s after the run command was killed: {alive:?}"
    );
    drop(first);
    // The store is free again.
    let _ = std::fs::remove_dir_all(&dir);
}
