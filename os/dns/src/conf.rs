//! `/etc/resolv.conf` for SwiftOS: `nameserver A.B.C.D[:PORT]` (or `nameserver A.B.C.D port N`)
//! lines, an optional `port N` default for the servers, and `options timeout:SECONDS
//! attempts:N`. Unknown lines are ignored; malformed addresses are skipped.

use alloc::vec::Vec;

/// Resolver settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvConf {
    /// `(address, port)` of each name server, in file order.
    pub servers: Vec<([u8; 4], u16)>,
    /// Time to wait for one answer, milliseconds (1..=30 s; default 2 s).
    pub timeout_ms: u64,
    /// Rounds over all servers (1..=5; default 2).
    pub attempts: u32,
}

/// Parse a dotted-quad IPv4 address (exactly four decimal octets).
pub fn parse_ipv4(s: &str) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut parts = s.split('.');
    for o in out.iter_mut() {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *o = p.parse().ok()?;
    }
    parts.next().is_none().then_some(out)
}

impl ResolvConf {
    pub fn parse(text: &str) -> ResolvConf {
        let mut servers: Vec<([u8; 4], Option<u16>)> = Vec::new();
        let mut port = 53u16;
        let mut timeout_ms = 2000;
        let mut attempts = 2;
        for line in text.lines() {
            let line = line.split(['#', ';']).next().unwrap_or("");
            let mut w = line.split_whitespace();
            match w.next() {
                Some("nameserver") => {
                    let Some(s) = w.next() else { continue };
                    let (ip, p) = match s.split_once(':') {
                        Some((ip, p)) => match p.parse::<u16>() {
                            Ok(p) if p > 0 => (parse_ipv4(ip), Some(p)),
                            _ => continue,
                        },
                        None => {
                            let p = match (w.next(), w.next()) {
                                (Some("port"), Some(p)) => match p.parse::<u16>() {
                                    Ok(p) if p > 0 => Some(p),
                                    _ => continue,
                                },
                                _ => None,
                            };
                            (parse_ipv4(s), p)
                        }
                    };
                    if let Some(ip) = ip {
                        servers.push((ip, p));
                    }
                }
                Some("port") => {
                    if let Some(p) = w.next().and_then(|p| p.parse().ok()).filter(|&p| p > 0) {
                        port = p;
                    }
                }
                Some("options") => {
                    for o in w {
                        if let Some(v) = o
                            .strip_prefix("timeout:")
                            .and_then(|v| v.parse::<u64>().ok())
                        {
                            timeout_ms = v.clamp(1, 30) * 1000;
                        } else if let Some(v) = o
                            .strip_prefix("attempts:")
                            .and_then(|v| v.parse::<u32>().ok())
                        {
                            attempts = v.clamp(1, 5);
                        }
                    }
                }
                _ => {}
            }
        }
        ResolvConf {
            servers: servers
                .into_iter()
                .map(|(ip, p)| (ip, p.unwrap_or(port)))
                .collect(),
            timeout_ms,
            attempts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn forms_and_defaults() {
        let c = ResolvConf::parse(
            "# test\nnameserver 10.0.2.2:15353\nnameserver 10.0.2.3 port 5300\nnameserver 10.0.2.4\nport 5353\noptions timeout:5 attempts:9 rotate\n",
        );
        assert_eq!(
            c.servers,
            vec![
                ([10, 0, 2, 2], 15353),
                ([10, 0, 2, 3], 5300),
                ([10, 0, 2, 4], 5353)
            ]
        );
        assert_eq!(c.timeout_ms, 5000);
        assert_eq!(c.attempts, 5);
        let d = ResolvConf::parse("");
        assert!(d.servers.is_empty());
        assert_eq!((d.timeout_ms, d.attempts), (2000, 2));
    }

    #[test]
    fn garbage_is_skipped() {
        let c = ResolvConf::parse(
            "nameserver\nnameserver 10.0.2\nnameserver ::1\nnameserver 1.2.3.4:0\nnameserver 1.2.3.4:x\nnameserver 1.2.3.4 port 99999\noptions timeout:0 attempts:x\n\u{0}\u{ff}\nnameserver 9.9.9.9 ; comment\n",
        );
        assert_eq!(c.servers, vec![([9, 9, 9, 9], 53)]);
        assert_eq!(c.timeout_ms, 1000);
    }

    #[test]
    fn shipped_file_parses() {
        let c = ResolvConf::parse(include_str!("../../base/etc/resolv.conf"));
        assert_eq!(c.servers, vec![([10, 0, 2, 2], 15353)]);
    }
}
