//! Where the client keeps things under the system root (documented in `docs/PKG_CLIENT.md`).
//!
//! ```text
//! /etc/pkg/repo.json                 repository URL (+ optional package signing key)
//! /etc/pkg/metadata/root.json        trusted TUF root (then the cached timestamp/snapshot/targets)
//! /etc/pkg/keys/                     reserved for trusted package keys
//! /pkg/store/<name>-<version>/       one installed package, immutable once in place:
//!     +MANIFEST                      the signed manifest, exact bytes
//!     +SIGNATURE                     its ed25519 signature
//!     root/...                       the payload tree
//! /pkg/generations/<N>.json          generation N: the set of installed packages
//! /pkg/current                       the active generation number (replaced by atomic rename)
//! /pkg/staging/                      work area of an install in progress (empty when idle)
//! /pkg/cache/<file>.swpkg.part       resumable downloads
//! ```

use alloc::format;
use alloc::string::String;

/// Client configuration directory.
pub const ETC: &str = "/etc/pkg";
/// Repository configuration file.
pub const REPO_CONFIG: &str = "/etc/pkg/repo.json";
/// Trusted and cached TUF metadata.
pub const METADATA_DIR: &str = "/etc/pkg/metadata";
/// Top of the package store.
pub const PKG: &str = "/pkg";
/// Installed package payloads.
pub const STORE: &str = "/pkg/store";
/// Generation files.
pub const GENERATIONS: &str = "/pkg/generations";
/// Active generation pointer.
pub const CURRENT: &str = "/pkg/current";
/// Temporary name of the pointer before its atomic rename.
pub const CURRENT_NEW: &str = "/pkg/current.new";
/// Staging area.
pub const STAGING: &str = "/pkg/staging";
/// Download cache (resumable `.part` files).
pub const CACHE: &str = "/pkg/cache";

/// Store directory name of a package.
pub fn store_id(name: &str, version: &semver::Version) -> String {
    format!("{name}-{version}")
}

/// Store directory of a package.
pub fn store_dir(id: &str) -> String {
    format!("{STORE}/{id}")
}

/// Generation file of generation `n`.
pub fn generation_file(n: u64) -> String {
    format!("{GENERATIONS}/{n}.json")
}

/// Cached metadata file of a TUF role (`root`, `timestamp`, ...).
pub fn metadata_file(role: &str) -> String {
    format!("{METADATA_DIR}/{role}.json")
}

/// Join a directory and a relative, already validated path.
pub fn join(dir: &str, rel: &str) -> String {
    if rel.is_empty() {
        return String::from(dir);
    }
    format!("{dir}/{rel}")
}
