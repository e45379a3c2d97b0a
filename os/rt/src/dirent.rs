//! Decoding `getdents` buffers (packed `swiftos_abi::DirentHeader` records). Portable and
//! host-tested: the bytes come from the kernel, so a malformed buffer ends decoding instead of
//! panicking.

use alloc::string::String;
use alloc::vec::Vec;
use swiftos_abi::DirentHeader;

/// One directory entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    pub ino: u64,
    /// One of the `DT_*` values.
    pub kind: u8,
    pub name: String,
}

const H: usize = core::mem::size_of::<DirentHeader>();

/// Append the entries in `buf` to `out`. Stops at the first malformed record (record length
/// shorter than the header or its name, or running past the buffer).
pub fn parse_dirents(buf: &[u8], out: &mut Vec<DirEntry>) {
    let mut off = 0;
    while off + H <= buf.len() {
        let rec = &buf[off..];
        let mut ino = [0u8; 8];
        ino.copy_from_slice(&rec[0..8]);
        let reclen = u16::from_le_bytes([rec[8], rec[9]]) as usize;
        let kind = rec[10];
        let namelen = rec[11] as usize;
        if reclen < H || reclen > rec.len() || H + namelen > reclen {
            return;
        }
        let name = String::from_utf8_lossy(&rec[H..H + namelen]).into_owned();
        out.push(DirEntry {
            ino: u64::from_le_bytes(ino),
            kind,
            name,
        });
        off += reclen;
    }
}

/// Encode one record (used by tests; mirrors what the kernel writes).
pub fn encode_dirent(ino: u64, kind: u8, name: &[u8], out: &mut Vec<u8>) {
    let namelen = name.len().min(255);
    let reclen = (H + namelen).div_ceil(8) * 8;
    out.extend_from_slice(&ino.to_le_bytes());
    out.extend_from_slice(&(reclen as u16).to_le_bytes());
    out.push(kind);
    out.push(namelen as u8);
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&name[..namelen]);
    out.resize(out.len() + reclen - H - namelen, 0);
}

#[cfg(test)]
mod tests {
    use super::*;
    use swiftos_abi::{DT_DIR, DT_REG};

    #[test]
    fn round_trip() {
        let mut buf = Vec::new();
        encode_dirent(1, DT_DIR, b".", &mut buf);
        encode_dirent(7, DT_REG, b"passwd", &mut buf);
        encode_dirent(9, DT_REG, b"exactly8", &mut buf);
        assert_eq!(buf.len() % 8, 0);
        let mut out = Vec::new();
        parse_dirents(&buf, &mut out);
        let names: Vec<&str> = out.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, [".", "passwd", "exactly8"]);
        assert_eq!(out[1].ino, 7);
        assert_eq!(out[1].kind, DT_REG);
    }

    #[test]
    fn truncated_and_garbage_buffers_never_panic() {
        let mut buf = Vec::new();
        encode_dirent(1, DT_REG, b"a-long-file-name", &mut buf);
        encode_dirent(2, DT_REG, b"b", &mut buf);
        for cut in 0..buf.len() {
            let mut out = Vec::new();
            parse_dirents(&buf[..cut], &mut out);
            assert!(out.len() <= 2);
        }
        // Record length 0 (would loop forever) and a name longer than its record.
        let mut bad = buf.clone();
        bad[8] = 0;
        bad[9] = 0;
        let mut out = Vec::new();
        parse_dirents(&bad, &mut out);
        assert!(out.is_empty());
        let mut bad = buf.clone();
        bad[11] = 200;
        out.clear();
        parse_dirents(&bad, &mut out);
        assert!(out.is_empty());
        let mut x: u32 = 7;
        for _ in 0..5000 {
            let len = (x % 80) as usize;
            let g: Vec<u8> = (0..len)
                .map(|i| {
                    x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (x >> 24) as u8 ^ i as u8
                })
                .collect();
            out.clear();
            parse_dirents(&g, &mut out);
        }
    }
}
