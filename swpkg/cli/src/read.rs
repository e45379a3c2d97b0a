//! Opening a package file and running the shared core reader over its decompressed bytes.

use crate::error::Error;
use ed25519_dalek::VerifyingKey;
use std::convert::Infallible;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use swpkg_core::read::IoReader;
use swpkg_core::{Inspected, Limits, Manifest, NullSink, Sink, StreamError};

/// zstd window log the host reader accepts (8 MiB, as the core's `ruzstd` reader).
pub const MAX_WINDOW_LOG: u32 = 23;

/// The decompressed byte stream of a package file.
pub type PackageReader = IoReader<zstd::Decoder<'static, BufReader<File>>>;

/// Open a package file for streaming.
pub fn open(path: &Path) -> Result<PackageReader, Error> {
    let f = File::open(path).map_err(Error::io("cannot open", path))?;
    let mut d = zstd::Decoder::new(f).map_err(Error::Decompress)?;
    d.window_log_max(MAX_WINDOW_LOG)
        .map_err(Error::Decompress)?;
    Ok(IoReader(d.single_frame()))
}

/// After a successful read: the format allows exactly one zstd frame and nothing after it.
fn ensure_end(reader: PackageReader) -> Result<(), Error> {
    use std::io::Read as _;
    let mut rest = reader.0.finish();
    let mut b = [0u8; 1];
    match rest.read(&mut b) {
        Ok(0) => Ok(()),
        Ok(_) => Err(Error::Decompress(std::io::Error::other(
            "data after the end of the zstd frame",
        ))),
        Err(e) => Err(Error::Decompress(e)),
    }
}

/// Convert a stream error whose sink error is already an [`Error`].
pub fn stream_err(e: StreamError<std::io::Error, Error>) -> Error {
    match e {
        StreamError::Package(p) => Error::Package(p),
        StreamError::Read(io) => Error::Decompress(io),
        StreamError::Sink(s) => s,
    }
}

fn stream_err_inf(e: StreamError<std::io::Error, Infallible>) -> Error {
    match e {
        StreamError::Package(p) => Error::Package(p),
        StreamError::Read(io) => Error::Decompress(io),
        StreamError::Sink(never) => match never {},
    }
}

/// Read the manifest without checking the signature or payload (for display only).
pub fn inspect_package(path: &Path) -> Result<Inspected, Error> {
    swpkg_core::inspect_stream(open(path)?, &Limits::DEFAULT).map_err(stream_err_inf)
}

/// Verify signature, manifest and every payload byte; returns the verified manifest.
pub fn verify_package(path: &Path, key: &VerifyingKey) -> Result<Manifest, Error> {
    let mut r = open(path)?;
    let m = swpkg_core::verify_stream(&mut r, key, &mut NullSink).map_err(stream_err_inf)?;
    ensure_end(r)?;
    Ok(m)
}

/// Verify with a caller's sink whose error type is [`Error`].
pub fn verify_package_into<S: Sink<Error = Error>>(
    path: &Path,
    key: &VerifyingKey,
    sink: &mut S,
) -> Result<Manifest, Error> {
    let mut r = open(path)?;
    let m = swpkg_core::verify_stream(&mut r, key, sink).map_err(stream_err)?;
    ensure_end(r)?;
    Ok(m)
}
