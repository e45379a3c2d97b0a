//! SwiftOS repository side: ed25519 and ECDSA P-256 key files, building and signing TUF metadata (root with
//! rotation, targets carrying package facts, snapshot, timestamp), and writing a repository
//! directory (`metadata/` and `targets/`) that the `catalog-core` client verifies.
//! `swport repo publish` builds on [`Repository`].

pub mod build;
pub mod error;
pub mod host;
pub mod keys;
pub mod package;
pub mod repo;

pub use build::{
    build_root, sign, snapshot_for, target_file, targets_meta, timestamp_for, Expiry, RoleSpec,
    RootSpec,
};
pub use error::RepoError;
pub use keys::{read_public_key, KeyPair, KeyType};
pub use package::package_meta;
pub use repo::{Repository, Signers};
