//! `chown`: change the owner (and group) of files; needs `capChown`.
#![no_std]
#![no_main]

use swiftos_programs::*;
use swiftos_rt::sys;
swiftos_rt::entry!(main);

const HELP: &str = "Usage: chown USER[:GROUP] FILE...\n\
Give FILEs to USER (and GROUP); names come from /etc/passwd and /etc/group, numbers work too.\n\
Needs the capChown capability.\n\
Example: chown user:user /tmp/report\n";

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let o = match options("chown", &args, "", "", HELP) {
        Ok(o) => o,
        Err(c) => return c,
    };
    if o.operands.len() < 2 {
        return usage_error("chown", "missing operand");
    }
    let spec = &o.operands[0];
    let (uspec, gspec) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec.as_str(), None),
    };
    let db = accounts();
    let groups = groups();
    let uid = match db.by_name(uspec) {
        Some(a) => a.uid,
        None => match uspec.parse::<u32>() {
            Ok(n) => n,
            Err(_) => {
                swiftos_rt::eprintln!("chown: invalid user: '{uspec}'");
                return 1;
            }
        },
    };
    let gid_spec = gspec.filter(|g| !g.is_empty());
    let mut code = 0;
    for f in &o.operands[1..] {
        let gid = match gid_spec {
            Some(g) => match groups.iter().find(|x| x.name == g) {
                Some(x) => x.gid,
                None => match g.parse::<u32>() {
                    Ok(n) => n,
                    Err(_) => {
                        swiftos_rt::eprintln!("chown: invalid group: '{g}'");
                        return 1;
                    }
                },
            },
            // `user:` means the user's login group; plain `user` keeps the group.
            None if gspec.is_some() => db.by_uid(uid).map(|a| a.gid).unwrap_or(uid),
            None => match sys::stat(f) {
                Ok(st) => u32::from(st.st_gid),
                Err(e) => {
                    report("chown", f, e);
                    code = 1;
                    continue;
                }
            },
        };
        if let Err(e) = sys::chown(f, uid, gid) {
            report("chown", f, e);
            code = 1;
        }
    }
    code
}
