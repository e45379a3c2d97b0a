//! An incremental, strict POSIX tar (ustar + pax `path`/`linkpath`) reader over any [`Read`].
//!
//! It reads one 512-byte block at a time and never buffers entry data: callers pull an entry's
//! bytes through [`TarReader::read_data`]. Only what the `.swpkg` format needs is accepted:
//! POSIX `ustar\0` `00` headers with valid checksums and octal numbers, type `0` (file), `5`
//! (directory), `2` (symlink), and `x` (pax, only `path` and `linkpath` records, at most
//! [`MAX_PAX_BYTES`]). Everything else (hard links, devices, fifos, GNU long names, global pax
//! headers, base-256 numbers) is refused.

use crate::error::{PackageError, StreamError};
use crate::path::display_bytes;
use crate::read::Read;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// Tar block size.
pub const BLOCK: usize = 512;
/// Largest pax extended header accepted.
pub const MAX_PAX_BYTES: u64 = 4096;

/// Entry types the format accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TarKind {
    /// Regular file (`0`).
    File,
    /// Directory (`5`).
    Dir,
    /// Symbolic link (`2`).
    Symlink,
}

impl TarKind {
    /// Lower-case name, matching [`crate::EntryKind::as_str`].
    pub fn as_str(self) -> &'static str {
        match self {
            TarKind::File => "file",
            TarKind::Dir => "dir",
            TarKind::Symlink => "symlink",
        }
    }
}

/// A parsed entry header (after applying any pax records).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarHeader {
    /// Entry path (a directory's single trailing `/` removed).
    pub path: String,
    /// Entry type.
    pub kind: TarKind,
    /// Permission bits (the low 12 bits of the mode field).
    pub mode: u32,
    /// Data size.
    pub size: u64,
    /// Symlink target (empty for other types).
    pub link: String,
    /// Offset of the header in the stream.
    pub offset: u64,
}

/// Incremental tar reader.
#[derive(Debug)]
pub struct TarReader<R> {
    inner: R,
    offset: u64,
}

type Res<T, R, S> = Result<T, StreamError<<R as Read>::Error, S>>;

fn bad<RE, S>(offset: u64, reason: &'static str) -> StreamError<RE, S> {
    StreamError::Package(PackageError::BadHeader { offset, reason })
}

fn bad_pax<RE, S>(offset: u64, reason: &'static str) -> StreamError<RE, S> {
    StreamError::Package(PackageError::BadPax { offset, reason })
}

/// Parse a NUL/space-terminated octal field.
fn octal(field: &[u8]) -> Option<u64> {
    let mut i = 0;
    while i < field.len() && field[i] == b' ' {
        i += 1;
    }
    let start = i;
    let mut v: u64 = 0;
    while i < field.len() && (b'0'..=b'7').contains(&field[i]) {
        v = v.checked_mul(8)?.checked_add(u64::from(field[i] - b'0'))?;
        i += 1;
    }
    if i == start {
        return None;
    }
    if field[i..].iter().all(|&b| b == 0 || b == b' ') {
        Some(v)
    } else {
        None
    }
}

fn cstr(field: &[u8]) -> &[u8] {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    &field[..end]
}

struct Raw {
    name: Vec<u8>,
    link: Vec<u8>,
    typeflag: u8,
    mode: u32,
    size: u64,
}

fn parse_block<RE, S>(b: &[u8; BLOCK], offset: u64) -> Result<Raw, StreamError<RE, S>> {
    if &b[257..263] != b"ustar\0" || &b[263..265] != b"00" {
        return Err(bad(offset, "not a POSIX ustar header"));
    }
    let stored = octal(&b[148..156]).ok_or_else(|| bad(offset, "checksum field is not octal"))?;
    let sum: u64 = b
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            if (148..156).contains(&i) {
                32
            } else {
                u64::from(x)
            }
        })
        .sum();
    if stored != sum {
        return Err(bad(offset, "checksum mismatch"));
    }
    if b[124] & 0x80 != 0 {
        return Err(bad(offset, "base-256 sizes are not supported"));
    }
    let size = octal(&b[124..136]).ok_or_else(|| bad(offset, "size field is not octal"))?;
    let mode = octal(&b[100..108]).ok_or_else(|| bad(offset, "mode field is not octal"))?;
    for (range, what) in [
        (108..116, "uid field is not octal"),
        (116..124, "gid field is not octal"),
        (136..148, "mtime field is not octal"),
    ] {
        octal(&b[range]).ok_or_else(|| bad(offset, what))?;
    }
    let prefix = cstr(&b[345..500]);
    let name = cstr(&b[0..100]);
    let mut full = Vec::with_capacity(prefix.len() + 1 + name.len());
    if !prefix.is_empty() {
        full.extend_from_slice(prefix);
        full.push(b'/');
    }
    full.extend_from_slice(name);
    Ok(Raw {
        name: full,
        link: cstr(&b[157..257]).to_vec(),
        typeflag: b[156],
        mode: (mode & 0o7777) as u32,
        size,
    })
}

/// Parse pax records, returning the `path` and `linkpath` values.
fn parse_pax<RE, S>(
    data: &[u8],
    offset: u64,
) -> Result<(Option<String>, Option<String>), StreamError<RE, S>> {
    let mut path = None;
    let mut link = None;
    let mut rest = data;
    while !rest.is_empty() {
        let sp = rest
            .iter()
            .take(8)
            .position(|&b| b == b' ')
            .ok_or_else(|| bad_pax(offset, "record length missing"))?;
        let len_txt = &rest[..sp];
        if len_txt.is_empty() || !len_txt.iter().all(u8::is_ascii_digit) {
            return Err(bad_pax(offset, "record length is not decimal"));
        }
        let len = len_txt
            .iter()
            .fold(0usize, |a, &d| a * 10 + usize::from(d - b'0'));
        if len <= sp + 1 || len > rest.len() || rest[len - 1] != b'\n' {
            return Err(bad_pax(offset, "record length does not match its data"));
        }
        let body = &rest[sp + 1..len - 1];
        let eq = body
            .iter()
            .position(|&b| b == b'=')
            .ok_or_else(|| bad_pax(offset, "record has no `=`"))?;
        let value = core::str::from_utf8(&body[eq + 1..])
            .map_err(|_| bad_pax(offset, "record value is not UTF-8"))?;
        let slot = match &body[..eq] {
            b"path" => &mut path,
            b"linkpath" => &mut link,
            _ => {
                return Err(bad_pax(
                    offset,
                    "only `path` and `linkpath` records are allowed",
                ))
            }
        };
        if slot.replace(String::from(value)).is_some() {
            return Err(bad_pax(offset, "record key repeated"));
        }
        rest = &rest[len..];
    }
    Ok((path, link))
}

fn forbidden_kind(t: u8) -> &'static str {
    match t {
        b'1' => "hard link",
        b'3' => "character device",
        b'4' => "block device",
        b'6' => "fifo",
        b'7' => "contiguous file",
        b'g' => "global pax header",
        b'x' => "repeated pax header",
        b'L' | b'K' => "GNU long name",
        0 => "old-style (pre-POSIX) file",
        _ => "unknown-type",
    }
}

impl<R: Read> TarReader<R> {
    /// Wrap a source of decompressed tar bytes.
    pub fn new(inner: R) -> Self {
        TarReader { inner, offset: 0 }
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    fn read_exact<S>(&mut self, buf: &mut [u8], context: &str) -> Res<(), R, S> {
        let mut done = 0;
        while done < buf.len() {
            let n = self
                .inner
                .read(&mut buf[done..])
                .map_err(StreamError::Read)?;
            if n == 0 {
                return Err(StreamError::Package(PackageError::Truncated {
                    context: String::from(context),
                }));
            }
            done += n;
        }
        self.offset += buf.len() as u64;
        Ok(())
    }

    /// Read the next header. `Ok(None)` at the end-of-archive marker (a zero block).
    pub fn next_header<S>(&mut self) -> Res<Option<TarHeader>, R, S> {
        let mut block = [0u8; BLOCK];
        let mut offset = self.offset;
        self.read_exact(&mut block, "a tar header")?;
        if block.iter().all(|&b| b == 0) {
            return Ok(None);
        }
        let mut raw = parse_block(&block, offset)?;
        let mut pax = (None, None);
        if raw.typeflag == b'x' {
            if raw.size > MAX_PAX_BYTES {
                return Err(bad_pax(offset, "pax header is too large"));
            }
            let mut data = vec![0u8; raw.size as usize];
            self.read_exact(&mut data, "a pax header")?;
            self.skip_padding(raw.size)?;
            pax = parse_pax(&data, offset)?;
            offset = self.offset;
            self.read_exact(&mut block, "a tar header")?;
            if block.iter().all(|&b| b == 0) {
                return Err(bad_pax(offset, "pax header not followed by an entry"));
            }
            raw = parse_block(&block, offset)?;
        }
        let path_bytes = match pax.0 {
            Some(p) => p.into_bytes(),
            None => raw.name,
        };
        let kind = match raw.typeflag {
            b'0' => TarKind::File,
            b'5' => TarKind::Dir,
            b'2' => TarKind::Symlink,
            t => {
                return Err(StreamError::Package(PackageError::ForbiddenEntryType {
                    path: display_bytes(&path_bytes),
                    kind: forbidden_kind(t),
                }))
            }
        };
        let mut path = String::from_utf8(path_bytes).map_err(|e| {
            StreamError::Package(PackageError::InvalidPath {
                path: display_bytes(e.as_bytes()),
                reason: "path is not UTF-8",
            })
        })?;
        if kind == TarKind::Dir && path.ends_with('/') {
            path.pop();
        }
        let link = match (kind, pax.1) {
            (TarKind::Symlink, Some(l)) => l,
            (TarKind::Symlink, None) => String::from_utf8(raw.link).map_err(|_| {
                StreamError::Package(PackageError::InvalidPath {
                    path: path.clone(),
                    reason: "symlink target is not UTF-8",
                })
            })?,
            (_, Some(_)) => {
                return Err(bad_pax(
                    offset,
                    "linkpath on an entry that is not a symlink",
                ))
            }
            (_, None) => String::new(),
        };
        if kind != TarKind::File && raw.size != 0 {
            return Err(bad(offset, "directory or symlink header with data"));
        }
        Ok(Some(TarHeader {
            path,
            kind,
            mode: raw.mode,
            size: raw.size,
            link,
            offset,
        }))
    }

    fn skip_padding<S>(&mut self, size: u64) -> Res<(), R, S> {
        let pad = ((BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64) as usize;
        let mut buf = [0u8; BLOCK];
        self.read_exact(&mut buf[..pad], "entry padding")
    }

    /// Stream exactly `size` data bytes (plus block padding) through `f`, using `buf` as the
    /// read buffer. `f` may fail with a caller error.
    pub fn read_data<S>(
        &mut self,
        size: u64,
        buf: &mut [u8],
        context: &str,
        mut f: impl FnMut(&[u8]) -> Result<(), S>,
    ) -> Res<(), R, S> {
        let mut left = size;
        while left > 0 {
            let n = (buf.len() as u64).min(left) as usize;
            self.read_exact(&mut buf[..n], context)?;
            f(&buf[..n]).map_err(StreamError::Sink)?;
            left -= n as u64;
        }
        self.skip_padding(size)
    }

    /// After the first zero block: require the second, then accept only zero bytes up to
    /// `max_trailing` more, then end of data.
    pub fn finish<S>(&mut self, max_trailing: u64) -> Res<(), R, S> {
        let mut block = [0u8; BLOCK];
        let offset = self.offset;
        self.read_exact(&mut block, "the end-of-archive marker")?;
        if block.iter().any(|&b| b != 0) {
            return Err(StreamError::Package(PackageError::TrailingData { offset }));
        }
        let mut extra: u64 = 0;
        loop {
            let n = self.inner.read(&mut block).map_err(StreamError::Read)?;
            if n == 0 {
                return Ok(());
            }
            if block[..n].iter().any(|&b| b != 0) || extra + n as u64 > max_trailing {
                return Err(StreamError::Package(PackageError::TrailingData {
                    offset: self.offset,
                }));
            }
            extra += n as u64;
            self.offset += n as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::convert::Infallible;

    type E = StreamError<Infallible, Infallible>;

    fn header(name: &str, typeflag: u8, size: u64) -> [u8; BLOCK] {
        let mut b = [0u8; BLOCK];
        b[..name.len()].copy_from_slice(name.as_bytes());
        b[100..108].copy_from_slice(b"0000644\0");
        b[108..116].copy_from_slice(b"0000000\0");
        b[116..124].copy_from_slice(b"0000000\0");
        let s = alloc::format!("{size:011o}\0");
        b[124..136].copy_from_slice(s.as_bytes());
        b[136..148].copy_from_slice(b"00000000000\0");
        b[156] = typeflag;
        b[257..263].copy_from_slice(b"ustar\0");
        b[263..265].copy_from_slice(b"00");
        fix_checksum(&mut b);
        b
    }

    fn fix_checksum(b: &mut [u8; BLOCK]) {
        b[148..156].copy_from_slice(b"        ");
        let sum: u32 = b.iter().map(|&x| u32::from(x)).sum();
        let s = alloc::format!("{sum:06o}\0 ");
        b[148..156].copy_from_slice(s.as_bytes());
    }

    #[test]
    fn reads_file_and_end() {
        let mut data = Vec::new();
        data.extend_from_slice(&header("a/b", b'0', 3));
        let mut blk = [0u8; BLOCK];
        blk[..3].copy_from_slice(b"xyz");
        data.extend_from_slice(&blk);
        data.extend_from_slice(&[0u8; 1024]);
        let mut r = TarReader::new(&data[..]);
        let h = r.next_header::<Infallible>().unwrap().unwrap();
        assert_eq!(
            (h.path.as_str(), h.kind, h.size, h.mode),
            ("a/b", TarKind::File, 3, 0o644)
        );
        let mut got = Vec::new();
        let mut buf = [0u8; 2];
        r.read_data::<Infallible>(3, &mut buf, "x", |c| {
            got.extend_from_slice(c);
            Ok(())
        })
        .unwrap();
        assert_eq!(got, b"xyz");
        assert!(r.next_header::<Infallible>().unwrap().is_none());
        r.finish::<Infallible>(0).unwrap();
    }

    #[test]
    fn refuses_bad_headers() {
        let mut h = header("x", b'0', 0);
        h[0] = b'y';
        let r: Result<_, E> = TarReader::new(&h[..]).next_header();
        assert!(matches!(
            r,
            Err(StreamError::Package(PackageError::BadHeader {
                reason: "checksum mismatch",
                ..
            }))
        ));
        let h = header("dev", b'3', 0);
        let r: Result<_, E> = TarReader::new(&h[..]).next_header();
        assert!(matches!(
            r,
            Err(StreamError::Package(PackageError::ForbiddenEntryType {
                kind: "character device",
                ..
            }))
        ));
        let h = header("x", b'0', 0);
        let r: Result<_, E> = TarReader::new(&h[..100]).next_header();
        assert!(matches!(
            r,
            Err(StreamError::Package(PackageError::Truncated { .. }))
        ));
    }

    #[test]
    fn pax_records() {
        let (p, l) =
            parse_pax::<Infallible, Infallible>(b"12 path=abc\n17 linkpath=../x\n", 0).unwrap();
        assert_eq!((p.as_deref(), l.as_deref()), (Some("abc"), Some("../x")));
        for bad in [
            &b"13 path=abc\n"[..],
            b"12 mtime=1.0\n",
            b"x path=a\n",
            b"99999999999999 path=a\n",
            b"12 path=abc\n12 path=abc\n",
            b"5 a=\n",
        ] {
            assert!(
                parse_pax::<Infallible, Infallible>(bad, 0).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn trailing_garbage() {
        let mut data = vec![0u8; 2048];
        data[1500] = 1;
        let mut r = TarReader::new(&data[..]);
        assert!(r.next_header::<Infallible>().unwrap().is_none());
        assert!(matches!(
            r.finish::<Infallible>(4096),
            Err(StreamError::Package(PackageError::TrailingData { .. }))
        ));
        let data = vec![0u8; 1024 + 8192];
        let mut r = TarReader::new(&data[..]);
        assert!(r.next_header::<Infallible>().unwrap().is_none());
        assert!(r.finish::<Infallible>(4096).is_err());
    }

    #[test]
    fn garbage_never_panics() {
        let mut x = 0x9e37_79b9u32;
        for len in [0usize, 1, 511, 512, 1024, 3000] {
            for _ in 0..200 {
                let mut data = header("some/path", b'0', 100).to_vec();
                data.resize(len.max(512), 0);
                for b in data.iter_mut().take(len) {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    if x & 7 == 0 {
                        *b = x as u8;
                    }
                }
                let mut r = TarReader::new(&data[..]);
                let mut buf = [0u8; 64];
                while let Ok(Some(h)) = r.next_header::<Infallible>() {
                    if r.read_data::<Infallible>(h.size, &mut buf, "x", |_| Ok(()))
                        .is_err()
                    {
                        break;
                    }
                }
            }
        }
    }
}
