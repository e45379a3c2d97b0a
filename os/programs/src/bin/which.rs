//! `which`: show where the shell would find a command.
#![no_std]
#![no_main]

use swiftos_programs::*;
use swiftos_rt::{env, fs, println, sys};
swiftos_rt::entry!(main);

const HELP: &str = "Usage: which NAME...\nPrint the path of each NAME found in $PATH (exit 1 if one is missing).\nExample: which ls\n";

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let o = match options("which", &args, "a", "", HELP) {
        Ok(o) => o,
        Err(c) => return c,
    };
    if o.operands.is_empty() {
        return usage_error("which", "missing NAME");
    }
    let path = env::var("PATH").unwrap_or("/bin");
    let mut code = 0;
    for name in &o.operands {
        let mut found = false;
        for dir in path.split(':').filter(|d| !d.is_empty()) {
            let cand = fs::join(dir, name);
            if sys::stat(&cand).map(|s| !fs::is_dir(&s)).unwrap_or(false) {
                println!("{cand}");
                found = true;
                if !o.has('a') {
                    break;
                }
            }
        }
        if !found {
            code = 1;
        }
    }
    code
}
