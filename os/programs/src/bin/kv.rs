//! `kv`: a small key-value store kept in a file under `/tmp`.
#![no_std]
#![no_main]

use swiftos_programs::*;
use swiftos_rt::{env, eprintln, fs, print, sys};
use swiftos_shell_syntax::kv::{Store, DEFAULT_PATH};
swiftos_rt::entry!(main);

const HELP: &str =
    "Usage: kv set KEY VALUE...\n       kv get KEY\n       kv del KEY\n       kv list\n\
A small key-value store in /tmp/kv.db (override with $KV_FILE). Keys are 1-64 characters of\n\
A-Z a-z 0-9 _ . : / -; a value is the rest of the arguments joined by spaces.\n\
Example: kv set color blue; kv get color\n";

fn load(path: &str) -> Result<Store, i32> {
    match fs::read_to_string(path) {
        Ok(t) => Store::parse(&t).map_err(|e| {
            eprintln!("kv: {path}: {e}");
            1
        }),
        Err(Errno::ENOENT) => Ok(Store::default()),
        Err(e) => {
            report("kv", path, e);
            Err(1)
        }
    }
}

fn save(path: &str, s: &Store) -> Result<(), i32> {
    let tmp = format!("{path}.tmp");
    let r = fs::write(&tmp, s.to_text().as_bytes()).and_then(|()| sys::rename(&tmp, path));
    r.map_err(|e| {
        let _ = sys::unlink(&tmp);
        report("kv", path, e);
        1
    })
}

fn run(args: &[String]) -> Result<i32, i32> {
    let path = env::var("KV_FILE").unwrap_or(DEFAULT_PATH);
    let cmd = args.get(1).map(String::as_str);
    match (cmd, &args[2.min(args.len())..]) {
        (Some("--help"), _) => {
            print!("{HELP}");
            Ok(0)
        }
        (Some("set"), [k, v @ ..]) if !v.is_empty() => {
            let mut s = load(path)?;
            if let Err(e) = s.set(k, &v.join(" ")) {
                eprintln!("kv: {e}");
                return Err(2);
            }
            save(path, &s)?;
            Ok(0)
        }
        (Some("get"), [k]) => match load(path)?.get(k) {
            Some(v) => {
                print!("{v}\n");
                Ok(0)
            }
            None => {
                eprintln!("kv: {k}: no such key");
                Ok(1)
            }
        },
        (Some("del"), [k]) => {
            let mut s = load(path)?;
            if !s.del(k) {
                eprintln!("kv: {k}: no such key");
                return Ok(1);
            }
            save(path, &s)?;
            Ok(0)
        }
        (Some("list"), []) => {
            let s = load(path)?;
            let mut out = String::new();
            for (k, v) in s.entries() {
                out.push_str(&format!("{k}={v}\n"));
            }
            print!("{out}");
            Ok(0)
        }
        (Some(c @ ("set" | "get" | "del" | "list")), _) => Err(usage_error(
            "kv",
            &format!("{c}: wrong number of arguments"),
        )),
        (Some(c), _) => Err(usage_error("kv", &format!("unknown command '{c}'"))),
        (None, _) => Err(usage_error("kv", "missing command")),
    }
}

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    match run(&args) {
        Ok(c) | Err(c) => c,
    }
}
