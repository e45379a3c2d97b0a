//! `id`: print the caller's principal, group, session and capabilities.
#![no_std]
#![no_main]

use swiftos_accounts::caps_to_string;
use swiftos_programs::*;
use swiftos_rt::{println, sys};
swiftos_rt::entry!(main);

const HELP: &str = "Usage: id [-u] [-g] [-n]\n\
Print the user id, group id, session and capability set of this process.\n\
Options:\n  -u  only the user id\n  -g  only the group id\n  -n  with -u/-g: names instead of numbers\n\
Example: id\n";

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let o = match options("id", &args, "ugn", "", HELP) {
        Ok(o) => o,
        Err(c) => return c,
    };
    if !o.operands.is_empty() {
        return usage_error("id", "looking up other users is not supported");
    }
    let me = match sys::get_identity() {
        Ok(i) => i,
        Err(e) => {
            report("id", "get_identity", e);
            return 1;
        }
    };
    let db = accounts();
    let groups = groups();
    let uname = user_name(&db, me.uid);
    let gname = group_name(&groups, me.gid);
    if o.has('u') {
        if o.has('n') {
            println!("{uname}");
        } else {
            println!("{}", me.uid);
        }
    } else if o.has('g') {
        if o.has('n') {
            println!("{gname}");
        } else {
            println!("{}", me.gid);
        }
    } else {
        println!(
            "uid={}({uname}) gid={}({gname}) session={} caps={}",
            me.uid,
            me.gid,
            me.session,
            caps_to_string(me.caps)
        );
    }
    0
}
