//! `init` (PID 1): activates the installed packages (`/bin/pkg activate --boot`, when the
//! package store is mounted at `/pkg`), starts `/bin/console-login` on the console, starts it
//! again after every logout, and reaps orphaned processes.
#![no_std]
#![no_main]

use swiftos_abi::fcntl::{CONSOLE_COOKED, O_RDWR};
use swiftos_programs::*;
use swiftos_rt::process::{wait_any, Command};
use swiftos_rt::{eprintln, sys, time};
swiftos_rt::entry!(main);

const LOGIN: &str = "/bin/console-login";
const PKG: &str = "/bin/pkg";

/// Is the package store mounted at `/pkg` (a different device than `/`)?
fn store_mounted() -> bool {
    match (sys::stat("/"), sys::stat("/pkg")) {
        (Ok(root), Ok(pkg)) => root.st_dev != pkg.st_dev,
        _ => false,
    }
}

/// Put the active (or last good) package generation on the `/usr` overlay. Its own messages
/// go to the console; whatever its status, booting continues.
fn activate_packages(env: &[String]) {
    if sys::stat(PKG).is_err() || !store_mounted() {
        return;
    }
    match Command::new(PKG)
        .args(&["activate", "--boot"])
        .env_list(env)
        .status()
    {
        Ok(st) if st.success() => {}
        Ok(st) => {
            let _ = sys::kernel_log(&format!(
                "init: {PKG} activate --boot failed (status {}); continuing",
                st.code()
            ));
        }
        Err(e) => {
            let _ = sys::kernel_log(&format!(
                "init: cannot start {PKG}: {}; continuing",
                e.description()
            ));
        }
    }
}

/// Make sure descriptors 0, 1 and 2 are the console.
fn console_fds() {
    if sys::fstat(0).is_ok() && sys::fstat(1).is_ok() && sys::fstat(2).is_ok() {
        return;
    }
    if let Ok(fd) = sys::open("/dev/console", O_RDWR, 0) {
        for want in 0..3 {
            if fd != want {
                let _ = sys::dup2(fd, want);
            }
        }
        if fd > 2 {
            let _ = sys::close(fd);
        }
    }
}

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    if args.get(1).map(String::as_str) == Some("--help") {
        swiftos_rt::print!(
            "Usage: init\nThe first process: activates packages ({PKG} activate --boot), runs {LOGIN} on the console and restarts it after logout.\nExample: (started by the kernel)\n"
        );
        return 0;
    }
    console_fds();
    // Ctrl-C on the console must never take down PID 1.
    let _ = sys::sigint_mode(true);
    let env = vec![String::from("PATH=/bin:/usr/bin")];
    activate_packages(&env);
    let _ = sys::kernel_log("init: starting console-login");
    let mut failures = 0u32;
    loop {
        let _ = sys::console_mode(CONSOLE_COOKED);
        let started = time::monotonic_ns();
        let pid = match Command::new(LOGIN).env_list(&env).spawn() {
            Ok(p) => p,
            Err(e) => {
                eprintln!("init: cannot start {LOGIN}: {}", e.description());
                failures += 1;
                let _ = time::sleep_ms(1000 * u64::from(failures.min(5)));
                continue;
            }
        };
        let _ = sys::set_foreground(pid);
        // Reap everything until the login session ends; orphans are re-parented to us.
        loop {
            match wait_any() {
                Ok((p, _)) if p == pid => break,
                Ok(_) => {}
                Err(Errno::ECHILD) => break,
                Err(_) => {
                    let _ = time::sleep_ms(100);
                }
            }
        }
        let _ = sys::set_foreground(sys::getpid());
        // A login that dies at once (broken image) must not spin the CPU.
        if time::monotonic_ns().saturating_sub(started) < 1_000_000_000 {
            failures += 1;
            let _ = time::sleep_ms(200 * u64::from(failures.min(10)));
        } else {
            failures = 0;
        }
    }
}
