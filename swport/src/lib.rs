//! swport: the SwiftOS host recipe engine — verified source fetching, the newlib sysroot,
//! typed port recipes and their packaging.
pub mod apt;
pub mod build_cache;
pub mod cache;
pub mod debsrc;
pub mod fetch;
pub mod fixture;
pub mod header;
pub mod port;
pub mod recipe;
pub mod sysroot;

use std::path::{Path, PathBuf};

/// The repository root: `$SWPORT_ROOT`, else the nearest ancestor of `start` holding
/// `sysroot/newlib.toml` and `ports/`.
pub fn find_repo_root(start: &Path) -> Option<PathBuf> {
    if let Some(r) = std::env::var_os("SWPORT_ROOT") {
        return Some(PathBuf::from(r));
    }
    start
        .ancestors()
        .find(|d| d.join("sysroot/newlib.toml").is_file() && d.join("ports").is_dir())
        .map(Path::to_path_buf)
}
