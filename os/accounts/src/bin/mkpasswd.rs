//! `mkpasswd`: print reproducible `/etc/passwd` and `/etc/shadow` lines (host tool).
//!
//! ```text
//! mkpasswd [--salt HEX] [--iterations N] NAME PASSWORD
//!     prints the /etc/shadow line NAME:pbkdf2-sha256$N$SALT$HASH
//!     (salt defaults to the reproducible per-name salt)
//! mkpasswd [--salt HEX] [--iterations N] --line NAME:UID:GID:HOME:SHELL:CAPS PASSWORD
//!     prints two lines: the /etc/passwd line (hash field `x`), then the /etc/shadow line
//! ```
//! The seeded `os/base/etc/passwd` and `os/base/etc/shadow` are regenerated with:
//! `cargo run -p swiftos-accounts --bin mkpasswd -- --line root:0:0:/tmp:/bin/sh:ALL root` etc.

use std::process::ExitCode;
use swiftos_accounts::{
    default_salt, hex_decode, parse_account_line, valid_name, PasswordHash, ShadowEntry,
    DEFAULT_ITERATIONS, SHADOWED,
};

const USAGE: &str = "usage: mkpasswd [--salt HEX] [--iterations N] [--line NAME:UID:GID:HOME:SHELL:CAPS | NAME] PASSWORD";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut salt: Option<Vec<u8>> = None;
    let mut iterations = DEFAULT_ITERATIONS;
    let mut line: Option<String> = None;
    let mut positional = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--help" | "-h" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "--salt" => match args.next().as_deref().and_then(hex_decode) {
                Some(s) if !s.is_empty() => salt = Some(s),
                _ => return fail("--salt needs a non-empty hex string"),
            },
            "--iterations" => match args.next().and_then(|s| s.parse::<u32>().ok()) {
                Some(n) if n > 0 => iterations = n,
                _ => return fail("--iterations needs a positive number"),
            },
            "--line" => match args.next() {
                Some(l) => line = Some(l),
                None => return fail("--line needs NAME:UID:GID:HOME:SHELL:CAPS"),
            },
            _ => positional.push(a),
        }
    }
    let (name, password) = match (&line, positional.as_slice()) {
        (Some(l), [pw]) => (l.split(':').next().unwrap_or("").to_string(), pw.clone()),
        (None, [name, pw]) => (name.clone(), pw.clone()),
        _ => return fail(USAGE),
    };
    if !valid_name(&name) {
        return fail(&format!("invalid account name {name:?}"));
    }
    let salt = salt.unwrap_or_else(|| default_salt(&name));
    let password = PasswordHash::new(password.as_bytes(), &salt, iterations);
    match line {
        None => println!("{}", ShadowEntry { name, password }.to_line()),
        Some(l) => {
            // The passwd line keeps the fields as given (e.g. `ALL`), with `x` for the hash.
            let passwd = format!("{l}:{SHADOWED}");
            if let Err(e) = parse_account_line(1, &passwd) {
                return fail(&format!("invalid account: {e}"));
            }
            println!("{passwd}");
            println!("{}", ShadowEntry { name, password }.to_line());
        }
    }
    ExitCode::SUCCESS
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("mkpasswd: {msg}");
    ExitCode::from(2)
}
