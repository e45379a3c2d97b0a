//! `console-login`: the console's `login:` prompt. Verifies the password against the hashes in
//! `/etc/shadow` (readable by root only; this program runs as root) for the accounts of
//! `/etc/passwd`, takes on the account's identity and capabilities, and runs its shell.
//!
//! Prompts (matched by the test harness): `login: `, `Password: ` (no echo), and
//! `Login incorrect` after a wrong name or password. Ctrl-C at either prompt starts over.
#![no_std]
#![no_main]

use swiftos_abi::fcntl::{CONSOLE_COOKED, CONSOLE_RAW};
use swiftos_accounts::{caps_to_string, parse_shadow, Account, Accounts, PASSWD_PATH, SHADOW_PATH};
use swiftos_programs::*;
use swiftos_rt::io::{STDIN, STDOUT};
use swiftos_rt::process::{wait_pid, Command};
use swiftos_rt::{eprintln, fs, print, sys, time};
swiftos_rt::entry!(main);

const HELP: &str = "Usage: console-login\n\
Prompt for a name and password on the console, then run the account's shell.\n\
Accounts come from /etc/passwd, password hashes from /etc/shadow (see `mkpasswd` on the host).\n\
Example: (started by init)\n";

/// Read one cooked line; `None` on end of input. Ctrl-C (`EINTR`) gives an empty line, so
/// the caller prompts again.
fn read_line() -> Option<String> {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    loop {
        match sys::read(STDIN, &mut b) {
            Ok(0) => {
                return if line.is_empty() {
                    None
                } else {
                    Some(lossy(&line))
                }
            }
            Ok(_) => {
                if b[0] == b'\n' || b[0] == b'\r' {
                    return Some(lossy(&line));
                }
                if line.len() < 256 {
                    line.push(b[0]);
                }
            }
            Err(Errno::EINTR) => return Some(String::new()),
            Err(_) => return None,
        }
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Read a password with the console in raw mode (no echo). `None` if cancelled.
fn read_password() -> Option<Vec<u8>> {
    let mut pw = Vec::new();
    let mut b = [0u8; 1];
    let r = loop {
        match sys::read(STDIN, &mut b) {
            Ok(0) => break None,
            Ok(_) => match b[0] {
                b'\r' | b'\n' => break Some(core::mem::take(&mut pw)),
                0x7f | 0x08 => {
                    pw.pop();
                }
                0x03 | 0x04 => break None,
                0x15 => pw.clear(),
                c => {
                    if pw.len() < 256 {
                        pw.push(c);
                    }
                }
            },
            // Ctrl-C (`EINTR`) or an error: cancel, back to `login:`.
            Err(_) => break None,
        }
    };
    let _ = sys::console_mode(CONSOLE_COOKED);
    print!("\n");
    r
}

fn banner() {
    let (sys_name, release, machine) = match sys::uname() {
        Ok(u) => (
            swiftos_shell_syntax::fmt::c_field(&u.sysname),
            swiftos_shell_syntax::fmt::c_field(&u.release),
            swiftos_shell_syntax::fmt::c_field(&u.machine),
        ),
        Err(_) => ("SwiftOS".into(), String::new(), "aarch64".into()),
    };
    print!("\n{sys_name} {release} ({machine}) - serial console\n\n");
}

/// Become `acct` and run its shell; returns when the shell exits.
fn session(acct: &Account) -> i32 {
    if let Err(e) = sys::set_identity(acct.uid, acct.gid, acct.caps) {
        eprintln!(
            "console-login: cannot switch to {}: {}",
            acct.name,
            e.description()
        );
        return 1;
    }
    let home = if sys::stat(&acct.home)
        .map(|s| fs::is_dir(&s))
        .unwrap_or(false)
    {
        acct.home.clone()
    } else {
        String::from("/")
    };
    let _ = sys::chdir(&home);
    let env = vec![
        format!("HOME={home}"),
        format!("USER={}", acct.name),
        format!("LOGNAME={}", acct.name),
        format!("SHELL={}", acct.shell),
        String::from("PATH=/bin:/usr/bin"),
    ];
    if let Ok(motd) = fs::read("/etc/motd") {
        let _ = sys::write_all(STDOUT, &motd);
    }
    let shell_name = acct.shell.rsplit('/').next().unwrap_or("sh");
    let pid = match Command::new(&acct.shell)
        .arg0(shell_name)
        .env_list(&env)
        .cwd(&home)
        .spawn()
    {
        Ok(p) => p,
        Err(e) => {
            eprintln!("console-login: {}: {}", acct.shell, e.description());
            let _ = time::sleep_ms(1000);
            return 1;
        }
    };
    let _ = sys::set_foreground(pid);
    let st = wait_pid(pid);
    let _ = sys::console_mode(CONSOLE_COOKED);
    match st {
        Ok(s) => s.code(),
        Err(_) => 1,
    }
}

/// The account database with the hashes from `/etc/shadow` filled in. A missing or malformed
/// file is reported and leaves the affected accounts locked (nobody can log in with a guess).
fn load_accounts() -> Accounts {
    let db = match fs::read_to_string(PASSWD_PATH) {
        Ok(text) => match Accounts::parse(&text) {
            Ok(db) => db,
            Err(e) => {
                eprintln!("console-login: {PASSWD_PATH}: {e}");
                return Accounts::default();
            }
        },
        Err(e) => {
            eprintln!("console-login: {PASSWD_PATH}: {}", e.description());
            return Accounts::default();
        }
    };
    let shadow = match fs::read_to_string(SHADOW_PATH) {
        Ok(text) => match parse_shadow(&text) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("console-login: {SHADOW_PATH}: {e}");
                Vec::new()
            }
        },
        Err(e) => {
            eprintln!("console-login: {SHADOW_PATH}: {}", e.description());
            Vec::new()
        }
    };
    db.with_shadow(&shadow)
}

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    if args.get(1).map(String::as_str) == Some("--help") {
        print!("{HELP}");
        return 0;
    }
    // Ctrl-C at the prompt must not kill the login program.
    let _ = sys::sigint_mode(true);
    // Own the console before the first prompt: init hands it over only after `spawn` returns,
    // and a Ctrl-C typed in between would otherwise go to init and be lost.
    let _ = sys::set_foreground(sys::getpid());
    let _ = sys::console_mode(CONSOLE_COOKED);
    banner();
    loop {
        print!("login: ");
        let Some(name) = read_line() else {
            print!("\n");
            return 0;
        };
        let name = String::from(name.trim());
        if name.is_empty() {
            continue;
        }
        // Raw mode before the prompt, so nothing typed after it is ever echoed.
        let _ = sys::console_mode(CONSOLE_RAW);
        let _ = sys::write_all(STDOUT, b"Password: ");
        let Some(password) = read_password() else {
            continue;
        };
        let db = load_accounts();
        match db.authenticate(&name, &password) {
            Some(acct) => {
                let acct = acct.clone();
                let _ = sys::kernel_log(&format!(
                    "console-login: session for {} (uid {}), caps {}",
                    acct.name,
                    acct.uid,
                    caps_to_string(acct.caps)
                ));
                return session(&acct);
            }
            None => {
                let _ = time::sleep_ms(300);
                print!("Login incorrect\n\n");
            }
        }
    }
}
