//! Pure-Rust streaming zstd decompression (feature `ruzstd`), for the in-OS client where the C
//! libzstd is not available. Host tools may use the `zstd` crate instead; both read the same
//! single-frame stream.

use crate::read::Read;
use alloc::string::{String, ToString};
use ruzstd::decoding::{FrameDecoder, StreamingDecoder};

pub use crate::limits::MAX_WINDOW_BYTES;

/// Failure while reading compressed data.
#[derive(Debug, thiserror::Error)]
pub enum ZstdError<E> {
    /// The underlying source failed.
    #[error("{0}")]
    Source(E),
    /// The compressed data is not a valid zstd frame (or needs too large a window).
    #[error("zstd: {0}")]
    Decode(String),
}

struct Source<R: Read> {
    inner: R,
    error: Option<R::Error>,
}

impl<R: Read> ruzstd::io::Read for Source<R> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, ruzstd::io::Error> {
        self.inner.read(buf).map_err(|e| {
            self.error = Some(e);
            ruzstd::io::Error::from(ruzstd::io::ErrorKind::Other)
        })
    }
}

/// A [`Read`] of decompressed bytes over a [`Read`] of zstd-compressed bytes.
pub struct ZstdReader<R: Read> {
    decoder: StreamingDecoder<Source<R>, FrameDecoder>,
}

impl<R: Read> ZstdReader<R> {
    /// Read the frame header and prepare to decompress.
    pub fn new(inner: R) -> Result<Self, ZstdError<R::Error>> {
        let source = Source { inner, error: None };
        StreamingDecoder::new_with_max_window_size(source, MAX_WINDOW_BYTES)
            .map(|decoder| ZstdReader { decoder })
            .map_err(|e| ZstdError::Decode(e.to_string()))
    }
}

impl<R: Read> ZstdReader<R> {
    /// The compressed source (after the whole frame was read: positioned just after it).
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.decoder.get_mut().inner
    }

    /// The compressed source, positioned just after the frame once all decompressed data has
    /// been read: a caller can check that nothing follows (the format allows exactly one frame).
    pub fn into_inner(self) -> R {
        self.decoder.into_inner().inner
    }
}

impl<R: Read> Read for ZstdReader<R> {
    type Error = ZstdError<R::Error>;
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        use ruzstd::io::Read as _;
        self.decoder
            .read(buf)
            .map_err(|e| match self.decoder.get_mut().error.take() {
                Some(src) => ZstdError::Source(src),
                None => ZstdError::Decode(e.to_string()),
            })
    }
}
