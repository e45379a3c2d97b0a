//! Fuzz the DNS response parser: arbitrary bytes must never panic, and a successful parse
//! returns at least one address.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let id = data.first().map(|&b| u16::from(b) << 8).unwrap_or(0);
    for name in ["a.test", "repo.swiftos.test"] {
        if let Ok(a) = swiftos_dns::parse_response(data, id, name) {
            assert!(!a.addrs.is_empty());
        }
    }
});
