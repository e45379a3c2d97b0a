//! SwiftOS repository trust and package selection, shared by the host tools and the in-OS `pkg`
//! client: TUF 1.0 metadata (root, timestamp, snapshot, targets and delegated targets roles)
//! with canonical-JSON signatures by ed25519, ECDSA P-256 and RSA-PSS keys ([`keys`]), the client
//! update workflow of the TUF specification §5 written against a small [`client::Platform`]
//! trait, the package index carried in targets custom metadata, and a dependency resolver over
//! `semver` requirements.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod canonical;
pub mod client;
pub mod error;
pub mod index;
pub mod keys;
pub mod metadata;
pub mod resolve;
pub mod time;

pub use client::{Client, Config, FetchError, Platform};
pub use error::{Error, Role};
pub use index::{Compat, Index, IndexError, PackageMeta, RepoMeta};
pub use metadata::{
    Key, MetaFile, RoleKeys, Root, Signature, Snapshot, TargetFile, Targets, Timestamp,
};
pub use resolve::{Resolution, ResolveError, Universe};
