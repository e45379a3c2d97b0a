//! The system tests of SwiftOS (`tests/tests/`) and what only they need: package repositories
//! made for a test (`repo_fixture`) and python-tuf as a peer (`python_tuf`).
//!
//! The QEMU harness itself is the `swiftos-harness` crate (`tests/harness/`), re-exported here
//! so a test reads `swiftos_tests::Guest`; `cargo xtask run` uses the same harness without
//! depending on this crate.

// Fixtures write scratch trees that only the test reading them sees; a crash loses the test,
// not a user's file, so they skip the atomic-write helper clippy.toml asks host tools to use.
#![allow(clippy::disallowed_methods)]

pub use swiftos_harness::*;

pub mod python_tuf;
pub mod repo_fixture;
