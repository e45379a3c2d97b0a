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

/// With no disk attached the kernel runs its built-in EL0 self-test as pid 1: a bad pointer
/// gives EFAULT, the timer works, 50,000 system calls with random numbers (every call number
/// below `nr::COUNT` except those that may block or print) and random arguments (garbage,
/// kernel-looking and user addresses) leave the kernel standing, and a NULL dereference kills
/// only the program.
#[test]
fn kernel_selftest_survives_random_system_calls() {
    let cfg = swiftos_tests::QemuConfig {
        base_image: None,
        ..swiftos_tests::QemuConfig::default()
    };
    let mut g = Guest::boot("kernel_selftest", &cfg).unwrap();
    let long = Duration::from_secs(240);
    g.expect_within("selftest: bad pointer -> EFAULT ok", long)
        .unwrap();
    g.expect_within("selftest: random system calls survived", long)
        .unwrap();
    g.expect_within("killed: data abort at 0x0", long).unwrap();
    g.expect_within("init exited", long).unwrap();
    g.wait_exit(long).unwrap();
}
