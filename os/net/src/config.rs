//! Static interface configuration: address/prefix, gateway, MAC, with the QEMU user-network
//! defaults and a parser for the `net=` kernel command-line / config-file syntax.

/// Interface configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetConfig {
    pub addr: [u8; 4],
    pub prefix_len: u8,
    pub gateway: Option<[u8; 4]>,
    pub mac: [u8; 6],
}

/// A malformed configuration string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("bad IPv4 address (want a.b.c.d)")]
    BadAddress,
    #[error("bad prefix length (want 0..32)")]
    BadPrefix,
    #[error("unknown key (want addr=a.b.c.d/len, gw=a.b.c.d|none)")]
    UnknownKey,
    #[error("the gateway is outside the interface subnet")]
    GatewayOutsideSubnet,
}

impl NetConfig {
    /// QEMU user networking: 10.0.2.15/24 via 10.0.2.2.
    pub fn qemu_user(mac: [u8; 6]) -> NetConfig {
        NetConfig {
            addr: [10, 0, 2, 15],
            prefix_len: 24,
            gateway: Some([10, 0, 2, 2]),
            mac,
        }
    }

    /// Apply overrides written as `addr=10.0.3.15/24,gw=10.0.3.2` (comma or space separated;
    /// `gw=none` removes the default route). Unmentioned fields keep their values.
    pub fn apply(&mut self, spec: &str) -> Result<(), ConfigError> {
        let mut next = *self;
        for item in spec
            .split(|c: char| c == ',' || c.is_ascii_whitespace())
            .filter(|s| !s.is_empty())
        {
            let (k, v) = item.split_once('=').ok_or(ConfigError::UnknownKey)?;
            match k {
                "addr" | "ip" => {
                    let (a, p) = match v.split_once('/') {
                        Some((a, p)) => (a, Some(p)),
                        None => (v, None),
                    };
                    next.addr = parse_ipv4(a).ok_or(ConfigError::BadAddress)?;
                    if let Some(p) = p {
                        next.prefix_len = p
                            .parse::<u8>()
                            .ok()
                            .filter(|&n| n <= 32)
                            .ok_or(ConfigError::BadPrefix)?;
                    }
                }
                "gw" | "gateway" => {
                    next.gateway = if v == "none" {
                        None
                    } else {
                        Some(parse_ipv4(v).ok_or(ConfigError::BadAddress)?)
                    };
                }
                _ => return Err(ConfigError::UnknownKey),
            }
        }
        if let Some(gw) = next.gateway {
            if !next.in_subnet(gw) {
                return Err(ConfigError::GatewayOutsideSubnet);
            }
        }
        *self = next;
        Ok(())
    }

    /// Apply a configuration file: the same `key=value` items as [`NetConfig::apply`], one or
    /// more per line, `#` starts a comment.
    pub fn apply_file(&mut self, text: &str) -> Result<(), ConfigError> {
        let mut spec = alloc::string::String::new();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("");
            spec.push_str(line);
            spec.push(' ');
        }
        self.apply(&spec)
    }

    /// Whether `ip` is on the directly attached subnet.
    pub fn in_subnet(&self, ip: [u8; 4]) -> bool {
        let mask = if self.prefix_len == 0 {
            0
        } else {
            u32::MAX << (32 - self.prefix_len as u32)
        };
        u32::from_be_bytes(ip) & mask == u32::from_be_bytes(self.addr) & mask
    }
}

/// Parse a dotted-quad IPv4 address.
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
    if parts.next().is_some() {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let mut c = NetConfig::qemu_user([2, 0, 0, 0, 0, 1]);
        assert_eq!(c.addr, [10, 0, 2, 15]);
        assert!(c.in_subnet([10, 0, 2, 2]));
        assert!(!c.in_subnet([10, 0, 3, 2]));
        c.apply("addr=10.0.3.15/24,gw=10.0.3.2").unwrap();
        assert_eq!(c.addr, [10, 0, 3, 15]);
        assert_eq!(c.gateway, Some([10, 0, 3, 2]));
        c.apply("gw=none").unwrap();
        assert_eq!(c.gateway, None);
    }

    #[test]
    fn config_file_with_comments() {
        let mut c = NetConfig::qemu_user([2, 0, 0, 0, 0, 1]);
        c.apply_file("# network\naddr=10.0.5.15/16   # the guest\n\ngw=10.0.0.1\n")
            .unwrap();
        assert_eq!(c.addr, [10, 0, 5, 15]);
        assert_eq!(c.prefix_len, 16);
        assert_eq!(c.gateway, Some([10, 0, 0, 1]));
        c.apply_file("# only comments\n").unwrap();
        assert_eq!(c.addr, [10, 0, 5, 15]);
        assert!(c.apply_file("addr=x").is_err());
    }

    #[test]
    fn bad_specs_are_rejected_and_leave_config_unchanged() {
        let mut c = NetConfig::qemu_user([2, 0, 0, 0, 0, 1]);
        let before = c;
        for bad in [
            "addr=10.0.2",
            "addr=10.0.2.300",
            "addr=10.0.2.15/33",
            "addr=1.2.3.4.5",
            "mtu=9000",
            "addr",
            "gw=10.9.9.9",
            "addr=+1.2.3.4",
        ] {
            assert!(c.apply(bad).is_err(), "{bad}");
            assert_eq!(c, before);
        }
    }
}
