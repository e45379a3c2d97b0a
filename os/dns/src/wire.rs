//! The DNS message format (RFC 1035): an A-record query and the parts of a response a stub
//! resolver needs. Every read is bounds-checked; compression pointers are limited so a
//! malicious packet cannot loop.

use alloc::string::String;
use alloc::vec::Vec;

/// Record types and classes we use.
pub const TYPE_A: u16 = 1;
pub const TYPE_CNAME: u16 = 5;
pub const CLASS_IN: u16 = 1;
/// Response codes.
pub const RCODE_NOERROR: u8 = 0;
pub const RCODE_SERVFAIL: u8 = 2;
pub const RCODE_NXDOMAIN: u8 = 3;
/// Longest CNAME chain followed.
pub const MAX_CNAME_HOPS: usize = 8;
/// Compression pointers followed while reading one name.
const MAX_POINTERS: usize = 32;

/// Why a name could not be resolved from a response (or a query not built).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    #[error("invalid host name {0:?}")]
    BadName(String),
    #[error("malformed DNS message: {0}")]
    Malformed(&'static str),
    #[error("response does not answer our query (id or question differs)")]
    Mismatch,
    #[error("response truncated (TC bit set)")]
    Truncated,
    #[error("no such host (NXDOMAIN)")]
    NxDomain,
    #[error("the name exists but has no IPv4 address")]
    NoData,
    #[error("server failure (rcode {0})")]
    ServerFailure(u8),
    #[error("CNAME chain longer than {MAX_CNAME_HOPS} or looping")]
    CnameLoop,
}

/// The IPv4 addresses a response gives for the queried name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub addrs: Vec<[u8; 4]>,
    /// Smallest TTL along the chain (seconds).
    pub ttl: u32,
    /// The canonical name when CNAMEs were followed (else the queried name).
    pub canonical: String,
}

/// Check a host name: labels 1..=63 bytes of letters, digits, `-` and `_`, total at most 253.
pub fn validate_name(name: &str) -> Result<(), DnsError> {
    let n = name.strip_suffix('.').unwrap_or(name);
    let bad = || DnsError::BadName(String::from(name));
    if n.is_empty() || n.len() > 253 {
        return Err(bad());
    }
    for label in n.split('.') {
        if label.is_empty()
            || label.len() > 63
            || !label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(bad());
        }
    }
    Ok(())
}

/// A recursive-desired query for the A records of `name`.
pub fn build_query(id: u16, name: &str) -> Result<Vec<u8>, DnsError> {
    validate_name(name)?;
    let mut q = Vec::with_capacity(18 + name.len());
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00]); // RD
    q.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]); // 1 question
    encode_name(&mut q, name);
    q.extend_from_slice(&TYPE_A.to_be_bytes());
    q.extend_from_slice(&CLASS_IN.to_be_bytes());
    Ok(q)
}

fn encode_name(out: &mut Vec<u8>, name: &str) {
    let n = name.strip_suffix('.').unwrap_or(name);
    for label in n.split('.') {
        out.push(label.len() as u8);
        out.extend(label.bytes().map(|b| b.to_ascii_lowercase()));
    }
    out.push(0);
}

struct Reader<'a> {
    msg: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn u8(&mut self) -> Result<u8, DnsError> {
        let b = *self
            .msg
            .get(self.pos)
            .ok_or(DnsError::Malformed("message ends early"))?;
        self.pos += 1;
        Ok(b)
    }
    fn u16(&mut self) -> Result<u16, DnsError> {
        Ok(u16::from_be_bytes([self.u8()?, self.u8()?]))
    }
    fn u32(&mut self) -> Result<u32, DnsError> {
        Ok(u32::from_be_bytes([
            self.u8()?,
            self.u8()?,
            self.u8()?,
            self.u8()?,
        ]))
    }
    fn bytes(&mut self, n: usize) -> Result<&'a [u8], DnsError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.msg.len())
            .ok_or(DnsError::Malformed("record runs past the end"))?;
        let s = &self.msg[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    /// Read a (possibly compressed) name, lower-cased, without the trailing dot.
    fn name(&mut self) -> Result<String, DnsError> {
        let mut out = String::new();
        let mut pos = self.pos;
        let mut jumped = false;
        let mut pointers = 0;
        loop {
            let len = *self
                .msg
                .get(pos)
                .ok_or(DnsError::Malformed("name runs past the end"))?;
            match len & 0xc0 {
                0x00 => {
                    pos += 1;
                    if len == 0 {
                        break;
                    }
                    let label = self
                        .msg
                        .get(pos..pos + len as usize)
                        .ok_or(DnsError::Malformed("label runs past the end"))?;
                    if !out.is_empty() {
                        out.push('.');
                    }
                    for &b in label {
                        out.push(char::from(b.to_ascii_lowercase()));
                    }
                    if out.len() > 255 {
                        return Err(DnsError::Malformed("name longer than 255 bytes"));
                    }
                    pos += len as usize;
                }
                0xc0 => {
                    let lo = *self
                        .msg
                        .get(pos + 1)
                        .ok_or(DnsError::Malformed("pointer runs past the end"))?;
                    if !jumped {
                        self.pos = pos + 2;
                        jumped = true;
                    }
                    pointers += 1;
                    if pointers > MAX_POINTERS {
                        return Err(DnsError::Malformed("compression pointer loop"));
                    }
                    pos = (((len & 0x3f) as usize) << 8) | lo as usize;
                }
                _ => return Err(DnsError::Malformed("reserved label type")),
            }
        }
        if !jumped {
            self.pos = pos;
        }
        Ok(out)
    }
}

fn same_name(a: &str, b: &str) -> bool {
    a.trim_end_matches('.')
        .eq_ignore_ascii_case(b.trim_end_matches('.'))
}

/// Parse the response to the query `id` for `name`: its A records, following CNAMEs.
pub fn parse_response(msg: &[u8], id: u16, name: &str) -> Result<Answer, DnsError> {
    let mut r = Reader { msg, pos: 0 };
    let rid = r.u16()?;
    let flags = r.u16()?;
    let qd = r.u16()?;
    let an = r.u16()?;
    let _ns = r.u16()?;
    let _ar = r.u16()?;
    if rid != id || flags & 0x8000 == 0 {
        return Err(DnsError::Mismatch);
    }
    if flags & 0x0200 != 0 {
        return Err(DnsError::Truncated);
    }
    if qd != 1 {
        return Err(DnsError::Mismatch);
    }
    let qname = r.name()?;
    let qtype = r.u16()?;
    let _qclass = r.u16()?;
    if !same_name(&qname, name) || qtype != TYPE_A {
        return Err(DnsError::Mismatch);
    }
    match (flags & 0x000f) as u8 {
        RCODE_NOERROR => {}
        RCODE_NXDOMAIN => return Err(DnsError::NxDomain),
        rc => return Err(DnsError::ServerFailure(rc)),
    }
    // (owner, type, ttl, A address or CNAME target)
    let mut a_recs: Vec<(String, u32, [u8; 4])> = Vec::new();
    let mut cnames: Vec<(String, u32, String)> = Vec::new();
    for _ in 0..an {
        let owner = r.name()?;
        let rtype = r.u16()?;
        let class = r.u16()?;
        let ttl = r.u32()?;
        let rdlen = r.u16()? as usize;
        let rdata_start = r.pos;
        let rdata = r.bytes(rdlen)?;
        if class != CLASS_IN {
            continue;
        }
        match rtype {
            TYPE_A => {
                let a: [u8; 4] = rdata
                    .try_into()
                    .map_err(|_| DnsError::Malformed("A record is not 4 bytes"))?;
                a_recs.push((owner, ttl, a));
            }
            TYPE_CNAME => {
                let mut sub = Reader {
                    msg,
                    pos: rdata_start,
                };
                let target = sub.name()?;
                if sub.pos > rdata_start + rdlen {
                    return Err(DnsError::Malformed("CNAME runs past its record"));
                }
                cnames.push((owner, ttl, target));
            }
            _ => {}
        }
    }
    let mut current = String::from(name.trim_end_matches('.'));
    let mut ttl = u32::MAX;
    for _ in 0..=MAX_CNAME_HOPS {
        let addrs: Vec<[u8; 4]> = a_recs
            .iter()
            .filter(|(o, _, _)| same_name(o, &current))
            .map(|(_, t, a)| {
                ttl = ttl.min(*t);
                *a
            })
            .collect();
        if !addrs.is_empty() {
            return Ok(Answer {
                addrs,
                ttl,
                canonical: current,
            });
        }
        match cnames.iter().find(|(o, _, _)| same_name(o, &current)) {
            Some((_, t, target)) => {
                ttl = ttl.min(*t);
                current = target.clone();
            }
            None => return Err(DnsError::NoData),
        }
    }
    Err(DnsError::CnameLoop)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use alloc::vec;

    /// Build a response to `build_query(id, qname)` with the given answer records.
    pub fn response(
        id: u16,
        qname: &str,
        rcode: u8,
        answers: &[(&str, u16, u32, Vec<u8>)],
    ) -> Vec<u8> {
        let mut m = build_query(id, qname).unwrap();
        m[2] = 0x81;
        m[3] = 0x80 | rcode;
        m[6..8].copy_from_slice(&(answers.len() as u16).to_be_bytes());
        for (owner, t, ttl, rdata) in answers {
            encode_name(&mut m, owner);
            m.extend_from_slice(&t.to_be_bytes());
            m.extend_from_slice(&CLASS_IN.to_be_bytes());
            m.extend_from_slice(&ttl.to_be_bytes());
            m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
            m.extend_from_slice(rdata);
        }
        m
    }

    pub fn name_bytes(n: &str) -> Vec<u8> {
        let mut v = Vec::new();
        encode_name(&mut v, n);
        v
    }

    #[test]
    fn query_layout() {
        let q = build_query(0x1234, "repo.swiftos.test").unwrap();
        assert_eq!(&q[..12], &[0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&q[12..17], b"\x04repo");
        assert_eq!(&q[q.len() - 4..], &[0, 1, 0, 1]);
        for bad in ["", ".", "a..b", "bad name", &"x".repeat(64), "ü.test"] {
            assert!(build_query(1, bad).is_err(), "{bad:?}");
        }
        assert!(build_query(1, "trailing.dot.").is_ok());
    }

    #[test]
    fn a_records() {
        let m = response(
            7,
            "repo.swiftos.test",
            0,
            &[
                ("repo.swiftos.test", TYPE_A, 300, vec![10, 0, 2, 2]),
                ("repo.swiftos.test", TYPE_A, 60, vec![10, 0, 2, 3]),
            ],
        );
        let a = parse_response(&m, 7, "REPO.swiftos.test").unwrap();
        assert_eq!(a.addrs, vec![[10, 0, 2, 2], [10, 0, 2, 3]]);
        assert_eq!(a.ttl, 60);
        assert_eq!(
            parse_response(&m, 8, "repo.swiftos.test"),
            Err(DnsError::Mismatch)
        );
        assert_eq!(parse_response(&m, 7, "other.test"), Err(DnsError::Mismatch));
    }

    #[test]
    fn cname_chain_with_compression() {
        // www -> alias (pointer into the question) -> A.
        let mut m = response(9, "www.swiftos.test", 0, &[]);
        m[6..8].copy_from_slice(&2u16.to_be_bytes());
        // answer 1: owner = pointer to the question name (offset 12), CNAME "repo" + ptr to "swiftos.test" (offset 16)
        m.extend_from_slice(&[0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 30, 0, 7]);
        let target_at = m.len();
        m.extend_from_slice(&[4, b'r', b'e', b'p', b'o', 0xc0, 16]);
        // answer 2: owner = pointer to the CNAME target, A 10.0.2.2
        m.extend_from_slice(&[
            0xc0,
            target_at as u8,
            0,
            1,
            0,
            1,
            0,
            0,
            1,
            0,
            0,
            4,
            10,
            0,
            2,
            2,
        ]);
        let a = parse_response(&m, 9, "www.swiftos.test").unwrap();
        assert_eq!(a.addrs, vec![[10, 0, 2, 2]]);
        assert_eq!(a.canonical, "repo.swiftos.test");
        assert_eq!(a.ttl, 30);
    }

    #[test]
    fn nxdomain_nodata_servfail_truncated() {
        let m = response(1, "nope.test", RCODE_NXDOMAIN, &[]);
        assert_eq!(parse_response(&m, 1, "nope.test"), Err(DnsError::NxDomain));
        let m = response(1, "nope.test", 0, &[]);
        assert_eq!(parse_response(&m, 1, "nope.test"), Err(DnsError::NoData));
        let m = response(1, "nope.test", RCODE_SERVFAIL, &[]);
        assert_eq!(
            parse_response(&m, 1, "nope.test"),
            Err(DnsError::ServerFailure(2))
        );
        let mut m = response(1, "nope.test", 0, &[]);
        m[2] |= 0x02;
        assert_eq!(parse_response(&m, 1, "nope.test"), Err(DnsError::Truncated));
    }

    #[test]
    fn cname_loop_detected() {
        let m = response(
            2,
            "a.test",
            0,
            &[
                ("a.test", TYPE_CNAME, 5, name_bytes("b.test")),
                ("b.test", TYPE_CNAME, 5, name_bytes("a.test")),
            ],
        );
        assert_eq!(parse_response(&m, 2, "a.test"), Err(DnsError::CnameLoop));
    }

    #[test]
    fn pointer_loop_and_garbage_do_not_panic() {
        let mut m = response(3, "a.test", 0, &[]);
        m[6..8].copy_from_slice(&1u16.to_be_bytes());
        let at = m.len();
        m.extend_from_slice(&[0xc0, at as u8]); // points at itself
        assert!(matches!(
            parse_response(&m, 3, "a.test"),
            Err(DnsError::Malformed(_))
        ));
        // Every truncation of a valid response fails cleanly.
        let full = response(
            4,
            "repo.swiftos.test",
            0,
            &[("repo.swiftos.test", TYPE_A, 1, vec![1, 2, 3, 4])],
        );
        for n in 0..full.len() {
            assert!(
                parse_response(&full[..n], 4, "repo.swiftos.test").is_err(),
                "len {n}"
            );
        }
        // Pseudo-random garbage.
        let mut x = 0x9e37_79b9u32;
        for len in 0..600 {
            let g: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    x as u8
                })
                .collect();
            let _ = parse_response(&g, 0, "a.test");
        }
        // A record with a wrong length.
        let m = response(5, "a.test", 0, &[("a.test", TYPE_A, 1, vec![1, 2, 3])]);
        assert!(matches!(
            parse_response(&m, 5, "a.test"),
            Err(DnsError::Malformed(_))
        ));
    }
}
