//! System calls (`svc #0`, number in `x8`, arguments in `x0..x5`, result in `x0`).
//!
//! [`handle`] takes the caller out of the process table for the call, [`dispatch`] finds the
//! handler for the number in its family module (one function per call), and [`Args`] decodes
//! the argument registers: every user pointer goes through the caller's [`AddrSpace`]
//! (page-table walk, never a raw dereference; a bad one yields `EFAULT`), descriptors are looked
//! up (`EBADF`), paths are length-checked (`ENAMETOOLONG`) and UTF-8 (`EINVAL`).
//!
//! A call that must wait returns [`Sys::Block`]: the process sleeps with its PC rewound onto
//! the `svc`, so the call is simply re-issued when the process is woken. Calls with a timeout
//! keep their deadline in [`crate::time::deadlines`] (see [`block_until`]).

mod console;
mod fs;
mod identity;
mod io;
mod mem;
mod net;
mod poll;
mod proc;
mod system;
mod time;

use crate::arch::vectors::TrapFrame;
use crate::file::Fd;
use crate::fs::FsCtx;
use crate::proc::{Kernel, Process, WaitOn};
use crate::time::deadlines;
use crate::vm::{AddrSpace, Pod};
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use swiftos_abi::layout::{MAX_ARGS, MAX_ARG_BYTES, PATH_MAX};
use swiftos_abi::{Errno, StrSlice};
use swiftos_authority as auth;

/// Largest single read/write transfer handled per call.
const IO_CHUNK: usize = 64 * 1024;

/// Outcome of a system call.
pub enum Sys {
    Ret(Result<usize, Errno>),
    /// Sleep until the condition may have changed, then re-issue the call.
    Block(WaitOn),
    /// The caller terminates with this wait status.
    Exit(u32),
    /// The frame was replaced (`exec`): do not touch `x0`.
    Replaced,
}

/// What a handler returns: an outcome, or an error code for the caller.
type SysResult = Result<Sys, Errno>;

/// One system call's implementation.
type Handler = fn(&mut Kernel, &mut Args<'_>) -> SysResult;

fn ok(v: usize) -> Sys {
    Sys::Ret(Ok(v))
}

/// Entry from the trap handler.
pub fn handle(tf: &mut TrapFrame) {
    let nr = tf.x[8] as usize;
    let regs = [tf.x[0], tf.x[1], tf.x[2], tf.x[3], tf.x[4], tf.x[5]];
    crate::proc::with(|k| {
        let Some(pid) = k.current else { return };
        let Some(mut me) = k.procs.remove(&pid) else {
            return;
        };
        let r = dispatch(k, &mut Args::new(nr, regs, &mut me, tf));
        match r {
            Sys::Ret(v) => tf.x[0] = swiftos_abi::encode_result(v) as u64,
            Sys::Block(w) => {
                tf.elr -= 4;
                me.block(w);
            }
            Sys::Exit(_) | Sys::Replaced => {}
        }
        k.procs.insert(pid, me);
        if let Sys::Exit(status) = r {
            k.terminate(pid, status);
        }
    });
}

/// Run the handler for `a`'s call number (`ENOSYS` for an unknown number).
fn dispatch(k: &mut Kernel, a: &mut Args<'_>) -> Sys {
    let run = |k: &mut Kernel, a: &mut Args<'_>| -> SysResult {
        if net::needs_net_capability(a.nr) {
            auth::check_net(&a.me.subject())?;
        }
        let h = handler(a.nr).ok_or(Errno::ENOSYS)?;
        h(k, a)
    };
    run(k, a).unwrap_or_else(|e| Sys::Ret(Err(e)))
}

/// The handler for call number `nr`, from the family that owns it.
fn handler(nr: usize) -> Option<Handler> {
    io::handler(nr)
        .or_else(|| fs::handler(nr))
        .or_else(|| mem::handler(nr))
        .or_else(|| proc::handler(nr))
        .or_else(|| identity::handler(nr))
        .or_else(|| time::handler(nr))
        .or_else(|| console::handler(nr))
        .or_else(|| system::handler(nr))
        .or_else(|| net::handler(nr))
        .or_else(|| poll::handler(nr))
}

/// The blocking outcome for call `nr` that would wait: block until woken, or with a timeout
/// (kept in the deadline registry across re-issues) until it passes, then `Err(on_timeout)`.
fn block_until(me: &Process, nr: usize, timeout_ms: Option<u64>, on_timeout: Errno) -> SysResult {
    let Some(ms) = timeout_ms else {
        return Ok(Sys::Block(WaitOn::Io));
    };
    let now = crate::time::monotonic_ns();
    if now >= deadlines::call_deadline(me.pid(), nr, now, ms) {
        deadlines::call_finished(me.pid());
        return Err(on_timeout);
    }
    Ok(Sys::Block(WaitOn::Io))
}

/// The calling process, the frame it trapped with, and its argument registers `x0..x5`,
/// decoded by index: integers convert as the ABI passes them (a 32-bit value in the low half
/// of its register), everything that can be wrong (pointers, descriptors, paths) is checked
/// and fails with the call's error code.
pub struct Args<'a> {
    nr: usize,
    regs: [u64; 6],
    /// The caller (out of the process table for the call's duration).
    pub me: &'a mut Process,
    frame: &'a mut TrapFrame,
}

impl<'a> Args<'a> {
    fn new(nr: usize, regs: [u64; 6], me: &'a mut Process, frame: &'a mut TrapFrame) -> Self {
        Args {
            nr,
            regs,
            me,
            frame,
        }
    }

    /// The call number.
    pub fn nr(&self) -> usize {
        self.nr
    }

    /// Register `i` as is (a user address, or a 64-bit value).
    pub fn raw(&self, i: usize) -> u64 {
        self.regs[i]
    }

    /// Register `i` as a size or count.
    pub fn usize(&self, i: usize) -> usize {
        self.regs[i] as usize
    }

    /// Register `i` as a 32-bit value (flags, modes, ids).
    pub fn u32(&self, i: usize) -> u32 {
        self.regs[i] as u32
    }

    /// Register `i` as a signed 32-bit value (a pid that may be -1).
    pub fn i32(&self, i: usize) -> i32 {
        self.regs[i] as i64 as i32
    }

    /// Register `i` as a signed 64-bit value (an offset, a timeout).
    pub fn i64(&self, i: usize) -> i64 {
        self.regs[i] as i64
    }

    /// The open descriptor numbered by register `i` (`EBADF` if none).
    pub fn fd(&self, i: usize) -> Result<Fd, Errno> {
        self.me.fd(self.i64(i)).cloned().ok_or(Errno::EBADF)
    }

    /// The caller's address space.
    pub fn space(&mut self) -> &mut AddrSpace {
        self.me
            .space_mut()
            .expect("running process has an address space")
    }

    /// The caller's trap frame (replaced by `exec`).
    pub fn frame(&mut self) -> &mut TrapFrame {
        self.frame
    }

    /// The caller's file-system view (identity, root, working directory).
    pub fn ctx(&self) -> FsCtx {
        self.me.fs_ctx()
    }

    /// The path whose pointer and length are registers `i` and `i + 1`.
    pub fn path(&mut self, i: usize) -> Result<String, Errno> {
        self.path_at(self.raw(i), self.raw(i + 1))
    }

    /// The path at user address `ptr`, `len` bytes (`ENAMETOOLONG`, `EFAULT`, `EINVAL`).
    pub fn path_at(&mut self, ptr: u64, len: u64) -> Result<String, Errno> {
        if len as usize > PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let mut buf = vec![0u8; len as usize];
        self.space().read(ptr, &mut buf)?;
        String::from_utf8(buf).map_err(|_| Errno::EINVAL)
    }

    /// At most `max` bytes from the buffer whose pointer and length are registers `i`, `i + 1`.
    pub fn bytes(&mut self, i: usize, max: usize) -> Result<Vec<u8>, Errno> {
        let mut b = vec![0u8; self.usize(i + 1).min(max)];
        let ptr = self.raw(i);
        self.space().read(ptr, &mut b)?;
        Ok(b)
    }

    /// The strings of a [`StrSlice`] array at `ptr` (`count` entries), adding their sizes to
    /// `total` (`E2BIG` past `MAX_ARGS` entries or `MAX_ARG_BYTES` in all).
    pub fn strings_at(
        &mut self,
        ptr: u64,
        count: u64,
        total: &mut usize,
    ) -> Result<Vec<Vec<u8>>, Errno> {
        if count as usize > MAX_ARGS {
            return Err(Errno::E2BIG);
        }
        let mut out = Vec::with_capacity(count as usize);
        for i in 0..count {
            let s: StrSlice = self.read_at(ptr + i * 16)?;
            *total = total.saturating_add((s.len as usize).saturating_add(1));
            if *total > MAX_ARG_BYTES {
                return Err(Errno::E2BIG);
            }
            let mut b = vec![0u8; s.len as usize];
            self.space().read(s.ptr, &mut b)?;
            out.push(b);
        }
        Ok(out)
    }

    /// The value at the user address in register `i`.
    pub fn read<T: Pod>(&mut self, i: usize) -> Result<T, Errno> {
        self.read_at(self.raw(i))
    }

    /// The value at user address `addr`.
    pub fn read_at<T: Pod>(&mut self, addr: u64) -> Result<T, Errno> {
        self.space().read_val(addr)
    }

    /// Store `v` at the user address in register `i`.
    pub fn write<T: Pod>(&mut self, i: usize, v: &T) -> Result<(), Errno> {
        let addr = self.raw(i);
        self.space().write_val(addr, v)
    }

    /// Store `data` at the user address in register `i`.
    pub fn write_bytes(&mut self, i: usize, data: &[u8]) -> Result<(), Errno> {
        let addr = self.raw(i);
        self.space().write(addr, data)
    }

    /// Store `rows` as an array at the user address in register `i`.
    pub fn write_rows<T: Pod>(&mut self, i: usize, rows: &[T]) -> Result<(), Errno> {
        let base = self.raw(i);
        for (n, r) in rows.iter().enumerate() {
            self.space()
                .write_val(base + (n * core::mem::size_of::<T>()) as u64, r)?;
        }
        Ok(())
    }
}
