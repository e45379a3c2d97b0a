//! Lexical path normalisation: `.`/`..`, relative paths, limits and the confinement root.
//!
//! SwiftOS has no symbolic links, so resolving `..` lexically is exact.

use crate::FsContext;
use alloc::string::String;
use alloc::vec::Vec;
use swiftos_abi::layout::PATH_MAX;
use swiftos_abi::Errno;
use swiftos_authority::check_confined;

/// Longest single path component.
pub const NAME_MAX: usize = 255;

/// A normalised absolute path plus whether the caller's spelling demanded a directory (a
/// trailing `/`, `.` or `..`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NormPath {
    /// Absolute, no `.`/`..`, no doubled or trailing `/` (except `/` itself).
    pub path: String,
    /// The original spelling ended in `/`, `/.` or `/..`.
    pub must_be_dir: bool,
}

impl NormPath {
    /// The components (empty for `/`).
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.path.split('/').filter(|c| !c.is_empty())
    }
    /// Split into parent path and last component; `None` for `/`.
    pub fn split_last(&self) -> Option<(&str, &str)> {
        if self.path == "/" {
            return None;
        }
        let i = self.path.rfind('/')?;
        let parent = if i == 0 { "/" } else { &self.path[..i] };
        Some((parent, &self.path[i + 1..]))
    }
}

/// Normalise `path` as seen by `ctx`: relative paths start at `ctx.cwd`; `..` never climbs above
/// `ctx.confine_root` (it stops there, as at `/`); the result must lie within the confinement
/// root (`EACCES` otherwise).
///
/// Errors: empty path `ENOENT`; NUL byte `EINVAL`; longer than `PATH_MAX` (input or result) or
/// a component longer than `NAME_MAX`: `ENAMETOOLONG`.
pub fn normalize(ctx: &FsContext<'_>, path: &str) -> Result<NormPath, Errno> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    if path.len() > PATH_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    if path.as_bytes().contains(&0) {
        return Err(Errno::EINVAL);
    }
    let root: Vec<&str> = ctx
        .confine_root
        .split('/')
        .filter(|c| !c.is_empty())
        .collect();
    let mut stack: Vec<&str> = Vec::new();
    if !path.starts_with('/') {
        stack.extend(ctx.cwd.split('/').filter(|c| !c.is_empty()));
    }
    let mut must_be_dir = false;
    for comp in path.split('/') {
        must_be_dir = matches!(comp, "" | "." | "..");
        match comp {
            "" | "." => {}
            ".." => {
                if stack != root {
                    stack.pop();
                }
            }
            name => {
                if name.len() > NAME_MAX {
                    return Err(Errno::ENAMETOOLONG);
                }
                stack.push(name);
            }
        }
    }
    // "/" alone or "a/" both end with an empty component; a bare name does not.
    if path == "/" {
        must_be_dir = true;
    }
    let mut out = String::with_capacity(path.len() + ctx.cwd.len() + 1);
    for c in &stack {
        out.push('/');
        out.push_str(c);
    }
    if out.is_empty() {
        out.push('/');
    }
    if out.len() > PATH_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    check_confined(ctx.confine_root, &out)?;
    Ok(NormPath {
        path: out,
        must_be_dir,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use swiftos_abi::Caps;

    fn ctx<'a>(cwd: &'a str, root: &'a str) -> FsContext<'a> {
        FsContext {
            cwd,
            confine_root: root,
            caps: Caps::ALL,
            uid: 0,
            gid: 0,
        }
    }
    fn n(c: &FsContext<'_>, p: &str) -> Result<String, Errno> {
        normalize(c, p).map(|x| x.path)
    }

    #[test]
    fn absolute_and_relative() {
        let c = ctx("/home/user", "/");
        assert_eq!(n(&c, "/etc/passwd").unwrap(), "/etc/passwd");
        assert_eq!(n(&c, "notes.txt").unwrap(), "/home/user/notes.txt");
        assert_eq!(n(&c, "./a/./b").unwrap(), "/home/user/a/b");
        assert_eq!(n(&c, "../x").unwrap(), "/home/x");
        assert_eq!(n(&c, "../../../../..").unwrap(), "/");
        assert_eq!(n(&c, "//etc///passwd").unwrap(), "/etc/passwd");
        assert_eq!(n(&c, ".").unwrap(), "/home/user");
        assert_eq!(n(&c, "/").unwrap(), "/");
        assert_eq!(n(&ctx("/", "/"), "..").unwrap(), "/");
    }

    #[test]
    fn trailing_slash_and_dots_demand_a_directory() {
        let c = ctx("/", "/");
        assert!(normalize(&c, "/tmp/").unwrap().must_be_dir);
        assert!(normalize(&c, "/tmp/.").unwrap().must_be_dir);
        assert!(normalize(&c, "/tmp/a/..").unwrap().must_be_dir);
        assert!(normalize(&c, "/").unwrap().must_be_dir);
        assert!(!normalize(&c, "/tmp/a").unwrap().must_be_dir);
        assert!(!normalize(&c, "a").unwrap().must_be_dir);
    }

    #[test]
    fn limits() {
        let c = ctx("/", "/");
        assert_eq!(n(&c, ""), Err(Errno::ENOENT));
        assert_eq!(n(&c, "a\0b"), Err(Errno::EINVAL));
        let long = "x".repeat(256);
        assert_eq!(n(&c, &long), Err(Errno::ENAMETOOLONG));
        assert!(n(&c, &"x".repeat(255)).is_ok());
        let deep = "/ab".repeat(342); // 1026 bytes
        assert_eq!(n(&c, &deep), Err(Errno::ENAMETOOLONG));
        // A relative path that only grows too long after joining the cwd.
        let cwd = "/d".repeat(500); // 1000 bytes
        let c2 = ctx(&cwd, "/");
        assert_eq!(n(&c2, &"y".repeat(30)), Err(Errno::ENAMETOOLONG));
        // ... but ".." may shorten it again.
        assert!(n(&c2, "..").is_ok());
    }

    #[test]
    fn confinement_clamps_dotdot_and_refuses_outside() {
        let c = ctx("/tmp/jail", "/tmp/jail");
        assert_eq!(n(&c, "..").unwrap(), "/tmp/jail");
        assert_eq!(n(&c, "../../etc/passwd").unwrap(), "/tmp/jail/etc/passwd");
        assert_eq!(n(&c, "a/../../..").unwrap(), "/tmp/jail");
        assert_eq!(n(&c, "/etc/passwd"), Err(Errno::EACCES));
        assert_eq!(n(&c, "/tmp/jailbreak"), Err(Errno::EACCES));
        assert_eq!(n(&c, "/tmp/jail/x").unwrap(), "/tmp/jail/x");
        // An absolute path may pass outside lexically and come back.
        assert_eq!(n(&c, "/etc/../tmp/jail/x").unwrap(), "/tmp/jail/x");
    }

    #[test]
    fn split_last() {
        let c = ctx("/", "/");
        let p = normalize(&c, "/tmp/a").unwrap();
        assert_eq!(p.split_last(), Some(("/tmp", "a")));
        let p = normalize(&c, "/tmp").unwrap();
        assert_eq!(p.split_last(), Some(("/", "tmp")));
        assert_eq!(normalize(&c, "/").unwrap().split_last(), None);
        assert_eq!(p.components().collect::<Vec<_>>(), ["tmp"]);
    }
}
