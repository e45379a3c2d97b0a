//! Where the client keeps things under the system root (documented in `docs/PKG_CLIENT.md`).
//!
//! ```text
//! /pkg/etc/repo.json                 repository URL (+ optional package signing key)
//! /pkg/etc/metadata/root.json        trusted TUF root (then the cached timestamp/snapshot/targets)
//! /pkg/etc/keys/                     reserved for trusted package keys
//! /pkg/store/<name>-<version>/       one installed package, immutable once in place:
//!     +MANIFEST                      the signed manifest, exact bytes
//!     +SIGNATURE                     its ed25519 signature
//!     root/...                       the payload tree
//! /pkg/generations/<N>.json          generation N: the set of installed packages
//! /pkg/current                       the active generation number (replaced by atomic rename)
//! /pkg/fallback                      written by `pkg activate` when `current` is damaged:
//!                                    "<current> <generation in use>" (removed on the next commit)
//! /pkg/staging/                      work area of an install in progress (empty when idle)
//! /pkg/cache/<file>.swpkg.part       resumable downloads
//! /etc/swos/repo-root.pub            (read only) the pinned root key of the default repository
//! ```
//!
//! Everything the client writes lives under `/pkg`: in SwiftOS `/etc` is the read-only base
//! image and `/pkg` is the writable package store disk.

use alloc::format;
use alloc::string::String;

/// Client configuration directory (on the store: in SwiftOS `/etc` is the read-only base image).
pub const ETC: &str = "/pkg/etc";
/// Repository configuration file.
pub const REPO_CONFIG: &str = "/pkg/etc/repo.json";
/// Trusted and cached TUF metadata.
pub const METADATA_DIR: &str = "/pkg/etc/metadata";
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
/// Written by `pkg activate` when the generation `current` names is damaged and an older one
/// is shown instead: `<current> <in use>\n`. Removed whenever `current` moves.
pub const FALLBACK: &str = "/pkg/fallback";
/// Staging area.
pub const STAGING: &str = "/pkg/staging";
/// Download cache (resumable `.part` files).
pub const CACHE: &str = "/pkg/cache";

/// The root public key the system trusts for `pkg repo set URL` without `--root-key` (the
/// `repo-root.pub` of the seed repository, put into the base image at build time).
pub const PINNED_ROOT_KEY: &str = "/etc/swos/repo-root.pub";

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

/// Payload root of a stored package (`/pkg/store/<id>/root`): what the overlay shows.
pub fn payload_root(id: &str) -> String {
    format!("{STORE}/{id}/root")
}

/// Join a directory and a relative, already validated path.
pub fn join(dir: &str, rel: &str) -> String {
    if rel.is_empty() {
        return String::from(dir);
    }
    format!("{dir}/{rel}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_the_client_writes_is_under_pkg() {
        for p in [
            ETC,
            REPO_CONFIG,
            METADATA_DIR,
            STORE,
            GENERATIONS,
            CURRENT,
            CURRENT_NEW,
            FALLBACK,
            STAGING,
            CACHE,
        ] {
            assert!(p.starts_with("/pkg/"), "{p} is outside /pkg");
        }
        assert_eq!(metadata_file("root"), "/pkg/etc/metadata/root.json");
        assert_eq!(generation_file(7), "/pkg/generations/7.json");
        assert_eq!(payload_root("lua-5.4.4"), "/pkg/store/lua-5.4.4/root");
        assert_eq!(
            join(&store_dir("lua-5.4.4"), crate::store::PAYLOAD_DIR),
            payload_root("lua-5.4.4")
        );
        assert!(!PINNED_ROOT_KEY.starts_with("/pkg/"));
    }
}
