//! `pkg`: the SwiftOS package client. The commands and their output are shared with the host
//! `pkg --root DIR` (crate `swiftos-pkg-core`); this program parses the command line and runs
//! them over the SwiftOS platform (`swiftos_programs::pkgplat`).
#![no_std]
#![no_main]

use swiftos_pkg_core::args::Args;
use swiftos_pkg_core::{report, Error, Pkg, TrustedRoot};
use swiftos_programs::pkgplat::{GuestPlatform, DEFAULT_TIMEOUT_SECS};
use swiftos_programs::*;
use swiftos_rt::abi::Caps;
swiftos_rt::entry!(main);

const HELP: &str = "Usage: pkg [--root DIR] [-q] [--timeout SECS] COMMAND [ARGS]\n\
The SwiftOS package client. Packages live on the package store disk under /pkg and\n\
appear read-only under /usr (programs in /usr/bin). Every change is a transaction:\n\
packages are downloaded (resumably) and verified into a staging area, then one\n\
atomic rename makes the new generation current; a failure leaves the system as it was.\n\
\n\
Commands (pkg COMMAND --help shows examples):\n\
\x20 repo set URL [--root-key FILE]   use the repository at URL (pinned root key by default)\n\
\x20 repo show                        show the configured repository\n\
\x20 update [URL]                     fetch and verify the signed metadata (URL: repo set first)\n\
\x20 search TEXT                      search names and descriptions\n\
\x20 info NAME                        what the repository and the store know about NAME\n\
\x20 install NAME...                  install packages and their dependencies\n\
\x20 install FILE --key PUB           install a local .swpkg file signed by PUB\n\
\x20 list [--generations]             installed packages (and all generations)\n\
\x20 files NAME                       files of an installed package\n\
\x20 verify [NAME]                    check installed files against their signed manifests\n\
\x20 remove [--force] NAME...         remove packages\n\
\x20 upgrade                          upgrade every repository package\n\
\x20 rollback                         make the previous generation active again\n\
\x20 gc [--keep N]                    delete old generations and unused packages\n\
\x20 activate [--boot]                check the active generation and show it under /usr\n\
\n\
Options:\n\
\x20 --root DIR       work on DIR as the system root (default /; e.g. a test tree in /tmp)\n\
\x20 -q, --quiet      print only results and errors, no progress\n\
\x20 --timeout SECS   HTTP connect/read timeout (default 30)\n\
\n\
Changing packages (install, remove, upgrade, rollback, gc, repo set, update, activate)\n\
needs capPkgAdmin: log in as root. list, search, info, files and verify work for everybody.\n\
Examples:\n\
\x20 pkg update http://10.0.2.2:8080/        # the seed repository, trusted via /etc/swos/repo-root.pub\n\
\x20 pkg search lua\n\
\x20 pkg install lua\n\
\x20 lua -v                                  # /usr/bin/lua\n";

/// Per-command help: (command, text).
const COMMAND_HELP: &[(&str, &str)] = &[
    ("repo", "Usage: pkg repo set URL [--root-key FILE | --trusted-root ROOT_JSON] [--package-key FILE]...\n\
\x20      pkg repo show\n\
Set the package repository. Its signed root metadata (URL/metadata/1.root.json) must be\n\
signed by the root key: by default the system's pinned key /etc/swos/repo-root.pub, or\n\
the key file given with --root-key: a repository's repo-root.pub (ed25519), or a PEM\n\
\"PUBLIC KEY\" of an ECDSA P-256 or RSA root key (e.g. a python-tuf repository's).\n\
--trusted-root ROOT_JSON trusts a root metadata file obtained out of band instead;\n\
packages are then checked against the --package-key files. Cached metadata of a\n\
previous repository is dropped. Run `pkg update` afterwards.\n\
Examples:\n\
\x20 pkg repo set http://10.0.2.2:8080/\n\
\x20 pkg repo set http://repo.swiftos.test:8080/ --root-key /tmp/repo-root.pub\n\
\x20 pkg repo set http://10.0.2.2:8000/ --root-key /tmp/root.pem --package-key /tmp/dev.pub\n\
\x20 pkg repo show\n"),
    ("update", "Usage: pkg update [URL]\n\
Download the repository's signed metadata (timestamp, snapshot, targets) and verify it\n\
against the trusted root: expired, rolled-back, wrongly signed or foreign (other ABI or\n\
architecture) metadata is refused and the previous metadata is kept. With URL, first\n\
`pkg repo set URL` with the pinned root key.\n\
Examples:\n\
\x20 pkg update\n\
\x20 pkg update http://10.0.2.2:8080/\n"),
    ("search", "Usage: pkg search [TEXT]\n\
Search package names and descriptions (case-insensitive) in the repository index;\n\
with no TEXT, list every package.\n\
Examples:\n\
\x20 pkg search compress\n\
\x20 pkg search\n"),
    ("info", "Usage: pkg info NAME\n\
Published versions, description, dependencies, download size and installed state.\n\
Example: pkg info lua\n"),
    ("install", "Usage: pkg install NAME[@REQ]...\n\
\x20      pkg install FILE.swpkg --key PUB\n\
Install packages from the repository with their dependencies, or one local package file\n\
signed by the key in PUB (its dependencies must be installed). Downloads resume where an\n\
interrupted one stopped. Installed programs appear under /usr at once. A package whose\n\
copy in the store is damaged is fetched again (so `pkg install NAME` repairs NAME).\n\
Examples:\n\
\x20 pkg install lua\n\
\x20 pkg install 'lua@^5.4' zlib\n\
\x20 pkg install /tmp/hello-1.0.0.swpkg --key /tmp/dev.pub\n"),
    ("list", "Usage: pkg list [--generations]\n\
Installed packages of the active generation; --generations also lists every generation\n\
(* marks the active one).\n\
Example: pkg list --generations\n"),
    ("files", "Usage: pkg files NAME\n\
The files of an installed package, from its signed manifest: the paths under /usr where\n\
they are visible, and the store directory that holds them.\n\
Example: pkg files lua\n"),
    ("verify", "Usage: pkg verify [NAME]\n\
Check installed files (size, sha256) against their signed manifests.\n\
Example: pkg verify lua\n"),
    ("remove", "Usage: pkg remove [--force] NAME...\n\
Remove packages (and dependencies nothing needs any more) in a new generation. Refused\n\
while other packages depend on them, unless --force. Takes effect under /usr at once;\n\
programs already running keep the version they loaded. `pkg rollback` undoes it.\n\
Example: pkg remove lua\n"),
    ("upgrade", "Usage: pkg upgrade\n\
Move every package installed from the repository to the newest version allowed (run\n\
`pkg update` first).\n\
Example: pkg update && pkg upgrade\n"),
    ("rollback", "Usage: pkg rollback\n\
Make the previous generation active again (one atomic rename). Its files are checked\n\
first: a damaged generation is refused.\n\
Example: pkg rollback\n"),
    ("gc", "Usage: pkg gc [--keep N]\n\
Delete all but the active generation and the N before it (default 2), then every stored\n\
package no remaining generation uses.\n\
Example: pkg gc --keep 0\n"),
    ("activate", "Usage: pkg activate [--boot]\n\
Check the active generation's files against their manifests and make its packages visible\n\
under /usr. If it is damaged, every problem is reported and the newest older generation\n\
that is intact is used instead (nothing is deleted); list, install and the others then\n\
work from it until the next change. init runs `pkg activate --boot`.\n\
Example: pkg activate\n"),
];

fn command_help(cmd: &str) -> Option<&'static str> {
    COMMAND_HELP
        .iter()
        .find(|(c, _)| *c == cmd)
        .map(|(_, h)| *h)
}

/// How a command ended: 0 ok, 1 failed (message printed), 2 bad usage.
enum Fail {
    Usage(String),
    Failed(String),
}

fn read_key(path: &str) -> Result<swpkg_core::VerifyingKey, Fail> {
    let bytes = swiftos_rt::fs::read(path)
        .map_err(|e| Fail::Failed(format!("key file {path}: {}", e.description())))?;
    let text = core::str::from_utf8(&bytes)
        .map_err(|_| Fail::Failed(format!("key file {path}: not text")))?;
    swpkg_core::parse_public_key(text).map_err(|e| Fail::Failed(format!("key file {path}: {e}")))
}

/// A `--root-key` file: ed25519 (SwiftOS key file) or a PEM ECDSA P-256 / RSA public key.
fn read_root_key(path: &str) -> Result<swiftos_pkg_core::PublicKey, Fail> {
    let bytes = swiftos_rt::fs::read(path)
        .map_err(|e| Fail::Failed(format!("root key file {path}: {}", e.description())))?;
    let text = core::str::from_utf8(&bytes)
        .map_err(|_| Fail::Failed(format!("root key file {path}: not text")))?;
    swiftos_pkg_core::repo::parse_root_key(text)
        .map_err(|e| Fail::Failed(format!("root key file {path}: {e}")))
}

fn print(lines: Vec<String>) {
    for l in lines {
        println!("{l}");
    }
}

fn is_file_arg(s: &str) -> bool {
    s.ends_with(".swpkg") || s.contains('/')
}

/// Commands that change the system need capPkgAdmin.
fn needs_admin(cmd: &str, sub: Option<&str>) -> bool {
    match cmd {
        "install" | "remove" | "upgrade" | "rollback" | "gc" | "update" | "activate" => true,
        "repo" => sub == Some("set"),
        _ => false,
    }
}

fn has_admin() -> bool {
    swiftos_rt::sys::get_identity().is_ok_and(|i| i.caps.contains(Caps::PKG_ADMIN))
}

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let words = args.get(1..).unwrap_or(&[]);
    // Global options come before the command.
    let mut root = String::from("/");
    let mut quiet = false;
    let mut timeout = DEFAULT_TIMEOUT_SECS;
    let mut i = 0;
    while i < words.len() {
        let w = words[i].as_str();
        match w {
            "--root" | "--timeout" => {
                let Some(v) = words.get(i + 1) else {
                    return usage_error("pkg", &format!("{w} needs a value"));
                };
                if w == "--root" {
                    if !v.starts_with('/') {
                        return usage_error("pkg", "--root needs an absolute directory");
                    }
                    root = v.clone();
                } else {
                    match v.parse::<u64>() {
                        Ok(t) if t > 0 => timeout = t,
                        _ => return usage_error("pkg", "--timeout needs a number of seconds"),
                    }
                }
                i += 2;
            }
            "-q" | "--quiet" => {
                quiet = true;
                i += 1;
            }
            "-h" | "--help" | "help" => {
                match words.get(i + 1).and_then(|c| command_help(c)) {
                    Some(h) => print!("{h}"),
                    None => print!("{HELP}"),
                }
                return 0;
            }
            _ if w.starts_with('-') => return usage_error("pkg", &format!("unknown option {w}")),
            _ => break,
        }
    }
    let Some(cmd) = words.get(i).map(String::as_str) else {
        return usage_error("pkg", "missing COMMAND");
    };
    let rest = &words[i + 1..];
    if rest.iter().any(|w| w == "--help" || w == "-h") {
        match command_help(cmd) {
            Some(h) => {
                print!("{h}");
                return 0;
            }
            None => return usage_error("pkg", &format!("unknown command {cmd:?}")),
        }
    }
    if command_help(cmd).is_none() {
        return usage_error("pkg", &format!("unknown command {cmd:?}"));
    }
    let sub = rest.first().map(String::as_str);
    let what = match (cmd, sub) {
        ("repo", Some(s)) => format!("repo {s}"),
        _ => String::from(cmd),
    };
    if needs_admin(cmd, sub) && !has_admin() {
        eprintln!("pkg {what}: needs capPkgAdmin (log in as root)");
        return 1;
    }
    let mut platform = GuestPlatform::new(&root, timeout);
    platform.set_quiet(quiet);
    if platform.is_system_root() && swiftos_rt::sys::stat("/pkg").is_err() {
        eprintln!(
            "pkg {what}: no package store: /pkg is not mounted (this machine was started without a store disk)"
        );
        return 1;
    }
    let mut pkg = Pkg::new(platform);
    let code = match run(&mut pkg, cmd, rest) {
        Ok(()) => 0,
        Err(Fail::Usage(m)) => {
            eprintln!("pkg {what}: {m}");
            eprintln!("Try 'pkg {cmd} --help' for more information.");
            2
        }
        Err(Fail::Failed(m)) => {
            eprintln!("pkg {what}: {m}");
            1
        }
    };
    drop(pkg); // releases the store lock
    code
}

fn one_operand<'a>(a: &'a Args, what: &str) -> Result<&'a str, Fail> {
    match a.operands.as_slice() {
        [one] => Ok(one),
        [] => Err(Fail::Usage(format!("missing {what}"))),
        _ => Err(Fail::Usage(format!("expected one {what}"))),
    }
}

fn no_operands(a: &Args) -> Result<(), Fail> {
    match a.operands.first() {
        None => Ok(()),
        Some(o) => Err(Fail::Usage(format!("unexpected argument {o:?}"))),
    }
}

fn run(pkg: &mut Pkg<GuestPlatform>, cmd: &str, rest: &[String]) -> Result<(), Fail> {
    let fail = |e: Error| Fail::Failed(e.to_string());
    let tx_fail = |e: Error| Fail::Failed(report::failure(&e));
    let parse = |flags: &[&str], vals: &[&str]| Args::parse(rest, flags, vals).map_err(Fail::Usage);
    match cmd {
        "repo" => {
            let a = parse(&[], &["--root-key", "--trusted-root", "--package-key"])?;
            match a.operands.first().map(String::as_str) {
                Some("set") => {
                    let url = match a.operands.as_slice() {
                        [_, url] => url.as_str(),
                        [_] => return Err(Fail::Usage(String::from("missing URL"))),
                        _ => return Err(Fail::Usage(String::from("expected one URL"))),
                    };
                    let mut keys = Vec::new();
                    for k in a.values("--package-key") {
                        keys.push(read_key(k)?);
                    }
                    let trusted = match (a.value("--root-key"), a.value("--trusted-root")) {
                        (Some(_), Some(_)) => {
                            return Err(Fail::Usage(String::from(
                                "give either --root-key or --trusted-root, not both",
                            )))
                        }
                        (Some(k), None) => TrustedRoot::Key(read_root_key(k)?),
                        (None, Some(r)) => {
                            TrustedRoot::File(swiftos_rt::fs::read(r).map_err(|e| {
                                Fail::Failed(format!("trusted root {r}: {}", e.description()))
                            })?)
                        }
                        (None, None) => TrustedRoot::Key(swiftos_pkg_core::PublicKey::Ed25519(
                            pkg.pinned_root_key().map_err(fail)?,
                        )),
                    };
                    pkg.repo_set(url, trusted, &keys).map_err(fail)
                }
                Some("show") => {
                    let c = swiftos_pkg_core::repo::load_config(&mut pkg.p).map_err(fail)?;
                    print(report::repo_show(&c));
                    Ok(())
                }
                Some(o) => Err(Fail::Usage(format!(
                    "unknown repo command {o:?} (set, show)"
                ))),
                None => Err(Fail::Usage(String::from("missing set or show"))),
            }
        }
        "update" => {
            let a = parse(&[], &[])?;
            let r = match a.operands.as_slice() {
                [] => pkg.update(),
                [url] => pkg.update_from(url),
                _ => return Err(Fail::Usage(String::from("expected at most one URL"))),
            };
            r.map(|_| ())
                .map_err(|e| Fail::Failed(format!("{e}; the previously trusted metadata is kept")))
        }
        "search" => {
            let a = parse(&[], &[])?;
            let text = match a.operands.as_slice() {
                [] => "",
                [one] => one.as_str(),
                _ => return Err(Fail::Usage(String::from("expected at most one TEXT"))),
            };
            let hits = pkg.search(text).map_err(fail)?;
            print(report::search(text, &hits));
            Ok(())
        }
        "info" => {
            let a = parse(&[], &[])?;
            let i = pkg.info(one_operand(&a, "NAME")?).map_err(fail)?;
            print(report::info(&i));
            Ok(())
        }
        "install" => {
            let a = parse(&[], &["--key"])?;
            if a.operands.is_empty() {
                return Err(Fail::Usage(String::from("missing NAME or FILE")));
            }
            let files = a.operands.iter().filter(|p| is_file_arg(p)).count();
            let change = if files > 0 {
                if a.operands.len() != 1 {
                    return Err(Fail::Usage(String::from(
                        "install one package file at a time, and not mixed with names",
                    )));
                }
                let Some(k) = a.value("--key") else {
                    return Err(Fail::Usage(format!(
                        "{}: a local package needs --key PUB (the key that signed it)",
                        a.operands[0]
                    )));
                };
                let key = read_key(k)?;
                pkg.install_file(&a.operands[0], &key).map_err(tx_fail)?
            } else {
                if a.has("--key") {
                    return Err(Fail::Usage(String::from(
                        "--key is for local package files; repository packages are checked against the \
                         repository's keys",
                    )));
                }
                pkg.install(&a.operands).map_err(tx_fail)?
            };
            print(report::change(&change));
            Ok(())
        }
        "list" => {
            let a = parse(&["--generations"], &[])?;
            no_operands(&a)?;
            let u = pkg.in_use().map_err(fail)?;
            if let Some(note) = report::in_use_note(&u) {
                eprintln!("pkg: {note}");
            }
            let g = u.generation;
            let all = if a.has("--generations") {
                Some(pkg.generations().map_err(fail)?)
            } else {
                None
            };
            print(report::list(&g, all.as_deref()));
            Ok(())
        }
        "files" => {
            let a = parse(&[], &[])?;
            let u = pkg.in_use().map_err(fail)?;
            if let Some(note) = report::in_use_note(&u) {
                eprintln!("pkg: {note}");
            }
            let (dir, files) = pkg.files(one_operand(&a, "NAME")?).map_err(fail)?;
            // The system's own store is shown through /usr; a test tree (--root) has no view.
            let view = pkg.p.is_system_root().then_some("/usr");
            print(report::files(&dir, view, &files));
            Ok(())
        }
        "verify" => {
            let a = parse(&[], &[])?;
            let name = match a.operands.as_slice() {
                [] => None,
                [n] => Some(n.as_str()),
                _ => return Err(Fail::Usage(String::from("expected at most one NAME"))),
            };
            let problems = pkg.verify(name).map_err(fail)?;
            let (lines, failed) = report::verify(&problems);
            print(lines);
            match failed {
                Some(m) => Err(Fail::Failed(m)),
                None => Ok(()),
            }
        }
        "remove" => {
            let a = parse(&["--force"], &[])?;
            if a.operands.is_empty() {
                return Err(Fail::Usage(String::from("missing NAME")));
            }
            let c = pkg.remove(&a.operands, a.has("--force")).map_err(tx_fail)?;
            print(report::change(&c));
            Ok(())
        }
        "upgrade" | "rollback" => {
            let a = parse(&[], &[])?;
            no_operands(&a)?;
            let c = if cmd == "upgrade" {
                pkg.upgrade()
            } else {
                pkg.rollback()
            }
            .map_err(tx_fail)?;
            print(report::change(&c));
            Ok(())
        }
        "gc" => {
            let a = parse(&[], &["--keep"])?;
            no_operands(&a)?;
            let keep = match a.value("--keep").map(str::parse::<usize>) {
                None => 2,
                Some(Ok(k)) => k,
                Some(Err(_)) => return Err(Fail::Usage(String::from("--keep needs a number"))),
            };
            let (g, d) = pkg.gc(keep).map_err(fail)?;
            println!("{}", report::gc(g, d));
            Ok(())
        }
        "activate" => {
            let a = parse(&["--boot"], &[])?;
            no_operands(&a)?;
            let act = pkg.activate().map_err(fail)?;
            print(report::activation(&act, a.has("--boot")));
            Ok(())
        }
        other => Err(Fail::Usage(format!("unknown command {other:?}"))),
    }
}
