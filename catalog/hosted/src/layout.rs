//! The layout of a hosted repository root and the `hosted-repo.json` descriptor.
//!
//! ```text
//! ROOT/hosted-repo.json                      this file's descriptor (unsigned; verify-url cross-checks it)
//! ROOT/repo-root.pub                         the root public key clients pin (`pkg repo set URL --root-key`)
//! ROOT/metadata/N.root.json, root.json       TUF root (every version kept for rotation)
//! ROOT/metadata/N.targets.json, N.snapshot.json, targets.json, snapshot.json, timestamp.json
//! ROOT/targets/swiftos-repo.json (+ HASH.swiftos-repo.json)
//! ROOT/targets/packages/NAME-VERSION.swpkg   the package, under its plain name ...
//! ROOT/targets/packages/NAME-VERSION.swpkg.sha256   ... with a `sha256sum -c` sidecar
//! ROOT/targets/packages/HASH.NAME-VERSION.swpkg     ... and the hash-named copy TUF clients fetch
//! ROOT/index.html                            package browser (search over an embedded JSON index)
//! ROOT/browse/NAME.html                      one page per package name (all versions)
//! ```

use serde::{Deserialize, Serialize};

/// File name of the descriptor at the root.
pub const HOSTED_REPO_JSON: &str = "hosted-repo.json";
/// File name of the pinned root public key at the root.
pub const REPO_ROOT_PUB: &str = "repo-root.pub";
/// Metadata directory (relative to the root).
pub const METADATA_DIR: &str = "metadata";
/// Targets directory (relative to the root).
pub const TARGETS_DIR: &str = "targets";
/// Package directory inside the targets directory.
pub const PACKAGES_SUBDIR: &str = "packages";
/// Directory of the per-package browser pages.
pub const BROWSE_DIR: &str = "browse";
/// Extension of the checksum sidecar (`NAME-VERSION.swpkg.sha256`).
pub const SIDECAR_EXT: &str = "sha256";
/// Version of the `hosted-repo.json` format.
pub const HOSTED_FORMAT: u32 = 1;

/// `hosted-repo.json`: what a person or a tool needs to use the root, before any TUF metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostedRepo {
    /// Format of this file ([`HOSTED_FORMAT`]).
    pub format: u32,
    /// Repository name.
    pub name: String,
    /// Channel (e.g. `stable`, `testing`).
    pub channel: String,
    /// Metadata directory, relative to the root URL.
    pub metadata: String,
    /// Targets directory, relative to the root URL.
    pub targets: String,
    /// Package directory, relative to the root URL.
    pub packages: String,
    /// Whether files are published under consistent-snapshot (hash / version prefixed) names.
    pub consistent_snapshot: bool,
    /// The pinned root key file, relative to the root URL.
    pub root_key: String,
    /// Its TUF key id.
    pub root_keyid: String,
    /// Keys (64 hex digits) trusted to sign package manifests, besides the root key.
    pub package_keys: Vec<String>,
    /// What the packages run on.
    pub compatibility: Compatibility,
    /// Entry page of the package browser.
    pub browser: String,
}

/// The compatibility contract (the same facts as the signed `swiftos-repo.json` target).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Compatibility {
    /// CPU architecture (`aarch64`).
    pub arch: String,
    /// SwiftOS ABI version (`swiftos_abi::ABI_VERSION`).
    pub abi: u32,
    /// Package index format of the targets metadata.
    pub index_format: u32,
}

/// The plain target path of a package: `packages/NAME-VERSION.swpkg`.
pub fn package_target(name: &str, version: &str) -> String {
    format!("{PACKAGES_SUBDIR}/{name}-{version}.swpkg")
}

/// The sidecar file text for a package: `sha256sum` format, so `sha256sum -c` checks it.
pub fn sidecar_text(sha256_hex: &str, file_name: &str) -> String {
    format!("{sha256_hex}  {file_name}\n")
}

/// Parse sidecar text: returns the hex digest if the file is one line `HEX  NAME` naming
/// `file_name` (a `*` binary marker before the name is accepted).
pub fn parse_sidecar(text: &str, file_name: &str) -> Result<String, String> {
    let line = text.strip_suffix('\n').unwrap_or(text);
    if line.contains('\n') {
        return Err("more than one line".into());
    }
    let (hash, rest) = line
        .split_once(' ')
        .ok_or_else(|| "not `SHA256  NAME`".to_string())?;
    let name = rest.strip_prefix(' ').or_else(|| rest.strip_prefix('*'));
    let name = name.ok_or_else(|| "not `SHA256  NAME`".to_string())?;
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("the digest is not 64 hex digits".into());
    }
    if name != file_name {
        return Err(format!("names {name:?}, not {file_name:?}"));
    }
    Ok(hash.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sidecar_round_trip_and_garbage() {
        let h = "ab".repeat(32);
        assert_eq!(
            parse_sidecar(&sidecar_text(&h, "a-1.0.0.swpkg"), "a-1.0.0.swpkg").unwrap(),
            h
        );
        assert_eq!(
            parse_sidecar(&format!("{h} *a.swpkg"), "a.swpkg").unwrap(),
            h
        );
        for bad in [
            "",
            "\n",
            "xyz",
            &format!("{h}  b.swpkg\n"),
            &format!("{}  a.swpkg\n", &h[..63]),
            &format!("{}g  a.swpkg\n", &h[..63]),
            &format!("{h}  a.swpkg\n{h}  a.swpkg\n"),
            &format!("{h}a.swpkg"),
            "\u{0}\u{ff}  a.swpkg",
        ] {
            assert!(parse_sidecar(bad, "a.swpkg").is_err(), "{bad:?}");
        }
    }
}
