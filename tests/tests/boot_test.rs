//! Boot to `login:` and log in as each seeded account, like a person at the serial console.

use swiftos_tests::{Guest, HarnessError, QemuConfig};

#[test]
fn boots_to_login_prompt_with_kernel_banner() {
    let mut g = Guest::boot_default("boot_banner").unwrap();
    g.expect("SwiftOS kernel booting").unwrap();
    g.expect("login: ").unwrap();
    let t = g.transcript();
    assert!(!t.contains("panic"), "kernel panicked during boot:\n{t}");
}

#[test]
fn login_as_each_account_and_see_identity() {
    for (user, pass) in [("root", "root"), ("user", "user"), ("guest", "guest")] {
        let mut g = Guest::boot_default(&format!("login_{user}")).unwrap();
        g.login(user, pass).unwrap();
        let id = g.run("id").unwrap();
        assert!(id.contains(&format!("({user})")), "id for {user}: {id}");
        let who = g.run("echo $USER").unwrap();
        assert_eq!(who.trim(), user);
    }
}

#[test]
fn wrong_password_is_refused_then_right_one_works() {
    let mut g = Guest::boot_default("login_wrong_password").unwrap();
    g.expect("login: ").unwrap();
    g.send_line("user").unwrap();
    g.expect("Password: ").unwrap();
    g.send_line("not-the-password").unwrap();
    g.expect("Login incorrect").unwrap();
    // The password must never be echoed.
    assert!(!g.transcript().contains("not-the-password"));
    g.login("user", "user").unwrap();
    assert_eq!(g.run("pwd").unwrap().trim(), "/tmp");
}

#[test]
fn logout_returns_to_login_prompt() {
    let mut g = Guest::boot_default("logout").unwrap();
    g.login("user", "user").unwrap();
    g.send_line("exit").unwrap();
    g.login("guest", "guest").unwrap();
    assert!(g.run("id").unwrap().contains("(guest)"));
}

#[test]
fn poweroff_as_root_stops_the_machine() {
    let mut g = Guest::boot_default("poweroff").unwrap();
    g.login("root", "root").unwrap();
    g.send_line("poweroff").unwrap();
    let code = g.wait_exit(std::time::Duration::from_secs(60)).unwrap();
    assert_eq!(code, Some(0));
}

#[test]
fn a_qemu_that_cannot_start_is_reported_with_its_status_and_its_words() {
    let cfg = QemuConfig {
        extra: vec!["-device".into(), "no-such-device-swiftos".into()],
        ..QemuConfig::default()
    };
    let mut g = Guest::boot("qemu_refuses_to_start", &cfg).unwrap();
    match g.expect("SwiftOS kernel booting") {
        Err(e @ HarnessError::Exited { .. }) => {
            let HarnessError::Exited { status, stderr, .. } = &e else {
                unreachable!()
            };
            assert!(status.contains("exit status: 1"), "{e}");
            assert!(stderr.contains("no-such-device-swiftos"), "{e}");
            let text = e.to_string();
            assert!(text.contains("QEMU's error output"), "{text}");
        }
        other => panic!("expected QEMU to exit at once, got {other:?}"),
    }
}
