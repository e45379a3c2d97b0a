//! Authority and isolation: read-only base, /tmp, capabilities, bad programs.

use std::time::Duration;
use swiftos_tests::Guest;

#[test]
fn tmp_round_trip_and_read_only_base() {
    let mut g = Guest::boot_default("sec_tmp_rofs").unwrap();
    g.login("user", "user").unwrap();
    g.run("echo data > /tmp/round").unwrap();
    assert_eq!(g.run("cat /tmp/round").unwrap(), "data\n");
    let (out, code) = g.run_status("echo x > /etc/passwd").unwrap();
    assert_ne!(code, 0);
    assert!(out.contains("Read-only file system"), "{out}");
    let (out, code) = g.run_status("mkdir /newdir").unwrap();
    assert_ne!(code, 0);
    assert!(out.contains("Read-only file system"), "{out}");
}

#[test]
fn guest_is_denied_what_its_capabilities_withhold() {
    let mut g = Guest::boot_default("sec_guest").unwrap();
    g.login("guest", "guest").unwrap();
    let (out, code) = g.run_status("touch /tmp/guestfile").unwrap();
    assert_ne!(code, 0);
    assert!(out.contains("Permission denied"), "{out}");
    // Reading is allowed.
    assert!(g.run("cat /etc/passwd").unwrap().contains("root"));
    // Other principals' processes are invisible without capProcessInspect.
    let ps = g.run("ps").unwrap();
    assert!(!ps.contains("init"), "guest sees init:\n{ps}");
    let (out, code) = g.run_status("kill 1").unwrap();
    assert_ne!(code, 0, "guest killed init: {out}");
    let (out, code) = g.run_status("poweroff").unwrap();
    assert_ne!(code, 0);
    assert!(
        out.contains("Permission denied") || out.contains("not permitted"),
        "{out}"
    );
}

#[test]
fn bad_pointer_and_malformed_elf_are_contained() {
    let mut g = Guest::boot_default("sec_badptr").unwrap();
    g.login("user", "user").unwrap();
    let (out, code) = g.run_status("badptr").unwrap();
    // Killed by SIGSEGV after its EFAULT checks: 128 + 11.
    assert_eq!(code, 139, "{out}");
    assert!(
        out.contains("EFAULT") || out.contains("Bad address"),
        "{out}"
    );
    assert!(g.transcript().contains("killed"), "no kernel kill message");
    let (out, code) = g.run_status("/bin/badelf").unwrap();
    assert_ne!(code, 0);
    assert!(out.contains("Exec format error"), "{out}");
    // W^X: a segment asking for a writable and executable page is refused.
    let (out, code) = g.run_status("/bin/rwxelf").unwrap();
    assert_eq!(code, 126, "{out}");
    assert!(out.contains("Exec format error"), "{out}");
    assert!(g.transcript().contains("writable and executable"));
    // The system is still up.
    assert_eq!(g.run("echo alive").unwrap(), "alive\n");
}

#[test]
fn ctrl_c_stops_a_running_program() {
    let mut g = Guest::boot_default("sec_ctrl_c").unwrap();
    g.login("user", "user").unwrap();
    g.send_line("spin").unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    g.send(b"\x03").unwrap();
    g.expect("$ ").unwrap();
    // Killed by SIGINT: the shell reports 128 + 2.
    assert_eq!(g.run("echo $?").unwrap().trim(), "130");
    assert_eq!(g.run("echo back").unwrap(), "back\n");
}
