//! Console and descriptor I/O helpers: formatted writes, the print macros and a buffered line
//! reader.

use crate::sys::{self, Fd};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{self, Write as _};
use swiftos_abi::Errno;

pub const STDIN: Fd = 0;
pub const STDOUT: Fd = 1;
pub const STDERR: Fd = 2;

/// Format `args` and write the result to `fd` in one `write` (lines from different processes
/// therefore do not interleave mid-line).
pub fn write_fmt(fd: Fd, args: fmt::Arguments<'_>) -> Result<(), Errno> {
    if let Some(s) = args.as_str() {
        return sys::write_all(fd, s.as_bytes());
    }
    let mut s = String::new();
    let _ = s.write_fmt(args);
    sys::write_all(fd, s.as_bytes())
}

#[doc(hidden)]
pub fn _print(fd: Fd, args: fmt::Arguments<'_>) {
    let _ = write_fmt(fd, args);
}

/// Print to standard output.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::io::_print(1, format_args!($($arg)*)) };
}

/// Print a line to standard output.
#[macro_export]
macro_rules! println {
    () => { $crate::io::_print(1, format_args!("\n")) };
    ($($arg:tt)*) => { $crate::io::_print(1, format_args!("{}\n", format_args!($($arg)*))) };
}

/// Print to standard error.
#[macro_export]
macro_rules! eprint {
    ($($arg:tt)*) => { $crate::io::_print(2, format_args!($($arg)*)) };
}

/// Print a line to standard error.
#[macro_export]
macro_rules! eprintln {
    () => { $crate::io::_print(2, format_args!("\n")) };
    ($($arg:tt)*) => { $crate::io::_print(2, format_args!("{}\n", format_args!($($arg)*))) };
}

/// An output buffer that flushes to a descriptor when full, on `flush` and on drop. Use it for
/// programs that print many small pieces (`ls`, `cat`).
pub struct BufWriter {
    fd: Fd,
    buf: Vec<u8>,
    /// First write error seen, reported by `flush`.
    error: Option<Errno>,
}

impl BufWriter {
    pub fn new(fd: Fd) -> BufWriter {
        BufWriter {
            fd,
            buf: Vec::with_capacity(4096),
            error: None,
        }
    }
    pub fn write_bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
        if self.buf.len() >= 4096 {
            let _ = self.flush();
        }
    }
    pub fn flush(&mut self) -> Result<(), Errno> {
        if !self.buf.is_empty() {
            if let Err(e) = sys::write_all(self.fd, &self.buf) {
                self.error.get_or_insert(e);
            }
            self.buf.clear();
        }
        match self.error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl fmt::Write for BufWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.write_bytes(s.as_bytes());
        Ok(())
    }
}

impl Drop for BufWriter {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// A buffered reader over a descriptor, for line-oriented input.
pub struct BufReader {
    fd: Fd,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    eof: bool,
}

impl BufReader {
    pub fn new(fd: Fd) -> BufReader {
        BufReader {
            fd,
            buf: alloc::vec![0; 4096],
            pos: 0,
            len: 0,
            eof: false,
        }
    }

    fn fill(&mut self) -> Result<bool, Errno> {
        if self.pos < self.len {
            return Ok(true);
        }
        if self.eof {
            return Ok(false);
        }
        // `EINTR` is not retried: a shell that ignores Ctrl-C may get it and redraw its prompt.
        match sys::read(self.fd, &mut self.buf) {
            Ok(0) => {
                self.eof = true;
                Ok(false)
            }
            Ok(n) => {
                self.pos = 0;
                self.len = n.min(self.buf.len());
                Ok(true)
            }
            Err(e) => Err(e),
        }
    }

    /// The next line including its `\n` (the last line may lack it); `None` at end of input.
    pub fn read_line_bytes(&mut self) -> Result<Option<Vec<u8>>, Errno> {
        let mut line = Vec::new();
        while self.fill()? {
            let avail = &self.buf[self.pos..self.len];
            if let Some(i) = avail.iter().position(|&b| b == b'\n') {
                line.extend_from_slice(&avail[..=i]);
                self.pos += i + 1;
                return Ok(Some(line));
            }
            line.extend_from_slice(avail);
            self.pos = self.len;
        }
        Ok(if line.is_empty() { None } else { Some(line) })
    }

    /// Like [`Self::read_line_bytes`], decoded lossily and without the trailing newline.
    pub fn read_line(&mut self) -> Result<Option<String>, Errno> {
        Ok(self.read_line_bytes()?.map(|mut l| {
            if l.last() == Some(&b'\n') {
                l.pop();
            }
            String::from_utf8_lossy(&l).into_owned()
        }))
    }

    /// Up to `max` bytes of whatever is buffered or readable next (0 = end of input).
    pub fn read_chunk(&mut self, out: &mut [u8]) -> Result<usize, Errno> {
        if !self.fill()? {
            return Ok(0);
        }
        let n = out.len().min(self.len - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Read everything from `fd` until end of input.
pub fn read_to_end(fd: Fd) -> Result<Vec<u8>, Errno> {
    let mut out = Vec::new();
    let mut chunk = alloc::vec![0u8; 4096];
    loop {
        match sys::read(fd, &mut chunk) {
            Ok(0) => return Ok(out),
            Ok(n) => out.extend_from_slice(&chunk[..n.min(chunk.len())]),
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
}
