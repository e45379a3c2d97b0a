//! The package index carried in targets metadata: each package target's `custom` object holds
//! the manifest facts a client needs to search and resolve (name, version, dependencies,
//! description, size, arch, ABI), and the `swiftos-repo.json` target declares the repository's
//! compatibility contract. Incompatible repositories and packages are refused with a message
//! naming both sides.
//!
//! ```json
//! "packages/lua-5.4.4.swpkg": { "length": 1234, "hashes": {"sha256": "…"},
//!   "custom": {"swiftos_package": {"name": "lua", "version": "5.4.4", "deps": {"libc": "^1"},
//!              "description": "…", "size": 4096, "arch": "aarch64", "abi": 1}}}
//! "swiftos-repo.json": { "length": …, "hashes": …,
//!   "custom": {"swiftos_repo": {"format": 1, "arch": "aarch64", "abi": 1,
//!                               "package_keys": ["<64 hex digits>"]}}}
//! ```
//!
//! `package_keys` (optional) lists the ed25519 keys that sign this repository's packages besides
//! the root key a client pins: signed by the targets role, they reach clients with every
//! `pkg update` and change with a new targets version, so the root key can stay offline.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use semver::{Version, VersionReq};
use serde::{Deserialize, Serialize};

use crate::metadata::Targets;
use crate::resolve::Universe;

/// Key of the package facts inside a target's `custom` object.
pub const PACKAGE_KEY: &str = "swiftos_package";
/// Target that carries the repository's compatibility contract.
pub const REPO_TARGET: &str = "swiftos-repo.json";
/// Key of the contract inside that target's `custom` object.
pub const REPO_KEY: &str = "swiftos_repo";
/// Version of this index format.
pub const INDEX_FORMAT: u32 = 1;

/// The package facts stored in a package target's custom metadata.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PackageMeta {
    /// Package name (`[a-z0-9][a-z0-9+._-]*`, at most 64 bytes).
    pub name: String,
    /// Semantic version.
    pub version: String,
    /// Dependencies: package name → semver requirement.
    #[serde(default)]
    pub deps: BTreeMap<String, String>,
    /// One-line description.
    #[serde(default)]
    pub description: String,
    /// Installed size in bytes.
    pub size: u64,
    /// CPU architecture (`aarch64`).
    pub arch: String,
    /// SwiftOS ABI version the package was built for.
    pub abi: u32,
}

/// The repository-wide compatibility contract.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RepoMeta {
    /// Index format ([`INDEX_FORMAT`]).
    pub format: u32,
    /// Architecture served.
    pub arch: String,
    /// ABI version served.
    pub abi: u32,
    /// Keys trusted to sign this repository's packages (ed25519, 64 lowercase hex digits each),
    /// besides the pinned root key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub package_keys: Vec<String>,
}

/// Whether `k` is an ed25519 public key written as 64 lowercase hex digits.
pub fn valid_package_key(k: &str) -> bool {
    k.len() == 64
        && k.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// What this system can run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compat {
    /// Architecture.
    pub arch: String,
    /// ABI version.
    pub abi: u32,
}

impl Compat {
    /// SwiftOS on AArch64 with the ABI of `os/abi`.
    pub fn swiftos() -> Compat {
        Compat {
            arch: "aarch64".into(),
            abi: swiftos_abi::ABI_VERSION,
        }
    }
}

/// A package release found in the index.
#[derive(Clone, Debug)]
pub struct Package {
    /// Facts as published.
    pub meta: PackageMeta,
    /// Parsed version.
    pub version: Version,
    /// Parsed dependencies.
    pub deps: Vec<(String, VersionReq)>,
    /// Target path of the package file.
    pub target: String,
    /// Length of the package file.
    pub length: u64,
}

/// A package release refused because it does not match this system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Its architecture.
    pub arch: String,
    /// Its ABI.
    pub abi: u32,
}

/// Index errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    /// No compatibility contract: not a SwiftOS repository.
    #[error("the repository has no {REPO_TARGET} target: it is not a SwiftOS package repository")]
    NotACatalog,
    /// The contract is malformed.
    #[error("the repository's {REPO_TARGET} custom metadata is malformed: {detail}")]
    BadRepoMeta {
        /// Parser message.
        detail: String,
    },
    /// The repository serves another architecture, ABI or index format.
    #[error(
        "incompatible repository: it serves {found_arch} packages for SwiftOS ABI {found_abi} (index format {found_format}), \
         this system is {want_arch} with ABI {want_abi} (index format {INDEX_FORMAT}); point `pkg repo set` at a repository built for this system"
    )]
    IncompatibleCatalog {
        /// Repository architecture.
        found_arch: String,
        /// Repository ABI.
        found_abi: u32,
        /// Repository index format.
        found_format: u32,
        /// Our architecture.
        want_arch: String,
        /// Our ABI.
        want_abi: u32,
    },
    /// A package target's custom metadata is malformed.
    #[error("package target {target:?} has malformed metadata: {detail}")]
    BadPackageMeta {
        /// Target path.
        target: String,
        /// What was wrong.
        detail: String,
    },
    /// Two targets publish the same name and version.
    #[error("package {name} {version} is published twice")]
    Duplicate {
        /// Name.
        name: String,
        /// Version.
        version: String,
    },
    /// Only incompatible builds of the package exist.
    #[error(
        "package {name} {version} is built for {arch} with SwiftOS ABI {abi}, this system is {want_arch} with ABI {want_abi}; it cannot be installed"
    )]
    IncompatiblePackage {
        /// Name.
        name: String,
        /// Newest refused version.
        version: String,
        /// Its architecture.
        arch: String,
        /// Its ABI.
        abi: u32,
        /// Our architecture.
        want_arch: String,
        /// Our ABI.
        want_abi: u32,
    },
    /// No such package.
    #[error("no package named {name:?} is published")]
    NoSuchPackage {
        /// Name.
        name: String,
    },
}

/// Whether `name` is an acceptable package name: the one rule, [`swpkg_core::PackageName`].
pub fn valid_name(name: &str) -> bool {
    swpkg_core::PackageName::is_valid(name)
}

/// The packages of a verified targets metadata, newest version first per name.
#[derive(Clone, Debug)]
pub struct Index {
    packages: BTreeMap<String, Vec<Package>>,
    refused: Vec<Refused>,
    compat: Compat,
    package_keys: Vec<String>,
}

impl Index {
    /// Build the index from verified targets metadata, refusing an incompatible repository.
    pub fn from_targets(targets: &Targets, compat: &Compat) -> Result<Index, IndexError> {
        let repo_target = targets
            .targets
            .get(REPO_TARGET)
            .ok_or(IndexError::NotACatalog)?;
        let repo_value = repo_target
            .custom
            .as_ref()
            .and_then(|c| c.get(REPO_KEY))
            .ok_or_else(|| IndexError::BadRepoMeta {
                detail: alloc::format!("no {REPO_KEY} object"),
            })?;
        let repo: RepoMeta =
            serde_json::from_value(repo_value.clone()).map_err(|e| IndexError::BadRepoMeta {
                detail: e.to_string(),
            })?;
        if let Some(k) = repo.package_keys.iter().find(|k| !valid_package_key(k)) {
            return Err(IndexError::BadRepoMeta {
                detail: alloc::format!(
                    "package key {k:?} is not an ed25519 key in 64 lowercase hex digits"
                ),
            });
        }
        if repo.format != INDEX_FORMAT || repo.arch != compat.arch || repo.abi != compat.abi {
            return Err(IndexError::IncompatibleCatalog {
                found_arch: repo.arch,
                found_abi: repo.abi,
                found_format: repo.format,
                want_arch: compat.arch.clone(),
                want_abi: compat.abi,
            });
        }
        let mut packages: BTreeMap<String, Vec<Package>> = BTreeMap::new();
        let mut refused = Vec::new();
        for (path, file) in &targets.targets {
            let Some(v) = file.custom.as_ref().and_then(|c| c.get(PACKAGE_KEY)) else {
                continue;
            };
            let bad = |detail: String| IndexError::BadPackageMeta {
                target: path.clone(),
                detail,
            };
            let meta: PackageMeta =
                serde_json::from_value(v.clone()).map_err(|e| bad(e.to_string()))?;
            if !valid_name(&meta.name) {
                return Err(bad(alloc::format!("invalid package name {:?}", meta.name)));
            }
            let version =
                Version::parse(&meta.version).map_err(|e| bad(alloc::format!("version: {e}")))?;
            let mut deps = Vec::new();
            for (d, req) in &meta.deps {
                if !valid_name(d) {
                    return Err(bad(alloc::format!("invalid dependency name {d:?}")));
                }
                let r = VersionReq::parse(req)
                    .map_err(|e| bad(alloc::format!("requirement {d} {req:?}: {e}")))?;
                deps.push((d.clone(), r));
            }
            if meta.arch != compat.arch || meta.abi != compat.abi {
                refused.push(Refused {
                    name: meta.name.clone(),
                    version: meta.version.clone(),
                    arch: meta.arch.clone(),
                    abi: meta.abi,
                });
                continue;
            }
            let list = packages.entry(meta.name.clone()).or_default();
            if list.iter().any(|p| p.version == version) {
                return Err(IndexError::Duplicate {
                    name: meta.name,
                    version: meta.version,
                });
            }
            list.push(Package {
                meta,
                version,
                deps,
                target: path.clone(),
                length: file.length,
            });
        }
        for list in packages.values_mut() {
            list.sort_by(|a, b| b.version.cmp(&a.version));
        }
        Ok(Index {
            packages,
            refused,
            compat: compat.clone(),
            package_keys: repo.package_keys,
        })
    }

    /// The package signing keys the signed metadata lists (64 hex digits each; checked).
    pub fn package_keys(&self) -> &[String] {
        &self.package_keys
    }

    /// All installable packages by name, newest version first.
    pub fn packages(&self) -> &BTreeMap<String, Vec<Package>> {
        &self.packages
    }

    /// Releases refused as incompatible.
    pub fn refused(&self) -> &[Refused] {
        &self.refused
    }

    /// Installable versions of `name`, newest first; explains why there are none.
    pub fn versions(&self, name: &str) -> Result<&[Package], IndexError> {
        if let Some(v) = self.packages.get(name) {
            return Ok(v);
        }
        if let Some(r) = self
            .refused
            .iter()
            .filter(|r| r.name == name)
            .max_by(|a, b| {
                let va = Version::parse(&a.version).ok();
                let vb = Version::parse(&b.version).ok();
                va.cmp(&vb)
            })
        {
            return Err(IndexError::IncompatiblePackage {
                name: r.name.clone(),
                version: r.version.clone(),
                arch: r.arch.clone(),
                abi: r.abi,
                want_arch: self.compat.arch.clone(),
                want_abi: self.compat.abi,
            });
        }
        Err(IndexError::NoSuchPackage { name: name.into() })
    }

    /// A specific release.
    pub fn get(&self, name: &str, version: &Version) -> Option<&Package> {
        self.packages
            .get(name)?
            .iter()
            .find(|p| &p.version == version)
    }

    /// Newest release of each package whose name or description contains `text`
    /// (ASCII case-insensitive).
    pub fn search(&self, text: &str) -> Vec<&Package> {
        let needle = text.to_ascii_lowercase();
        self.packages
            .values()
            .filter_map(|v| v.first())
            .filter(|p| {
                p.meta.name.contains(&needle)
                    || p.meta.description.to_ascii_lowercase().contains(&needle)
            })
            .collect()
    }

    /// The resolver's view of the installable packages.
    pub fn universe(&self) -> Universe {
        let mut u = Universe::new();
        for list in self.packages.values() {
            for p in list {
                u.add(&p.meta.name, p.version.clone(), &p.deps);
            }
        }
        u
    }
}
