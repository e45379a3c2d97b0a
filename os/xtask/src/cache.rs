//! `cargo xtask clean-cache`: empty the per-user build cache.
//!
//! The cache ([`swport::cache::user_cache_dir`]: `$XDG_CACHE_HOME/swiftos`, default
//! `~/.cache/swiftos`) holds verified source tarballs, newlib sysroots and port builds (and
//! set-up's private QEMU, when it unpacked one), each keyed by content or version and remade on
//! demand. The clone's development keys (`build/keys/`)
//! and the rest of `build/` are not in it and stay.

use anyhow::{Context, Result};
use std::path::Path;

/// Remove the per-user cache directory and say what it freed.
pub fn clean() -> Result<()> {
    let dir = swport::cache::user_cache_dir()?;
    match remove(&dir)? {
        None => println!(
            "clean-cache: {} does not exist; nothing to remove",
            dir.display()
        ),
        Some(bytes) => println!(
            "clean-cache: removed {} ({} freed); the next build starts cold",
            dir.display(),
            human(bytes)
        ),
    }
    println!("clean-cache: kept the development keys (build/keys/) and the rest of build/");
    let legacy = swiftos_harness::repo_root().join(".cache");
    let legacy_used = std::fs::read_dir(&legacy).is_ok_and(|mut d| d.next().is_some());
    if legacy_used {
        println!(
            "clean-cache: note: {} is the in-clone cache of an older checkout ({}); nothing \
             uses it any more and its keys move to build/keys/ on first use: once they have, \
             delete it by hand (rm -rf {})",
            legacy.display(),
            human(disk_usage(&legacy)),
            legacy.display()
        );
    }
    Ok(())
}

/// Remove `dir` and everything in it (when `dir` is a symbolic link: everything in the
/// directory it points to, keeping the link). Returns the bytes freed, or `None` when there
/// was nothing.
pub fn remove(dir: &Path) -> Result<Option<u64>> {
    let meta = match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        other => other.with_context(|| format!("reading {}", dir.display()))?,
    };
    if !meta.is_dir() && !meta.file_type().is_symlink() {
        anyhow::bail!(
            "{} is not a directory; the cache directory must be one (remove it by hand)",
            dir.display()
        );
    }
    let bytes = disk_usage(dir);
    if meta.file_type().is_symlink() {
        for e in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
            remove_tree(
                &e.with_context(|| format!("reading {}", dir.display()))?
                    .path(),
            )?;
        }
    } else {
        remove_tree(dir)?;
    }
    Ok(Some(bytes))
}

/// Remove a file or a whole tree; read-only directories (unpacked sources keep the tarball's
/// modes) are made writable first.
fn remove_tree(p: &Path) -> Result<()> {
    let meta = std::fs::symlink_metadata(p).with_context(|| format!("reading {}", p.display()))?;
    if !meta.is_dir() {
        return std::fs::remove_file(p).with_context(|| format!("removing {}", p.display()));
    }
    if std::fs::remove_dir_all(p).is_ok() {
        return Ok(());
    }
    make_writable(p);
    std::fs::remove_dir_all(p).with_context(|| {
        format!(
            "removing {} (is a build still running, or is it owned by another user?)",
            p.display()
        )
    })
}

fn make_writable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(m) = std::fs::symlink_metadata(dir) {
        if m.is_dir() {
            let mode = m.permissions().mode() | 0o700;
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode));
            for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                make_writable(&e.path());
            }
        }
    }
}

/// Disk space used under `p` (allocated blocks; symbolic links are not followed below `p`).
pub fn disk_usage(p: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let Ok(m) = std::fs::metadata(p) else {
        return 0;
    };
    let mut total = m.blocks() * 512;
    if m.is_dir() {
        for e in std::fs::read_dir(p).into_iter().flatten().flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => total += disk_usage(&e.path()),
                Ok(_) => total += e.metadata().map(|m| m.blocks() * 512).unwrap_or(0),
                Err(_) => {}
            }
        }
    }
    total
}

/// `1536` → `1.5 KiB`.
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut v = bytes as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn tree(dir: &Path) {
        std::fs::create_dir_all(dir.join("ports/lua/abc/pkgroot/bin")).unwrap();
        std::fs::write(
            dir.join("ports/lua/abc/pkgroot/bin/lua"),
            vec![7u8; 100_000],
        )
        .unwrap();
        let ro = dir.join("ports/lua/.build-x-1/work/src");
        std::fs::create_dir_all(ro.join("doc")).unwrap();
        std::fs::write(ro.join("doc/readme"), "r").unwrap();
        std::fs::set_permissions(ro.join("doc"), std::fs::Permissions::from_mode(0o555)).unwrap();
    }

    #[test]
    fn a_missing_cache_is_not_an_error() {
        let t = tempfile::tempdir().unwrap();
        assert_eq!(remove(&t.path().join("swiftos")).unwrap(), None);
    }

    #[test]
    fn the_cache_goes_whole_and_its_size_is_reported() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("swiftos");
        tree(&dir);
        let freed = remove(&dir).unwrap().unwrap();
        assert!(freed >= 100_000, "{freed}");
        assert!(!dir.exists());
    }

    #[test]
    fn a_linked_cache_is_emptied_and_the_link_kept() {
        let t = tempfile::tempdir().unwrap();
        let real = t.path().join("big-disk/swiftos");
        tree(&real);
        let link = t.path().join("swiftos");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert!(remove(&link).unwrap().unwrap() >= 100_000);
        assert!(link.is_dir() && std::fs::read_dir(&real).unwrap().next().is_none());
    }

    #[test]
    fn sizes_read_like_du() {
        assert_eq!(human(0), "0 B");
        assert_eq!(human(1536), "1.5 KiB");
        assert_eq!(human(3 << 20), "3.0 MiB");
        assert_eq!(human(5 << 30), "5.0 GiB");
    }
}
