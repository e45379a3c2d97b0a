//! `nslookup`: resolve host names through the DNS server named in `/etc/resolv.conf`.
#![no_std]
#![no_main]

use swiftos_programs::*;
use swiftos_rt::net::{Ip, ResolveError, Resolver};
swiftos_rt::entry!(main);

const HELP: &str = "Usage: nslookup NAME...\n\
Look up the IPv4 addresses of each NAME with the DNS server from /etc/resolv.conf\n\
(`nameserver A.B.C.D[:PORT]`), following CNAMEs. Unknown names report NXDOMAIN.\n\
Exit status: 0 if every name resolved, 1 otherwise.\n\
Example: nslookup repo.swiftos.test\n";

fn main(args: Vec<String>, _env: Vec<String>) -> i32 {
    let o = match options("nslookup", &args, "", "", HELP) {
        Ok(o) => o,
        Err(c) => return c,
    };
    if o.operands.is_empty() {
        return usage_error("nslookup", "missing NAME");
    }
    let mut r = Resolver::from_system();
    if let Some(s) = r.conf.servers.first() {
        println!("Server:  {s}");
    }
    let mut code = 0;
    for name in &o.operands {
        match r.lookup(name) {
            Ok(addrs) => {
                println!("Name:    {name}");
                for a in addrs {
                    println!("Address: {}", Ip(a));
                }
            }
            Err(ResolveError::NxDomain) => {
                println!("** server can't find {name}: NXDOMAIN");
                code = 1;
            }
            Err(ResolveError::Sys(Errno::EACCES)) => {
                eprintln!("nslookup: {name}: Permission denied (this account lacks the capNet capability)");
                code = 1;
            }
            Err(e) => {
                println!("** {name}: {e}");
                code = 1;
            }
        }
    }
    code
}
