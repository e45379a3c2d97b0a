//! `overlayctl`: show or set the layers of the read-only `/usr` overlay (package payload
//! roots on the package store). Setting needs `capPkgAdmin`; `pkg` normally does this.
#![no_std]
#![no_main]

use swiftos_programs::*;
use swiftos_rt::fs;
swiftos_rt::entry!(main);

const HELP: &str = "Usage: overlayctl [show | set DIR... | clear]
Show or set the layers of the read-only /usr overlay: directories on the package store
(/pkg), merged with the first layer winning. Setting needs the capPkgAdmin capability;
`pkg` sets the layers itself, this is for inspection and repair.
  show        print the current layers, one per line (the default)
  set DIR...  make DIR... the layers (absolute paths under /pkg)
  clear       no layers: /usr is empty
Example: overlayctl set /pkg/store/lua-5.4.4/root
";

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let o = match options("overlayctl", &args, "", "", HELP) {
        Ok(o) => o,
        Err(c) => return c,
    };
    let ops: Vec<&str> = o.operands.iter().map(String::as_str).collect();
    match ops.split_first() {
        None | Some((&"show", [])) => match fs::get_overlay() {
            Ok(layers) => {
                for l in layers {
                    println!("{l}");
                }
                0
            }
            Err(e) => {
                report("overlayctl", "show", e);
                1
            }
        },
        Some((&"clear", [])) => set(&[]),
        Some((&"set", dirs)) if !dirs.is_empty() => set(dirs),
        _ => usage_error("overlayctl", "expected show, set DIR... or clear"),
    }
}

fn set(dirs: &[&str]) -> i32 {
    match fs::set_overlay(dirs) {
        Ok(()) => 0,
        Err(e) => {
            let what = if dirs.is_empty() {
                String::from("clear")
            } else {
                dirs.join(" ")
            };
            report("overlayctl", &what, e);
            if e == Errno::EPERM {
                eprintln!("overlayctl: (this account lacks the capPkgAdmin capability)");
            }
            1
        }
    }
}
