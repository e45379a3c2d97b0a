//! Port builds cached by content hash.
//!
//! A port's build lives in `<cache>/ports/<name>/<hash>/` (`pkgroot/`, `build.log` and the
//! completion marker `build.json`), where `<hash>` covers every input: every file of the recipe
//! directory `ports/<name>/` (recipe, patches, tests: paths, executable bits and bytes), the
//! sysroot's input hash (newlib, the glue, the generated ABI header, the cross compiler's
//! version), the source's sha256, `SOURCE_DATE_EPOCH`, and swport's version and build revision.
//!
//! A build runs in `<cache>/ports/<name>/.build-<hash>-<pid>/` and only its result is renamed
//! into place, in one step, once complete: two clones building at once never see half a build.
//! A failed build's directory stays (its log is named by the error) until the next build of
//! the port or `swport gc`; [`gc`] keeps the most recently used build of each port.

use crate::port::PortError;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The file that marks a cached build complete (written last, renamed in with the rest).
pub const MARKER: &str = "build.json";

/// Bumped whenever the build procedure changes in a way the inputs do not show.
const PORT_BUILD_REVISION: &str = "port-build-1";

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PortError + '_ {
    move |source| PortError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Everything besides the recipe directory that decides what a port build produces.
#[derive(Clone, Debug)]
pub struct Inputs {
    /// [`crate::sysroot::input_hash`].
    pub sysroot: String,
    /// The recipe's `source.sha256`.
    pub source_sha256: String,
    /// `SOURCE_DATE_EPOCH` as the build sees it.
    pub source_date_epoch: String,
}

/// The content hash of a port build: `port_dir`'s files plus `inputs` (24 hex digits).
pub fn input_hash(port_dir: &Path, inputs: &Inputs) -> Result<String, PortError> {
    let mut files = Vec::new();
    collect_files(port_dir, port_dir, &mut files)?;
    files.sort();
    let mut h = Sha256::new();
    for rel in &files {
        let p = port_dir.join(rel);
        let data = std::fs::read(&p).map_err(io(&p))?;
        let exec = is_executable(&p)?;
        h.update(format!("file {} {exec} {}\n", rel.display(), data.len()).as_bytes());
        h.update(&data);
    }
    h.update(format!("sysroot {}\n", inputs.sysroot).as_bytes());
    h.update(format!("source {}\n", inputs.source_sha256).as_bytes());
    h.update(format!("source-date-epoch {}\n", inputs.source_date_epoch).as_bytes());
    h.update(
        format!(
            "swport {} {PORT_BUILD_REVISION}\n",
            env!("CARGO_PKG_VERSION")
        )
        .as_bytes(),
    );
    Ok(hex::encode(h.finalize())[..24].to_owned())
}

fn is_executable(p: &Path) -> Result<bool, PortError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(p).map_err(io(p))?.permissions().mode();
    Ok(mode & 0o111 != 0)
}

/// Files under `dir` (following symbolic links), relative to `base`.
fn collect_files(base: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), PortError> {
    for e in std::fs::read_dir(dir).map_err(io(dir))? {
        let p = e.map_err(io(dir))?.path();
        if p.is_dir() {
            collect_files(base, &p, out)?;
        } else if let Ok(rel) = p.strip_prefix(base) {
            out.push(rel.to_owned());
        }
    }
    Ok(())
}

/// Whether `dir` holds a complete build.
pub fn is_complete(dir: &Path) -> bool {
    dir.join(MARKER).is_file()
}

/// Whether `dir` holds a complete build; if so, mark it used now, so [`gc`] keeps it.
pub fn reuse(dir: &Path) -> bool {
    if !is_complete(dir) {
        return false;
    }
    // Best effort: a read-only cache still serves the build.
    if let Ok(f) = std::fs::File::options().write(true).open(dir.join(MARKER)) {
        let _ = f.set_modified(SystemTime::now());
    }
    true
}

/// This process's private build directory for `hash` in the port's cache folder.
pub fn temp_dir(port_cache: &Path, hash: &str) -> PathBuf {
    port_cache.join(format!(".build-{hash}-{}", std::process::id()))
}

/// Write the completion marker into `out` (the last step before [`publish`]).
pub fn write_marker(out: &Path, name: &str, version: &str, hash: &str) -> Result<(), PortError> {
    let built_at = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let meta = serde_json::json!({
        "port": name,
        "version": version,
        "hash": hash,
        "swport": env!("CARGO_PKG_VERSION"),
        "revision": PORT_BUILD_REVISION,
        "built_at": built_at,
    });
    let p = out.join(MARKER);
    let text = serde_json::to_string_pretty(&meta).unwrap_or_default();
    atomic_write::write(&p, text).map_err(io(&p))
}

/// Move the finished build `out` to `dest` in one rename. When another process finished the
/// same build first, theirs (identical inputs) stays and `out` is left for the caller to
/// delete, unless `replace` (a forced rebuild) asks for ours. Returns whether ours went in.
pub fn publish(out: &Path, dest: &Path, replace: bool) -> Result<bool, PortError> {
    if is_complete(dest) {
        if !replace {
            return Ok(false);
        }
        let stale = sibling(dest, "stale");
        std::fs::rename(dest, &stale).map_err(io(dest))?;
        std::fs::rename(out, dest).map_err(io(dest))?;
        std::fs::remove_dir_all(&stale).map_err(io(&stale))?;
        return Ok(true);
    }
    if std::fs::symlink_metadata(dest).is_ok() {
        // Not a build of ours (no marker): clear the way.
        remove_path(dest)?;
    }
    match std::fs::rename(out, dest) {
        Ok(()) => Ok(true),
        Err(_) if is_complete(dest) => Ok(false),
        Err(e) => Err(io(dest)(e)),
    }
}

/// `<dir>/.<what>-<name>-<pid>` beside `path` (`<dir>/<name>`).
fn sibling(path: &Path, what: &str) -> PathBuf {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!(".{what}-{name}-{}", std::process::id()))
}

fn remove_path(p: &Path) -> Result<(), PortError> {
    let meta = std::fs::symlink_metadata(p).map_err(io(p))?;
    if meta.is_dir() {
        std::fs::remove_dir_all(p).map_err(io(p))
    } else {
        std::fs::remove_file(p).map_err(io(p))
    }
}

/// Whether `name` is one of our private directories (`.build-…-<pid>`, `.stale-…-<pid>`) whose
/// process is gone. Without `/proc` every process counts as alive.
fn abandoned(name: &str) -> bool {
    if !(name.starts_with(".build-") || name.starts_with(".stale-")) {
        return false;
    }
    let Some(pid) = name.rsplit('-').next().and_then(|p| p.parse::<u32>().ok()) else {
        return false;
    };
    let proc = Path::new("/proc");
    proc.join("self").exists() && !proc.join(pid.to_string()).exists()
}

/// Remove the private build directories of processes that are gone from one port's cache
/// folder (failed builds, killed builds). Returns the removed paths.
pub fn remove_abandoned(port_cache: &Path) -> Result<Vec<PathBuf>, PortError> {
    let mut removed = Vec::new();
    let Ok(rd) = std::fs::read_dir(port_cache) else {
        return Ok(removed);
    };
    for e in rd.flatten() {
        if abandoned(&e.file_name().to_string_lossy()) {
            remove_path(&e.path())?;
            removed.push(e.path());
        }
    }
    Ok(removed)
}

/// In every port's cache folder under `<cache>/ports/`, keep the most recently used complete
/// build and the build directories of running processes; remove everything else. Returns the
/// removed paths.
pub fn gc(cache: &Path) -> Result<Vec<PathBuf>, PortError> {
    let mut removed = Vec::new();
    let Ok(rd) = std::fs::read_dir(cache.join("ports")) else {
        return Ok(removed);
    };
    for e in rd.flatten() {
        if e.path().is_dir() {
            removed.extend(gc_port(&e.path())?);
        }
    }
    removed.sort();
    Ok(removed)
}

fn gc_port(port_cache: &Path) -> Result<Vec<PathBuf>, PortError> {
    let mut builds: Vec<(SystemTime, PathBuf)> = Vec::new();
    let mut remove = Vec::new();
    for e in std::fs::read_dir(port_cache).map_err(io(port_cache))? {
        let e = e.map_err(io(port_cache))?;
        let (name, p) = (e.file_name().to_string_lossy().into_owned(), e.path());
        if name.starts_with('.') {
            if abandoned(&name) {
                remove.push(p);
            }
        } else if is_complete(&p) {
            let used = std::fs::metadata(p.join(MARKER))
                .and_then(|m| m.modified())
                .unwrap_or(SystemTime::UNIX_EPOCH);
            builds.push((used, p));
        } else {
            remove.push(p);
        }
    }
    builds.sort();
    builds.pop();
    remove.extend(builds.into_iter().map(|(_, p)| p));
    for p in &remove {
        remove_path(p)?;
    }
    Ok(remove)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> Inputs {
        Inputs {
            sysroot: "s1".into(),
            source_sha256: "a".repeat(64),
            source_date_epoch: "0".into(),
        }
    }

    fn port_dir() -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("recipe.toml"), "name = \"x\"\n").unwrap();
        std::fs::create_dir(t.path().join("patches")).unwrap();
        std::fs::write(t.path().join("patches/a.patch"), "--- a\n").unwrap();
        t
    }

    #[test]
    fn the_hash_covers_every_recipe_file_and_every_input() {
        let d = port_dir();
        let base = input_hash(d.path(), &inputs()).unwrap();
        assert_eq!(base.len(), 24);
        assert_eq!(input_hash(d.path(), &inputs()).unwrap(), base, "stable");

        std::fs::write(d.path().join("patches/a.patch"), "--- b\n").unwrap();
        let patched = input_hash(d.path(), &inputs()).unwrap();
        assert_ne!(patched, base, "a patch edit");
        std::fs::write(d.path().join("tests.lua"), "").unwrap();
        let added = input_hash(d.path(), &inputs()).unwrap();
        assert_ne!(added, patched, "a new file");
        use std::os::unix::fs::PermissionsExt;
        let p = d.path().join("tests.lua");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_ne!(
            input_hash(d.path(), &inputs()).unwrap(),
            added,
            "an exec bit"
        );

        let mut seen = vec![input_hash(d.path(), &inputs()).unwrap()];
        let variants: [fn(&mut Inputs); 3] = [
            |i| i.sysroot = "s2".into(),
            |i| i.source_sha256 = "b".repeat(64),
            |i| i.source_date_epoch = "1700000000".into(),
        ];
        for change in variants {
            let mut i = inputs();
            change(&mut i);
            let h = input_hash(d.path(), &i).unwrap();
            assert!(!seen.contains(&h), "{i:?}");
            seen.push(h);
        }
    }

    fn complete_build(dir: &Path, used: SystemTime) {
        std::fs::create_dir_all(dir.join("pkgroot")).unwrap();
        write_marker(dir, "x", "1.0.0", "h").unwrap();
        let f = std::fs::File::options()
            .write(true)
            .open(dir.join(MARKER))
            .unwrap();
        f.set_modified(used).unwrap();
    }

    #[test]
    fn publish_renames_whole_and_keeps_a_finished_build_unless_replacing() {
        let t = tempfile::tempdir().unwrap();
        let (out, dest) = (t.path().join(".build-h-1/out"), t.path().join("h"));
        complete_build(&out, SystemTime::now());
        std::fs::write(out.join("pkgroot/mine"), "1").unwrap();
        assert!(publish(&out, &dest, false).unwrap());
        assert!(is_complete(&dest) && !out.exists());

        complete_build(&out, SystemTime::now());
        assert!(!publish(&out, &dest, false).unwrap(), "theirs stays");
        assert!(dest.join("pkgroot/mine").exists() && out.exists());
        assert!(publish(&out, &dest, true).unwrap(), "a rebuild replaces");
        assert!(!dest.join("pkgroot/mine").exists());
        let left: Vec<_> = std::fs::read_dir(t.path()).unwrap().flatten().collect();
        assert_eq!(left.len(), 2, "h and .build-h-1 only: {left:?}");
    }

    #[test]
    fn gc_keeps_the_most_recently_used_build_and_live_build_dirs() {
        let cache = tempfile::tempdir().unwrap();
        let port = cache.path().join("ports/x");
        let old = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000);
        complete_build(&port.join("aaa"), SystemTime::now());
        complete_build(&port.join("bbb"), old);
        std::fs::create_dir_all(port.join("half")).unwrap();
        let live = port.join(format!(".build-ccc-{}", std::process::id()));
        std::fs::create_dir_all(&live).unwrap();
        // pid_max is at most 2^22: this process cannot exist.
        let dead = port.join(".build-ddd-4294967295");
        std::fs::create_dir_all(&dead).unwrap();

        let removed = gc(cache.path()).unwrap();
        assert_eq!(removed, [dead.clone(), port.join("bbb"), port.join("half")]);
        assert!(port.join("aaa").exists() && live.exists());
        // A build reused later becomes the newest.
        complete_build(&port.join("bbb"), old);
        assert!(reuse(&port.join("bbb")));
        assert_eq!(gc(cache.path()).unwrap(), [port.join("aaa")]);
    }
}
