//! The `pkg` commands, written once over [`Platform`]: repository set-up and update, search and
//! info, transactional install (repository or local file), remove, upgrade and rollback.
//!
//! One file per command family: [`activate`], [`remote`] (repository, update, search, info),
//! [`query`] (list, files, verify), [`install`] (install, upgrade and the transaction steps),
//! [`remove`] (remove, gc, rollback). The shared state is the one [`Pkg`].

mod activate;
mod install;
mod query;
mod remote;
mod remove;
#[cfg(test)]
mod tests;

use crate::download::{self, Expected};
use crate::error::{Error, Result};
use crate::event::{Event, Repair};
use crate::generation::{Generation, Installed, Origin};
use crate::layout;
use crate::outcome::{Activation, Change, Hit, InUse, Info, Overlay, Recorded};
use crate::platform::Platform;
use crate::repo::{self, RepoConfig};
use crate::report;
use crate::store::{self, Staged, Store, Transaction};
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use catalog_core::client::join_url;
use catalog_core::index::Package;
use catalog_core::keys::PublicKey;
use catalog_core::metadata::{parse, Root, Targets};
use catalog_core::Role;
use semver::{Version, VersionReq};
use swpkg_core::{Entry, PackageError, VerifyingKey};

/// How `pkg repo set` learns the trusted root.
#[derive(Debug, Clone)]
pub enum TrustedRoot {
    /// The root metadata bytes, obtained out of band (`--trusted-root root.json`).
    File(Vec<u8>),
    /// Download `1.root.json` from the repository and accept it only if this key is one of
    /// its root keys and it is properly self-signed (`--root-key FILE`: ed25519, ECDSA P-256
    /// or RSA; see [`repo::parse_root_key`]). An ed25519 root key of a SwiftOS repository also
    /// signs its packages, so it is added to the package keys.
    Key(PublicKey),
}

fn names(g: &Generation) -> Vec<String> {
    g.packages
        .iter()
        .map(|p| format!("{} {}", p.name, p.version))
        .collect()
}

/// The package client over a platform.
pub struct Pkg<P: Platform> {
    /// The platform.
    pub p: P,
}

fn ids(g: &Generation) -> BTreeMap<String, Version> {
    g.packages
        .iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect()
}

fn diff(old: &Generation, new: &Generation) -> (Vec<String>, Vec<String>) {
    let (o, n) = (ids(old), ids(new));
    let added = n
        .iter()
        .filter(|(k, v)| o.get(*k) != Some(v))
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    let removed = o
        .iter()
        .filter(|(k, v)| n.get(*k) != Some(v))
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    (added, removed)
}

/// Does `g` satisfy dependency `name req` (by name or by a provided name)?
fn satisfied(g: &[Installed], name: &str, req: &VersionReq) -> bool {
    g.iter().any(|p| {
        (p.name == name && req.matches(&p.version)) || p.provides.iter().any(|v| v == name)
    })
}
impl<P: Platform> Pkg<P> {
    /// Wrap a platform.
    pub fn new(p: P) -> Self {
        Pkg { p }
    }

    fn lock(&mut self) -> Result<()> {
        self.p.lock().map_err(|e| match e.kind {
            crate::platform::FsErrorKind::AlreadyExists => Error::Locked(e.message),
            _ => Error::Fs(e),
        })
    }

    fn store(&mut self) -> Store<'_, P> {
        Store::new(&mut self.p)
    }

    /// Hand the payload roots of `g` to the platform's overlay; never fails the command (the
    /// commit already happened), the outcome is reported.
    fn publish(&mut self, g: &Generation) -> Overlay {
        let roots = payload_roots(g);
        match self.p.set_overlay(&roots) {
            Ok(true) => Overlay::Applied(roots.len()),
            Ok(false) => Overlay::Unsupported,
            Err(e) => Overlay::Failed(e.to_string()),
        }
    }
}

/// Payload roots of the packages of `g`, in generation order.
pub fn payload_roots(g: &Generation) -> Vec<String> {
    g.packages
        .iter()
        .map(|p| layout::payload_root(&p.store))
        .collect()
}

fn exact(v: &Version) -> VersionReq {
    VersionReq::parse(&format!("={v}")).unwrap_or(VersionReq::STAR)
}

/// `name` or `name@REQ` (e.g. `lua@^5.4`).
pub fn parse_request(s: &str) -> Result<(String, VersionReq)> {
    let (name, req) = match s.split_once('@') {
        Some((n, r)) => {
            let req = r
                .parse()
                .map_err(|e| Error::Usage(format!("{s}: version requirement {r:?}: {e}")))?;
            (n, req)
        }
        None => (s, VersionReq::STAR),
    };
    if !crate::generation::valid_name(name) {
        return Err(Error::Usage(format!(
            "{name:?} is not a package name ([a-z0-9][a-z0-9._+-]*)"
        )));
    }
    Ok((name.to_string(), req))
}

fn cached_root<P: Platform>(p: &mut P) -> Result<Root> {
    let bytes = p
        .read(&layout::metadata_file("root"), repo::MAX_METADATA_BYTES)
        .map_err(|e| {
            if e.is_not_found() {
                Error::NoRepo
            } else {
                Error::Fs(e)
            }
        })?;
    Ok(parse::<Root>(&bytes).map_err(Error::Metadata)?.signed)
}

/// URL of a target file; with consistent snapshots the file name is prefixed by its sha256.
fn target_url(
    base: &str,
    target: &str,
    consistent: bool,
    hashes: &BTreeMap<String, String>,
) -> Result<String> {
    let path = if consistent {
        let h = hashes
            .get("sha256")
            .or_else(|| hashes.values().next())
            .ok_or_else(|| Error::IndexMismatch(format!("target {target} has no hash")))?;
        match target.rsplit_once('/') {
            Some((dir, f)) => format!("{dir}/{h}.{f}"),
            None => format!("{h}.{target}"),
        }
    } else {
        target.to_string()
    };
    Ok(join_url(base, &path))
}

fn hex(b: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for &x in b {
        s.push(D[(x >> 4) as usize] as char);
        s.push(D[(x & 15) as usize] as char);
    }
    s
}
