//! The host library's error type: every variant names the file or path concerned.

use std::path::PathBuf;
use swpkg_core::PackageError;

/// Errors of the host tools.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A filesystem operation failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done ("cannot read", "cannot create", ...).
        action: &'static str,
        /// Where.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The package breaks a rule of the format.
    #[error(transparent)]
    Package(#[from] PackageError),
    /// The compressed layer is refused (not zstd, too large a window, truncated, damaged, data
    /// after the frame) or could not be read: `swpkg_core::open`'s words.
    #[error("{0}")]
    Decompress(swpkg_core::OpenError<std::io::Error>),
    /// The source manifest (TOML) is invalid.
    #[error("manifest {}: {reason}", path.display())]
    SourceManifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The staged tree contains something a package cannot hold.
    #[error("staged tree: {}: {reason}", path.display())]
    Staged {
        /// The offending path.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The extraction target is in the way.
    #[error("target {} already exists and is not an empty directory; choose a new directory or remove it", path.display())]
    TargetExists {
        /// The target.
        path: PathBuf,
    },
}

impl Error {
    /// Shorthand for [`Error::Io`].
    pub fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }

    /// The package-format error inside, if any.
    pub fn package(&self) -> Option<&PackageError> {
        match self {
            Error::Package(p) => Some(p),
            _ => None,
        }
    }
}
