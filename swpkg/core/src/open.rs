//! The one way to open a `.swpkg` file: [`PackageReader`] turns the compressed bytes of a package
//! into its decompressed tar stream, for [`crate::verify_stream`] and [`crate::inspect_stream`].
//!
//! Every reader of packages uses it: `swpkg verify` / `swpkg extract` and publishing (through the
//! `swpkg` host library), `swport repo verify-url`, the host `pkg` and the in-OS `pkg`. It
//! enforces the compression layer of `docs/PACKAGE_FORMAT.md` the same way whichever decoder
//! runs:
//!
//! * the file starts with a zstd frame header (not empty, not another format);
//! * the frame's window is at most [`MAX_WINDOW_BYTES`] (8 MiB), checked from the header before
//!   any block is decoded;
//! * the frame decodes completely (a short file is [`OpenError::Truncated`]);
//! * nothing follows the frame: when the decompressed data ends, the reader looks at the
//!   compressed source and refuses a second frame ([`OpenError::SecondFrame`]) or any other byte
//!   ([`OpenError::TrailingData`]). So a [`Read::read`] that returns `Ok(0)` means "the one frame
//!   ended and nothing follows it"; `verify_stream` always reads to that point.
//!
//! The decoder is chosen by cargo feature: `zstd` (the C libzstd, host tools) and/or `ruzstd`
//! (pure Rust, `no_std`, the in-OS client). With both, [`Decoder::DEFAULT`] is the C one and
//! [`PackageReader::with_decoder`] picks the other (tests run the guest's decoder on the host
//! that way). The error values, and so their words, do not depend on the decoder.

use crate::limits::MAX_WINDOW_BYTES;
#[cfg(feature = "zstd")]
use crate::limits::MAX_WINDOW_LOG;
use crate::read::Read;
use alloc::string::String;

/// Magic number of a zstd frame (RFC 8878 §3.1.1), little-endian on disk.
pub const ZSTD_MAGIC: u32 = 0xFD2F_B528;
/// Longest zstd frame header: magic 4, descriptor 1, window 1, dictionary id 4, content size 8.
const MAX_HEADER: usize = 18;

/// Whether `magic` starts a zstd frame or a skippable frame (RFC 8878 §3.1.2).
fn is_frame_magic(magic: u32) -> bool {
    magic == ZSTD_MAGIC || (0x184D_2A50..=0x184D_2A5F).contains(&magic)
}

/// Why a package's compressed layer was refused. The words are the same for both decoders; the
/// host and in-OS tools print them after the file name.
#[derive(Debug, thiserror::Error)]
pub enum OpenError<E> {
    /// Reading the compressed bytes failed (the file, the disk).
    #[error("cannot read the package: {0}")]
    Source(E),
    /// Fewer than four bytes: not even a zstd magic number.
    #[error("the file is empty or too short to be a .swpkg package")]
    TooShort,
    /// The file does not start with a zstd frame.
    #[error("not a .swpkg package (it is not zstd-compressed data)")]
    NotZstd,
    /// The frame asks for a larger decompression window than readers allow.
    #[error("the package's zstd frame needs a {window}-byte window, over the 8 MiB limit ({MAX_WINDOW_BYTES} bytes)")]
    WindowTooLarge {
        /// The window the frame header declares, in bytes.
        window: u64,
    },
    /// The compressed data ends inside the frame.
    #[error("the package is truncated (its compressed data ends early)")]
    Truncated,
    /// The decoder refused the frame's content.
    #[error("the package's compressed data is damaged")]
    Damaged {
        /// The decoder's own message (differs between decoders; not shown).
        detail: String,
    },
    /// Another zstd (or skippable) frame follows the package's frame.
    #[error("data after the end of the zstd frame: a second zstd frame (a package is exactly one frame)")]
    SecondFrame,
    /// Bytes that are not a frame follow the package's frame.
    #[error(
        "data after the end of the zstd frame (a package is one zstd frame and nothing after it)"
    )]
    TrailingData,
}

/// Which zstd decoder a [`PackageReader`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoder {
    /// The C libzstd (the `zstd` crate; feature `zstd`, host only).
    #[cfg(feature = "zstd")]
    LibZstd,
    /// The pure-Rust `ruzstd` decoder (feature `ruzstd`; what the in-OS client runs).
    #[cfg(feature = "ruzstd")]
    Ruzstd,
}

impl Decoder {
    /// The decoder [`PackageReader::new`] uses: libzstd when built in, else ruzstd.
    #[cfg(feature = "zstd")]
    pub const DEFAULT: Decoder = Decoder::LibZstd;
    /// The decoder [`PackageReader::new`] uses: libzstd when built in, else ruzstd.
    #[cfg(not(feature = "zstd"))]
    pub const DEFAULT: Decoder = Decoder::Ruzstd;
}

/// The compressed source as the decoders see it: the already-read frame header first, then the
/// rest; remembers whether the underlying source reached its end (so a failure there is a
/// truncation, whichever decoder noticed it).
pub struct Src<R> {
    head: [u8; MAX_HEADER],
    head_pos: usize,
    head_len: usize,
    inner: R,
    eof: bool,
}

impl<R: Read> Read for Src<R> {
    type Error = R::Error;
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, R::Error> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.head_pos < self.head_len {
            let n = buf.len().min(self.head_len - self.head_pos);
            buf[..n].copy_from_slice(&self.head[self.head_pos..self.head_pos + n]);
            self.head_pos += n;
            return Ok(n);
        }
        let n = self.inner.read(buf)?;
        if n == 0 {
            self.eof = true;
        }
        Ok(n)
    }
}

/// [`Src`] as a `std::io::Read` for libzstd; keeps the source's own error.
#[cfg(feature = "zstd")]
struct IoSrc<R: Read> {
    src: Src<R>,
    error: Option<R::Error>,
}

#[cfg(feature = "zstd")]
impl<R: Read> std::io::Read for IoSrc<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.src.read(buf).map_err(|e| {
            self.error = Some(e);
            std::io::Error::other("reading the package failed")
        })
    }
}

#[cfg(feature = "zstd")]
type LibZstdDecoder<R> = zstd::stream::read::Decoder<'static, std::io::BufReader<IoSrc<R>>>;

// One reader per open package: the size of the ruzstd variant (its decode buffers) is fine.
#[allow(clippy::large_enum_variant)]
enum Inner<R: Read> {
    #[cfg(feature = "zstd")]
    LibZstd(LibZstdDecoder<R>),
    #[cfg(feature = "ruzstd")]
    Ruzstd(crate::zstd::ZstdReader<Src<R>>),
}

/// The decompressed tar stream of a package (see the module documentation).
pub struct PackageReader<R: Read> {
    inner: Inner<R>,
    done: bool,
}

/// Read until `buf` is full or the source ends; the count read.
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> Result<usize, R::Error> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Window size (bytes) and header length of the frame header at the start of `head` (whose
/// first five bytes are present); `None` length means the header needs more bytes than given.
fn frame_window(head: &[u8; MAX_HEADER], have: usize) -> Result<u64, usize> {
    let fhd = head[4];
    let single_segment = fhd & 0x20 != 0;
    let did_len = [0, 1, 2, 4][usize::from(fhd & 3)];
    let fcs_len = match fhd >> 6 {
        0 => usize::from(single_segment),
        1 => 2,
        2 => 4,
        _ => 8,
    };
    let len = 5 + usize::from(!single_segment) + did_len + fcs_len;
    if have < len {
        return Err(len);
    }
    if single_segment {
        // The window is the whole content (RFC 8878 §3.1.1.1.2).
        let at = 5 + did_len;
        let mut v = [0u8; 8];
        v[..fcs_len].copy_from_slice(&head[at..at + fcs_len]);
        let size = u64::from_le_bytes(v);
        Ok(if fcs_len == 2 { size + 256 } else { size })
    } else {
        let wd = head[5];
        let log = 10 + u32::from(wd >> 3);
        let base = 1u64 << log;
        Ok(base + (base / 8) * u64::from(wd & 7))
    }
}

impl<R: Read> PackageReader<R> {
    /// Open the package whose compressed bytes `source` yields, with [`Decoder::DEFAULT`].
    pub fn new(source: R) -> Result<Self, OpenError<R::Error>> {
        Self::with_decoder(source, Decoder::DEFAULT)
    }

    /// Open with a chosen decoder. Reads and checks the frame header (magic, window) first.
    pub fn with_decoder(mut source: R, decoder: Decoder) -> Result<Self, OpenError<R::Error>> {
        let mut head = [0u8; MAX_HEADER];
        let mut have = read_full(&mut source, &mut head[..5]).map_err(OpenError::Source)?;
        if have < 4 {
            return Err(OpenError::TooShort);
        }
        let magic = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        if magic != ZSTD_MAGIC {
            return Err(OpenError::NotZstd);
        }
        if have < 5 {
            return Err(OpenError::Truncated);
        }
        let window = match frame_window(&head, have) {
            Ok(w) => w,
            Err(len) => {
                have += read_full(&mut source, &mut head[have..len]).map_err(OpenError::Source)?;
                frame_window(&head, have).map_err(|_| OpenError::Truncated)?
            }
        };
        if window > MAX_WINDOW_BYTES {
            return Err(OpenError::WindowTooLarge { window });
        }
        // What the format never uses is refused here, before either decoder sees it (libzstd
        // would wait for more input, ruzstd fail at once: different words for the same file).
        let fhd = head[4];
        if fhd & 0x08 != 0 {
            return Err(OpenError::Damaged {
                detail: "the reserved bit of the frame header is set".into(),
            });
        }
        let did_at = if fhd & 0x20 != 0 { 5 } else { 6 };
        let did_len = [0, 1, 2, 4][usize::from(fhd & 3)];
        if head[did_at..did_at + did_len].iter().any(|&b| b != 0) {
            return Err(OpenError::Damaged {
                detail: "the frame needs a dictionary".into(),
            });
        }
        let src = Src {
            head,
            head_pos: 0,
            head_len: have,
            inner: source,
            eof: false,
        };
        let inner = match decoder {
            #[cfg(feature = "zstd")]
            Decoder::LibZstd => {
                let io = IoSrc { src, error: None };
                let mut d =
                    zstd::stream::read::Decoder::new(io).map_err(|e| OpenError::Damaged {
                        detail: alloc::string::ToString::to_string(&e),
                    })?;
                d.window_log_max(MAX_WINDOW_LOG)
                    .map_err(|e| OpenError::Damaged {
                        detail: alloc::string::ToString::to_string(&e),
                    })?;
                Inner::LibZstd(d.single_frame())
            }
            #[cfg(feature = "ruzstd")]
            Decoder::Ruzstd => match crate::zstd::ZstdReader::new(src) {
                Ok(r) => Inner::Ruzstd(r),
                Err(crate::zstd::ZstdError::Source(e)) => return Err(OpenError::Source(e)),
                // The header is complete and its window checked: a reserved bit, a dictionary.
                Err(crate::zstd::ZstdError::Decode(detail)) => {
                    return Err(OpenError::Damaged { detail })
                }
            },
        };
        Ok(PackageReader { inner, done: false })
    }

    /// Whether the underlying source has reported its end.
    fn source_ended(&mut self) -> bool {
        match &mut self.inner {
            #[cfg(feature = "zstd")]
            Inner::LibZstd(d) => d.get_mut().get_ref().src.eof,
            #[cfg(feature = "ruzstd")]
            Inner::Ruzstd(r) => r.get_mut().eof,
        }
    }

    /// A decoder failure, in the shared words.
    fn decode_failure(&mut self, detail: String) -> OpenError<R::Error> {
        if self.source_ended() {
            OpenError::Truncated
        } else {
            OpenError::Damaged { detail }
        }
    }

    fn read_decompressed(&mut self, buf: &mut [u8]) -> Result<usize, OpenError<R::Error>> {
        match &mut self.inner {
            #[cfg(feature = "zstd")]
            Inner::LibZstd(d) => match std::io::Read::read(d, buf) {
                Ok(n) => Ok(n),
                Err(e) => match d.get_mut().get_mut().error.take() {
                    Some(src) => Err(OpenError::Source(src)),
                    None => Err(self.decode_failure(alloc::string::ToString::to_string(&e))),
                },
            },
            #[cfg(feature = "ruzstd")]
            Inner::Ruzstd(r) => match r.read(buf) {
                Ok(n) => Ok(n),
                Err(crate::zstd::ZstdError::Source(e)) => Err(OpenError::Source(e)),
                Err(crate::zstd::ZstdError::Decode(detail)) => Err(self.decode_failure(detail)),
            },
        }
    }

    /// Compressed bytes after the frame (call only once the frame has ended).
    fn read_after_frame(&mut self, buf: &mut [u8]) -> Result<usize, OpenError<R::Error>> {
        match &mut self.inner {
            #[cfg(feature = "zstd")]
            Inner::LibZstd(d) => {
                // The decoder's input buffer holds whatever it read past the frame.
                let b = d.get_mut();
                loop {
                    match std::io::Read::read(b, buf) {
                        Ok(n) => return Ok(n),
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            return Err(match b.get_mut().error.take() {
                                Some(src) => OpenError::Source(src),
                                None => OpenError::Damaged {
                                    detail: alloc::string::ToString::to_string(&e),
                                },
                            })
                        }
                    }
                }
            }
            #[cfg(feature = "ruzstd")]
            Inner::Ruzstd(r) => r.get_mut().read(buf).map_err(OpenError::Source),
        }
    }

    /// The finish step: the frame ended; refuse anything after it.
    fn check_end(&mut self) -> Result<(), OpenError<R::Error>> {
        let mut tail = [0u8; 4];
        let mut n = 0;
        while n < tail.len() {
            match self.read_after_frame(&mut tail[n..])? {
                0 => break,
                k => n += k,
            }
        }
        if n == 0 {
            Ok(())
        } else if n == 4 && is_frame_magic(u32::from_le_bytes(tail)) {
            Err(OpenError::SecondFrame)
        } else {
            Err(OpenError::TrailingData)
        }
    }
}

impl<R: Read> Read for PackageReader<R> {
    type Error = OpenError<R::Error>;
    /// Decompressed bytes; `Ok(0)` only after the frame ended with nothing after it.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        let n = self.read_decompressed(buf)?;
        if n == 0 {
            self.check_end()?;
            self.done = true;
        }
        Ok(n)
    }
}

#[cfg(all(test, feature = "zstd", feature = "ruzstd", feature = "testing"))]
mod tests {
    use super::*;
    use crate::testing::{adversarial_packages, good_package, verifying_key};
    use crate::{NullSink, StreamError};

    fn verify(bytes: &[u8], d: Decoder) -> Result<crate::Manifest, alloc::string::String> {
        let r = PackageReader::with_decoder(bytes, d).map_err(|e| e.to_string())?;
        crate::verify_stream(r, &verifying_key(), &mut NullSink).map_err(|e| match e {
            StreamError::Read(e) => e.to_string(),
            e => e.to_string(),
        })
    }

    #[test]
    fn both_decoders_accept_the_good_package() {
        for d in [Decoder::LibZstd, Decoder::Ruzstd] {
            assert_eq!(verify(&good_package(), d).unwrap().name, "hello");
        }
    }

    #[test]
    fn both_decoders_refuse_the_adversarial_set_in_the_same_words() {
        for case in adversarial_packages() {
            for d in [Decoder::LibZstd, Decoder::Ruzstd] {
                let e = verify(&case.bytes, d).expect_err(case.name);
                assert!(e.contains(case.words), "{} with {d:?}: {e}", case.name);
            }
        }
    }

    #[test]
    fn every_frame_header_is_refused_without_panicking() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for fhd in 0..=255u8 {
            for wd in [0u8, 0x60, 0x68, 0x70, 0xff] {
                let mut f = ZSTD_MAGIC.to_le_bytes().to_vec();
                f.extend_from_slice(&[fhd, wd]);
                for _ in 0..40 {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    f.push(x as u8);
                }
                for cut in [5, 6, 10, 18, f.len()] {
                    let a = verify(&f[..cut], Decoder::LibZstd).unwrap_err();
                    let b = verify(&f[..cut], Decoder::Ruzstd).unwrap_err();
                    // What the opener decides from the header alone reads the same for both
                    // decoders. (Past the header, a file that is both damaged and cut short may
                    // be called either, depending on which check a decoder makes first.)
                    if a.contains("window") || b.contains("window") || cut <= 6 {
                        assert_eq!(a, b, "fhd {fhd:#x} wd {wd:#x} cut {cut}");
                    }
                }
            }
        }
    }

    #[test]
    fn short_and_foreign_files() {
        for d in [Decoder::LibZstd, Decoder::Ruzstd] {
            for (bytes, want) in [
                (
                    &b""[..],
                    "the file is empty or too short to be a .swpkg package",
                ),
                (
                    b"ab",
                    "the file is empty or too short to be a .swpkg package",
                ),
                (
                    b"garbage\n",
                    "not a .swpkg package (it is not zstd-compressed data)",
                ),
                (
                    &ZSTD_MAGIC.to_le_bytes(),
                    "the package is truncated (its compressed data ends early)",
                ),
            ] {
                let e = verify(bytes, d).unwrap_err();
                assert_eq!(e, want, "{d:?}");
            }
            // Every cut of a good package is refused, as truncated.
            let good = good_package();
            for cut in [5, 6, 9, 100, good.len() - 1] {
                let e = verify(&good[..cut], d).unwrap_err();
                assert_eq!(
                    e, "the package is truncated (its compressed data ends early)",
                    "{d:?} cut {cut}"
                );
            }
            // A skippable frame after the package is a second frame too.
            let mut g = good_package();
            g.extend_from_slice(&0x184D_2A50u32.to_le_bytes());
            g.extend_from_slice(&[0, 0, 0, 0]);
            assert!(verify(&g, d).unwrap_err().contains("a second zstd frame"));
            // One stray byte.
            let mut g = good_package();
            g.push(0);
            assert!(verify(&g, d).unwrap_err().contains("nothing after it"));
        }
    }
}
