//! Where swport keeps what it can rebuild, and where a clone keeps what it cannot.
//!
//! **Caches** are per user, shared by every clone, keyed by content hash and safe to delete
//! (`cargo xtask clean-cache`): [`user_cache_dir`] is `$XDG_CACHE_HOME/swiftos`, else
//! `~/.cache/swiftos`, and holds
//!
//! ```text
//! sources/<sha256>/<file>      verified source tarballs (sources/index/: Debian indexes)
//! sysroot/<hash>/              the newlib sysroot, <hash> over every input
//! ports/<name>/<hash>/         a port's build (pkgroot/, build.log, build.json)
//! ```
//!
//! **Keys** are identity, not cache: the development signing keys stay with the clone, in
//! [`keys_dir`] (`<clone>/build/keys/`, git-ignored like the rest of `build/`). Clones made
//! before the move kept them in `<clone>/.cache/`; [`adopt_legacy`] moves them over on first
//! use, so an existing clone keeps its keys (and the root key its images pin).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The folder name under the user's cache home.
pub const APP_DIR: &str = "swiftos";

/// Cache location failures.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error(
        "no usable cache directory: {reason}; set XDG_CACHE_HOME (or HOME) to an absolute \
         directory, e.g. XDG_CACHE_HOME=/var/tmp/cache"
    )]
    NoCacheDir { reason: String },
    #[error(
        "cannot move the development key {from} to {to}: {source}; move it by hand (keys are \
         identity: a new one would not match what earlier builds pinned)"
    )]
    Adopt {
        from: PathBuf,
        to: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The per-user cache root: `$XDG_CACHE_HOME/swiftos` when that variable holds an absolute
/// path, else `$HOME/.cache/swiftos`.
pub fn user_cache_dir() -> Result<PathBuf, CacheError> {
    cache_dir_from(std::env::var_os("XDG_CACHE_HOME"), std::env::var_os("HOME"))
}

/// [`user_cache_dir`] for given values of `XDG_CACHE_HOME` and `HOME`. A relative or empty
/// `XDG_CACHE_HOME` is ignored, as the XDG base directory specification asks.
pub fn cache_dir_from(
    xdg_cache_home: Option<OsString>,
    home: Option<OsString>,
) -> Result<PathBuf, CacheError> {
    let xdg = xdg_cache_home.filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(x) = &xdg {
        if x.is_absolute() {
            return Ok(x.join(APP_DIR));
        }
    }
    let home = home.filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(h) = &home {
        if h.is_absolute() {
            return Ok(h.join(".cache").join(APP_DIR));
        }
    }
    let describe = |name: &str, v: &Option<PathBuf>| match v {
        None => format!("{name} is unset or empty"),
        Some(p) => format!("{name}={} is not an absolute path", p.display()),
    };
    Err(CacheError::NoCacheDir {
        reason: format!(
            "{} and {}",
            describe("XDG_CACHE_HOME", &xdg),
            describe("HOME", &home)
        ),
    })
}

/// A clone's development keys: `<root>/build/keys/`.
pub fn keys_dir(root: &Path) -> PathBuf {
    root.join("build").join("keys")
}

/// Where a clone kept its keys before they moved to [`keys_dir`]: `<root>/.cache/`.
pub fn legacy_dir(root: &Path) -> PathBuf {
    root.join(".cache")
}

/// Move `legacy` (a key file or key folder left by an older swport) to `new` when `new` does
/// not exist yet. Returns whether something moved.
pub fn adopt_legacy(legacy: &Path, new: &Path) -> Result<bool, CacheError> {
    if new.exists() || std::fs::symlink_metadata(legacy).is_err() {
        return Ok(false);
    }
    let adopt = |source| CacheError::Adopt {
        from: legacy.to_owned(),
        to: new.to_owned(),
        source,
    };
    if let Some(parent) = new.parent() {
        std::fs::create_dir_all(parent).map_err(adopt)?;
    }
    std::fs::rename(legacy, new).map_err(adopt)?;
    // The old folders up to `.cache` go once they are empty (`remove_dir` leaves anything
    // else alone).
    for dir in legacy.ancestors().skip(1) {
        let _ = std::fs::remove_dir(dir);
        if dir.file_name().is_some_and(|n| n == ".cache") {
            break;
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(s: &str) -> Option<OsString> {
        Some(OsString::from(s))
    }

    #[test]
    fn an_absolute_xdg_cache_home_wins() {
        let d = cache_dir_from(os("/x/cache"), os("/home/u")).unwrap();
        assert_eq!(d, Path::new("/x/cache/swiftos"));
    }

    #[test]
    fn home_is_the_fallback_when_xdg_is_unset_empty_or_relative() {
        for xdg in [None, os(""), os("rel/cache")] {
            let d = cache_dir_from(xdg.clone(), os("/home/u")).unwrap();
            assert_eq!(d, Path::new("/home/u/.cache/swiftos"), "{xdg:?}");
        }
    }

    #[test]
    fn neither_usable_is_an_error_naming_both() {
        let e = cache_dir_from(None, None).unwrap_err().to_string();
        assert!(e.contains("XDG_CACHE_HOME is unset"), "{e}");
        assert!(e.contains("HOME is unset"), "{e}");
        let e = cache_dir_from(os("rel"), os("also-rel"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("XDG_CACHE_HOME=rel is not an absolute path"),
            "{e}"
        );
        assert!(e.contains("HOME=also-rel is not an absolute path"), "{e}");
        assert!(e.contains("set XDG_CACHE_HOME (or HOME)"), "{e}");
    }

    #[test]
    fn keys_live_in_the_clone_under_build() {
        assert_eq!(keys_dir(Path::new("/r")), Path::new("/r/build/keys"));
    }

    #[test]
    fn legacy_keys_are_moved_once_and_never_over_new_ones() {
        let t = tempfile::tempdir().unwrap();
        let old = t.path().join(".cache/seed-keys");
        let new = t.path().join("build/keys/seed-keys");
        std::fs::create_dir_all(&old).unwrap();
        std::fs::write(old.join("root.key"), "old").unwrap();
        assert!(adopt_legacy(&old, &new).unwrap());
        assert_eq!(
            std::fs::read_to_string(new.join("root.key")).unwrap(),
            "old"
        );
        assert!(!old.exists());
        assert!(
            !t.path().join(".cache").exists(),
            "the emptied old folder goes too"
        );
        // A second legacy copy never replaces keys already in place.
        std::fs::create_dir_all(&old).unwrap();
        std::fs::write(old.join("root.key"), "other").unwrap();
        assert!(!adopt_legacy(&old, &new).unwrap());
        assert_eq!(
            std::fs::read_to_string(new.join("root.key")).unwrap(),
            "old"
        );
        // Nothing to adopt.
        let none = t.path().join("nothing");
        assert!(!adopt_legacy(&none, &t.path().join("x")).unwrap());
    }
}
