//! The human-written source manifest (TOML) that `swpkg build --manifest` reads.
//!
//! ```toml
//! name = "lua"
//! version = "5.4.6"
//! description = "Lua, a small embeddable scripting language"
//! license = "MIT"
//! provides = ["lua-interpreter"]   # optional
//! conflicts = []                   # optional
//!
//! [depends]                        # optional: name = "semver requirement"
//! zlib = "^1.2"
//! ```
//!
//! `arch`, `abi`, `format` and `files` are not written by hand: the builder fills them in
//! (the file list is computed from the staged tree).

use crate::error::Error;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use swpkg_core::{Dependency, Entry, Limits, Manifest, ABI_VERSION, ARCH, FORMAT_VERSION};

/// The TOML source manifest.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceManifest {
    /// Package name.
    pub name: String,
    /// Package version (semver).
    pub version: String,
    /// Description.
    pub description: String,
    /// SPDX licence expression.
    pub license: String,
    /// Dependencies: name → version requirement.
    #[serde(default)]
    pub depends: BTreeMap<String, String>,
    /// Virtual names provided.
    #[serde(default)]
    pub provides: BTreeSet<String>,
    /// Conflicting packages.
    #[serde(default)]
    pub conflicts: BTreeSet<String>,
}

impl SourceManifest {
    /// Read and parse a TOML source manifest file.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(Error::io("cannot read", path))?;
        toml::from_str(&text).map_err(|e| Error::SourceManifest {
            path: path.into(),
            reason: e.to_string(),
        })
    }

    /// Combine with the computed file list into a validated [`Manifest`].
    pub fn to_manifest(&self, path: &Path, files: Vec<Entry>) -> Result<Manifest, Error> {
        let err = |reason: String| Error::SourceManifest {
            path: path.into(),
            reason,
        };
        let version: semver::Version = self
            .version
            .parse()
            .map_err(|e| err(format!("version {:?} is not semver: {e}", self.version)))?;
        let mut depends = Vec::new();
        for (name, req) in &self.depends {
            let req: semver::VersionReq = req.parse().map_err(|e| {
                err(format!(
                    "depends.{name} = {req:?} is not a version requirement: {e}"
                ))
            })?;
            depends.push(Dependency {
                name: name.clone(),
                req,
            });
        }
        let m = Manifest {
            abi: ABI_VERSION,
            arch: ARCH.into(),
            conflicts: self.conflicts.iter().cloned().collect(),
            depends,
            description: self.description.clone(),
            files,
            format: FORMAT_VERSION,
            license: self.license.clone(),
            name: self.name.clone(),
            provides: self.provides.iter().cloned().collect(),
            version,
        };
        m.validate(&Limits::DEFAULT)?;
        Ok(m)
    }
}
