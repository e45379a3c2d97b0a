//! DNS for SwiftOS: build A-record queries, parse responses (CNAME chains followed, NXDOMAIN
//! and truncation reported, garbage rejected without panicking) and cache answers for their
//! TTL. Transport (UDP, retries, timeouts) belongs to the caller: the userland resolver in
//! `swiftos-rt` and, later, the C sysroot's `getaddrinfo`.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod cache;
pub mod conf;
pub mod wire;

pub use cache::{Cache, Cached};
pub use conf::ResolvConf;
pub use wire::{build_query, parse_response, Answer, DnsError};
