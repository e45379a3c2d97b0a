//! The SwiftOS seed repository: [`SeedConfig`] (`seed/seed.toml`, typed), the seed's
//! development keys ([`keys_dir`]), and [`publish`], which packages the seed ports and publishes
//! them in-process through the one publisher, [`catalog_hosted::publish`].

pub mod config;
pub mod error;
pub mod keys;
pub mod publish;

pub use config::SeedConfig;
pub use error::SeedError;
pub use keys::keys_dir;
pub use publish::{publish, verify_served, web_root, SEED_PACKAGE_SIGNER};
