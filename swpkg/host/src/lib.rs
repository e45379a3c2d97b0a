//! Host side of the `.swpkg` format: building a package from a staged tree, and reading
//! (inspect / verify / extract) with the shared `swpkg-core` verifier. Key files are
//! `swpkg-keys`'; the command line is the `swpkg` crate.
//!
//! Compression uses the C libzstd through the `zstd` crate (bundled, so its version is pinned by
//! `Cargo.lock`, which reproducible output depends on); reading goes through
//! [`swpkg_core::verify_stream`], the same code the in-OS client runs.

pub mod build;
pub mod error;
pub mod extract;
pub mod read;
pub mod source;

pub use build::{build_package, BuildOptions, ZSTD_LEVEL, ZSTD_WINDOW_LOG};
pub use error::Error;
pub use extract::extract_package;
pub use read::{inspect_package, verify_package};
pub use source::SourceManifest;
