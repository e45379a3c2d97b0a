//! The error type of the hosted-repository library: every variant names the file, package or
//! URL concerned and, where it helps, what to do next.

use std::path::PathBuf;

/// Failures of [`crate::publish`] and of the set-up of [`crate::verify_url`].
#[derive(Debug, thiserror::Error)]
pub enum HostedError {
    /// A file-system operation failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// Where.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A key file is missing or unusable.
    #[error("keys {}: {reason}", path.display())]
    Keys {
        /// The key file or directory.
        path: PathBuf,
        /// What is wrong and what to do.
        reason: String,
    },
    /// A package file cannot be published.
    #[error("package {}: {reason}", path.display())]
    Package {
        /// The package file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The output directory holds something other than a repository we can extend.
    #[error("output {}: {reason}", path.display())]
    Output {
        /// The output directory.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Invalid options (name, channel, URL).
    #[error("{0}")]
    Usage(String),
    /// The repository library refused the operation.
    #[error(transparent)]
    Repo(#[from] catalog_signer::RepoError),
    /// JSON encoding failed.
    #[error("cannot encode JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl HostedError {
    pub(crate) fn io(
        action: &'static str,
        path: &std::path::Path,
    ) -> impl FnOnce(std::io::Error) -> HostedError {
        let path = path.to_path_buf();
        move |source| HostedError::Io {
            action,
            path,
            source,
        }
    }
}
