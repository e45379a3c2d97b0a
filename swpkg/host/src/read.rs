//! Opening a package file and running the shared core reader over its decompressed bytes.

use crate::error::Error;
use ed25519_dalek::VerifyingKey;
use std::convert::Infallible;
use std::fs::File;
use std::path::Path;
use swpkg_core::read::IoReader;
use swpkg_core::{Inspected, Limits, Manifest, NullSink, Sink, StreamError};

/// zstd window log readers accept (8 MiB): the one definition, in `swpkg-core`.
pub use swpkg_core::MAX_WINDOW_LOG;

/// The decompressed byte stream of a package file: `swpkg_core`'s one package opener (libzstd
/// here), which also refuses anything after the package's zstd frame.
pub type PackageReader = swpkg_core::PackageReader<IoReader<File>>;

/// Open a package file for streaming (reads and checks the zstd frame header).
pub fn open(path: &Path) -> Result<PackageReader, Error> {
    let f = File::open(path).map_err(Error::io("cannot open", path))?;
    swpkg_core::PackageReader::new(IoReader(f)).map_err(Error::Decompress)
}

/// Convert a stream error whose sink error is already an [`Error`].
pub fn stream_err(e: StreamError<swpkg_core::OpenError<std::io::Error>, Error>) -> Error {
    match e {
        StreamError::Package(p) => Error::Package(p),
        StreamError::Read(e) => Error::Decompress(e),
        StreamError::Sink(s) => s,
    }
}

fn stream_err_inf(e: StreamError<swpkg_core::OpenError<std::io::Error>, Infallible>) -> Error {
    match e {
        StreamError::Package(p) => Error::Package(p),
        StreamError::Read(e) => Error::Decompress(e),
        StreamError::Sink(never) => match never {},
    }
}

/// Read the manifest without checking the signature or payload (for display only).
pub fn inspect_package(path: &Path) -> Result<Inspected, Error> {
    swpkg_core::inspect_stream(open(path)?, &Limits::DEFAULT).map_err(stream_err_inf)
}

/// Verify signature, manifest and every payload byte; returns the verified manifest.
pub fn verify_package(path: &Path, key: &VerifyingKey) -> Result<Manifest, Error> {
    swpkg_core::verify_stream(open(path)?, key, &mut NullSink).map_err(stream_err_inf)
}

/// Verify with a caller's sink whose error type is [`Error`].
pub fn verify_package_into<S: Sink<Error = Error>>(
    path: &Path,
    key: &VerifyingKey,
    sink: &mut S,
) -> Result<Manifest, Error> {
    swpkg_core::verify_stream(open(path)?, key, sink).map_err(stream_err)
}
