//! Authority: per-process capability masks and per-handle rights.
//!
//! Policy is data: a process carries a [`Caps`] bit set, every open handle carries [`Rights`].
//! The kernel checks both in one place (its `authority` module). A child gets at most its
//! parent's capabilities (the spawn call may drop more) and only the handles passed explicitly.

/// A capability mask carried by every process.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Caps(pub u64);

impl Caps {
    /// Read files outside `/tmp` (base image, package payloads).
    pub const FS_READ: Caps = Caps(1 << 0);
    /// Create, modify or remove entries under `/tmp`.
    pub const TMP_WRITE: Caps = Caps(1 << 1);
    /// See other principals' processes (`ps`, `top`) and their details.
    pub const PROCESS_INSPECT: Caps = Caps(1 << 2);
    /// Use the network (every socket call).
    pub const NET: Caps = Caps(1 << 3);
    /// Signal processes owned by another principal.
    pub const PROCESS_KILL: Caps = Caps(1 << 4);
    /// Change a process's principal/session (held by `init` and `console-login`).
    pub const IDENTITY: Caps = Caps(1 << 5);
    /// Power off or reboot the machine.
    pub const POWER: Caps = Caps(1 << 6);
    /// Modify the package store (install/remove packages).
    pub const PKG_ADMIN: Caps = Caps(1 << 7);
    /// Change ownership of files (`chown`).
    pub const CHOWN: Caps = Caps(1 << 8);

    pub const NONE: Caps = Caps(0);
    pub const ALL: Caps = Caps((1 << 9) - 1);

    /// Names as used in docs, `id` output and `/etc/passwd`.
    pub const NAMES: [(Caps, &'static str); 9] = [
        (Caps::FS_READ, "capFsRead"),
        (Caps::TMP_WRITE, "capTmpWrite"),
        (Caps::PROCESS_INSPECT, "capProcessInspect"),
        (Caps::NET, "capNet"),
        (Caps::PROCESS_KILL, "capProcessKill"),
        (Caps::IDENTITY, "capIdentity"),
        (Caps::POWER, "capPower"),
        (Caps::PKG_ADMIN, "capPkgAdmin"),
        (Caps::CHOWN, "capChown"),
    ];

    pub const fn contains(self, other: Caps) -> bool {
        self.0 & other.0 == other.0
    }
    pub const fn union(self, other: Caps) -> Caps {
        Caps(self.0 | other.0)
    }
    pub const fn intersect(self, other: Caps) -> Caps {
        Caps(self.0 & other.0)
    }
    pub const fn without(self, other: Caps) -> Caps {
        Caps(self.0 & !other.0)
    }
    /// Look up a capability by its documented name (`"capNet"`).
    pub fn from_name(name: &str) -> Option<Caps> {
        Caps::NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(c, _)| *c)
    }
}

/// Rights carried by an open handle (file descriptor).
#[repr(transparent)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Rights(pub u32);

impl Rights {
    pub const READ: Rights = Rights(1 << 0);
    pub const WRITE: Rights = Rights(1 << 1);
    pub const SEEK: Rights = Rights(1 << 2);
    pub const STAT: Rights = Rights(1 << 3);
    /// May be duplicated or passed to a child with `spawn`.
    pub const TRANSFER: Rights = Rights(1 << 4);
    pub const NONE: Rights = Rights(0);
    pub const ALL: Rights = Rights((1 << 5) - 1);

    pub const fn contains(self, other: Rights) -> bool {
        self.0 & other.0 == other.0
    }
    pub const fn union(self, other: Rights) -> Rights {
        Rights(self.0 | other.0)
    }
    pub const fn intersect(self, other: Rights) -> Rights {
        Rights(self.0 & other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_cover_all() {
        let mut acc = Caps::NONE;
        for (c, n) in Caps::NAMES {
            assert_eq!(Caps::from_name(n), Some(c));
            assert_eq!(acc.intersect(c), Caps::NONE, "{n} overlaps");
            acc = acc.union(c);
        }
        assert_eq!(acc, Caps::ALL);
    }

    #[test]
    fn contains_is_subset() {
        let c = Caps::FS_READ.union(Caps::NET);
        assert!(c.contains(Caps::NET));
        assert!(!c.contains(Caps::TMP_WRITE));
        assert!(c.contains(Caps::NONE));
    }
}
