//! The client's error type. Each message says what failed and where; the front end prefixes
//! `pkg: <command>: ` and, for failed transactions, appends `; nothing was changed`.

use crate::generation::RecordError;
use crate::platform::{FetchError, FsError, SourceError};
use alloc::string::String;

/// Anything that can go wrong in a `pkg` command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A filesystem operation failed.
    #[error(transparent)]
    Fs(#[from] FsError),
    /// An HTTP transfer failed.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// A store record (generation file, `current`) is damaged.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// A package failed verification.
    #[error("package {file}: {source}")]
    Package {
        /// File name of the package.
        file: String,
        /// What is wrong.
        source: swpkg_core::PackageError,
    },
    /// A downloaded package does not match what the repository metadata says.
    #[error("package {file} {algorithm} mismatch (repository says {expected}, got {found})")]
    HashMismatch {
        /// File name of the package.
        file: String,
        /// Hash algorithm.
        algorithm: String,
        /// Digest the signed metadata pins.
        expected: String,
        /// Digest of the bytes received.
        found: String,
    },
    /// A downloaded package has the wrong length.
    #[error(
        "package {file} is {}{found} bytes, the repository says {expected} (its signed metadata pins length and sha256 {sha256}): the server does not have the published file",
        at_least_text(.at_least)
    )]
    LengthMismatch {
        /// File name of the package.
        file: String,
        /// Length the signed metadata pins.
        expected: u64,
        /// Bytes received.
        found: u64,
        /// The download was stopped at `found` bytes (more were coming).
        at_least: bool,
        /// The sha256 the signed metadata pins (`?` when it gives none).
        sha256: String,
    },
    /// The download stopped before the end; the partial file is kept for the next attempt.
    #[error("download of {file} stopped after {got} of {expected} bytes: {cause} (kept {part}; run the command again to resume)")]
    Incomplete {
        /// Why it stopped.
        cause: String,
        /// File name of the package.
        file: String,
        /// Bytes now on disk.
        got: u64,
        /// Full length.
        expected: u64,
        /// The partial file.
        part: String,
    },
    /// Repository metadata failed (TUF).
    #[error("repository metadata: {0}")]
    Metadata(catalog_core::Error),
    /// The cached metadata of the last `pkg update` has expired since.
    #[error("repository metadata: {0}; run `pkg update` to fetch fresh metadata")]
    Stale(catalog_core::Error),
    /// The repository's package index is unusable (`catalog_core::index`'s reason).
    #[error("repository index: {0}")]
    Index(#[from] catalog_core::IndexError),
    /// The index and what it points at disagree (a target missing, a package that is not the
    /// one listed).
    #[error("repository index: {0}")]
    IndexMismatch(String),
    /// No repository is configured.
    #[error("no repository configured; run `pkg repo set URL --root-key FILE` first")]
    NoRepo,
    /// `pkg update` has never succeeded.
    #[error("no repository metadata yet; run `pkg update` first")]
    NotUpdated,
    /// Dependency resolution failed.
    #[error("cannot resolve: {0}")]
    Resolve(#[from] catalog_core::ResolveError),
    /// The named package is unknown.
    #[error("no package named {name} {where_}")]
    UnknownPackage {
        /// The name asked for.
        name: String,
        /// `in the repository` / `is installed`.
        where_: &'static str,
    },
    /// Removing a package others depend on.
    #[error("{name} is needed by {dependents}; remove those first or use --force")]
    Needed {
        /// The package.
        name: String,
        /// Who needs it.
        dependents: String,
    },
    /// A local package needs something that is not installed.
    #[error("{name} needs {dependency} {req}, which is not installed (install it first, or install from the repository)")]
    MissingDependency {
        /// The package.
        name: String,
        /// Dependency name.
        dependency: String,
        /// Its requirement.
        req: String,
    },
    /// Two packages of the new set conflict.
    #[error("{a} conflicts with {b}; remove {b} first")]
    Conflict {
        /// The package declaring the conflict.
        a: String,
        /// The package it conflicts with.
        b: String,
    },
    /// Another `pkg` holds the store lock.
    #[error("another pkg is working on this system ({0}); wait for it to finish")]
    Locked(String),
    /// Rollback without a previous generation.
    #[error("generation {0} has no previous generation to return to")]
    NoPrevious(u64),
    /// A store directory a command needs is damaged (the message names the file).
    #[error("{0}")]
    Damaged(String),
    /// A usage error (bad argument value).
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// Map a platform source error.
    pub fn from_source(e: SourceError) -> Self {
        match e {
            SourceError::Fs(e) => Error::Fs(e),
            SourceError::Fetch(e) => Error::Fetch(e),
        }
    }
}

/// Result alias.
pub type Result<T, E = Error> = core::result::Result<T, E>;

fn at_least_text(at_least: &bool) -> &'static str {
    if *at_least {
        "at least "
    } else {
        ""
    }
}
