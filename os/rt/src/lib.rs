//! The SwiftOS userland runtime (`no_std + alloc`, AArch64 EL0).
//!
//! A program is a `#![no_std] #![no_main]` binary that names its entry with [`entry!`]:
//! ```ignore
//! #![no_std]
//! #![no_main]
//! use swiftos_rt::prelude::*;
//! swiftos_rt::entry!(main);
//! fn main(args: Vec<String>, env: Vec<String>) -> i32 { println!("hi"); 0 }
//! ```
//! The runtime supplies `_start` (reads the SysV start layout of `swiftos_abi::layout`), the
//! panic handler (message on stderr, exit status 101), a global allocator over `brk` (large
//! blocks over `mmap`), safe wrappers for every system call ([`sys`]), files and directories
//! ([`fs`]), console output macros ([`print!`], [`println!`], [`eprintln!`]), the environment
//! ([`env`]) and processes ([`process`]). `unsafe` lives only at the system-call boundary and in
//! the allocator.
//!
//! Only [`dirent`] is portable; everything else needs the SwiftOS target
//! (`target_os = "none"`), so `cargo test -p swiftos-rt` on the host tests the portable part.
#![cfg_attr(not(test), no_std)]

extern crate alloc;

pub mod dirent;
#[cfg(target_os = "none")]
pub mod env;
#[cfg(target_os = "none")]
pub mod fs;
#[cfg(target_os = "none")]
pub mod heap;
#[cfg(target_os = "none")]
pub mod io;
#[cfg(target_os = "none")]
pub mod net;
#[cfg(target_os = "none")]
pub mod process;
#[cfg(target_os = "none")]
mod start;
#[cfg(target_os = "none")]
pub mod sys;
#[cfg(target_os = "none")]
pub mod time;

pub use swiftos_abi as abi;
pub use swiftos_abi::Errno;

/// Everything a typical program needs.
pub mod prelude {
    #[cfg(target_os = "none")]
    pub use crate::{eprint, eprintln, print, println};
    pub use alloc::borrow::ToOwned;
    pub use alloc::boxed::Box;
    pub use alloc::format;
    pub use alloc::string::{String, ToString};
    pub use alloc::vec;
    pub use alloc::vec::Vec;
    pub use swiftos_abi::Errno;
}

/// Declare the program's entry function: `fn(Vec<String>, Vec<String>) -> i32` receiving the
/// arguments (including `argv[0]`) and the environment as `KEY=VALUE` strings. Its return value
/// is the exit status.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        #[no_mangle]
        fn __swiftos_main(
            args: $crate::prelude::Vec<$crate::prelude::String>,
            env: $crate::prelude::Vec<$crate::prelude::String>,
        ) -> i32 {
            $main(args, env)
        }
    };
}
