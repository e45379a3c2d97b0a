//! The SwiftOS network stack: a smoltcp [`Interface`](smoltcp::iface::Interface) over any
//! [`smoltcp::phy::Device`], a static IPv4 configuration ([`NetConfig`]) and a socket table
//! with POSIX-like semantics ([`Stack`]).
//!
//! Every socket operation is non-blocking and answers [`Errno::EAGAIN`] when it would wait;
//! the kernel turns that into blocking (with timeouts) and uses [`Stack::readiness`] for
//! `poll`. The host tests join two stacks with the in-memory [`link`] and run real TCP/UDP.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod config;
pub mod link;
pub mod stack;

pub use config::{ConfigError, NetConfig};
pub use stack::{Readiness, SockKind, SocketId, Stack};
pub use swiftos_abi::Errno;
