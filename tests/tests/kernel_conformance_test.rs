//! The in-guest kernel conformance program `/bin/ktest`: pipes, handle rights, spawn/exec/wait,
//! signals, memory, clocks, identity and confinement, checked from EL0 through the real ABI.

use std::time::Duration;
use swiftos_tests::Guest;

#[test]
fn ktest_passes_every_check() {
    let mut g = Guest::boot_default("ktest").unwrap();
    g.login("root", "root").unwrap();
    let (out, code) = g
        .run_status_within("ktest", Duration::from_secs(120))
        .unwrap();
    assert!(!out.contains("ktest: FAIL"), "{out}");
    assert!(out.contains("checks, 0 failed"), "{out}");
    assert_eq!(code, 0, "{out}");
    // A user-visible fault inside ktest (its SIGSEGV child) left the system up.
    assert_eq!(g.run("echo still-up").unwrap(), "still-up\n");
}

#[test]
fn ktest_as_unprivileged_user_too() {
    let mut g = Guest::boot_default("ktest_user").unwrap();
    g.login("user", "user").unwrap();
    let (out, code) = g
        .run_status_within("ktest", Duration::from_secs(120))
        .unwrap();
    assert!(out.contains("checks, 0 failed"), "{out}");
    assert_eq!(code, 0, "{out}");
}
