//! Fuzz the network configuration parsers: `NetConfig::apply` (the `net=` kernel argument) and
//! `NetConfig::apply_file` (the config file), chosen by the first input byte, on lossy UTF-8.
//! Never panics; a refused spec leaves the configuration unchanged; an accepted one gives a
//! valid configuration (prefix at most 32, gateway on the subnet) that its own canonical spec
//! reproduces; every address `parse_ipv4` accepts prints and parses back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use swiftos_net::config::parse_ipv4;
use swiftos_net::NetConfig;

fn dotted(a: [u8; 4]) -> String {
    format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3])
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let mac = [2, 0, 0, 0, 0, 1];
    let mut c = NetConfig::qemu_user(mac);
    if sel & 2 != 0 {
        c.apply("gw=none").unwrap();
    }
    let before = c;
    let r = if sel & 1 == 0 {
        c.apply(&text)
    } else {
        c.apply_file(&text)
    };
    if r.is_err() {
        assert_eq!(c, before, "a refused spec changed the configuration");
    } else {
        assert!(c.prefix_len <= 32);
        assert_eq!(c.mac, mac);
        if let Some(gw) = c.gateway {
            assert!(c.in_subnet(gw));
        }
        let spec = format!(
            "addr={}/{},gw={}",
            dotted(c.addr),
            c.prefix_len,
            c.gateway.map_or("none".to_string(), dotted)
        );
        let mut again = NetConfig::qemu_user(mac);
        again.apply(&spec).expect("canonical spec refused");
        assert_eq!(again, c, "{spec}");
    }
    for word in text.split(|ch: char| ch == ',' || ch == '=' || ch == '/' || ch.is_whitespace()) {
        if let Some(a) = parse_ipv4(word) {
            assert_eq!(parse_ipv4(&dotted(a)), Some(a));
        }
    }
});
