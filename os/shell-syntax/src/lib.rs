//! Portable (`no_std + alloc`, host-tested) logic of the SwiftOS userland: the shell language
//! ([`parse`]) and the parts of the base tools worth testing off-target: option parsing
//! ([`opts`]), the `calc` evaluator ([`calc`]), the `kv` file format ([`kv`]) and output
//! formatting for `ls`, `date`, `wc`, `ps` ([`fmt`]).
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod calc;
pub mod fmt;
pub mod kv;
pub mod opts;
pub mod parse;

pub use parse::{expand, expand_words, parse, Script, SyntaxError, Vars};

#[cfg(test)]
mod tests;
