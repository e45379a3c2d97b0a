//! The seed crate's errors: each says what failed and where.

use std::path::PathBuf;

/// Seed failures.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// A file or directory could not be read, written or moved.
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `seed.toml` is not valid (the message names the line and column).
    #[error("{path}: {message}")]
    Config { path: PathBuf, message: String },
    /// Packaging a seed port failed.
    #[error("packaging the seed port {port}: {source}")]
    Port {
        port: String,
        #[source]
        source: Box<swport::port::PortError>,
    },
    /// The package cache could not be opened.
    #[error(transparent)]
    Cache(Box<swport::cache::CacheError>),
    /// Keys or publication (the one publisher's errors).
    #[error(transparent)]
    Hosted(Box<catalog_hosted::HostedError>),
    /// The package signing key file.
    #[error("{path}: {source}")]
    Key {
        path: PathBuf,
        #[source]
        source: Box<swpkg_keys::Error>,
    },
}

impl SeedError {
    /// A closure mapping an I/O error on `path` to [`SeedError::Io`].
    pub(crate) fn io(
        what: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> SeedError {
        let path = path.into();
        move |source| SeedError::Io { what, path, source }
    }
}

impl From<catalog_hosted::HostedError> for SeedError {
    fn from(e: catalog_hosted::HostedError) -> Self {
        SeedError::Hosted(Box::new(e))
    }
}

impl From<swport::cache::CacheError> for SeedError {
    fn from(e: swport::cache::CacheError) -> Self {
        SeedError::Cache(Box::new(e))
    }
}
