//! Who a process is and what it may do: `get_identity`, `set_identity`, `confine` (a new
//! root), `drop_caps`. The rules themselves live in `swiftos_authority`.

use super::{ok, Args, Handler, SysResult};
use crate::fs as kfs;
use crate::proc::Kernel;
use swiftos_abi::{nr, Caps};
use swiftos_authority as auth;

pub(super) fn handler(nr: usize) -> Option<Handler> {
    let h: Handler = match nr {
        nr::GET_IDENTITY => get_identity,
        nr::SET_IDENTITY => set_identity,
        nr::CONFINE => confine,
        nr::DROP_CAPS => drop_caps,
        _ => return None,
    };
    Some(h)
}

/// `get_identity(identity_out)`.
fn get_identity(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let id = a.me.identity();
    a.write(0, &id)?;
    Ok(ok(0))
}

/// `set_identity(uid, gid, caps)`: also starts a new session.
fn set_identity(k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let caps = Caps(a.raw(2));
    auth::check_set_identity(&a.me.subject(), caps)?;
    a.me.set_identity(a.u32(0), a.u32(1), caps, k.next_session);
    k.next_session += 1;
    Ok(ok(0))
}

/// `confine(path, len)`: make a directory the process's root (only ever narrower).
fn confine(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    let p = a.path(0)?;
    let dir = kfs::resolve_dir(&a.ctx(), &p)?;
    a.me.confine(dir)?;
    Ok(ok(0))
}

/// `drop_caps(caps)`.
fn drop_caps(_k: &mut Kernel, a: &mut Args<'_>) -> SysResult {
    a.me.drop_caps(Caps(a.raw(0)));
    Ok(ok(0))
}
