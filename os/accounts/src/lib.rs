//! The SwiftOS account database: `/etc/passwd`, `/etc/shadow` and `/etc/group` line formats,
//! salted PBKDF2 password hashes and the per-account capability policy.
//!
//! Portable `no_std + alloc`: `console-login`, `id` and `chown` use it on the target, the host
//! `mkpasswd` tool and the tests use it on the host.
//!
//! # `/etc/passwd` (world-readable)
//! One account per line, seven `:`-separated fields; `#` starts a comment line, blank lines are
//! ignored:
//! ```text
//! name:uid:gid:home:shell:caps:hash
//! user:1000:1000:/tmp:/bin/sh:capFsRead,capTmpWrite,capNet:x
//! ```
//! `caps` is a comma-separated list of names from [`swiftos_abi::Caps::NAMES`] (or `-` for
//! none). `hash` is `x` when the hash is kept in `/etc/shadow` (the normal case), `!` for a
//! locked account, or (legacy, not recommended: the file is world-readable) the hash itself.
//!
//! # `/etc/shadow` (root only, mode 0600)
//! `name:hash` per line, `hash` being `pbkdf2-sha256$ITERATIONS$SALT$HASH` (hex) or `!`:
//! ```text
//! user:pbkdf2-sha256$2000$<salt hex>$<hash hex>
//! ```
//! [`Accounts::with_shadow`] joins the two; an `x` account without a shadow line is locked.
//!
//! # `/etc/group`
//! `name:gid` per line (further fields are ignored).
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;
use sha2::{Digest, Sha256};
use swiftos_abi::Caps;

/// PBKDF2 iterations for new hashes. Modest on purpose: QEMU's TCG emulation is slow and
/// `console-login` must answer in well under a second.
pub const DEFAULT_ITERATIONS: u32 = 2000;
/// Upper bound accepted when parsing, so a hostile file cannot stall login for minutes.
pub const MAX_ITERATIONS: u32 = 1_000_000;
/// Length of the derived key in bytes.
pub const HASH_LEN: usize = 32;
/// Hash scheme tag.
pub const SCHEME: &str = "pbkdf2-sha256";
/// Longest accepted account or group name.
pub const MAX_NAME_LEN: usize = 32;
/// The `/etc/passwd` hash field meaning "see `/etc/shadow`".
pub const SHADOWED: &str = "x";
/// Where the world-readable account list lives.
pub const PASSWD_PATH: &str = "/etc/passwd";
/// Where the password hashes live (owner root, mode 0600).
pub const SHADOW_PATH: &str = "/etc/shadow";

/// Why an account or group line was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("line {line}: expected {expected} ':'-separated fields, found {found}")]
    FieldCount {
        line: usize,
        expected: usize,
        found: usize,
    },
    #[error("line {line}: invalid name {name:?}")]
    BadName { line: usize, name: String },
    #[error("line {line}: invalid number {value:?} in field {field}")]
    BadNumber {
        line: usize,
        field: &'static str,
        value: String,
    },
    #[error("line {line}: unknown capability {name:?}")]
    UnknownCap { line: usize, name: String },
    #[error("line {line}: malformed password hash")]
    BadHash { line: usize },
    #[error("line {line}: path field {field} must be absolute")]
    BadPath { line: usize, field: &'static str },
    #[error("line {line}: duplicate name {name:?}")]
    Duplicate { line: usize, name: String },
}

/// A stored password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordHash {
    /// No password can log in.
    Locked,
    /// `x` in `/etc/passwd`: the hash is in `/etc/shadow`. Verifies nothing until
    /// [`Accounts::with_shadow`] replaces it.
    Shadowed,
    /// PBKDF2-HMAC-SHA256.
    Pbkdf2 {
        iterations: u32,
        salt: Vec<u8>,
        hash: [u8; HASH_LEN],
    },
}

impl PasswordHash {
    /// Hash `password` with `salt`.
    pub fn new(password: &[u8], salt: &[u8], iterations: u32) -> PasswordHash {
        let mut hash = [0u8; HASH_LEN];
        pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations.max(1), &mut hash);
        PasswordHash::Pbkdf2 {
            iterations: iterations.max(1),
            salt: salt.to_vec(),
            hash,
        }
    }

    /// Check a password in constant time (with respect to the stored hash).
    pub fn verify(&self, password: &[u8]) -> bool {
        match self {
            PasswordHash::Locked | PasswordHash::Shadowed => false,
            PasswordHash::Pbkdf2 {
                iterations,
                salt,
                hash,
            } => {
                let mut got = [0u8; HASH_LEN];
                pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, *iterations, &mut got);
                constant_time_eq(&got, hash)
            }
        }
    }

    /// Parse the `hash` field of `/etc/passwd` (which may be `x`); `None` when malformed.
    pub fn parse(s: &str) -> Option<PasswordHash> {
        if s == SHADOWED {
            return Some(PasswordHash::Shadowed);
        }
        PasswordHash::parse_stored(s)
    }

    /// Parse a stored hash (an `/etc/shadow` hash field: `x` is not allowed there).
    pub fn parse_stored(s: &str) -> Option<PasswordHash> {
        if s == "!" || s == "*" {
            return Some(PasswordHash::Locked);
        }
        let mut parts = s.split('$');
        let scheme = parts.next()?;
        let iters = parts.next()?;
        let salt = parts.next()?;
        let hash = parts.next()?;
        if scheme != SCHEME || parts.next().is_some() {
            return None;
        }
        let iterations = parse_decimal(iters)?;
        if iterations == 0 || iterations > MAX_ITERATIONS as u64 {
            return None;
        }
        let salt = hex_decode(salt)?;
        if salt.is_empty() || salt.len() > 64 {
            return None;
        }
        let hash_v = hex_decode(hash)?;
        let hash: [u8; HASH_LEN] = hash_v.as_slice().try_into().ok()?;
        Some(PasswordHash::Pbkdf2 {
            iterations: iterations as u32,
            salt,
            hash,
        })
    }

    /// The `hash` field text.
    pub fn to_field(&self) -> String {
        match self {
            PasswordHash::Locked => String::from("!"),
            PasswordHash::Shadowed => String::from(SHADOWED),
            PasswordHash::Pbkdf2 {
                iterations,
                salt,
                hash,
            } => {
                let mut s = String::new();
                let _ = write!(s, "{SCHEME}${iterations}$");
                hex_encode_into(&mut s, salt);
                s.push('$');
                hex_encode_into(&mut s, hash);
                s
            }
        }
    }
}

/// Compare two byte strings without an early exit on the first difference.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    // `black_box` keeps the optimiser from turning the fold into an early-exit loop.
    core::hint::black_box(diff) == 0
}

/// The reproducible default salt of the seeded accounts: the first 16 bytes of
/// SHA-256(`"swiftos-base-salt/" + name`). Real deployments pass their own salt to `mkpasswd`.
pub fn default_salt(name: &str) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(b"swiftos-base-salt/");
    h.update(name.as_bytes());
    h.finalize()[..16].to_vec()
}

/// One account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: String,
    pub shell: String,
    pub caps: Caps,
    pub password: PasswordHash,
}

impl Account {
    /// Serialise as one `/etc/passwd` line (without the newline).
    pub fn to_line(&self) -> String {
        let mut s = String::new();
        let _ = write!(
            s,
            "{}:{}:{}:{}:{}:{}:{}",
            self.name,
            self.uid,
            self.gid,
            self.home,
            self.shell,
            caps_to_string(self.caps),
            self.password.to_field()
        );
        s
    }

    /// The account split for the two files: its `/etc/passwd` line with `x` in the hash field,
    /// and its `/etc/shadow` line `name:hash` (both without the newline).
    pub fn to_shadowed_lines(&self) -> (String, String) {
        let passwd = Account {
            password: PasswordHash::Shadowed,
            ..self.clone()
        }
        .to_line();
        let shadow = ShadowEntry {
            name: self.name.clone(),
            password: match &self.password {
                PasswordHash::Shadowed => PasswordHash::Locked,
                p => p.clone(),
            },
        }
        .to_line();
        (passwd, shadow)
    }
}

/// One `/etc/shadow` line: an account name and its password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShadowEntry {
    pub name: String,
    pub password: PasswordHash,
}

impl ShadowEntry {
    /// Serialise as one `/etc/shadow` line (without the newline).
    pub fn to_line(&self) -> String {
        let mut s = String::new();
        let _ = write!(s, "{}:{}", self.name, self.password.to_field());
        s
    }
}

/// Parse one `/etc/shadow` line (`line` is its number, for error messages).
pub fn parse_shadow_line(line: usize, text: &str) -> Result<ShadowEntry, ParseError> {
    let fields: Vec<&str> = text.split(':').collect();
    if fields.len() != 2 {
        return Err(ParseError::FieldCount {
            line,
            expected: 2,
            found: fields.len(),
        });
    }
    if !valid_name(fields[0]) {
        return Err(ParseError::BadName {
            line,
            name: String::from(fields[0]),
        });
    }
    let password = PasswordHash::parse_stored(fields[1]).ok_or(ParseError::BadHash { line })?;
    Ok(ShadowEntry {
        name: String::from(fields[0]),
        password,
    })
}

/// Parse a whole `/etc/shadow`. Any malformed line or duplicate name rejects the file.
pub fn parse_shadow(text: &str) -> Result<Vec<ShadowEntry>, ParseError> {
    let mut out: Vec<ShadowEntry> = Vec::new();
    for (n, l) in data_lines(text) {
        let e = parse_shadow_line(n, l)?;
        if out.iter().any(|x| x.name == e.name) {
            return Err(ParseError::Duplicate {
                line: n,
                name: e.name,
            });
        }
        out.push(e);
    }
    Ok(out)
}

/// Serialise shadow entries back to file text (trailing newline).
pub fn shadow_to_text(entries: &[ShadowEntry]) -> String {
    let mut s = String::new();
    for e in entries {
        s.push_str(&e.to_line());
        s.push('\n');
    }
    s
}

/// One group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    pub gid: u32,
}

/// Capability names joined by `,` (`-` for none).
pub fn caps_to_string(caps: Caps) -> String {
    let mut s = String::new();
    for (c, n) in Caps::NAMES {
        if caps.contains(c) {
            if !s.is_empty() {
                s.push(',');
            }
            s.push_str(n);
        }
    }
    if s.is_empty() {
        s.push('-');
    }
    s
}

/// Parse a `caps` field. `Err(name)` names the first unknown capability.
pub fn parse_caps(field: &str) -> Result<Caps, String> {
    let mut caps = Caps::NONE;
    if field == "-" || field.is_empty() {
        return Ok(caps);
    }
    for name in field.split(',') {
        let name = name.trim();
        if name == "ALL" {
            caps = caps.union(Caps::ALL);
            continue;
        }
        match Caps::from_name(name) {
            Some(c) => caps = caps.union(c),
            None => return Err(String::from(name)),
        }
    }
    Ok(caps)
}

/// Whether `name` is an acceptable account/group name: `[a-z_][a-z0-9_-]*`, at most 32 bytes.
pub fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    if b.is_empty() || b.len() > MAX_NAME_LEN {
        return false;
    }
    let first_ok = b[0].is_ascii_lowercase() || b[0] == b'_';
    first_ok
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_' || *c == b'-')
}

fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 10 || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_id(line: usize, field: &'static str, s: &str) -> Result<u32, ParseError> {
    parse_decimal(s)
        .and_then(|v| u32::try_from(v).ok())
        .ok_or_else(|| ParseError::BadNumber {
            line,
            field,
            value: String::from(s),
        })
}

/// Lines that carry data: (1-based line number, text).
fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
}

/// Parse one `/etc/passwd` line (`line` is its number, for error messages).
pub fn parse_account_line(line: usize, text: &str) -> Result<Account, ParseError> {
    let fields: Vec<&str> = text.split(':').collect();
    if fields.len() != 7 {
        return Err(ParseError::FieldCount {
            line,
            expected: 7,
            found: fields.len(),
        });
    }
    let name = fields[0];
    if !valid_name(name) {
        return Err(ParseError::BadName {
            line,
            name: String::from(name),
        });
    }
    let uid = parse_id(line, "uid", fields[1])?;
    let gid = parse_id(line, "gid", fields[2])?;
    if !fields[3].starts_with('/') {
        return Err(ParseError::BadPath {
            line,
            field: "home",
        });
    }
    if !fields[4].starts_with('/') {
        return Err(ParseError::BadPath {
            line,
            field: "shell",
        });
    }
    let caps = parse_caps(fields[5]).map_err(|name| ParseError::UnknownCap { line, name })?;
    let password = PasswordHash::parse(fields[6]).ok_or(ParseError::BadHash { line })?;
    Ok(Account {
        name: String::from(name),
        uid,
        gid,
        home: String::from(fields[3]),
        shell: String::from(fields[4]),
        caps,
        password,
    })
}

/// The parsed account database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accounts {
    pub accounts: Vec<Account>,
}

impl Accounts {
    /// Parse a whole `/etc/passwd`. Any malformed line rejects the file (login then refuses
    /// everybody rather than guessing).
    pub fn parse(text: &str) -> Result<Accounts, ParseError> {
        let mut accounts: Vec<Account> = Vec::new();
        for (n, l) in data_lines(text) {
            let a = parse_account_line(n, l)?;
            if accounts.iter().any(|x| x.name == a.name) {
                return Err(ParseError::Duplicate {
                    line: n,
                    name: a.name,
                });
            }
            accounts.push(a);
        }
        Ok(Accounts { accounts })
    }

    /// Serialise back to file text (one line per account, trailing newline).
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for a in &self.accounts {
            s.push_str(&a.to_line());
            s.push('\n');
        }
        s
    }

    /// Fill in the hashes of `x` accounts from `/etc/shadow` entries. An `x` account without a
    /// shadow line becomes locked; shadow lines for unknown accounts are ignored; accounts with
    /// a hash of their own in `/etc/passwd` keep it.
    pub fn with_shadow(mut self, shadow: &[ShadowEntry]) -> Accounts {
        for a in &mut self.accounts {
            if a.password == PasswordHash::Shadowed {
                a.password = shadow
                    .iter()
                    .find(|e| e.name == a.name)
                    .map(|e| e.password.clone())
                    .unwrap_or(PasswordHash::Locked);
            }
        }
        self
    }

    pub fn by_name(&self, name: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.name == name)
    }

    pub fn by_uid(&self, uid: u32) -> Option<&Account> {
        self.accounts.iter().find(|a| a.uid == uid)
    }

    /// Check a login. Unknown names still cost one hash computation so timing does not reveal
    /// which names exist.
    pub fn authenticate(&self, name: &str, password: &[u8]) -> Option<&Account> {
        match self.by_name(name) {
            Some(a) if a.password.verify(password) => Some(a),
            Some(_) => None,
            None => {
                let dummy = PasswordHash::new(b"", b"swiftos-dummy", DEFAULT_ITERATIONS);
                let _ = dummy.verify(password);
                None
            }
        }
    }
}

/// Parse `/etc/group`.
pub fn parse_groups(text: &str) -> Result<Vec<Group>, ParseError> {
    let mut out: Vec<Group> = Vec::new();
    for (n, l) in data_lines(text) {
        let fields: Vec<&str> = l.split(':').collect();
        if fields.len() < 2 {
            return Err(ParseError::FieldCount {
                line: n,
                expected: 2,
                found: fields.len(),
            });
        }
        if !valid_name(fields[0]) {
            return Err(ParseError::BadName {
                line: n,
                name: String::from(fields[0]),
            });
        }
        let gid = parse_id(n, "gid", fields[1])?;
        if out.iter().any(|g| g.name == fields[0]) {
            return Err(ParseError::Duplicate {
                line: n,
                name: String::from(fields[0]),
            });
        }
        out.push(Group {
            name: String::from(fields[0]),
            gid,
        });
    }
    Ok(out)
}

/// Lower-case hex of `bytes`.
pub fn hex_encode(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    hex_encode_into(&mut s, bytes);
    s
}

fn hex_encode_into(s: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
}

/// Decode hex (either case); `None` on odd length or a non-hex digit.
pub fn hex_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    };
    b.chunks(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Account {
        Account {
            name: "user".into(),
            uid: 1000,
            gid: 1000,
            home: "/tmp".into(),
            shell: "/bin/sh".into(),
            caps: Caps::FS_READ.union(Caps::NET),
            password: PasswordHash::new(b"secret", &default_salt("user"), 10),
        }
    }

    #[test]
    fn line_round_trip() {
        let a = sample();
        let line = a.to_line();
        assert!(line.starts_with("user:1000:1000:/tmp:/bin/sh:capFsRead,capNet:pbkdf2-sha256$10$"));
        assert_eq!(parse_account_line(1, &line).unwrap(), a);
    }

    #[test]
    fn verify_right_and_wrong() {
        let a = sample();
        assert!(a.password.verify(b"secret"));
        assert!(!a.password.verify(b"Secret"));
        assert!(!a.password.verify(b""));
        assert!(!PasswordHash::Locked.verify(b""));
    }

    #[test]
    fn pbkdf2_known_vector() {
        // RFC 7914 section 11 test vector for PBKDF2-HMAC-SHA256 ("passwd", "salt", c = 1).
        let h = PasswordHash::new(b"passwd", b"salt", 1);
        let PasswordHash::Pbkdf2 { hash, .. } = h else {
            panic!()
        };
        assert_eq!(
            hex_encode(&hash),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
        );
    }

    #[test]
    fn constant_time_eq_works() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn malformed_lines_are_errors() {
        let good = sample().to_line();
        let cases: &[&str] = &[
            "",
            "user",
            "user:1000:1000:/tmp:/bin/sh:capFsRead",
            "User:1:1:/tmp:/bin/sh:-:!",
            "user:x:1:/tmp:/bin/sh:-:!",
            "user:1:99999999999:/tmp:/bin/sh:-:!",
            "user:-1:1:/tmp:/bin/sh:-:!",
            "user:1:1:tmp:/bin/sh:-:!",
            "user:1:1:/tmp:sh:-:!",
            "user:1:1:/tmp:/bin/sh:capFly:!",
            "user:1:1:/tmp:/bin/sh:-:",
            "user:1:1:/tmp:/bin/sh:-:pbkdf2-sha256$0$00$00",
            "user:1:1:/tmp:/bin/sh:-:pbkdf2-sha256$10$zz$00",
            "user:1:1:/tmp:/bin/sh:-:pbkdf2-sha256$10$00$00",
            "user:1:1:/tmp:/bin/sh:-:md5$10$00$00",
            "user:1:1:/tmp:/bin/sh:-:pbkdf2-sha256$99999999999$00$00",
            "user:1:1:/tmp:/bin/sh:-:!:extra",
        ];
        for c in cases {
            assert!(parse_account_line(1, c).is_err(), "accepted {c:?}");
        }
        // Every truncation of a good line is rejected or parses, but never panics.
        for i in 0..good.len() {
            let _ = parse_account_line(1, &good[..i]);
        }
        assert!(parse_account_line(1, &good[..good.len() - 1]).is_err());
    }

    #[test]
    fn garbage_never_panics() {
        let mut x: u32 = 12345;
        for _ in 0..2000 {
            let mut s = String::new();
            for _ in 0..(x % 60) {
                x = x.wrapping_mul(1103515245).wrapping_add(12345);
                let c = b":$,0a-/!x\n#9Ff"[(x >> 16) as usize % 14] as char;
                s.push(c);
            }
            let _ = Accounts::parse(&s);
            let _ = parse_groups(&s);
            let _ = PasswordHash::parse(&s);
        }
    }

    #[test]
    fn file_with_comments_and_duplicates() {
        let a = sample().to_line();
        let text = alloc::format!("# comment\n\n{a}\n");
        let db = Accounts::parse(&text).unwrap();
        assert_eq!(db.accounts.len(), 1);
        assert_eq!(db.by_uid(1000).unwrap().name, "user");
        assert!(db.authenticate("user", b"secret").is_some());
        assert!(db.authenticate("user", b"nope").is_none());
        assert!(db.authenticate("nobody", b"secret").is_none());
        let dup = alloc::format!("{a}\n{a}\n");
        assert!(matches!(
            Accounts::parse(&dup),
            Err(ParseError::Duplicate { line: 2, .. })
        ));
        assert_eq!(Accounts::parse(&db.to_text()).unwrap(), db);
    }

    #[test]
    fn groups_parse() {
        let g = parse_groups("root:0\nuser:1000:user\n# x\n").unwrap();
        assert_eq!(
            g[1],
            Group {
                name: "user".into(),
                gid: 1000
            }
        );
        assert!(parse_groups("root\n").is_err());
        assert!(parse_groups("root:x\n").is_err());
    }

    #[test]
    fn caps_field() {
        assert_eq!(parse_caps("-"), Ok(Caps::NONE));
        assert_eq!(parse_caps("ALL"), Ok(Caps::ALL));
        assert_eq!(caps_to_string(Caps::NONE), "-");
        assert_eq!(parse_caps(&caps_to_string(Caps::ALL)), Ok(Caps::ALL));
        assert_eq!(parse_caps("capNet,capBogus"), Err("capBogus".into()));
    }

    #[test]
    fn shadow_lines() {
        let a = sample();
        let (passwd, shadow) = a.to_shadowed_lines();
        assert_eq!(passwd, "user:1000:1000:/tmp:/bin/sh:capFsRead,capNet:x");
        assert!(shadow.starts_with("user:pbkdf2-sha256$10$"), "{shadow}");
        let db = Accounts::parse(&passwd).unwrap();
        assert_eq!(db.accounts[0].password, PasswordHash::Shadowed);
        // Without the shadow file nobody can log in.
        assert!(db.authenticate("user", b"secret").is_none());
        let sh = parse_shadow(&alloc::format!("# hashes\n{shadow}\n")).unwrap();
        assert_eq!(sh[0].to_line(), shadow);
        assert_eq!(parse_shadow(&shadow_to_text(&sh)).unwrap(), sh);
        let joined = db.clone().with_shadow(&sh);
        assert_eq!(joined.accounts[0], a);
        assert!(joined.authenticate("user", b"secret").is_some());
        // An `x` account without a shadow line is locked; stray shadow lines are ignored.
        let other = parse_shadow("guest:!\nnobody:!\n").unwrap();
        let locked = db.clone().with_shadow(&other);
        assert_eq!(locked.accounts[0].password, PasswordHash::Locked);
        assert!(locked.authenticate("user", b"secret").is_none());
        // A legacy inline hash in /etc/passwd is kept (shadow does not override it).
        let inline = Accounts::parse(&a.to_line()).unwrap().with_shadow(&other);
        assert!(inline.authenticate("user", b"secret").is_some());
    }

    #[test]
    fn malformed_shadow_is_rejected() {
        let good = sample().to_shadowed_lines().1;
        let cases: &[&str] = &[
            "user",
            "user:x",
            "user:",
            "User:!",
            ":!",
            "user:!:extra",
            "user:pbkdf2-sha256$10$zz$00",
            "user:md5$10$00$00",
        ];
        for c in cases {
            assert!(parse_shadow_line(1, c).is_err(), "accepted {c:?}");
            assert!(parse_shadow(c).is_err(), "accepted file {c:?}");
        }
        for i in 0..good.len() {
            let _ = parse_shadow(&good[..i]);
        }
        assert!(parse_shadow_line(1, &good[..good.len() - 1]).is_err());
        assert!(matches!(
            parse_shadow("user:!\nuser:!\n"),
            Err(ParseError::Duplicate { line: 2, .. })
        ));
        let mut x: u32 = 777;
        for _ in 0..2000 {
            let mut s = String::new();
            for _ in 0..(x % 60) {
                x = x.wrapping_mul(1103515245).wrapping_add(12345);
                s.push(b":$,0a-!x\n#9Ff*"[(x >> 16) as usize % 14] as char);
            }
            let _ = parse_shadow(&s);
        }
    }

    /// The seeded base-image accounts verify with their documented passwords and follow the
    /// documented policy (see `os/base/etc/passwd` and `os/base/etc/shadow`).
    #[test]
    fn base_image_accounts() {
        let text = include_str!("../../base/etc/passwd");
        let plain = Accounts::parse(text).unwrap();
        // No hash in the world-readable file: every account defers to /etc/shadow.
        for a in &plain.accounts {
            assert_eq!(
                a.password,
                PasswordHash::Shadowed,
                "{} has a hash in passwd",
                a.name
            );
        }
        let shadow = parse_shadow(include_str!("../../base/etc/shadow")).unwrap();
        assert_eq!(shadow.len(), plain.accounts.len());
        let db = plain.with_shadow(&shadow);
        for name in ["root", "user", "guest"] {
            let a = db.by_name(name).unwrap();
            assert!(a.password.verify(name.as_bytes()), "{name}");
            assert!(!a.password.verify(b"wrong"));
            // Reproducible: regenerating gives the same line.
            let again = PasswordHash::new(name.as_bytes(), &default_salt(name), DEFAULT_ITERATIONS);
            assert_eq!(again, a.password, "{name} hash not reproducible");
        }
        assert_eq!(db.by_name("root").unwrap().caps, Caps::ALL);
        let user = db.by_name("user").unwrap().caps;
        assert!(user.contains(Caps::FS_READ.union(Caps::TMP_WRITE).union(Caps::NET)));
        assert!(!user.contains(Caps::IDENTITY));
        assert_eq!(db.by_name("guest").unwrap().caps, Caps::FS_READ);
        let groups = parse_groups(include_str!("../../base/etc/group")).unwrap();
        for a in &db.accounts {
            assert!(groups.iter().any(|g| g.gid == a.gid), "{} gid", a.name);
        }
    }
}
