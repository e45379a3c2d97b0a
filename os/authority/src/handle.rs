//! Handle rights: what an open handle (file descriptor) may be used for.
//!
//! Rights are fixed when a handle is created ([`rights_for_open`]), can only ever be narrowed
//! ([`narrow_rights`]), and travel to a child only through an explicit grant
//! ([`grant_for_spawn`], the `spawn_handles` rule).

use swiftos_abi::fcntl::{O_ACCMODE, O_RDONLY, O_RDWR, O_WRONLY};
use swiftos_abi::{Errno, Rights};

/// Rights of a handle freshly opened with `flags` (`O_RDONLY` / `O_WRONLY` / `O_RDWR`).
///
/// Every handle may be `fstat`ed and transferred; `seekable` objects (regular files,
/// directories) also get [`Rights::SEEK`]. An invalid access mode (`O_ACCMODE`) is `EINVAL`.
pub fn rights_for_open(flags: u32, seekable: bool) -> Result<Rights, Errno> {
    let mut r = Rights::STAT.union(Rights::TRANSFER);
    match flags & O_ACCMODE {
        O_RDONLY => r = r.union(Rights::READ),
        O_WRONLY => r = r.union(Rights::WRITE),
        O_RDWR => r = r.union(Rights::READ).union(Rights::WRITE),
        _ => return Err(Errno::EINVAL),
    }
    if seekable {
        r = r.union(Rights::SEEK);
    }
    Ok(r)
}

/// Does a handle with rights `have` allow an operation that needs `need`?
///
/// Errors follow POSIX habits: a missing `READ`/`WRITE` right is `EBADF` (as for a file opened
/// in the other direction), a missing `SEEK` right is `ESPIPE`, a missing `STAT` or `TRANSFER`
/// right is `EPERM`.
pub fn check_handle(have: Rights, need: Rights) -> Result<(), Errno> {
    let missing = Rights(need.0 & !have.0);
    if missing.0 == 0 {
        Ok(())
    } else if missing.0 & (Rights::READ.0 | Rights::WRITE.0) != 0 {
        Err(Errno::EBADF)
    } else if missing.contains(Rights::SEEK) {
        Err(Errno::ESPIPE)
    } else {
        Err(Errno::EPERM)
    }
}

/// `read`, `getdents`: needs [`Rights::READ`].
pub fn check_read(have: Rights) -> Result<(), Errno> {
    check_handle(have, Rights::READ)
}

/// `write`, `ftruncate`: needs [`Rights::WRITE`].
pub fn check_write(have: Rights) -> Result<(), Errno> {
    check_handle(have, Rights::WRITE)
}

/// `lseek`: needs [`Rights::SEEK`].
pub fn check_seek(have: Rights) -> Result<(), Errno> {
    check_handle(have, Rights::SEEK)
}

/// `fstat`: needs [`Rights::STAT`].
pub fn check_stat(have: Rights) -> Result<(), Errno> {
    check_handle(have, Rights::STAT)
}

/// `dup`, `dup2`, passing to `spawn`: needs [`Rights::TRANSFER`].
pub fn check_transfer(have: Rights) -> Result<(), Errno> {
    check_handle(have, Rights::TRANSFER)
}

/// `restrict_handle(fd, requested)`: the new rights are `have ∩ requested`; never wider.
pub const fn narrow_rights(have: Rights, requested: Rights) -> Rights {
    have.intersect(requested)
}

/// Rights of the child's copy of a handle granted through `spawn` with `requested` rights.
///
/// The parent's handle must carry [`Rights::TRANSFER`]; the child's copy gets
/// `have ∩ requested` (so it can be passed on again only if `requested` keeps `TRANSFER`).
pub fn grant_for_spawn(have: Rights, requested: Rights) -> Result<Rights, Errno> {
    check_transfer(have)?;
    Ok(narrow_rights(have, requested))
}

#[cfg(test)]
mod tests {
    use super::*;
    use swiftos_abi::fcntl::{O_APPEND, O_CREAT};

    #[test]
    fn open_modes_map_to_rights() {
        let r = rights_for_open(O_RDONLY, true).unwrap();
        assert!(r.contains(Rights::READ) && !r.contains(Rights::WRITE));
        assert!(r.contains(Rights::SEEK.union(Rights::STAT).union(Rights::TRANSFER)));
        let w = rights_for_open(O_WRONLY | O_CREAT | O_APPEND, false).unwrap();
        assert!(w.contains(Rights::WRITE) && !w.contains(Rights::READ));
        assert!(!w.contains(Rights::SEEK));
        let rw = rights_for_open(O_RDWR, true).unwrap();
        assert_eq!(rw, Rights::ALL);
        assert_eq!(rights_for_open(3, true), Err(Errno::EINVAL));
    }

    #[test]
    fn missing_rights_give_posix_errors() {
        let ro = rights_for_open(O_RDONLY, false).unwrap();
        assert_eq!(check_read(ro), Ok(()));
        assert_eq!(check_write(ro), Err(Errno::EBADF));
        assert_eq!(check_seek(ro), Err(Errno::ESPIPE));
        assert_eq!(check_stat(ro), Ok(()));
        assert_eq!(check_transfer(ro), Ok(()));
        assert_eq!(check_read(Rights::NONE), Err(Errno::EBADF));
        assert_eq!(check_stat(Rights::READ), Err(Errno::EPERM));
        assert_eq!(check_transfer(Rights::READ), Err(Errno::EPERM));
        assert_eq!(check_handle(Rights::ALL, Rights::ALL), Ok(()));
        assert_eq!(check_handle(Rights::NONE, Rights::NONE), Ok(()));
    }

    #[test]
    fn narrowing_never_widens() {
        let ro = Rights::READ.union(Rights::TRANSFER);
        assert_eq!(narrow_rights(ro, Rights::ALL), ro);
        assert_eq!(narrow_rights(ro, Rights::WRITE), Rights::NONE);
        assert_eq!(narrow_rights(Rights::ALL, Rights::READ), Rights::READ);
    }

    #[test]
    fn spawn_grant_needs_transfer() {
        assert_eq!(
            grant_for_spawn(Rights::READ, Rights::READ),
            Err(Errno::EPERM)
        );
        let h = Rights::READ.union(Rights::TRANSFER);
        assert_eq!(grant_for_spawn(h, Rights::ALL), Ok(h));
        // Without TRANSFER in the request the child cannot pass it on.
        let child = grant_for_spawn(h, Rights::READ).unwrap();
        assert_eq!(child, Rights::READ);
        assert_eq!(check_transfer(child), Err(Errno::EPERM));
    }
}
