//! The index facts of a package, taken from its verified `.swpkg` manifest: the one mapping from
//! the package format to the repository's package index (used by `swport repo publish` and
//! `swport recipe repo-fixture`).

use catalog_core::index::PackageMeta;
use swpkg_core::{EntryKind, Manifest};

/// The custom metadata a package target carries: name, version, dependencies with their
/// version requirements, description, payload size (regular files), arch and ABI.
pub fn package_meta(m: &Manifest) -> PackageMeta {
    PackageMeta {
        name: m.name.clone(),
        version: m.version.to_string(),
        deps: m
            .depends
            .iter()
            .map(|d| (d.name.clone(), d.req.to_string()))
            .collect(),
        description: m.description.clone(),
        size: m
            .files
            .iter()
            .filter(|e| e.kind == EntryKind::File)
            .map(|e| e.size)
            .fold(0u64, u64::saturating_add),
        arch: m.arch.clone(),
        abi: m.abi,
    }
}
