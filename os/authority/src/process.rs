//! Process-level authority: inspection, signals, identity change, spawn, power, network,
//! ownership changes and package administration.

use crate::Subject;
use swiftos_abi::{Caps, Errno};

/// May `subject` see details of a process owned by `target_uid` (`proc_list`, `top`)?
///
/// A principal always sees its own processes; other principals' need `capProcessInspect`.
pub fn check_inspect(subject: &Subject, target_uid: u32) -> Result<(), Errno> {
    if subject.uid == target_uid {
        return Ok(());
    }
    subject.require(Caps::PROCESS_INSPECT, Errno::EPERM)
}

/// May `subject` send a signal to a process owned by `target_uid`?
///
/// Own processes: always. Other principals': needs `capProcessKill`.
pub fn check_signal(subject: &Subject, target_uid: u32) -> Result<(), Errno> {
    if subject.uid == target_uid {
        return Ok(());
    }
    subject.require(Caps::PROCESS_KILL, Errno::EPERM)
}

/// May `subject` become another principal with capability mask `new_caps` (`set_identity`)?
///
/// Needs `capIdentity`, and the new mask must be a subset of the current one: changing
/// identity never grants authority the caller did not already hold.
pub fn check_set_identity(subject: &Subject, new_caps: Caps) -> Result<(), Errno> {
    subject.require(Caps::IDENTITY, Errno::EPERM)?;
    if subject.caps.contains(new_caps) {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

/// Capabilities a child process starts with: the parent's minus `drop` (never more).
pub const fn spawn_child_caps(parent: Caps, drop: Caps) -> Caps {
    parent.without(drop)
}

/// Capabilities after `drop_caps(drop)`: always allowed, always narrowing.
pub const fn caps_after_drop(current: Caps, drop: Caps) -> Caps {
    current.without(drop)
}

/// May `subject` power off or reboot the machine? Needs `capPower`.
pub fn check_power(subject: &Subject) -> Result<(), Errno> {
    subject.require(Caps::POWER, Errno::EPERM)
}

/// May `subject` use the network (every socket call)? Needs `capNet`; refused with `EACCES`.
pub fn check_net(subject: &Subject) -> Result<(), Errno> {
    subject.require(Caps::NET, Errno::EACCES)
}

/// May `subject` modify the package store? Needs `capPkgAdmin`.
pub fn check_pkg_admin(subject: &Subject) -> Result<(), Errno> {
    subject.require(Caps::PKG_ADMIN, Errno::EPERM)
}

/// May `subject` change a file's owner or group? Needs `capChown` (see also
/// [`crate::check_fs_chown`], which adds the filesystem-area rules).
pub fn check_chown_cap(subject: &Subject) -> Result<(), Errno> {
    subject.require(Caps::CHOWN, Errno::EPERM)
}

/// May `subject` make process `target_pid` (owned by `target_uid`) the console's foreground
/// process? Only for its own processes, or with `capProcessKill` (the foreground process
/// receives Ctrl-C, so this is a form of signalling).
pub fn check_set_foreground(subject: &Subject, target_uid: u32) -> Result<(), Errno> {
    check_signal(subject, target_uid)
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: Subject = Subject::new(1000, 1000, Caps(Caps::FS_READ.0 | Caps::TMP_WRITE.0));
    const ROOT: Subject = Subject::new(0, 0, Caps::ALL);

    #[test]
    fn inspect_own_always_other_needs_cap() {
        assert_eq!(check_inspect(&USER, 1000), Ok(()));
        assert_eq!(check_inspect(&USER, 0), Err(Errno::EPERM));
        assert_eq!(check_inspect(&ROOT, 1000), Ok(()));
        // uid 0 without the capability gets no bypass.
        let weak_root = Subject::new(0, 0, Caps::FS_READ);
        assert_eq!(check_inspect(&weak_root, 1000), Err(Errno::EPERM));
        assert_eq!(check_inspect(&weak_root, 0), Ok(()));
    }

    #[test]
    fn signal_own_always_other_needs_kill_cap() {
        assert_eq!(check_signal(&USER, 1000), Ok(()));
        assert_eq!(check_signal(&USER, 1001), Err(Errno::EPERM));
        let inspector = Subject::new(5, 5, Caps::PROCESS_INSPECT);
        assert_eq!(check_signal(&inspector, 6), Err(Errno::EPERM));
        let killer = Subject::new(5, 5, Caps::PROCESS_KILL);
        assert_eq!(check_signal(&killer, 6), Ok(()));
        assert_eq!(check_set_foreground(&killer, 6), Ok(()));
        assert_eq!(check_set_foreground(&USER, 6), Err(Errno::EPERM));
    }

    #[test]
    fn identity_needs_cap_and_subset() {
        assert_eq!(check_set_identity(&USER, Caps::NONE), Err(Errno::EPERM));
        assert_eq!(check_set_identity(&ROOT, Caps::FS_READ), Ok(()));
        let login = Subject::new(0, 0, Caps(Caps::IDENTITY.0 | Caps::FS_READ.0));
        assert_eq!(check_set_identity(&login, Caps::FS_READ), Ok(()));
        assert_eq!(check_set_identity(&login, Caps::NET), Err(Errno::EPERM));
        assert_eq!(
            check_set_identity(&login, Caps::FS_READ.union(Caps::NET)),
            Err(Errno::EPERM)
        );
    }

    #[test]
    fn spawn_and_drop_only_narrow() {
        let p = Caps::FS_READ.union(Caps::NET);
        assert_eq!(spawn_child_caps(p, Caps::NET), Caps::FS_READ);
        assert_eq!(spawn_child_caps(p, Caps::NONE), p);
        assert_eq!(spawn_child_caps(p, Caps::POWER), p);
        assert_eq!(caps_after_drop(p, Caps::ALL), Caps::NONE);
    }

    #[test]
    fn single_capability_gates() {
        let none = Subject::new(1, 1, Caps::NONE);
        assert_eq!(check_power(&none), Err(Errno::EPERM));
        assert_eq!(check_net(&none), Err(Errno::EACCES));
        assert_eq!(check_pkg_admin(&none), Err(Errno::EPERM));
        assert_eq!(check_chown_cap(&none), Err(Errno::EPERM));
        assert_eq!(check_power(&Subject::new(1, 1, Caps::POWER)), Ok(()));
        assert_eq!(check_net(&Subject::new(1, 1, Caps::NET)), Ok(()));
        assert_eq!(
            check_pkg_admin(&Subject::new(1, 1, Caps::PKG_ADMIN)),
            Ok(())
        );
        assert_eq!(check_chown_cap(&Subject::new(1, 1, Caps::CHOWN)), Ok(()));
        // Holding a different capability does not help.
        assert_eq!(
            check_power(&Subject::new(1, 1, Caps::NET)),
            Err(Errno::EPERM)
        );
    }
}
