//! `repo-server`: a static, read-only HTTP host for a published SwiftOS repository root
//! (`catalog_hosted::publish`). GET and HEAD only; single byte ranges; ETag / If-None-Match and
//! Last-Modified / If-Modified-Since; `Cache-Control` chosen for TUF (timestamp and unversioned
//! metadata revalidated every time, hash- and version-prefixed files immutable); no directory
//! listings; traversal (plain or percent-encoded), NUL bytes, backslashes, dot-files and
//! symlinks leaving the root are refused; one access-log line per request through `tracing`.
//!
//! The request-path and header rules are pure functions in [`rules`] (unit-tested); [`server`]
//! wires them into axum.

pub mod rules;
pub mod server;

pub use server::{bind, serve, ServeError, ServeOptions, ServerState};
