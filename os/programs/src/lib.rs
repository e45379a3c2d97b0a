//! Helpers shared by the SwiftOS base programs (`src/bin/*`): option parsing with `--help`,
//! uniform error messages (`ls: /nope: No such file or directory`) and account look-ups.
#![no_std]

extern crate alloc;

pub use swiftos_rt::prelude::*;
use swiftos_shell_syntax::opts::{parse_opts, Opts};

pub mod http;
pub mod pkgplat;

/// Parse `args` (including `argv[0]`) for tool `name`. On `--help` prints `help` and returns
/// `Err(0)`; on a bad option prints the error and a hint and returns `Err(2)`.
pub fn options(
    name: &str,
    args: &[String],
    flags: &str,
    with_value: &str,
    help: &str,
) -> Result<Opts, i32> {
    let rest = args.get(1..).unwrap_or(&[]);
    match parse_opts(rest, flags, with_value) {
        Ok(o) if o.help => {
            print!("{help}");
            Err(0)
        }
        Ok(o) => Ok(o),
        Err(e) => {
            eprintln!("{name}: {e}");
            eprintln!("Try '{name} --help' for more information.");
            Err(2)
        }
    }
}

/// Print `name: msg` plus the usage hint; returns 2 (bad usage).
pub fn usage_error(name: &str, msg: &str) -> i32 {
    eprintln!("{name}: {msg}");
    eprintln!("Try '{name} --help' for more information.");
    2
}

/// What to add to a network error message: a socket call that fails with `EACCES` means the
/// account lacks the capNet capability.
pub fn net_hint(e: Errno) -> &'static str {
    if e == Errno::EACCES {
        " (this account lacks the capNet capability)"
    } else {
        ""
    }
}

/// Copy the regular file `src` to `dst` (created or truncated, with `src`'s permission bits).
/// On failure: the path the error is about, and the error.
pub fn copy_file(src: &str, dst: &str) -> Result<(), (String, Errno)> {
    use swiftos_rt::abi::fcntl::{O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY};
    use swiftos_rt::{fs, sys};
    let st = sys::stat(src).map_err(|e| (String::from(src), e))?;
    if fs::is_dir(&st) {
        return Err((String::from(src), Errno::EISDIR));
    }
    let i = fs::File::open_with(src, O_RDONLY, 0).map_err(|e| (String::from(src), e))?;
    let o = fs::File::open_with(dst, O_WRONLY | O_CREAT | O_TRUNC, st.st_mode & 0o777)
        .map_err(|e| (String::from(dst), e))?;
    let mut buf = alloc::vec![0u8; 64 << 10];
    loop {
        match i.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => o.write_all(&buf[..n]).map_err(|e| (String::from(dst), e))?,
            Err(Errno::EINTR) => {}
            Err(e) => return Err((String::from(src), e)),
        }
    }
}

/// Print `name: what: description of e`.
pub fn report(name: &str, what: &str, e: Errno) {
    eprintln!("{name}: {what}: {}", e.description());
}

/// The account database, or an empty one when `/etc/passwd` is unreadable or malformed.
pub fn accounts() -> swiftos_accounts::Accounts {
    swiftos_rt::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|t| swiftos_accounts::Accounts::parse(&t).ok())
        .unwrap_or_default()
}

/// The groups from `/etc/group` (empty on error).
pub fn groups() -> Vec<swiftos_accounts::Group> {
    swiftos_rt::fs::read_to_string("/etc/group")
        .ok()
        .and_then(|t| swiftos_accounts::parse_groups(&t).ok())
        .unwrap_or_default()
}

/// A user name for `uid` (the number when unknown).
pub fn user_name(db: &swiftos_accounts::Accounts, uid: u32) -> String {
    db.by_uid(uid)
        .map(|a| a.name.clone())
        .unwrap_or_else(|| uid.to_string())
}

/// A group name for `gid` (the number when unknown).
pub fn group_name(groups: &[swiftos_accounts::Group], gid: u32) -> String {
    groups
        .iter()
        .find(|g| g.gid == gid)
        .map(|g| g.name.clone())
        .unwrap_or_else(|| gid.to_string())
}
