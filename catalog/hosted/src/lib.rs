//! SwiftOS hosted repositories: [`publish`] writes a static-hostable web root (TUF metadata with
//! consistent snapshots made by `catalog-signer`, the packages with `.sha256` sidecars,
//! `hosted-repo.json`, `repo-root.pub` and a static HTML package browser) that any static web
//! server can serve, and [`verify_url`] checks such a root over HTTP the way a client would,
//! reporting every problem it finds. `swport repo publish` / `swport repo verify-url` are thin
//! wrappers over these two functions; `repo-server` serves the root.

pub mod browser;
pub mod error;
pub mod keys;
pub mod layout;
pub mod publish;
pub mod verify;

pub use catalog_signer::Expiry;
pub use catalog_signer::KeyType;
pub use error::HostedError;
pub use keys::{
    generate_keys, generate_keys_of, generate_package_key, PackageSigner, PublisherKeys,
    ROOT_KEY_SIGNING_WARNING, ROOT_SIGNED_PACKAGE_REFUSED,
};
pub use layout::{HostedRepo, HOSTED_REPO_JSON, REPO_ROOT_PUB};
pub use publish::{publish, rotate_keys, PublishOptions, Published};
pub use verify::{verify_url, Problem, VerifyOptions, VerifyReport};
