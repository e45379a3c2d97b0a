//! Payload path and symlink-target rules (see `docs/PACKAGE_FORMAT.md`, "Validation rules").

use crate::error::PackageError;
use crate::{MANIFEST_NAME, SIGNATURE_NAME};
use alloc::string::{String, ToString};

fn invalid(path: &str, reason: &'static str) -> PackageError {
    PackageError::InvalidPath {
        path: path.to_string(),
        reason,
    }
}

/// Check a payload path: relative, `/`-separated, no empty, `.` or `..` components, no control
/// characters or backslashes, not one of the reserved member names, at most `max_bytes` long.
pub fn validate_path(path: &str, max_bytes: usize) -> Result<(), PackageError> {
    if path.is_empty() {
        return Err(invalid(path, "empty path"));
    }
    if path.len() > max_bytes {
        return Err(invalid(path, "path is too long"));
    }
    if path.starts_with('/') {
        return Err(invalid(path, "absolute paths are not allowed"));
    }
    if path.bytes().any(|b| b < 0x20 || b == 0x7f || b == b'\\') {
        return Err(invalid(
            path,
            "control characters and backslashes are not allowed",
        ));
    }
    for comp in path.split('/') {
        match comp {
            "" => return Err(invalid(path, "empty path component (`//` or trailing `/`)")),
            "." => return Err(invalid(path, "`.` components are not allowed")),
            ".." => return Err(invalid(path, "`..` components are not allowed")),
            _ => {}
        }
    }
    if path == MANIFEST_NAME || path == SIGNATURE_NAME {
        return Err(invalid(path, "reserved name"));
    }
    Ok(())
}

/// The parent directory of a validated path, `None` for a top-level entry.
pub fn parent(path: &str) -> Option<&str> {
    path.rfind('/').map(|i| &path[..i])
}

/// Check a symlink target. It must be relative; it may start with `..` components, at most as
/// many as the link's directory depth, followed only by normal components (or be exactly `.`).
/// Because every parent directory of an entry is a real directory entry (never a symlink), the
/// leading `..` walk stays inside the package, and the normal components after it only descend,
/// so no chain of symlinks can resolve outside the package root.
pub fn validate_symlink(path: &str, target: &str, max_bytes: usize) -> Result<(), PackageError> {
    let escapes = || PackageError::SymlinkEscapes {
        path: path.to_string(),
        target: target.to_string(),
    };
    if target.is_empty() {
        return Err(invalid(path, "symlink target is empty"));
    }
    if target.len() > max_bytes {
        return Err(invalid(path, "symlink target is too long"));
    }
    if target.bytes().any(|b| b < 0x20 || b == 0x7f || b == b'\\') {
        return Err(invalid(
            path,
            "control characters and backslashes are not allowed in symlink targets",
        ));
    }
    if target.starts_with('/') {
        return Err(escapes());
    }
    if target == "." {
        return Ok(());
    }
    let depth = path.matches('/').count();
    let mut ups = 0usize;
    let mut seen_normal = false;
    for comp in target.split('/') {
        match comp {
            "" => return Err(invalid(path, "symlink target has an empty component")),
            "." => return Err(invalid(path, "symlink target has a `.` component")),
            ".." if seen_normal => {
                return Err(invalid(
                    path,
                    "symlink target has `..` after a normal component",
                ))
            }
            ".." => {
                ups += 1;
                if ups > depth {
                    return Err(escapes());
                }
            }
            _ => seen_normal = true,
        }
    }
    Ok(())
}

/// Lossy conversion of archive name bytes for error messages.
pub fn display_bytes(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        for ok in ["bin", "bin/lua", "share/lua/5.4/x.lua", "a b", "ü"] {
            validate_path(ok, 255).unwrap();
        }
        for bad in [
            "",
            "/etc/x",
            "../x",
            "a/../b",
            "a/./b",
            "a//b",
            "a/",
            ".",
            "a\\b",
            "a\nb",
            "+MANIFEST",
            "+SIGNATURE",
        ] {
            assert!(validate_path(bad, 255).is_err(), "{bad:?} accepted");
        }
        assert!(validate_path(&"a".repeat(256), 255).is_err());
        assert_eq!(parent("a/b/c"), Some("a/b"));
        assert_eq!(parent("a"), None);
    }

    #[test]
    fn symlinks() {
        for (p, t) in [
            ("lib/libz.so", "libz.so.1"),
            ("lib/x", "../bin/lua"),
            ("a/b/c", "../../d"),
            ("top", "."),
            ("top", "bin/lua"),
        ] {
            validate_symlink(p, t, 255).unwrap();
        }
        for (p, t) in [
            ("top", ".."),
            ("lib/x", "../../etc/passwd"),
            ("x", "/etc/passwd"),
        ] {
            assert!(matches!(
                validate_symlink(p, t, 255),
                Err(PackageError::SymlinkEscapes { .. })
            ));
        }
        for (p, t) in [
            ("x", "s/.."),
            ("a/x", "b/../.."),
            ("x", "./y"),
            ("x", "a//b"),
            ("x", ""),
        ] {
            assert!(matches!(
                validate_symlink(p, t, 255),
                Err(PackageError::InvalidPath { .. })
            ));
        }
    }
}
