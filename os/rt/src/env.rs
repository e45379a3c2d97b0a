//! The process environment (`KEY=VALUE` strings from the start layout).

use alloc::string::String;
use alloc::vec::Vec;
use core::cell::UnsafeCell;

struct EnvCell(UnsafeCell<Vec<String>>);
// SAFETY: SwiftOS processes are single-threaded; the cell is written once by the runtime
// before `main` and only read afterwards.
unsafe impl Sync for EnvCell {}

static ENV: EnvCell = EnvCell(UnsafeCell::new(Vec::new()));

pub(crate) fn init(env: &[String]) {
    // SAFETY: called once from `_start` before `main`, while nothing else can observe ENV.
    unsafe { *ENV.0.get() = env.to_vec() };
}

/// All variables as `KEY=VALUE`.
pub fn vars() -> &'static [String] {
    // SAFETY: after `init`, ENV is never mutated again, so shared references are sound.
    unsafe { &*ENV.0.get() }
}

/// The value of `key`, if set.
pub fn var(key: &str) -> Option<&'static str> {
    lookup(vars(), key)
}

/// Find `key` in a list of `KEY=VALUE` strings.
pub fn lookup<'a>(list: &'a [String], key: &str) -> Option<&'a str> {
    list.iter().find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then_some(v)
    })
}
