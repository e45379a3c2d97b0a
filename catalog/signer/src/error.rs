//! Errors of the repository-side library.

use std::path::PathBuf;

/// Repository-side failures.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// File-system failure.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// Path.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// A key file is unusable.
    #[error("key file {path}: {reason}")]
    Key {
        /// Path.
        path: PathBuf,
        /// Reason.
        reason: String,
    },
    /// The metadata that would be written fails the client's own checks.
    #[error("refusing to write metadata that clients would reject: {0}")]
    Verify(#[from] catalog_core::Error),
    /// Invalid input (target path, package facts, versions).
    #[error("{0}")]
    Invalid(String),
    /// JSON encoding failure.
    #[error("cannot encode metadata: {0}")]
    Json(#[from] serde_json::Error),
}

impl RepoError {
    pub(crate) fn io(
        action: &'static str,
        path: &std::path::Path,
    ) -> impl FnOnce(std::io::Error) -> RepoError {
        let path = path.to_path_buf();
        move |source| RepoError::Io {
            action,
            path,
            source,
        }
    }
}
