//! The SwiftOS package client, written once for the host (`pkg --root DIR`) and the in-OS `pkg`.
//!
//! Everything here is `no_std + alloc` and talks to the system only through [`Platform`]
//! (files under a root, streamed HTTP GET with `Range`, clock, output). The package format
//! (`swpkg-core`: stream verification) and repository trust (`catalog-core`: TUF update
//! workflow, package index, resolver) come from their own crates; this crate adds the package
//! store, its generations, transactional installs, resumable downloads and the commands.
//!
//! The store layout is described in [`layout`] and `docs/PKG_CLIENT.md`.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod args;
pub mod client;
pub mod download;
pub mod error;
pub mod event;
pub mod generation;
pub mod http;
pub mod layout;
#[cfg(any(test, feature = "mem"))]
pub mod mem;
pub mod outcome;
pub mod platform;
pub mod repo;
pub mod report;
pub mod store;

pub use catalog_core::keys::PublicKey;
pub use client::{Pkg, TrustedRoot};
pub use error::{Error, Result};
pub use event::{Event, Repair};
pub use generation::{Generation, Installed, Origin};
pub use outcome::{Activation, Change, Hit, InUse, Info, Overlay, Recorded};
pub use platform::{
    FetchError, FsError, FsErrorKind, NodeKind, NodeMeta, Platform, Response, Sink, Source,
    SourceError,
};
