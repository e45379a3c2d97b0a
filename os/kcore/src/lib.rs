//! Portable SwiftOS kernel logic: everything that does not touch hardware, tested on the host.
#![cfg_attr(not(test), no_std)]

extern crate alloc;

pub mod cmdline;
pub mod elf;
pub mod esr;
pub mod frame;
pub mod ldisc;
pub mod pagetable;
pub mod sched;
pub mod stack;
pub mod uaccess;
