//! A minimal byte-source trait, so the core runs without `std::io`.

use core::convert::Infallible;

/// A source of bytes (the decompressed tar stream).
pub trait Read {
    /// The source's error.
    type Error;
    /// Read up to `buf.len()` bytes; `Ok(0)` means end of data.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error>;
}

impl Read for &[u8] {
    type Error = Infallible;
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        let n = buf.len().min(self.len());
        buf[..n].copy_from_slice(&self[..n]);
        *self = &self[n..];
        Ok(n)
    }
}

impl<R: Read + ?Sized> Read for &mut R {
    type Error = R::Error;
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, R::Error> {
        (**self).read(buf)
    }
}

/// Adapter from `std::io::Read` (host builds with the `std` feature).
#[cfg(feature = "std")]
#[derive(Debug)]
pub struct IoReader<R>(pub R);

#[cfg(feature = "std")]
impl<R: std::io::Read> Read for IoReader<R> {
    type Error = std::io::Error;
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, std::io::Error> {
        loop {
            match self.0.read(buf) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                r => return r,
            }
        }
    }
}
