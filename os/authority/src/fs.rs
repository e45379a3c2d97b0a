//! Filesystem authority: capability areas, confinement and Unix mode bits.
//!
//! The VFS classifies every object by the [`Area`] its mount belongs to and passes the object's
//! [`NodeAttrs`]; the functions here decide. Error precedence follows POSIX habits: a mutation of
//! a read-only tree is `EROFS` before anything else; a missing capability or mode bit is
//! `EACCES`; an ownership rule (`chmod` of someone else's file) is `EPERM`.

use crate::Subject;
use swiftos_abi::fcntl::{O_ACCMODE, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, S_IFDIR, S_IFMT};
use swiftos_abi::{Caps, Errno};

/// Which part of the filesystem an object belongs to (decided by the mount table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    /// The RAM-backed `/tmp`: readable by everyone the mode bits allow, mutations need
    /// `capTmpWrite`.
    Tmp,
    /// Device nodes under `/dev`: opening them needs no capability (only the mode bits); the
    /// tree itself cannot be modified.
    Device,
    /// Everything else (the base image, package payloads): reading needs `capFsRead`,
    /// mutations fail with `EROFS`.
    ReadOnly,
    /// The persistent package store (`/pkg`): reading needs `capFsRead` (like the base image);
    /// every mutation needs `capPkgAdmin` (`EACCES` without it) on top of the mode bits.
    PkgStore,
}

/// The attributes of a filesystem object that access decisions depend on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeAttrs {
    /// `S_IF*` type bits plus permission bits (`0o7777`).
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
}

impl NodeAttrs {
    /// Is this a directory?
    pub const fn is_dir(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }
}

/// Read permission bit (as in `rwx`).
pub const MAY_READ: u32 = 4;
/// Write permission bit.
pub const MAY_WRITE: u32 = 2;
/// Execute (files) / search (directories) permission bit.
pub const MAY_EXEC: u32 = 1;
/// The sticky bit: in such a directory only an entry's owner, the directory's owner or root may
/// remove or rename the entry (`/tmp` is `01777`).
pub const S_ISVTX: u32 = 0o1000;

/// Do the mode bits of `node` grant `subject` every access in `want` (`MAY_*` bits)?
///
/// Principal 0 passes every read/write check and may execute anything that has at least one
/// execute bit (and search every directory); everyone else gets the owner, group or other
/// triple.
pub fn mode_permits(subject: &Subject, node: &NodeAttrs, want: u32) -> bool {
    let want = want & 7;
    if subject.uid == 0 {
        if want & MAY_EXEC != 0 && !node.is_dir() {
            return node.mode & 0o111 != 0;
        }
        return true;
    }
    let bits = if subject.uid == node.uid {
        (node.mode >> 6) & 7
    } else if subject.gid == node.gid {
        (node.mode >> 3) & 7
    } else {
        node.mode & 7
    };
    bits & want == want
}

fn require_mode(subject: &Subject, node: &NodeAttrs, want: u32) -> Result<(), Errno> {
    if mode_permits(subject, node, want) {
        Ok(())
    } else {
        Err(Errno::EACCES)
    }
}

/// Is the normalised absolute `path` equal to `root` or inside it?
///
/// Both must be normalised (no `.`/`..`, no doubled or trailing `/` except the root `/`).
pub fn is_within(root: &str, path: &str) -> bool {
    if root == "/" {
        return path.starts_with('/');
    }
    match path.strip_prefix(root) {
        Some("") => true,
        Some(rest) => rest.starts_with('/'),
        None => false,
    }
}

/// Confinement: a process confined to `root` may only name paths at or below it (`EACCES`).
pub fn check_confined(root: &str, path: &str) -> Result<(), Errno> {
    if is_within(root, path) {
        Ok(())
    } else {
        Err(Errno::EACCES)
    }
}

/// `confine(new_root)`: the new root must lie inside the current one (the view only narrows).
pub fn check_confine(current_root: &str, new_root: &str) -> Result<(), Errno> {
    check_confined(current_root, new_root)
}

/// Passing through directory `dir` while resolving a path: needs its search (`x`) bit.
pub fn check_fs_search(subject: &Subject, dir: &NodeAttrs) -> Result<(), Errno> {
    require_mode(subject, dir, MAY_EXEC)
}

/// `stat`/`fstat`, `chdir` into, or `confine` to an object in `area`. Outside `/tmp` and `/dev`
/// this is reading and needs `capFsRead`.
pub fn check_fs_stat(subject: &Subject, area: Area) -> Result<(), Errno> {
    match area {
        Area::ReadOnly | Area::PkgStore => subject.require(Caps::FS_READ, Errno::EACCES),
        Area::Tmp | Area::Device => Ok(()),
    }
}

/// Reading a file's data or listing a directory.
pub fn check_fs_read(subject: &Subject, area: Area, node: &NodeAttrs) -> Result<(), Errno> {
    check_fs_stat(subject, area)?;
    require_mode(subject, node, MAY_READ)
}

/// Writing or truncating an existing object's data.
pub fn check_fs_write(subject: &Subject, area: Area, node: &NodeAttrs) -> Result<(), Errno> {
    match area {
        Area::ReadOnly => Err(Errno::EROFS),
        Area::Tmp => {
            subject.require(Caps::TMP_WRITE, Errno::EACCES)?;
            require_mode(subject, node, MAY_WRITE)
        }
        Area::Device => require_mode(subject, node, MAY_WRITE),
        Area::PkgStore => {
            subject.require(Caps::PKG_ADMIN, Errno::EACCES)?;
            require_mode(subject, node, MAY_WRITE)
        }
    }
}

/// Opening an existing object with `flags`: read access for `O_RDONLY`/`O_RDWR`, write access
/// for `O_WRONLY`/`O_RDWR`/`O_TRUNC`. Directories can only be opened read-only (`EISDIR`).
pub fn check_fs_open(
    subject: &Subject,
    area: Area,
    node: &NodeAttrs,
    flags: u32,
) -> Result<(), Errno> {
    let acc = flags & O_ACCMODE;
    let wants_write = acc == O_WRONLY || acc == O_RDWR || flags & O_TRUNC != 0;
    let wants_read = acc == O_RDONLY || acc == O_RDWR;
    if acc == O_ACCMODE {
        return Err(Errno::EINVAL);
    }
    if node.is_dir() && wants_write {
        return Err(Errno::EISDIR);
    }
    if wants_write {
        check_fs_write(subject, area, node)?;
    }
    if wants_read {
        check_fs_read(subject, area, node)?;
    }
    if !wants_read && !wants_write {
        check_fs_stat(subject, area)?;
    }
    Ok(())
}

/// Loading a program from `node` (`spawn`/`exec`): read access plus an execute bit.
pub fn check_fs_exec(subject: &Subject, area: Area, node: &NodeAttrs) -> Result<(), Errno> {
    if node.is_dir() {
        return Err(Errno::EACCES);
    }
    check_fs_read(subject, area, node)?;
    require_mode(subject, node, MAY_EXEC)
}

/// Creating an entry (file, directory) in directory `parent`.
pub fn check_fs_create(subject: &Subject, area: Area, parent: &NodeAttrs) -> Result<(), Errno> {
    match area {
        Area::ReadOnly | Area::Device => Err(Errno::EROFS),
        Area::Tmp => {
            subject.require(Caps::TMP_WRITE, Errno::EACCES)?;
            require_mode(subject, parent, MAY_WRITE | MAY_EXEC)
        }
        Area::PkgStore => {
            subject.require(Caps::PKG_ADMIN, Errno::EACCES)?;
            require_mode(subject, parent, MAY_WRITE | MAY_EXEC)
        }
    }
}

/// Removing (or renaming away) entry `victim` from directory `parent`; honours the sticky bit.
pub fn check_fs_remove(
    subject: &Subject,
    area: Area,
    parent: &NodeAttrs,
    victim: &NodeAttrs,
) -> Result<(), Errno> {
    check_fs_create(subject, area, parent)?;
    if parent.mode & S_ISVTX != 0
        && subject.uid != 0
        && subject.uid != victim.uid
        && subject.uid != parent.uid
    {
        return Err(Errno::EACCES);
    }
    Ok(())
}

/// `rename`: remove `victim` from `old_parent`, add it to `new_parent`, and remove `replaced`
/// (the existing target) if any. Both parents are in the same `area` (the VFS answers `EXDEV`
/// for renames across mounts before asking).
pub fn check_fs_rename(
    subject: &Subject,
    area: Area,
    old_parent: &NodeAttrs,
    victim: &NodeAttrs,
    new_parent: &NodeAttrs,
    replaced: Option<&NodeAttrs>,
) -> Result<(), Errno> {
    check_fs_remove(subject, area, old_parent, victim)?;
    match replaced {
        Some(r) => check_fs_remove(subject, area, new_parent, r),
        None => check_fs_create(subject, area, new_parent),
    }
}

/// `chmod`: only in `/tmp` and the package store, only by the owner or principal 0 (`EPERM`
/// otherwise).
pub fn check_fs_chmod(subject: &Subject, area: Area, node: &NodeAttrs) -> Result<(), Errno> {
    match area {
        Area::ReadOnly | Area::Device => Err(Errno::EROFS),
        Area::Tmp | Area::PkgStore => {
            let cap = if area == Area::Tmp {
                Caps::TMP_WRITE
            } else {
                Caps::PKG_ADMIN
            };
            subject.require(cap, Errno::EACCES)?;
            if subject.uid == 0 || subject.uid == node.uid {
                Ok(())
            } else {
                Err(Errno::EPERM)
            }
        }
    }
}

/// `chown`: only in `/tmp` (needs `capTmpWrite`) and the package store (needs `capPkgAdmin`),
/// and `capChown`.
pub fn check_fs_chown(subject: &Subject, area: Area, _node: &NodeAttrs) -> Result<(), Errno> {
    match area {
        Area::ReadOnly | Area::Device => Err(Errno::EROFS),
        Area::Tmp => {
            subject.require(Caps::TMP_WRITE, Errno::EACCES)?;
            subject.require(Caps::CHOWN, Errno::EPERM)
        }
        Area::PkgStore => {
            subject.require(Caps::PKG_ADMIN, Errno::EACCES)?;
            subject.require(Caps::CHOWN, Errno::EPERM)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use swiftos_abi::fcntl::{O_CREAT, S_IFREG};

    const RW: Caps = Caps(Caps::FS_READ.0 | Caps::TMP_WRITE.0);
    const USER: Subject = Subject::new(1000, 100, RW);
    const OTHER: Subject = Subject::new(1001, 100, RW);
    const STRANGER: Subject = Subject::new(1002, 200, RW);
    const GUEST: Subject = Subject::new(2000, 2000, Caps::FS_READ);
    const NOREAD: Subject = Subject::new(3000, 3000, Caps::TMP_WRITE);
    const ROOT: Subject = Subject::new(0, 0, Caps::ALL);

    const fn file(mode: u32, uid: u32, gid: u32) -> NodeAttrs {
        NodeAttrs {
            mode: S_IFREG | mode,
            uid,
            gid,
        }
    }
    const fn dir(mode: u32, uid: u32, gid: u32) -> NodeAttrs {
        NodeAttrs {
            mode: S_IFDIR | mode,
            uid,
            gid,
        }
    }
    const TMP: NodeAttrs = dir(0o1777, 0, 0);

    #[test]
    fn package_store_needs_pkg_admin_to_mutate() {
        let admin = Subject::new(0, 0, Caps::ALL);
        let root_no_admin = Subject::new(0, 0, Caps::ALL.without(Caps::PKG_ADMIN));
        let d = dir(0o755, 0, 0);
        let f = file(0o644, 0, 0);
        assert_eq!(check_fs_read(&USER, Area::PkgStore, &f), Ok(()));
        assert_eq!(check_fs_stat(&NOREAD, Area::PkgStore), Err(Errno::EACCES));
        assert_eq!(check_fs_create(&admin, Area::PkgStore, &d), Ok(()));
        assert_eq!(check_fs_write(&admin, Area::PkgStore, &f), Ok(()));
        assert_eq!(check_fs_remove(&admin, Area::PkgStore, &d, &f), Ok(()));
        assert_eq!(check_fs_chmod(&admin, Area::PkgStore, &f), Ok(()));
        for s in [&USER, &root_no_admin] {
            assert_eq!(check_fs_create(s, Area::PkgStore, &d), Err(Errno::EACCES));
            assert_eq!(check_fs_write(s, Area::PkgStore, &f), Err(Errno::EACCES));
            assert_eq!(
                check_fs_open(s, Area::PkgStore, &f, O_RDWR),
                Err(Errno::EACCES)
            );
            assert_eq!(check_fs_chmod(s, Area::PkgStore, &f), Err(Errno::EACCES));
        }
        // capPkgAdmin does not override the mode bits for other principals.
        let admin_user = Subject::new(1000, 100, Caps::ALL);
        assert_eq!(
            check_fs_create(&admin_user, Area::PkgStore, &d),
            Err(Errno::EACCES)
        );
        let own = dir(0o755, 1000, 100);
        assert_eq!(check_fs_create(&admin_user, Area::PkgStore, &own), Ok(()));
    }

    #[test]
    fn mode_triples() {
        let f = file(0o640, 1000, 100);
        assert!(mode_permits(&USER, &f, MAY_READ | MAY_WRITE));
        assert!(!mode_permits(&USER, &f, MAY_EXEC));
        assert!(mode_permits(&OTHER, &f, MAY_READ));
        assert!(!mode_permits(&OTHER, &f, MAY_WRITE));
        assert!(!mode_permits(&STRANGER, &f, MAY_READ));
        // Owner triple wins even when it is narrower than "other".
        let odd = file(0o007, 1000, 100);
        assert!(!mode_permits(&USER, &odd, MAY_READ));
        assert!(mode_permits(&STRANGER, &odd, MAY_READ));
    }

    #[test]
    fn root_bypasses_mode_but_needs_an_exec_bit() {
        let secret = file(0o600, 1000, 100);
        assert!(mode_permits(&ROOT, &secret, MAY_READ | MAY_WRITE));
        assert!(!mode_permits(&ROOT, &secret, MAY_EXEC));
        assert!(mode_permits(&ROOT, &file(0o100, 5, 5), MAY_EXEC));
        assert!(mode_permits(&ROOT, &dir(0o000, 5, 5), MAY_EXEC));
    }

    #[test]
    fn confinement_is_a_path_prefix_on_component_boundaries() {
        assert!(is_within("/", "/etc/passwd"));
        assert!(is_within("/tmp/jail", "/tmp/jail"));
        assert!(is_within("/tmp/jail", "/tmp/jail/a/b"));
        assert!(!is_within("/tmp/jail", "/tmp/jailbreak"));
        assert!(!is_within("/tmp/jail", "/tmp"));
        assert!(!is_within("/tmp/jail", "/"));
        assert_eq!(check_confined("/tmp/jail", "/etc"), Err(Errno::EACCES));
        assert_eq!(check_confined("/tmp/jail", "/tmp/jail/x"), Ok(()));
        assert_eq!(check_confine("/tmp", "/tmp/a"), Ok(()));
        assert_eq!(check_confine("/tmp/a", "/tmp"), Err(Errno::EACCES));
    }

    #[test]
    fn reading_outside_tmp_needs_fs_read() {
        let passwd = file(0o644, 0, 0);
        assert_eq!(check_fs_read(&USER, Area::ReadOnly, &passwd), Ok(()));
        assert_eq!(
            check_fs_read(&NOREAD, Area::ReadOnly, &passwd),
            Err(Errno::EACCES)
        );
        assert_eq!(check_fs_stat(&NOREAD, Area::ReadOnly), Err(Errno::EACCES));
        // /tmp and devices need no capability to read, only the mode bits.
        let tmpf = file(0o644, 1000, 100);
        assert_eq!(check_fs_read(&NOREAD, Area::Tmp, &tmpf), Ok(()));
        assert_eq!(check_fs_stat(&NOREAD, Area::Tmp), Ok(()));
        let console = NodeAttrs {
            mode: swiftos_abi::fcntl::S_IFCHR | 0o666,
            uid: 0,
            gid: 0,
        };
        assert_eq!(
            check_fs_open(&NOREAD, Area::Device, &console, O_RDWR),
            Ok(())
        );
        // Mode bits still apply with the capability.
        let shadow = file(0o600, 0, 0);
        assert_eq!(
            check_fs_read(&USER, Area::ReadOnly, &shadow),
            Err(Errno::EACCES)
        );
        assert_eq!(check_fs_read(&ROOT, Area::ReadOnly, &shadow), Ok(()));
    }

    #[test]
    fn mutations_outside_tmp_are_erofs_even_for_root() {
        let f = file(0o644, 0, 0);
        let d = dir(0o755, 0, 0);
        for s in [&ROOT, &USER, &GUEST] {
            assert_eq!(check_fs_write(s, Area::ReadOnly, &f), Err(Errno::EROFS));
            assert_eq!(check_fs_create(s, Area::ReadOnly, &d), Err(Errno::EROFS));
            assert_eq!(check_fs_create(s, Area::Device, &d), Err(Errno::EROFS));
            assert_eq!(
                check_fs_remove(s, Area::ReadOnly, &d, &f),
                Err(Errno::EROFS)
            );
            assert_eq!(check_fs_chmod(s, Area::ReadOnly, &f), Err(Errno::EROFS));
            assert_eq!(check_fs_chown(s, Area::ReadOnly, &f), Err(Errno::EROFS));
            assert_eq!(
                check_fs_open(s, Area::ReadOnly, &f, O_RDWR),
                Err(Errno::EROFS)
            );
            assert_eq!(
                check_fs_open(s, Area::ReadOnly, &f, O_RDONLY | O_TRUNC),
                Err(Errno::EROFS)
            );
        }
    }

    #[test]
    fn tmp_mutation_needs_tmp_write() {
        assert_eq!(check_fs_create(&USER, Area::Tmp, &TMP), Ok(()));
        assert_eq!(check_fs_create(&GUEST, Area::Tmp, &TMP), Err(Errno::EACCES));
        let mine = file(0o644, 2000, 2000);
        assert_eq!(check_fs_write(&GUEST, Area::Tmp, &mine), Err(Errno::EACCES));
        assert_eq!(check_fs_open(&GUEST, Area::Tmp, &mine, O_RDONLY), Ok(()));
        assert_eq!(
            check_fs_open(&GUEST, Area::Tmp, &mine, O_WRONLY | O_CREAT),
            Err(Errno::EACCES)
        );
        assert_eq!(check_fs_chmod(&GUEST, Area::Tmp, &mine), Err(Errno::EACCES));
        // A read-only directory in /tmp refuses new entries.
        let ro_dir = dir(0o555, 1000, 100);
        assert_eq!(
            check_fs_create(&USER, Area::Tmp, &ro_dir),
            Err(Errno::EACCES)
        );
        assert_eq!(check_fs_create(&ROOT, Area::Tmp, &ro_dir), Ok(()));
    }

    #[test]
    fn sticky_tmp_protects_other_users_files() {
        let theirs = file(0o666, 1001, 100);
        let mine = file(0o600, 1000, 100);
        assert_eq!(check_fs_remove(&USER, Area::Tmp, &TMP, &mine), Ok(()));
        assert_eq!(
            check_fs_remove(&USER, Area::Tmp, &TMP, &theirs),
            Err(Errno::EACCES)
        );
        assert_eq!(check_fs_remove(&ROOT, Area::Tmp, &TMP, &theirs), Ok(()));
        // Without the sticky bit, write permission on the directory suffices.
        let shared = dir(0o777, 0, 0);
        assert_eq!(check_fs_remove(&USER, Area::Tmp, &shared, &theirs), Ok(()));
        // Rename onto someone else's file in sticky /tmp is refused.
        assert_eq!(
            check_fs_rename(&USER, Area::Tmp, &TMP, &mine, &TMP, Some(&theirs)),
            Err(Errno::EACCES)
        );
        assert_eq!(
            check_fs_rename(&USER, Area::Tmp, &TMP, &mine, &TMP, None),
            Ok(())
        );
        assert_eq!(
            check_fs_rename(&USER, Area::Tmp, &TMP, &theirs, &TMP, None),
            Err(Errno::EACCES)
        );
    }

    #[test]
    fn chmod_owner_only_chown_needs_cap() {
        let theirs = file(0o644, 1001, 100);
        let mine = file(0o644, 1000, 100);
        assert_eq!(check_fs_chmod(&USER, Area::Tmp, &mine), Ok(()));
        assert_eq!(check_fs_chmod(&USER, Area::Tmp, &theirs), Err(Errno::EPERM));
        assert_eq!(check_fs_chmod(&ROOT, Area::Tmp, &theirs), Ok(()));
        assert_eq!(check_fs_chown(&USER, Area::Tmp, &mine), Err(Errno::EPERM));
        assert_eq!(check_fs_chown(&ROOT, Area::Tmp, &theirs), Ok(()));
        assert_eq!(
            check_fs_chown(&GUEST, Area::Tmp, &theirs),
            Err(Errno::EACCES)
        );
    }

    #[test]
    fn open_and_exec_rules() {
        let d = dir(0o755, 0, 0);
        assert_eq!(check_fs_open(&USER, Area::ReadOnly, &d, O_RDONLY), Ok(()));
        assert_eq!(
            check_fs_open(&USER, Area::Tmp, &d, O_WRONLY),
            Err(Errno::EISDIR)
        );
        assert_eq!(
            check_fs_open(&USER, Area::Tmp, &file(0o644, 0, 0), 3),
            Err(Errno::EINVAL)
        );
        let prog = file(0o755, 0, 0);
        assert_eq!(check_fs_exec(&USER, Area::ReadOnly, &prog), Ok(()));
        assert_eq!(
            check_fs_exec(&NOREAD, Area::ReadOnly, &prog),
            Err(Errno::EACCES)
        );
        assert_eq!(
            check_fs_exec(&USER, Area::ReadOnly, &file(0o644, 0, 0)),
            Err(Errno::EACCES)
        );
        assert_eq!(
            check_fs_exec(&ROOT, Area::ReadOnly, &file(0o644, 0, 0)),
            Err(Errno::EACCES)
        );
        assert_eq!(check_fs_exec(&USER, Area::ReadOnly, &d), Err(Errno::EACCES));
        assert_eq!(
            check_fs_search(&USER, &dir(0o700, 0, 0)),
            Err(Errno::EACCES)
        );
        assert_eq!(check_fs_search(&USER, &d), Ok(()));
    }
}
